#!/usr/bin/env python3
"""A hostile push endpoint for tests: an HTTPS server on 127.0.0.1 (demo hub certificate) that
answers every request with a redirect to a second, plain-HTTP listener, which counts what reaches it (a
stand-in for an internal address or a cloud metadata service). Writes "PORTS <https> <http>" to --out once
both listen, "OUTER <method> <path>" for each request the HTTPS server gets and "HIT <method> <path>" for
each request the second listener gets. Ends after --seconds.

Usage: python3 Tests/Drivers/redirecting_endpoint.py --certs Certs/demo/hub --out FILE [--status 307] [--seconds 60]"""
import argparse, http.server, os, ssl, sys, threading

ap = argparse.ArgumentParser()
ap.add_argument("--certs", required=True)
ap.add_argument("--status", type=int, default=307)
ap.add_argument("--seconds", type=float, default=60)
ap.add_argument("--out", required=True)
args = ap.parse_args()


class Inner(http.server.BaseHTTPRequestHandler):
    def handle_one(self):
        say(f"HIT {self.command} {self.path}")
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = do_PUT = handle_one

    def log_message(self, *a):
        pass


def say(line):
    with open(args.out, "a") as f:
        f.write(line + "\n")


inner = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Inner)


class Outer(http.server.BaseHTTPRequestHandler):
    def handle_one(self):
        say(f"OUTER {self.command} {self.path}")
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.send_response(args.status)
        self.send_header("Location", f"http://127.0.0.1:{inner.server_address[1]}/latest/meta-data/")
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = do_PUT = handle_one

    def log_message(self, *a):
        pass


outer = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Outer)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(os.path.join(args.certs, "server.chain.pem"), os.path.join(args.certs, "server.key"))
outer.socket = context.wrap_socket(outer.socket, server_side=True)
for server in (inner, outer):
    threading.Thread(target=server.serve_forever, daemon=True).start()
say(f"PORTS {outer.server_address[1]} {inner.server_address[1]}")
threading.Event().wait(args.seconds)
sys.exit(0)

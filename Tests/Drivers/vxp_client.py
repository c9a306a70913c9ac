#!/usr/bin/env python3
"""A client of the national hub's SDK dialect (VXP), written from ../shared/vxp-wire.md and independent of
Truc's code: HMAC-SHA256 over the Gson-style sign-header, parameters as XroadVnpt-* headers, one parameter
map per session that is never cleared (as the SDK does), sendEdoc with the file plus CRLF and the unpadded
hash-file, `{}` bodies with Expect: 100-continue.

  vxp_client.py --endpoint URL --system ID --secret-file F send FILE --from CODE [--type edoc|status]
  vxp_client.py ... list [--type edoc|status]     getReceivedEdocList
  vxp_client.py ... get DOCID [-o FILE]            getEdoc
  vxp_client.py ... ack DOCID [--status done|fail] updateStatus
  vxp_client.py ... sent DOCID                     getSentEdocList
  vxp_client.py ... agencies                       getAgenciesList
  vxp_client.py --endpoint URL demo --sender ID:SECRETFILE:CODE --recipient ID:SECRETFILE FILE
                                                   the SDK's whole sequence between two systems

Prints each answer as JSON; exits 1 when an answer is not status OK / ErrorCode 0.
"""
import argparse, base64, hashlib, hmac, http.client, json, ssl, sys, time, urllib.parse
from datetime import datetime


class Session:
    """One SDK service object: a parameter map kept across calls, a timestamp fixed at creation."""

    def __init__(self, endpoint, system, secret):
        self.url = urllib.parse.urlsplit(endpoint.rstrip("/"))
        self.secret = secret.encode("utf-8")
        now = datetime.now()
        self.params = {"systemid": system, "timestamp": now.strftime("%d%m%YT%H%M%S") + "+%04d" % (now.microsecond // 1000)}

    def call(self, operation, params, body=b"", content_type="application/json"):
        self.params["Content-Type"] = content_type
        self.params.update(params)
        sign = json.dumps({"XroadVnpt-" + k: v for k, v in self.params.items()}, separators=(",", ":"), ensure_ascii=False)
        headers = {"XroadVnpt-" + k: v for k, v in self.params.items()}
        headers.update({
            "Content-Type": content_type,
            "XroadVnpt-sign-header-key": ";".join(self.params),
            "XroadVnpt-sign-header": sign,
            "XroadVnpt-hash-header": hmac.new(self.secret, sign.encode("utf-8"), hashlib.sha256).hexdigest(),
            "User-Agent": "JAVASDKAgent/1.0.0 XRoad/VPCP",
            "XroadVnpt-version": "3.0.201608",
        })
        if self.url.scheme == "https":
            conn = http.client.HTTPSConnection(self.url.hostname, self.url.port or 443, context=ssl._create_unverified_context())
        else:
            conn = http.client.HTTPConnection(self.url.hostname, self.url.port or 80)
        conn.putrequest("POST", self.url.path + "/" + operation)
        for name, value in headers.items():
            conn.putheader(name, value.encode("utf-8"))
        conn.putheader("Content-Length", str(len(body)))
        expect = bool(body) and operation != "sendEdoc"
        if expect:
            conn.putheader("Expect", "100-continue")
        conn.endheaders()
        if expect:
            # Wait for 100 Continue the way HttpClient does (3 s at most), and measure it.
            conn.sock.settimeout(3)
            started = time.time()
            line = conn.sock.recv(25)
            if not line.startswith(b"HTTP/1.1 100"):
                raise SystemExit("no 100 Continue before the body (got %r)" % line)
            while not line.endswith(b"\r\n\r\n"):
                line += conn.sock.recv(1)
            self.continue_wait = time.time() - started
            conn.sock.settimeout(None)
        conn.send(body)
        response = conn.getresponse()
        text = b"".join(response.read().splitlines()).decode("utf-8")  # the SDK joins lines
        answer = json.loads(text)
        for key in ("status", "ErrorCode", "ErrorDesc"):
            if not isinstance(answer.get(key), (str, int)):
                raise SystemExit("%s: answer without %s: %s" % (operation, key, text))
        return answer

    def send(self, data, sender, message_type="edoc"):
        digest = hashlib.sha256(data).digest()
        hash_file = "".join("%x" % b for b in digest)  # the SDK's unpadded hex
        return self.call("sendEdoc", {"from": sender, "servicetype": "eDoc", "messagetype": message_type, "hash-file": hash_file},
                         body=data + b"\r\n", content_type="application/octet-stream")


def ok(answer):
    return answer.get("status") == "OK" and str(answer.get("ErrorCode")) == "0"


def show(answer):
    print(json.dumps(answer, ensure_ascii=False))
    return 0 if ok(answer) else 1


def demo(args):
    sid, sfile, scode = args.sender.split(":")
    rid, rfile = args.recipient.split(":")
    sender = Session(args.endpoint, sid, open(sfile).read().strip())
    recipient = Session(args.endpoint, rid, open(rfile).read().strip())
    data = open(args.file, "rb").read()
    steps = []

    def step(name, answer, check=True):
        steps.append(name)
        print("%-20s %s" % (name, json.dumps(answer, ensure_ascii=False)[:160]))
        if check and not ok(answer):
            raise SystemExit("FAILED at " + name)
        return answer

    doc = step("sendEdoc", sender.send(data, scode))["DocId"]
    items = step("getReceivedEdocList", recipient.call("getReceivedEdocList", {"servicetype": "eDoc", "messagetype": "edoc"}))["data"]
    if doc not in [i.get("docId") for i in items]:
        raise SystemExit("the document is not in the recipient's list")
    got = step("getEdoc", recipient.call("getEdoc", {"docId": doc, "filePath": "/tmp"}, body=b"{}"))
    if base64.b64decode(got["data"]) != data:
        raise SystemExit("getEdoc did not return the exact bytes")
    print("%-20s %.3f s" % ("100-continue wait", recipient.continue_wait))
    step("updateStatus", recipient.call("updateStatus", {"docid": doc, "status": "done"}, body=b"{}"))
    rows = step("getSentEdocList", sender.call("getSentEdocList", {"servicetype": "eDoc", "messagetype": "edoc", "docId": doc}))["data"]
    states = {r["toCode"]: r["receiveStatus"] for r in rows}
    print("%-20s %s" % ("receive states", json.dumps(states)))
    step("getAgenciesList", recipient.call("getAgenciesList", {}))
    step("getSynchronizeUnit", recipient.call("getSynchronizeUnit", {}))
    print("done: %d calls answered OK" % len(steps))
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--system")
    parser.add_argument("--secret-file")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("send"); p.add_argument("file"); p.add_argument("--from", dest="sender", required=True); p.add_argument("--type", default="edoc")
    p = sub.add_parser("list"); p.add_argument("--type", default="edoc")
    p = sub.add_parser("get"); p.add_argument("docid"); p.add_argument("-o")
    p = sub.add_parser("ack"); p.add_argument("docid"); p.add_argument("--status", default="done")
    p = sub.add_parser("sent"); p.add_argument("docid")
    sub.add_parser("agencies")
    p = sub.add_parser("demo"); p.add_argument("file"); p.add_argument("--sender", required=True); p.add_argument("--recipient", required=True)
    args = parser.parse_args()
    if args.command == "demo":
        return demo(args)
    session = Session(args.endpoint, args.system, open(args.secret_file).read().strip())
    if args.command == "send":
        return show(session.send(open(args.file, "rb").read(), args.sender, args.type))
    if args.command == "list":
        return show(session.call("getReceivedEdocList", {"servicetype": "eDoc", "messagetype": args.type}))
    if args.command == "get":
        answer = session.call("getEdoc", {"docId": args.docid, "filePath": ""}, body=b"{}")
        if args.o and ok(answer):
            open(args.o, "wb").write(base64.b64decode(answer["data"]))
            answer["data"] = "(%d bytes written to %s)" % (len(base64.b64decode(answer["data"])), args.o)
        return show(answer)
    if args.command == "ack":
        return show(session.call("updateStatus", {"docid": args.docid, "status": args.status}, body=b"{}"))
    if args.command == "sent":
        return show(session.call("getSentEdocList", {"servicetype": "eDoc", "messagetype": "edoc", "docId": args.docid}))
    return show(session.call("getAgenciesList", {}))


if __name__ == "__main__":
    sys.exit(main())

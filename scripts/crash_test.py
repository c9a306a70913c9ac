#!/usr/bin/env python3
"""Crash test for `truc serve`: sends N distinct signed documents from several threads while the daemon is
killed with SIGKILL at random moments and restarted, then checks that
  * every message that got a 2xx is stored (fetched byte for byte), and
  * every document is in the recipient's inbox exactly once (after re-sending the unanswered ones, which
    the hub must recognise as duplicates when they had been stored).
Usage: python3 scripts/crash_test.py [--truc .build/debug/truc] [--messages 150] [--kills 6]
Exit 0 and a last line "N passed, 0 failed" when everything holds."""
import argparse, hashlib, http.client, json, os, random, shutil, signal, ssl, subprocess, sys, tempfile, threading, time

ap = argparse.ArgumentParser()
ap.add_argument("--truc", default=".build/debug/truc")
ap.add_argument("--messages", type=int, default=150)
ap.add_argument("--kills", type=int, default=6)
ap.add_argument("--threads", type=int, default=4)
args = ap.parse_args()

repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
truc = os.path.abspath(args.truc)
data = tempfile.mkdtemp(prefix="truc-crash-")
port = random.randint(20000, 40000)
ctx = ssl.create_default_context(cafile=os.path.join(repo, "Certs/demo/trust/root-ca.pem"))
template = open(os.path.join(repo, "Tests/Fixtures/signatures/pdf-both-zip.edxml"), encoding="utf-8").read()
original_id = "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT"
assert original_id in template


def run(*argv):
    return subprocess.run([truc, *argv, "--data", data], check=True, capture_output=True, text=True).stdout.strip()


server = None
lock = threading.Lock()


def start():
    global server
    server = subprocess.Popen([truc, "serve", "--data", data, "--port", str(port), "--demo-pki"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=2)
            c.request("GET", "/healthz")
            if c.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("the hub did not start")


def request(method, path, token, body=None):
    c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=30)
    headers = {"Authorization": "Bearer " + token}
    if body is not None:
        headers["Content-Type"] = "application/xml"
    c.request(method, path, body=body, headers=headers)
    r = c.getresponse()
    return r.status, r.read()


start()
g22 = run("agencies", "token", "000.00.00.G22")
h41 = run("agencies", "token", "000.00.00.H41")
run("agencies", "add", "000.00.00.H14", "--name", "UBND Tỉnh Cao Bằng")
run("agencies", "add", "000.00.00.G17", "--name", "Bộ Thông tin")

# Distinct documents: the DocumentId differs (the PDF signatures, inside the attachment, still verify).
documents = [template.replace(original_id, "000.00.00.G22,2026/11/22,%d/VPCP-TEST" % i).encode() for i in range(args.messages)]
answered = {}          # index -> hub id (a 2xx was received)
queue = list(range(args.messages))
done = threading.Event()


def sender():
    while True:
        with lock:
            if not queue:
                return
            i = queue.pop()
        try:
            status, body = request("POST", "/v1/messages", g22, documents[i])
            if status in (200, 202):
                with lock:
                    answered[i] = json.loads(body)["id"]
            else:
                raise OSError("HTTP %d" % status)
        except OSError:
            with lock:
                queue.insert(0, i)   # no answer: try again later (it may or may not have been stored)
            time.sleep(0.05)


def killer():
    for _ in range(args.kills):
        time.sleep(random.uniform(0.2, 1.0))
        server.send_signal(signal.SIGKILL)
        server.wait()
        start()


threads = [threading.Thread(target=sender) for _ in range(args.threads)]
k = threading.Thread(target=killer)
for t in threads + [k]:
    t.start()
k.join()
for t in threads:
    t.join()

passed = failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what)


check(len(answered) == args.messages, "every document answered 2xx eventually (%d of %d)" % (len(answered), args.messages))
for i, hub_id in sorted(answered.items()):
    status, body = request("GET", "/v1/messages/" + hub_id, g22)
    check(status == 200 and hashlib.sha256(body).digest() == hashlib.sha256(documents[i]).digest(), "message %d stored byte for byte" % i)
seen = {}
after = 0
while True:
    status, body = request("GET", "/v1/inbox?kind=edoc&limit=1000&after=%d" % after, h41)
    page = json.loads(body)
    for item in page["items"]:
        seen[item["documentId"]] = seen.get(item["documentId"], 0) + 1
    if not page["items"]:
        break
    after = page["next"]
for i in range(args.messages):
    doc = "000.00.00.G22,2026/11/22,%d/VPCP-TEST" % i
    check(seen.get(doc) == 1, "document %d in the inbox exactly once (%s)" % (i, seen.get(doc)))
server.send_signal(signal.SIGTERM)
server.wait()
shutil.rmtree(data, ignore_errors=True)
print("crash test: %d messages, %d kills" % (args.messages, args.kills))
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)

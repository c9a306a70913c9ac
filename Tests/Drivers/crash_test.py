#!/usr/bin/env python3
"""Crash test for `truc serve`: sends N distinct signed documents from several threads while the daemon is
killed with SIGKILL at random moments and restarted, then checks that
  * every message that got a 2xx is stored (fetched byte for byte), and
  * every document is in the recipient's inbox exactly once (after re-sending the unanswered ones, which
    the hub must recognise as duplicates when they had been stored).
With --postgres URL --haproxy PATH: two nodes on that PostgreSQL database behind HAProxy (TLS passthrough,
health checks on /readyz), the senders going through HAProxy, a random node killed each time (restarted
after a pause, except the last one killed, which stays down so that the other node must take over its
leased deliveries), and one recipient (H14) served by push to an HTTPS endpoint of this script; also checks
that every document reached that endpoint (at least once: the receiver de-duplicates; repeats are counted).
The evidence log too (checkpoints every second): every 2xx message's `accepted` event is in the tree (its
inclusion proof verifies, RFC 9162 written in Python, against a checkpoint whose Ed25519 note verifies), and
every checkpoint seen during the run — across the kills and both nodes — is signed by the one log key and
consistent with every later one (no fork); `truc log verify` agrees with the store once the nodes stopped.
Usage: python3 Tests/Drivers/crash_test.py [--truc .build/debug/truc] [--messages 150] [--kills 6] [--postgres URL --haproxy /usr/sbin/haproxy]
Exit 0 and a last line "N passed, 0 failed" when everything holds."""
import argparse, base64, hashlib, http.client, http.server, json, os, random, re, shutil, signal, ssl, subprocess, sys, tempfile, threading, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from children import popen  # noqa: E402 (what the driver starts ends with it)
# Imported before anything starts: a missing module (pymerkle) fails the run before a hub is left behind.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Fixtures", "log"))
from checkpoint_check import read_note                      # noqa: E402 (Ed25519 and the C2SP note, in Python)
from rfc9162_check import verify_consistency, verify_inclusion  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--truc", default=".build/debug/truc")
ap.add_argument("--messages", type=int, default=150)
ap.add_argument("--kills", type=int, default=6)
ap.add_argument("--threads", type=int, default=4)
ap.add_argument("--postgres", help="run two nodes on this PostgreSQL database, behind HAProxy")
ap.add_argument("--haproxy", default="/usr/sbin/haproxy")
ap.add_argument("--lease", type=int, default=10, help="--delivery-lease of the nodes (PostgreSQL)")
ap.add_argument("--pg-stop", help="shell command stopping PostgreSQL: with --pg-start, a restart under load instead of kills")
ap.add_argument("--pg-start", help="shell command starting PostgreSQL again")
ap.add_argument("--pg-down", type=float, default=6.0, help="seconds PostgreSQL stays down in the restart")
args = ap.parse_args()

repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
truc = os.path.abspath(args.truc)
data = tempfile.mkdtemp(prefix="truc-crash-")
ctx = ssl.create_default_context(cafile=os.path.join(repo, "Certs/demo/trust/root-ca.pem"))
template = open(os.path.join(repo, "Tests/Fixtures/signatures/pdf-both-zip.edxml"), encoding="utf-8").read()
original_id = "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT"
assert original_id in template


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(*argv):
    extra = ["--database", args.postgres] if args.postgres else []
    return subprocess.run([truc, *argv, "--data", nodes[0]["data"], *extra], check=True, capture_output=True, text=True).stdout.strip()


# One node (SQLite), or two on PostgreSQL; `port` is where the senders go (the node, or HAProxy).
if args.postgres:
    nodes = [{"name": n, "data": os.path.join(data, n), "port": free_port(), "process": None} for n in ("node-a", "node-b")]
else:
    nodes = [{"name": "single", "data": data, "port": free_port(), "process": None}]
lock = threading.Lock()


def healthy(p):
    try:
        c = http.client.HTTPSConnection("127.0.0.1", p, context=ctx, timeout=2)
        c.request("GET", "/readyz" if args.postgres else "/healthz")
        return c.getresponse().status == 200
    except OSError:
        return False


def start(node):
    argv = [truc, "serve", "--data", node["data"], "--port", str(node["port"]), "--demo-pki", "--allow-targets", "127.0.0.0/8,::1",
            "--checkpoint-interval", "1"]
    if args.postgres:
        argv += ["--database", args.postgres, "--node", node["name"], "--delivery-lease", str(args.lease)]
    log = open(os.environ["TRUC_CRASH_LOG"] + "-" + node["name"], "ab") if os.environ.get("TRUC_CRASH_LOG") else subprocess.DEVNULL
    node["process"] = popen(argv, stdout=subprocess.DEVNULL, stderr=log)
    for _ in range(400):
        if healthy(node["port"]):
            return
        time.sleep(0.05)
    raise SystemExit("the hub did not start")


# Every node of a hub holds the hub's secrets.key (docs/operating.md "Several nodes"; 32 random bytes, mode 0600): it
# seals the evidence log's signing key too.
secrets_key = os.urandom(32)
for node in nodes:
    os.makedirs(node["data"], exist_ok=True)
    path = os.path.join(node["data"], "secrets.key")
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as f:
        f.write(secrets_key)
    start(node)

proxy = None
if args.postgres:
    port = free_port()
    config = os.path.join(data, "haproxy.cfg")
    with open(config, "w") as f:
        f.write("""global
  maxconn 512
defaults
  mode tcp
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  retries 3
  option redispatch
frontend hub
  bind 127.0.0.1:%d
  default_backend nodes
backend nodes
  option httpchk GET /readyz
  http-check expect status 200
  default-server inter 300ms fall 1 rise 2 check check-ssl verify none
%s""" % (port, "".join("  server %s 127.0.0.1:%d\n" % (n["name"], n["port"]) for n in nodes)))
    proxy = popen([args.haproxy, "-f", config, "-db"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(200):
        if healthy(port):
            break
        time.sleep(0.05)
    else:
        raise SystemExit("HAProxy did not start: " + proxy.stderr.read().decode(errors="replace") if proxy.poll() is not None else "HAProxy did not start")
else:
    port = nodes[0]["port"]

# The push endpoint of H14 (PostgreSQL mode): an HTTPS server with the demo hub certificate; it counts what
# it receives per DocumentId (a receiver de-duplicates; a repeat is an at-least-once retry).
pushed = {}


class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        time.sleep(0.2)   # a slow receiver: deliveries are in flight when a node is killed
        found = re.search(rb"<edXML:DocumentId>([^<]*)</edXML:DocumentId>", body)
        key = found.group(1).decode() if found else "?"
        with lock:
            pushed[key] = pushed.get(key, 0) + 1
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *a):
        pass


receiver = None
if args.postgres:
    receiver = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Receiver)
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(os.path.join(repo, "Certs/demo/hub/server.chain.pem"), os.path.join(repo, "Certs/demo/hub/server.key"))
    receiver.socket = server_ctx.wrap_socket(receiver.socket, server_side=True)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()


def request(method, path, token, body=None, tries=20):
    """One call; a connection that fails before any answer (behind HAProxy, a node just killed and not yet
    marked down) is tried again, at most `tries` times in all, 0.5 s apart."""
    headers = {"Authorization": "Bearer " + token}
    if body is not None:
        headers["Content-Type"] = "application/xml"
    for attempt in range(tries):
        c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=30)
        try:
            c.request(method, path, body=body, headers=headers)
            r = c.getresponse()
            return r.status, r.read()
        except (ssl.SSLError, ConnectionError, http.client.RemoteDisconnected):
            if attempt == tries - 1:
                raise
            time.sleep(0.5)
        finally:
            c.close()


g22 = run("agencies", "token", "000.00.00.G22")
h41 = run("agencies", "token", "000.00.00.H41")
if receiver:
    run("agencies", "add", "000.00.00.H14", "--name", "UBND Tỉnh Cao Bằng", "--push-url", "https://localhost:%d/inbox" % receiver.server_address[1])
else:
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
            status, body = request("POST", "/v1/messages", g22, documents[i], tries=1)
            if status in (200, 202):
                with lock:
                    answered[i] = json.loads(body)["id"]
            else:
                raise OSError("HTTP %d" % status)
        except OSError:
            with lock:
                queue.insert(0, i)   # no answer: try again later (it may or may not have been stored)
            time.sleep(0.05)


readiness = {}   # HTTP status -> count, of the nodes' /readyz during the run
checkpoints = {}  # tree size -> signed note, as served during the run (by whichever node answered)


def checkpoint_watcher():
    # Its own thread: a request may wait while the store is down, and /readyz is probed meanwhile.
    while not done.is_set():
        try:
            status, body = request("GET", "/v1/log/checkpoint", g22, tries=1)
            if status == 200:
                note = body.decode()
                with lock:
                    checkpoints.setdefault(int(note.split("\n")[1]), note)
        except (OSError, ValueError, IndexError):
            pass
        time.sleep(0.3)


def watcher():
    while not done.is_set():
        for node in nodes:
            try:
                c = http.client.HTTPSConnection("127.0.0.1", node["port"], context=ctx, timeout=2)
                c.request("GET", "/readyz")
                status = c.getresponse().status
            except OSError:
                status = 0
            with lock:
                readiness[status] = readiness.get(status, 0) + 1
        time.sleep(0.2)


def restarter():
    # PostgreSQL restarted under load: stopped, kept down --pg-down seconds, started again (the nodes run on).
    time.sleep(1.0)
    subprocess.run(args.pg_stop, shell=True, check=True)
    time.sleep(args.pg_down)
    subprocess.run(args.pg_start, shell=True, check=True)
    print("PostgreSQL restarted (down %.1f s)" % args.pg_down)


def killer():
    if args.pg_stop:
        return restarter()
    for n in range(args.kills):
        time.sleep(random.uniform(0.2, 1.0))
        node = random.choice(nodes)
        if node["process"].poll() is not None:
            continue
        node["process"].send_signal(signal.SIGKILL)
        node["process"].wait()
        if args.postgres and n == args.kills - 1:
            return   # the last one killed stays down: the other node takes over its leased deliveries
        if args.postgres:
            time.sleep(random.uniform(0.0, 1.5))   # HAProxy sends everything to the other node meanwhile
        start(node)


threads = [threading.Thread(target=sender) for _ in range(args.threads)]
k = threading.Thread(target=killer)
w = threading.Thread(target=watcher)
cw = threading.Thread(target=checkpoint_watcher)
for t in threads + [k, w, cw]:
    t.start()
k.join()
for t in threads:
    t.join()
done.set()
w.join()
cw.join()

passed = failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what)


check(len(answered) == args.messages, "every document answered 2xx eventually (%d of %d)" % (len(answered), args.messages))
late_503 = 0
for i, hub_id in sorted(answered.items()):
    status, body = request("GET", "/v1/messages/" + hub_id, g22)
    # A node may still answer 503 (store unavailable, "try again") for a moment after an outage: that is an
    # answer about the store's state, not about the message. Asked again for up to 10 s; a 404 or other bytes fail.
    for _ in range(20):
        if status != 503:
            break
        late_503 += 1
        time.sleep(0.5)
        status, body = request("GET", "/v1/messages/" + hub_id, g22)
    check(status == 200 and hashlib.sha256(body).digest() == hashlib.sha256(documents[i]).digest(),
          "message %d stored byte for byte (%s: HTTP %s, %d bytes: %r)" % (i, hub_id, status, len(body), body[:200]))
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
if args.pg_stop:
    check(readiness.get(503, 0) > 0, "/readyz reported the outage (%s)" % readiness)
    print("readiness during the run: %s" % dict(sorted(readiness.items())))
    print("reads after the run answered 503 (asked again): %d" % late_503)
if receiver:
    # Every document reaches the push endpoint, also those in flight on the node that stays down (after its
    # lease); at least once — repeats are at-least-once retries, which the receiver de-duplicates.
    deadline = time.time() + args.lease + 60
    while time.time() < deadline:
        with lock:
            got = sum(1 for i in range(args.messages) if pushed.get("000.00.00.G22,2026/11/22,%d/VPCP-TEST" % i))
        if got == args.messages:
            break
        time.sleep(0.5)
    with lock:
        repeats = sum(c - 1 for c in pushed.values() if c > 1)
        for i in range(args.messages):
            doc = "000.00.00.G22,2026/11/22,%d/VPCP-TEST" % i
            check(pushed.get(doc, 0) >= 1, "document %d pushed to H14 (%s)" % (i, pushed.get(doc)))
    print("push endpoint: %d documents received, %d repeats (at-least-once retries)" % (len(pushed), repeats))
# The evidence log: each 2xx message's event under a checkpoint (bounded wait: checkpoints every second).
status, body = request("GET", "/v1/log/key", g22)
log_key = body.decode().strip()
proven = 0
deadline = time.time() + 60
pending_ids = dict(answered)
while pending_ids and time.time() < deadline:
    for i, hub_id in list(pending_ids.items()):
        status, body = request("GET", "/v1/log/proof/inclusion?message=" + hub_id, g22)
        if status != 200:
            continue
        p = json.loads(body)
        try:
            _, size, root = read_note(p["checkpoint"], log_key)
            leaf = hashlib.sha256(b"\x00" + p["entry"].encode()).digest()
            entry = json.loads(p["entry"])
            ok = size == p["size"] and verify_inclusion(leaf, p["index"], size, [base64.b64decode(x) for x in p["proof"]], root) \
                and entry.get("kind") == "accepted" and entry.get("message") == hub_id \
                and entry.get("sha256") == hashlib.sha256(documents[i]).hexdigest()
        except Exception as e:  # noqa: BLE001
            ok = False
            print("inclusion of %s: %s" % (hub_id, e))
        check(ok, "message %d's accepted event is in the tree (leaf %s of %s: %s)" % (i, p.get("index"), p.get("size"), p.get("entry", "")[:300]))
        proven += 1
        del pending_ids[i]
    if pending_ids:
        time.sleep(0.5)
check(not pending_ids, "every 2xx message's event is under a checkpoint within 60 s (%d missing)" % len(pending_ids))
# Every checkpoint seen is signed by the one key, and each is consistent with the next (no fork across the kills).
status, body = request("GET", "/v1/log/checkpoint", g22)
if status == 200:
    checkpoints.setdefault(int(body.decode().split("\n")[1]), body.decode())
sizes = sorted(checkpoints)
notes = {}
for size in sizes:
    try:
        notes[size] = read_note(checkpoints[size], log_key)
        check(True, "checkpoint %d verifies" % size)
    except Exception as e:  # noqa: BLE001
        check(False, "checkpoint %d verifies (%s)" % (size, e))
for old, new in zip(sizes, sizes[1:]):
    if old not in notes or new not in notes:
        continue
    status, body = request("GET", "/v1/log/proof/consistency?first=%d&second=%d" % (old, new), g22)
    proof = json.loads(body).get("proof", []) if status == 200 else None
    check(proof is not None and verify_consistency(old, new, notes[old][2], notes[new][2], [base64.b64decode(x) for x in proof]),
          "checkpoint %d extends checkpoint %d" % (new, old))
print("evidence log: %d messages proven in the tree; %d checkpoints seen during the run, each consistent with the next" % (proven, len(sizes)))

for node in nodes:
    if node["process"].poll() is None:
        node["process"].send_signal(signal.SIGTERM)
        try:
            check(node["process"].wait(60) == 0, "%s stopped on SIGTERM with exit 0" % node["name"])
        except subprocess.TimeoutExpired:
            check(False, "%s stopped on SIGTERM within 60 s" % node["name"])
            node["process"].kill()
            node["process"].wait()
if proxy:
    proxy.terminate()
    proxy.wait()
# Offline, the store agrees with its log (the events left unsequenced at the stop are counted, not a problem).
store = ["--data", nodes[0]["data"]] + (["--database", args.postgres] if args.postgres else [])
verified = subprocess.run([truc, "log", "verify", "--json"] + store, capture_output=True, text=True)
report = json.loads(verified.stdout or "{}")
check(verified.returncode == 0 and report.get("problems") == [],
      "truc log verify: the store agrees with its log (exit %d: %s %s)" % (verified.returncode, report.get("problems"), verified.stderr[-500:]))
shutil.rmtree(data, ignore_errors=True)
print("crash test: %d messages, %s%s" % (args.messages, "PostgreSQL restarted" if args.pg_stop else "%d kills" % args.kills,
                                        ", two nodes on PostgreSQL behind HAProxy" if args.postgres else ""))
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)

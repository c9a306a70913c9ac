#!/usr/bin/env python3
"""Backup under load: a release or debug `truc serve` receives documents (small ones kept in the database,
large ones in payload segments) from several threads while `truc backup` copies its data directory; the
copy is restored with `truc restore` into a new directory, a hub is started on it, and every message that
was acknowledged (2xx) before the backup began is fetched and compared byte for byte. A damaged backup is
refused by `truc restore`. Ends with "N passed, N failed"; exit 0 when nothing failed. 127.0.0.1 only.
Usage: python3 Tests/Drivers/backup_check.py [--truc .build/debug/truc]"""
import argparse, http.client, os, random, shutil, signal, ssl, subprocess, sys, tempfile, threading, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from children import popen  # noqa: E402 (what the driver starts ends with it)

ap = argparse.ArgumentParser()
ap.add_argument("--truc", default=".build/debug/truc")
args = ap.parse_args()
repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
truc = os.path.abspath(args.truc)
work = tempfile.mkdtemp(prefix="truc-backup-")
ctx = ssl.create_default_context(cafile=os.path.join(repo, "Certs/demo/trust/root-ca.pem"))
results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(f"check {name}: {'ok' if ok else 'FAILED'}{' - ' + detail if detail else ''}", flush=True)


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(data):
    """A hub on a free port (another one if the port was taken meanwhile); returns (process, port)."""
    for _ in range(5):
        port = free_port()
        log = open(os.path.join(work, f"serve-{port}.log"), "w")
        p = popen([truc, "serve", "--demo-pki", "--data", data, "--port", str(port)], stdout=subprocess.DEVNULL, stderr=log)
        for _ in range(600):
            if p.poll() is not None:
                break
            try:
                c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=2)
                c.request("GET", "/healthz")
                if c.getresponse().status == 200:
                    return p, port
            except OSError:
                time.sleep(0.1)
        if p.poll() is None:
            p.kill()
        print(open(log.name).read()[-2000:], file=sys.stderr)
    sys.exit("the hub did not start")


def request(port, method, path, token, body=None):
    c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=60)
    headers = {"Authorization": "Bearer " + token}
    if body is not None:
        headers["Content-Type"] = "application/xml"
    c.request(method, path, body=body, headers=headers)
    r = c.getresponse()
    return r.status, r.read()


def run(*argv):
    return subprocess.run([truc, *argv], capture_output=True, text=True)


data = os.path.join(work, "data")
hub, port = serve(data)
for code, name in [("000.00.00.H14", "UBND Tỉnh Cao Bằng"), ("000.00.00.G17", "Bộ Thông tin")]:
    run("agencies", "add", code, "--name", name, "--data", data)
g22 = run("agencies", "token", "000.00.00.G22", "--data", data).stdout.strip()

small = open(os.path.join(repo, "Tests/Fixtures/signatures/pdf-unsigned.edxml"), encoding="utf-8").read()
original = "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT"
assert original in small
# A large document (payload segment): the same document with a long description.
large = small.replace("</edXML:Subject>", "</edXML:Subject>", 1)
large = large.replace("<edXML:Content>", "<edXML:Content>" + "Nội dung dài. " * 9000, 1) if "<edXML:Content>" in large else large
accepted, lock, stop, counter = [], threading.Lock(), threading.Event(), [0]


def sender(seed):
    while not stop.is_set():
        with lock:
            counter[0] += 1
            n = counter[0]
        template = large if n % 3 == 0 else small
        body = template.replace(original, f"000.00.00.G22,2026/12/01,{seed}{n}/VPCP", 1).encode()
        try:
            status, answer = request(port, "POST", "/v1/messages", g22, body)
        except OSError:
            continue
        if status == 202:
            import json
            with lock:
                accepted.append((json.loads(answer)["id"], body, time.monotonic()))


threads = [threading.Thread(target=sender, args=(t,)) for t in range(3)]
for t in threads:
    t.start()
while True:
    with lock:
        if len(accepted) >= 60:
            break
    time.sleep(0.05)
backup_started = time.monotonic()
backup = os.path.join(work, "backup")
made = run("backup", backup, "--data", data)
check("truc backup runs while the hub is loaded", made.returncode == 0, (made.stdout + made.stderr).strip())
time.sleep(0.5)
stop.set()
for t in threads:
    t.join()
hub.send_signal(signal.SIGTERM)
hub.wait(60)
before = [(i, b) for i, b, at in accepted if at < backup_started]
large_count = sum(1 for _, b in before if len(b) > 65536)
check("documents were acknowledged before the backup began, small and large", len(before) >= 60 and large_count > 0,
      f"{len(before)} acknowledged before, {large_count} of them over 64 KiB, {len(accepted)} in all")

restored = os.path.join(work, "restored")
r = run("restore", backup, "--data", restored, "--key", os.path.join(data, "backup.key"))
check("truc restore checks the manifest and restores", r.returncode == 0, (r.stdout + r.stderr).strip())
hub2, port2 = serve(restored)
missing = []
for message_id, body in before:
    status, got = request(port2, "GET", f"/v1/messages/{message_id}", g22)
    if status != 200 or got != body:
        missing.append(message_id)
check("every message acknowledged before the backup is in the restored hub, byte for byte", not missing,
      f"{len(before) - len(missing)} of {len(before)}")
hub2.send_signal(signal.SIGTERM)
hub2.wait(60)

# A damaged backup is refused before anything is written.
damaged = os.path.join(work, "damaged")
shutil.copytree(backup, damaged)
target = os.path.join(damaged, "truc.sqlite")
with open(target, "r+b") as f:
    f.seek(os.path.getsize(target) // 2)
    byte = f.read(1)
    f.seek(-1, 1)
    f.write(bytes([byte[0] ^ 0xFF]))
bad = run("restore", damaged, "--data", os.path.join(work, "never"), "--key", os.path.join(data, "backup.key"))
check("a damaged backup is refused", bad.returncode == 1 and "backup-damaged" in bad.stderr and not os.path.exists(os.path.join(work, "never")),
      bad.stderr.strip())
shutil.rmtree(work, ignore_errors=True)
failed = results.count(False)
print(f"{len(results) - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)

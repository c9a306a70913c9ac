#!/usr/bin/env python3
"""Attacks a real `truc serve` on 127.0.0.1 the way the hostile-network issue reproduced them, and checks
that the hub survives and answers. It starts its own hub (demo PKI given explicitly, a fresh data folder).

  zip       each crafted ZIP of Tests/Fixtures/attachments/hostile inside a document: refused, hub alive
  dates     impossible report dates ("2024-01-0½", Arabic-Indic digits, 2024-13-45, ...): 400 invalid-date
  idle      plain TCP connections that never send, TLS connections that never send a request, slowloris
            request heads: /healthz keeps answering, and the hub closes every one after --idle-timeout
  limit     more connections than --max-connections: the extra ones are closed at once, then all is well
  bodies    eight 60 MB bodies announced at once, sent slowly: all but what --max-buffered-bytes holds get
            503 busy at once; the hub's memory stays bounded
  pdfbombs  PDFs that declare more work than a document may cost: object streams that inflate to
            16 MiB each, 16 million declared cross-reference entries, numbers that do not fit: each refused
            (422 too-complex or invalid-signature), the hub alive, its resident memory sampled while it works
  load      (with --load SECONDS) status messages for SECONDS on a quiet hub, then for SECONDS while two attacker
            processes send PDF bombs ("whileBombs", with its p99 over the quiet p99), then for SECONDS under large
            documents, crafted ZIPs, PDF bombs and idle connections at once ("underAttack"); /healthz latency too

Usage: python3 Tests/Drivers/hostile_check.py [--truc .build/debug/truc] [--idle 200] [--load 0] [--big-mib 2]
(BOMBS=PREFIX in the environment: the load phase's bomb attackers send only the bombs named PREFIX...;
ATTACKERS_IDLE=1: they run as SCHED_IDLE instead of nice 19, to tell their CPU from the hub's)
Ends with "N passed, N failed"; exit 0 when nothing failed. Only 127.0.0.1 is contacted."""
import argparse, http.client, json, multiprocessing, os, random, resource, shutil, signal, socket, ssl, subprocess, sys, tempfile, threading, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from children import popen  # noqa: E402 (what the driver starts ends with it)

ap = argparse.ArgumentParser()
ap.add_argument("--truc", default=".build/debug/truc")
ap.add_argument("--idle", type=int, default=200, help="idle plain-TCP connections (plus a quarter as TLS, a tenth slowloris)")
ap.add_argument("--idle-timeout", type=float, default=2)
ap.add_argument("--max-connections", type=int, default=0, help="default: enough for the idle phase plus 100")
ap.add_argument("--load", type=float, default=0, help="seconds of combined load (0: skip)")
ap.add_argument("--big-mib", type=int, default=2, help="size of the large document of the load phase")
ap.add_argument("--keep", action="store_true", help="keep the data folder")
args = ap.parse_args()

repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
truc = os.path.abspath(args.truc)
demo = os.path.join(repo, "Certs/demo")
data = tempfile.mkdtemp(prefix="truc-hostile-")
def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


port = free_port()
ctx = ssl.create_default_context(cafile=os.path.join(demo, "trust/root-ca.pem"))
slots = args.max_connections or int(args.idle * 1.35) + 150
results = []
figures = {}


def check(name, ok, detail=""):
    results.append((name, bool(ok), detail))
    print(f"check {name}: {'ok' if ok else 'FAILED'}{' - ' + detail if detail else ''}", flush=True)


soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

server = popen([truc, "serve", "--data", data, "--port", str(port),
                           "--demo-pki",
                           "--idle-timeout", str(args.idle_timeout), "--max-connections", str(slots),
                           "--max-buffered-bytes", str(100 << 20)],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def alive():
    return server.poll() is None


def request(method, path, token=None, body=None, timeout=30):
    c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=timeout)
    headers = {}
    if token:
        headers["Authorization"] = "Bearer " + token
    if body is not None:
        headers["Content-Type"] = "application/xml"
    c.request(method, path, body=body, headers=headers)
    r = c.getresponse()
    out = (r.status, r.read())
    c.close()
    return out


def healthz(timeout=10):
    started = time.monotonic()
    try:
        status, _ = request("GET", "/healthz", timeout=timeout)
    except OSError:
        status = 0
    return status, (time.monotonic() - started) * 1000


for _ in range(300):
    if healthz(2)[0] == 200:
        break
    if not alive():
        sys.exit("the hub exited at start")
    time.sleep(0.05)
else:
    sys.exit("the hub did not start")


def token(code):
    return subprocess.run([truc, "agencies", "token", code, "--data", data], check=True, capture_output=True, text=True).stdout.strip()


g22, h41 = token("000.00.00.G22"), token("000.00.00.H41")
for code, name in [("000.00.00.H14", "UBND Tỉnh Cao Bằng"), ("000.00.00.G17", "Bộ Thông tin và Truyền thông")]:
    subprocess.run([truc, "agencies", "add", code, "--name", name, "--data", data], check=True, capture_output=True)
hostile_dir = os.path.join(repo, "Tests/Fixtures/attachments/hostile")
hostile = [os.path.join(hostile_dir, n) for n in sorted(os.listdir(hostile_dir))
           if n.endswith(".edxml") and not n.startswith("zip64") and not n.startswith("pdf-")]
status_template = open(os.path.join(repo, "Tests/Fixtures/vpcp/status_acceptance_03.edxml"), encoding="utf-8").read()
status_id = "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT"
assert status_id in status_template
counter = [0]
counter_lock = threading.Lock()


def status_message():
    with counter_lock:
        counter[0] += 1
        n = counter[0]
    return status_template.replace(status_id, f"{status_id}-{os.getpid()}-{n}", 1).encode()

# --- zip ------------------------------------------------------------------------------------------
for path in hostile:
    name = os.path.basename(path)
    try:
        status, body = request("POST", "/v1/messages", g22, open(path, "rb").read())
        check(f"zip {name}", status == 422 and b"invalid-attachment" in body and alive(), f"{status} {body[:160]!r}")
    except OSError as e:
        check(f"zip {name}", False, f"{e}; hub alive: {alive()}")
status, body = request("POST", "/v1/messages", g22, open(os.path.join(hostile_dir, "zip64.edxml"), "rb").read())
check("zip a valid ZIP64 container is accepted", status == 202, f"{status} {body[:160]!r}")

status, body = request("POST", "/v1/messages", g22, open(os.path.join(hostile_dir, "pdf-byterange-broken.edxml"), "rb").read())
check("zip a tampered PDF whose /ByteRange was made unreadable is an invalid signature, not unsigned",
      status == 422 and b"invalid-signature" in body, f"{status} {body[:160]!r}")

# --- dates ----------------------------------------------------------------------------------------
bad_days = ["2024-01-0%C2%BD", "2024-13-45", "2024-02-30", "01%2F11%2F2026", "%D9%A2%D9%A0%D9%A2%D9%A4-01-01", "2024-1-01", "2024-01-01x"]
for endpoint in ["signed-ratio", "volume", "timeliness"]:
    for day in bad_days:
        try:
            status, body = request("GET", f"/v1/stats/{endpoint}?from=2024-01-01&to={day}", h41)
            check(f"dates {endpoint} to={day}", status == 400 and b"invalid-date" in body and alive(), f"{status} {body[:120]!r}")
        except OSError as e:
            check(f"dates {endpoint} to={day}", False, f"{e}; hub alive: {alive()}")
status, body = request("GET", "/v1/stats/signed-ratio?from=2024-02-29&to=2024-03-01", h41)
check("dates a real leap day is accepted", status == 200, f"{status}")


# --- idle -----------------------------------------------------------------------------------------
def open_plain():
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    return s


def open_tls():
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    return ctx.wrap_socket(raw, server_hostname="localhost")


def open_slowloris():
    s = open_tls()
    s.sendall(b"POST /v1/messages HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
    return s


def closed_by_server(s, wait):
    s.settimeout(wait)
    try:
        data = s.recv(1)
        return data == b""
    except (ConnectionResetError, BrokenPipeError, ssl.SSLError):
        return True
    except (socket.timeout, TimeoutError):
        return False
    except OSError:
        return True


def hold(n_plain, n_tls, n_slow):
    socks = []
    for _ in range(n_plain):
        socks.append(open_plain())
    for _ in range(n_tls):
        socks.append(open_tls())
    for _ in range(n_slow):
        socks.append(open_slowloris())
    return socks


n_tls, n_slow = args.idle // 4, max(1, args.idle // 10)
started = time.monotonic()
socks = hold(args.idle, n_tls, n_slow)
opened = time.monotonic() - started
probes = [healthz() for _ in range(10)]
check(f"idle /healthz answers while {len(socks)} idle connections are held",
      all(s == 200 for s, _ in probes) and alive(), f"max {max(ms for _, ms in probes):.1f} ms")
deadline = time.monotonic() + args.idle_timeout + 5
still_open = [s for s in socks if not closed_by_server(s, max(0.05, deadline - time.monotonic()))]
check(f"idle the hub closed every idle connection within --idle-timeout ({args.idle_timeout} s)", not still_open and alive(),
      f"{len(still_open)} of {len(socks)} still open after {args.idle_timeout + 5:.0f} s")
for s in socks:
    s.close()

# --- limit ----------------------------------------------------------------------------------------
socks = []
try:
    for _ in range(slots + 20):
        socks.append(open_plain())
except OSError:
    pass
time.sleep(0.5)
refused = sum(1 for s in socks[-40:] if closed_by_server(s, 0.2))
check(f"limit connections beyond --max-connections ({slots}) are closed at once", refused >= 20 and alive(), f"{refused} of the last 40 closed")
for s in socks:
    s.close()
time.sleep(0.5)
check("limit the hub answers again once they are gone", healthz()[0] == 200)


# --- bodies ---------------------------------------------------------------------------------------
def rss_mib():
    try:
        for line in open(f"/proc/{server.pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0


before = rss_mib()
bodies = []
for _ in range(8):
    s = open_tls()
    s.sendall(f"POST /v1/messages HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {g22}\r\n"
              f"Content-Type: application/xml\r\nContent-Length: 60000000\r\n\r\n".encode() + b"<" * 65536)
    bodies.append(s)
busy = 0
for s in bodies:
    s.settimeout(3)
    try:
        if b" 503 " in s.recv(4096).split(b"\r\n", 1)[0]:
            busy += 1
    except (socket.timeout, TimeoutError, OSError):
        pass
peak = rss_mib()
check("bodies 60 MB bodies beyond --max-buffered-bytes get 503 busy at once", busy >= 6 and alive(), f"{busy} of 8 answered 503")
check("bodies the hub's memory stays bounded", peak - before < 250, f"RSS {before:.0f} -> {peak:.0f} MiB")
for s in bodies:
    s.close()
time.sleep(0.3)
check("bodies the hub answers afterwards", healthz()[0] == 200)


# --- pdfbombs -------------------------------------------------------------------------------------
import base64, zlib  # noqa: E402

pdf_template = open(os.path.join(repo, "Tests/Fixtures/signatures/pdf-both-raw.edxml"), encoding="utf-8").read()
_open, _close = pdf_template.index("<edXML:ContentTransferEncoded"), pdf_template.index("</edXML:ContentTransferEncoded>")
_open = pdf_template.index(">", _open) + 1


def with_pdf(pdf):
    return (pdf_template[:_open] + base64.b64encode(pdf).decode() + pdf_template[_close:]).encode()


def objstm_bomb(streams=200, inflated=(16 << 20) - 64):
    """A revision with a well-formed signature byte range whose page uses one object from each of `streams`
    object streams, each inflating to `inflated` bytes, then an update after it: comparing the revisions
    would inflate them all (200 x 16 MiB)."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = {}
    def obj(n, body):
        offsets[n] = len(out)
        out.extend(b"%d 0 obj\n" % n + body + b"\nendobj\n")
    names = b" ".join(b"/X%d %d 0 R" % (k, 100 + k) for k in range(streams))
    obj(1, b"<< /Type /Catalog /Pages 2 0 R >>")
    obj(2, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
    obj(3, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << " + names + b" >> >> >>")
    # one raw deflate of the padding, reused: each stream is its own header and object (flushed to a byte
    # boundary), then the shared padding blocks, then the Adler-32 of the whole
    padding = b" " * inflated
    shared = zlib.compressobj(6, zlib.DEFLATED, -15)
    padded = shared.compress(padding) + shared.flush()
    for k in range(streams):
        header = b"%d 0 " % (100 + k)
        prefix = header + b"<< /K 1 >>"
        own = zlib.compressobj(6, zlib.DEFLATED, -15)
        data = (b"\x78\x9c" + own.compress(prefix) + own.flush(zlib.Z_FULL_FLUSH) + padded
                + zlib.adler32(padding, zlib.adler32(prefix)).to_bytes(4, "big"))
        obj(1000 + k, b"<< /Type /ObjStm /N 1 /First %d /Filter /FlateDecode /Length %d >>\nstream\n" % (len(header), len(data)) + data + b"\nendstream")
    sig_at = len(out)
    out.extend(b"5 0 obj\n<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached /ByteRange [0000000000 0000000000 0000000000 0000000000] /Contents <3000> >>\nendobj\n")
    offsets[5] = sig_at
    entries = {n: (1, off, 0) for n, off in offsets.items()}
    for k in range(streams):
        entries[100 + k] = (2, 1000 + k, 0)
    size = max(entries) + 2
    xref_at = len(out)
    table = bytearray()
    for n in range(size):
        t, a, b = entries.get(n, (0, 0, 0))
        if n == size - 1:
            t, a, b = 1, xref_at, 0
        table += bytes([t]) + a.to_bytes(4, "big") + bytes([b])
    packed = zlib.compress(bytes(table))
    out.extend(b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 1] /Root 1 0 R /Filter /FlateDecode /Length %d >>\nstream\n" % (size - 1, size, len(packed))
               + packed + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref_at)
    hole_start = out.index(b"<3000>", sig_at)
    hole_end = hole_start + len(b"<3000>")
    ranges = b"[%010d %010d %010d %010d]" % (0, hole_start, hole_end, len(out) - hole_end)
    at = out.index(b"[0000000000 0000000000 0000000000 0000000000]", sig_at)
    out[at:at + len(ranges)] = ranges
    # the update: one plain data stream, named by its own xref table
    update_at = len(out)
    out.extend(b"900 0 obj\n<< /Length 3 >>\nstream\nabc\nendstream\nendobj\n")
    table_at = len(out)
    out.extend(b"xref\n900 1\n%010d 00000 n \ntrailer\n<< /Size %d /Root 1 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (update_at, size, xref_at, table_at))
    return bytes(out)


def rss_peak_while(work):
    """Runs work() while sampling the hub's resident memory every 20 ms; returns (result, peak MiB)."""
    peak, stop = [rss_mib()], threading.Event()
    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], rss_mib())
            time.sleep(0.02)
    t = threading.Thread(target=sample)
    t.start()
    try:
        return work(), peak[0]
    finally:
        stop.set()
        t.join()


crashers = os.path.join(repo, "Tests/Fuzz/crashers/pdf")
bombs = {"objstm-200x16MiB": with_pdf(objstm_bomb())}
for name in sorted(os.listdir(crashers)):
    if name.startswith("number-"):
        bombs[name[:-4]] = with_pdf(open(os.path.join(crashers, name), "rb").read())
rss_before = rss_mib()
for name, body in bombs.items():
    try:
        (status, answer), peak_mib = rss_peak_while(lambda: request("POST", "/v1/messages", g22, body, timeout=120))
        refused = status == 422 and (b"too-complex" in answer or b"invalid-signature" in answer)
        check(f"pdfbombs {name} ({len(body) >> 10} KiB) refused, hub alive", refused and alive(),
              f"{status} {answer[:200]!r}; RSS peak {peak_mib:.0f} MiB")
        figures.setdefault("pdfbombs", {})[name] = {"status": status, "rssPeakMiB": round(peak_mib)}
    except OSError as e:
        check(f"pdfbombs {name}", False, f"{e}; hub alive: {alive()}")
bomb_peak = max([v["rssPeakMiB"] for v in figures.get("pdfbombs", {}).values()] or [0])
check("pdfbombs the hub's memory stays bounded (under 400 MiB above what it held before)", bomb_peak - rss_before < 400,
      f"RSS {rss_before:.0f} -> peak {bomb_peak} MiB")


# --- load -----------------------------------------------------------------------------------------
def status_latencies(seconds):
    latencies, failures = [], 0
    c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=30)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        t = time.monotonic()
        try:
            c.request("POST", "/v1/messages", body=status_message(), headers={"Authorization": "Bearer " + h41, "Content-Type": "application/xml"})
            r = c.getresponse()
            r.read()
            if r.status != 202:
                failures += 1
        except OSError:
            failures += 1
            c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=30)
        latencies.append((time.monotonic() - t) * 1000)
        time.sleep(0.01)
    return latencies, failures


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] if values else float("nan")


if args.load > 0:
    big_dir = tempfile.mkdtemp(prefix="truc-hostile-big-")
    subprocess.run([truc, "bench", "generate", "--out", big_dir, "--document-mib", str(args.big_mib)], check=True, capture_output=True)
    big = open(os.path.join(big_dir, f"document-{args.big_mib}m.edxml"), "rb").read()
    # As long as each loaded phase: a p99 from as many samples as the p99 it is compared with (a 5 s quiet phase
    # gave ~330 samples, its p99 the 4th-slowest, and ranged 2.8-7.4 ms run to run).
    quiet, _ = status_latencies(args.load)
    quiet_health = [healthz()[1] for _ in range(20)]
    stop = threading.Event()
    sent = {"big": 0, "zip": 0, "bombs": 0}

    def big_sender():
        while not stop.is_set():
            try:
                request("POST", "/v1/messages", g22, big, timeout=120)
                sent["big"] += 1
            except OSError:
                time.sleep(0.1)

    def zip_sender():
        while not stop.is_set():
            for path in hostile:
                if stop.is_set():
                    break
                try:
                    request("POST", "/v1/messages", g22, open(path, "rb").read())
                    sent["zip"] += 1
                except OSError:
                    time.sleep(0.1)

    def bomb_sender():
        while not stop.is_set():
            for body in bombs.values():
                if stop.is_set():
                    break
                try:
                    request("POST", "/v1/messages", g22, body, timeout=120)
                    sent["bombs"] += 1
                except OSError:
                    time.sleep(0.1)

    # bombs alone first: status messages while two attackers keep the verifier busy with PDF bombs. The
    # attackers are processes of their own: as threads they would share this interpreter's lock with the
    # client that measures.
    fork = multiprocessing.get_context("fork")
    bomb_stop, bombs_sent = fork.Event(), fork.Value("i", 0)

    def bomb_process():
        # Lowest priority: on a real network the attackers' CPU is not the hub's machine's. Here they share
        # its two cores, and what they spend would otherwise be measured as the hub's latency. Nice 19 is not
        # enough: `perf sched` showed an attacker holding a core for 3.2 ms while an event loop of the hub waited
        # (EEVDF lets the running task finish its slice). With ATTACKERS_IDLE=1 they run as SCHED_IDLE, only on a
        # core nothing else wants; what the hub spends on their requests (TLS, the kernel's receive path, the
        # verification) is measured either way.
        os.nice(19)
        if os.environ.get("ATTACKERS_IDLE") == "1":
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        while not bomb_stop.is_set():
            for body in bombs.values():
                if bomb_stop.is_set():
                    break
                try:
                    request("POST", "/v1/messages", g22, body, timeout=120)
                    with bombs_sent.get_lock():
                        bombs_sent.value += 1
                except OSError:
                    time.sleep(0.1)

    if os.environ.get("BOMBS"):
        for k in list(bombs):
            if not k.startswith(os.environ["BOMBS"]): del bombs[k]
    attackers = [fork.Process(target=bomb_process) for _ in range(2)]
    for a in attackers:
        a.start()
    time.sleep(0.5)
    bombed, bomb_failures = status_latencies(args.load)
    bomb_stop.set()
    for a in attackers:
        a.join(130)
    figures["whileBombs"] = {"statusP50": pct(bombed, 0.5), "statusP90": pct(bombed, 0.9), "statusP99": pct(bombed, 0.99),
                             "statusMessages": len(bombed), "pdfBombs": bombs_sent.value,
                             "p99OverQuiet": round(pct(bombed, 0.99) / pct(quiet, 0.99), 2)}
    check("load every status message was accepted while PDF bombs were verified", bomb_failures == 0 and bombed and alive(),
          f"{bomb_failures} failures")

    held = hold(args.idle, 0, 0)
    workers = [threading.Thread(target=big_sender), threading.Thread(target=big_sender), threading.Thread(target=zip_sender),
               threading.Thread(target=bomb_sender)]
    for w in workers:
        w.start()
    time.sleep(1)
    loaded, failures = status_latencies(args.load)
    loaded_health = [healthz()[1] for _ in range(20)]
    stop.set()
    for w in workers:
        w.join()
    for s in held:
        s.close()
    shutil.rmtree(big_dir, ignore_errors=True)
    figures = {
        "quiet": {"statusP50": pct(quiet, 0.5), "statusP90": pct(quiet, 0.9), "statusP99": pct(quiet, 0.99), "healthzP90": pct(quiet_health, 0.9),
                  "statusMessages": len(quiet)},
        "underAttack": {"statusP50": pct(loaded, 0.5), "statusP90": pct(loaded, 0.9), "statusP99": pct(loaded, 0.99),
                        "healthzP90": pct(loaded_health, 0.9), "statusMessages": len(loaded), "bigDocuments": sent["big"],
                        "craftedZips": sent["zip"], "pdfBombs": sent["bombs"], "idleConnections": len(held)},
        "pdfbombs": figures.get("pdfbombs", {}),
        "whileBombs": figures.get("whileBombs", {}),
    }
    print("figures " + json.dumps(figures), flush=True)
    check("load every status message was accepted under attack", failures == 0 and loaded and alive(), f"{failures} failures")

server.send_signal(signal.SIGTERM)
try:
    server.wait(30)
except subprocess.TimeoutExpired:
    server.kill()
if not args.keep:
    shutil.rmtree(data, ignore_errors=True)
failed = sum(1 for _, ok, _ in results if not ok)
print(f"{len(results) - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)

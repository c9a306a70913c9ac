import Foundation
import Testing
import TrucTestSupport

/// Runs as a service: the unit file passes systemd's own checks, and `truc serve` speaks the readiness protocol.
@Suite("systemd", .timeLimit(.minutes(30)))
struct SystemdTests {
    static let repo = CLIFixtures.root.deletingLastPathComponent().deletingLastPathComponent()

    @Test("deploy/truc.service passes systemd-analyze verify without a warning",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze")))
    func unitFile() async throws {
        let unit = try String(contentsOf: Self.repo.appendingPathComponent("deploy/truc.service"), encoding: .utf8)
        #expect(unit.contains("Type=notify") && unit.contains("ProtectSystem=strict") && unit.contains("ReadWritePaths=/var/lib/truc")
                && unit.contains("NoNewPrivileges=yes") && unit.contains("LimitNOFILE=") && unit.contains("ExecReload=/bin/kill -HUP $MAINPID"))
        // verify checks that ExecStart's program exists: point it at the binary under test.
        let copy = try CLIFixtures.temporary(unit.replacingOccurrences(of: "/usr/local/bin/truc", with: TrucRun.binary.path), name: "truc.service")
        let run = try await TrucRun.run(executable: URL(fileURLWithPath: "/usr/bin/systemd-analyze"), ["verify", copy])
        #expect(run.exitCode == 0 && run.stderr.isEmpty, "\(run.stdout)\(run.stderr)")
    }

    @Test("truc serve sends READY=1 once it listens and STOPPING=1 when it is asked to stop (NOTIFY_SOCKET)")
    func readiness() async throws {
        let script = """
            import os, signal, socket, subprocess, sys, tempfile, time, random
            truc, repo = sys.argv[1], sys.argv[2]
            folder = tempfile.mkdtemp(prefix="truc-notify-")
            path = os.path.join(folder, "notify")
            s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            s.bind(path)
            s.settimeout(60)
            probe = socket.socket()
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
            probe.close()
            env = dict(os.environ, NOTIFY_SOCKET=path)
            p = subprocess.Popen([truc, "serve", "--demo-pki", "--data", os.path.join(folder, "data"), "--port", str(port)],
                                 env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=repo)
            first = s.recv(4096).decode()
            print("first:", first.replace("\\n", "|"))
            import ssl, http.client
            ctx = ssl.create_default_context(cafile=os.path.join(repo, "Certs/demo/trust/root-ca.pem"))
            c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)
            c.request("GET", "/healthz")
            print("healthz:", c.getresponse().status)
            p.send_signal(signal.SIGTERM)
            print("then:", s.recv(4096).decode())
            print("exit:", p.wait(60))
            """
        let run = try await TrucRun.run(executable: URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", script, TrucRun.binary.path, Self.repo.path])
        #expect(run.exitCode == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("first: READY=1|STATUS=listening on 127.0.0.1:"), "\(run.stdout)")
        #expect(run.stdout.contains("healthz: 200") && run.stdout.contains("then: STOPPING=1") && run.stdout.contains("exit: 0"), "\(run.stdout)")
    }
}

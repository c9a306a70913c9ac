import Foundation
import Testing
import TrucTestSupport

/// The hub as a user runs it: `truc serve` as its own process on 127.0.0.1, the agency client commands
/// against it, and SIGTERM at the end.
@Suite("truc serve end to end", .timeLimit(.minutes(30)))
struct HubEndToEndTests {
    final class Server {
        let process = SpawnedProcess()
        let data: String
        let port: Int

        /// Where the server's stderr (its log) goes, when kept.
        let log: URL?

        /// - Parameter demoPKI: run with the committed demo PKI (`--demo-pki`); else the hub makes its own.
        init(_ extra: [String] = [], keepLog: Bool = false, demoPKI: Bool = true, data existing: String? = nil, port chosen: Int? = nil) async throws {
            data = existing ?? FileManager.default.temporaryDirectory.appendingPathComponent("truc-e2e-\(UUID().uuidString)").path
            port = chosen ?? freeTCPPort()
            process.executableURL = TrucRun.binary
            process.arguments = ["serve", "--data", data, "--port", String(port), "--allow-targets", "127.0.0.0/8,::1"] + (demoPKI ? ["--demo-pki"] : []) + extra
            process.standardOutput = FileHandle.nullDevice
            if keepLog {
                let url = FileManager.default.temporaryDirectory.appendingPathComponent("truc-e2e-\(UUID().uuidString).log")
                _ = FileManager.default.createFile(atPath: url.path, contents: nil)
                process.standardError = try FileHandle(forWritingTo: url)
                log = url
            } else {
                process.standardError = FileHandle.nullDevice
                log = nil
            }
            try await Program.launch(process)
        }

        func waitUntilReady(ca: String? = nil) async throws {
            for _ in 0..<300 {
                let probe = try await TrucRun.run(["inbox", "--hub", "https://127.0.0.1:\(port)", "--token", "none"] + (ca.map { ["--ca", $0] } ?? []))
                // Ready once something answers over TLS, with the CA the hub writes when it makes its own PKI.
                if !probe.stderr.contains("hub-unreachable"), ca.map({ FileManager.default.fileExists(atPath: $0) }) ?? true { return }
                try await Task.sleep(for: .milliseconds(100))
            }
            Issue.record("the hub did not start")
        }

        /// Registers the sample document's other recipients (H14, G17) and returns a new token of G22, its sender.
        func senderToken() async throws -> String {
            for (code, name) in [("000.00.00.H14", "UBND Tỉnh Cao Bằng"), ("000.00.00.G17", "Bộ Thông tin")] {
                #expect(try await TrucRun.run(["agencies", "add", code, "--name", name, "--data", data]).exitCode == 0)
            }
            return try await TrucRun.run(["agencies", "token", "000.00.00.G22", "--data", data]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        /// Sends a distinct copy of a signed fixture (its DocumentId made unique; the PDF signatures still verify)
        /// with `truc send --json`, the copy written in `dir`.
        func sendDistinct(_ fixture: String = "signatures/pdf-organisation.edxml", token: String, in dir: String) async throws -> TrucRun {
            let path = dir + "/\(UUID().uuidString).edxml"
            try String(contentsOfFile: CLIFixtures.path(fixture), encoding: .utf8).replacingOccurrences(of: "7816/VPCP-TTĐT", with: "\(UUID().uuidString.prefix(8))/VPCP")
                .write(toFile: path, atomically: true, encoding: .utf8)
            return try await TrucRun.run(["send", path, "--hub", "https://127.0.0.1:\(port)", "--ca", FailClosedTests.demo + "/trust/root-ca.pem", "--token", token, "--json"])
        }

        func stop(keepData: Bool = false) async -> Int32 {
            // SIGTERM: graceful shutdown. One that hangs fails the test (killed after 30 s) instead of
            // stalling the suite.
            await Program.stop(process)
            if !keepData { try? FileManager.default.removeItem(atPath: data) }
            return process.terminationStatus
        }

        /// For `defer`, which cannot wait: a hub still running (its test failed before stopping it) is killed with
        /// what it started, and its data removed.
        func discard() {
            guard process.isRunning else { return }
            process.kill()
            try? FileManager.default.removeItem(atPath: data)
        }
    }

    @Test("serve, register, send, list, fetch, verify, acknowledge, stop")
    func exchange() async throws {
        let server = try await Server()
        defer { server.discard() }
        try await server.waitUntilReady()
        let hub = "https://127.0.0.1:\(server.port)"
        let data = ["--data", server.data]

        let g22 = try await TrucRun.run(["agencies", "token", "000.00.00.G22"] + data).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(g22.hasPrefix("truc_"))
        #expect(try await TrucRun.run(["agencies", "add", "000.00.00.H14", "--name", "UBND Tỉnh Cao Bằng"] + data).exitCode == 0)
        #expect(try await TrucRun.run(["agencies", "add", "000.00.00.G17", "--name", "Bộ Thông tin"] + data).exitCode == 0)
        let list = try await TrucRun.run(["agencies", "list", "--json"] + data)
        #expect(list.stdout.contains("000.00.12.H41") && list.stdout.contains("Sở Thông tin và Truyền thông Nghệ An"))
        #expect(try await TrucRun.run(["agencies", "add", "not-a-code", "--name", "x"] + data).exitCode == 2)

        let sent = try await TrucRun.run(["send", CLIFixtures.path("signatures/env-valid-inclusive.edxml"), "--hub", hub, "--token", g22])
        #expect(sent.exitCode == 0, "\(sent.stdout)\(sent.stderr)")
        let id = try #require(sent.json?["id"] as? String)

        // The recipient uses its TLS client certificate.
        let cert = ["--cert", CLIFixtures.root.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Certs/demo/agencies/000.00.00.H41/organisation.pem").path,
                    "--key", CLIFixtures.root.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Certs/demo/agencies/000.00.00.H41/organisation.key").path]
        let inbox = try await TrucRun.run(["inbox", "--hub", hub, "--kind", "edoc"] + cert)
        #expect(((inbox.json?["items"] as? [[String: Any]])?.first?["messageId"] as? String) == id)
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("\(id).edxml").path
        #expect(try await TrucRun.run(["fetch", id, "--hub", hub, "-o", out] + cert).exitCode == 0)
        #expect(try await TrucRun.run(["verify", out, "--json"]).json?["bucket"] as? String == "both")
        #expect(try await TrucRun.run(["ack", id, "--hub", hub] + cert).json?["state"] as? String == "delivered")
        #expect(((try await TrucRun.run(["inbox", "--hub", hub] + cert).json?["items"] as? [Any])?.isEmpty) == true)

        let impersonation = try await TrucRun.run(["send", CLIFixtures.path("signatures/env-valid-inclusive.edxml"), "--hub", hub] + cert)
        #expect(impersonation.exitCode == 1)
        #expect((impersonation.json?["error"] as? [String: Any])?["code"] as? String == "sender-mismatch")

        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd"
        formatter.timeZone = TimeZone(secondsFromGMT: 7 * 3600)
        let today = formatter.string(from: Date())
        let stats = try await TrucRun.run(["stats", "--from", today, "--to", today, "--agency", "000.00.00.G22"] + data)
        #expect(((stats.json?["totals"] as? [String: Any])?["both"] as? Int) == 1, "\(stats.stdout)")

        // A leaked token, revoked while the hub runs: refused at once.
        #expect(try await TrucRun.run(["agencies", "revoke-tokens", "000.00.00.G22", "--role", "admin"] + data).exitCode == 2)
        let unknown = try await TrucRun.run(["agencies", "revoke-tokens", "000.00.00.X99"] + data)
        #expect(unknown.exitCode == 1 && unknown.stderr.contains("not-found"), "\(unknown.stderr)")
        let revoked = try await TrucRun.run(["agencies", "revoke-tokens", "000.00.00.G22", "--role", "agency"] + data)
        #expect(revoked.stdout == "revoked 1 token of 000.00.00.G22\n", "\(revoked.stdout)\(revoked.stderr)")
        let refused = try await TrucRun.run(["send", CLIFixtures.path("signatures/env-valid-inclusive.edxml"), "--hub", hub, "--token", g22])
        #expect(refused.exitCode == 1 && (refused.json?["error"] as? [String: Any])?["code"] as? String == "unauthenticated", "\(refused.stdout)\(refused.stderr)")

        #expect(await server.stop() == 0, "graceful shutdown on SIGTERM exits 0")
    }
}

@Suite("truc serve logs", .timeLimit(.minutes(30)))
struct LogTests {
    @Test("--log-format json: one JSON object per line, with message id and agency, without tokens")
    func jsonLogs() async throws {
        let server = try await HubEndToEndTests.Server(["--log-format", "json"], keepLog: true)
        defer {
            server.discard()
            if let log = server.log { try? FileManager.default.removeItem(at: log) }
        }
        try await server.waitUntilReady()
        let data = ["--data", server.data]
        #expect(try await TrucRun.run(["agencies", "add", "000.00.00.H14", "--name", "UBND Tỉnh Cao Bằng"] + data).exitCode == 0)
        #expect(try await TrucRun.run(["agencies", "add", "000.00.00.G17", "--name", "Bộ Thông tin"] + data).exitCode == 0)
        let token = try await TrucRun.run(["agencies", "token", "000.00.00.G22"] + data).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let sent = try await TrucRun.run(["send", CLIFixtures.path("signatures/env-valid-inclusive.edxml"), "--hub", "https://127.0.0.1:\(server.port)",
                                    "--token", token])
        let id = try #require(sent.json?["id"] as? String, "truc send: exit \(sent.exitCode) \(sent.stdout.prefix(500)) \(sent.stderr.prefix(500))")
        let refused = try await TrucRun.run(["send", CLIFixtures.path("signatures/pdf-tampered.edxml"), "--hub", "https://127.0.0.1:\(server.port)",
                                       "--token", token])
        #expect(refused.exitCode == 1)
        #expect(await server.stop() == 0)
        let text = try String(contentsOf: try #require(server.log), encoding: .utf8)
        let lines = text.split(separator: "\n")
        #expect(!lines.isEmpty)
        let objects = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(objects.count == lines.count, "every line is a JSON object")
        let accepted = objects.first { $0["message"] as? String == "message accepted" }
        let metadata = accepted?["metadata"] as? [String: String]
        #expect(metadata?["message"] == id && metadata?["agency"] == "000.00.00.G22")
        #expect(objects.allSatisfy { $0["time"] is String && $0["level"] is String })
        #expect(!text.contains(token), "tokens never reach the log")
        // One line per refusal: caller, agency, DocumentId, code and reasons.
        let refusal = objects.first { $0["message"] as? String == "refused a message" }?["metadata"] as? [String: String]
        #expect(refusal?["code"] == "invalid-signature" && refusal?["agency"] == "000.00.00.G22" && refusal?["caller"] == "000.00.00.G22")
        #expect(refusal?["documentId"]?.hasPrefix("000.00.00.G22,2015/09/30") == true && refusal?["reasons"]?.contains("digest-mismatch") == true)
    }
}

@Suite("truc serve with the national SDK's dialect", .timeLimit(.minutes(30)))
struct VXPEndToEndTests {
    @Test("truc systems add/list/remove, then the SDK's sequence by an independent client (Tests/Drivers/vxp_client.py) over plain HTTP",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/python3")))
    func sdkSequence() async throws {
        let vxpPort = freeTCPPort()
        let server = try await HubEndToEndTests.Server(["--vxp-http", "127.0.0.1:\(vxpPort)", "--vxp-http-writes"])
        defer { server.discard() }
        try await server.waitUntilReady()
        let data = ["--data", server.data]
        let repo = CLIFixtures.root.deletingLastPathComponent().deletingLastPathComponent()
        #expect(try await TrucRun.run(["agencies", "add", "000.00.00.H14", "--name", "UBND Tỉnh Cao Bằng"] + data).exitCode == 0)
        #expect(try await TrucRun.run(["agencies", "add", "000.00.00.G17", "--name", "Bộ Thông tin"] + data).exitCode == 0)

        // A generated secret (printed once), and an SDK deployment's existing secret from a file.
        let added = try await TrucRun.run(["systems", "add", "00.22.W00", "--agency", "000.00.00.G22"] + data)
        #expect(added.exitCode == 0)
        let generated = try #require(added.stdout.split(separator: "\n").first { $0.hasPrefix("secret: ") }).dropFirst(8)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("truc-vxp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data((generated + "\n").utf8).write(to: dir.appendingPathComponent("g22.secret"))
        try Data("fake-secret-for-capture\n".utf8).write(to: dir.appendingPathComponent("h41.secret"))
        let existing = try await TrucRun.run(["systems", "add", "00.99.W00", "--agency", "000.00.00.H41", "--secret-file",
                                        dir.appendingPathComponent("h41.secret").path] + data)
        #expect(existing.exitCode == 0 && !existing.stdout.contains("secret:"))
        #expect(try await TrucRun.run(["systems", "add", "00.98.W00", "--agency", "000.00.00.H41"] + data).exitCode == 1, "one system per agency")
        #expect(try await TrucRun.run(["systems", "add", "00.97.W00", "--agency", "000.00.99.H99"] + data).exitCode == 1, "unknown agency")
        let listed = try await TrucRun.run(["systems", "list", "--json"] + data)
        #expect(listed.stdout.contains("00.22.W00") && listed.stdout.contains("00.99.W00") && !listed.stdout.contains(String(generated)))

        let run = try await TrucRun.run(executable: URL(fileURLWithPath: "/usr/bin/python3"), [
            repo.appendingPathComponent("Tests/Drivers/vxp_client.py").path, "--endpoint", "http://127.0.0.1:\(vxpPort)/XrdAdapter/adapter", "demo",
            "--sender", "00.22.W00:\(dir.appendingPathComponent("g22.secret").path):000.00.00.G22",
            "--recipient", "00.99.W00:\(dir.appendingPathComponent("h41.secret").path)",
            CLIFixtures.path("signatures/pdf-both-zip.edxml"),
        ])
        #expect(run.exitCode == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("done: 7 calls answered OK"))
        #expect(run.stdout.contains(#""000.00.00.H41": "done""#))

        #expect(try await TrucRun.run(["systems", "remove", "00.99.W00"] + data).exitCode == 0)
        #expect(try await TrucRun.run(["systems", "remove", "00.99.W00"] + data).exitCode == 1)
        let refused = try await TrucRun.run(executable: URL(fileURLWithPath: "/usr/bin/python3"), [
            repo.appendingPathComponent("Tests/Drivers/vxp_client.py").path, "--endpoint", "http://127.0.0.1:\(vxpPort)/XrdAdapter/adapter",
            "--system", "00.99.W00", "--secret-file", dir.appendingPathComponent("h41.secret").path, "list"])
        #expect(refused.exitCode == 1 && refused.stdout.contains("unknown-system"))
        #expect(await server.stop() == 0)
    }
}

@Suite("A JVM client of the SDK dialect", .timeLimit(.minutes(30)))
struct VXPJavaClientTests {
    /// `java` able to run a source file (a JDK: `.ci/run` installs default-jdk-headless).
    static var javaReady: Bool {
        get async {
            guard let probe = try? await Program.run(URL(fileURLWithPath: "/usr/bin/env"), ["java", "--list-modules"], timeLimit: 60) else { return false }
            return probe.exitCode == 0 && probe.stdout.contains("jdk.compiler")
        }
    }

    @Test("Tests/Drivers/VxpClient.java (HttpURLConnection, as the SDK's sendEdoc) runs the SDK's sequence against truc serve",
          .enabled { await javaReady })
    func javaClient() async throws {
        let vxpPort = freeTCPPort()
        let server = try await HubEndToEndTests.Server(["--vxp-http", "127.0.0.1:\(vxpPort)", "--vxp-http-writes"])
        defer { server.discard() }
        try await server.waitUntilReady()
        let data = ["--data", server.data]
        #expect(try await TrucRun.run(["agencies", "add", "000.00.00.H14", "--name", "UBND Tỉnh Cao Bằng"] + data).exitCode == 0)
        #expect(try await TrucRun.run(["agencies", "add", "000.00.00.G17", "--name", "Bộ Thông tin"] + data).exitCode == 0)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("truc-java-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for (system, agency, secret) in [("00.22.W00", "000.00.00.G22", "government-office-secret"), ("00.99.W00", "000.00.00.H41", "nghe-an-secret")] {
            let file = dir.appendingPathComponent("\(system).secret")
            try Data((secret + "\n").utf8).write(to: file)
            let added = try await TrucRun.run(["systems", "add", system, "--agency", agency, "--secret-file", file.path] + data)
            #expect(added.exitCode == 0, "\(added.stdout)\(added.stderr)")
        }
        let repo = CLIFixtures.root.deletingLastPathComponent().deletingLastPathComponent()
        let run = try await HeavyLoad.exclusive {
            try await TrucRun.run(executable: URL(fileURLWithPath: "/usr/bin/env"), [
                "java", repo.appendingPathComponent("Tests/Drivers/VxpClient.java").path, "http://127.0.0.1:\(vxpPort)/XrdAdapter/adapter",
                "00.22.W00", dir.appendingPathComponent("00.22.W00.secret").path, "000.00.00.G22",
                "00.99.W00", dir.appendingPathComponent("00.99.W00.secret").path, CLIFixtures.path("signatures/pdf-both-zip.edxml"),
            ])
        }
        #expect(run.exitCode == 0, "\(run.stdout.suffix(2000))\(run.stderr.suffix(2000))")
        #expect(run.stdout.contains("done: 6 calls answered OK"))
        #expect(await server.stop() == 0)
    }
}

@Suite("Crash test", .timeLimit(.minutes(30)))
struct CrashTests {
    @Test("SIGKILL at random moments under load: every acknowledged message stored, each delivered once",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") || FileManager.default.isExecutableFile(atPath: "/usr/local/bin/python3")))
    func crash() async throws {
        let script = CLIFixtures.root.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Tests/Drivers/crash_test.py").path
        let run = try await HeavyLoad.exclusive {
            try await TrucRun.run(executable: URL(fileURLWithPath: "/usr/bin/env"),
                            ["python3", script, "--truc", TrucRun.binary.path, "--messages", "150", "--kills", "6"])
        }
        #expect(run.exitCode == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains(" passed, 0 failed"))
    }

    static let haproxy = ["/usr/sbin/haproxy", "/usr/bin/haproxy", "/usr/local/sbin/haproxy"].first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test("two nodes on PostgreSQL behind HAProxy, SIGKILL of either under load (the last one stays down): every acknowledged message stored, each in the inbox once, each pushed",
          .enabled { await PostgresCluster.available && haproxy != nil })
    func crashTwoNodes() async throws {
        let script = CLIFixtures.root.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Tests/Drivers/crash_test.py").path
        let url = try await PostgresCluster.require().makeDatabase()
        let run = try await HeavyLoad.exclusive {
            try await TrucRun.run(executable: URL(fileURLWithPath: "/usr/bin/env"),
                            ["python3", script, "--truc", TrucRun.binary.path, "--messages", "100", "--kills", "5", "--postgres", url,
                             "--haproxy", Self.haproxy!, "--lease", "10"])
        }
        #expect(run.exitCode == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains(" passed, 0 failed"))
        print(run.stdout.split(separator: "\n").suffix(3).joined(separator: "\n"))
    }

    @Test("PostgreSQL stopped for 6 s and started again under load on two nodes behind HAProxy: no acknowledged message lost, /readyz reports the outage, the nodes recover without a restart",
          .enabled { await PostgresCluster.available && haproxy != nil })
    func postgresRestartUnderLoad() async throws {
        let script = CLIFixtures.root.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Tests/Drivers/crash_test.py").path
        let cluster = try await PostgresCluster.dedicated()
        defer { cluster.destroy() }
        let url = try await cluster.makeDatabase()
        let commands = try #require(cluster.shellCommands())
        let run = try await HeavyLoad.exclusive {
            try await TrucRun.run(executable: URL(fileURLWithPath: "/usr/bin/env"),
                            ["python3", script, "--truc", TrucRun.binary.path, "--messages", "300", "--kills", "0", "--postgres", url,
                             "--haproxy", Self.haproxy!, "--pg-stop", commands.stop, "--pg-start", commands.start, "--pg-down", "6"])
        }
        #expect(run.exitCode == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains(" passed, 0 failed") && run.stdout.contains("PostgreSQL restarted"))
        print(run.stdout.split(separator: "\n").suffix(5).joined(separator: "\n"))
    }
}

@Suite("Two hubs as processes", .timeLimit(.minutes(30)))
struct TwoHubDemoTests {
    @Test("scripts/two-hub-demo.sh (the docker-compose demo) against two truc serve processes on 127.0.0.1")
    func demo() async throws {
        let repo = CLIFixtures.root.deletingLastPathComponent().deletingLastPathComponent()
        let national = FileManager.default.temporaryDirectory.appendingPathComponent("truc-national-\(UUID().uuidString)").path
        let provincial = FileManager.default.temporaryDirectory.appendingPathComponent("truc-provincial-\(UUID().uuidString)").path
        defer {
            try? FileManager.default.removeItem(atPath: national)
            try? FileManager.default.removeItem(atPath: provincial)
        }
        let nationalPort = freeTCPPort(), provincialPort = freeTCPPort()
        func serve(_ arguments: [String]) async throws -> SpawnedProcess {
            let p = SpawnedProcess()
            p.executableURL = TrucRun.binary
            p.arguments = ["serve", "--no-demo-agencies", "--demo-pki", "--allow-targets", "127.0.0.0/8,::1"] + arguments
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try await Program.launch(p)
            return p
        }
        let hubs = [
            try await serve(["--data", national, "--port", "\(nationalPort)", "--hub-code", "000.00.00.W01",
                       "--route", "H41=000.00.00.W41@https://127.0.0.1:\(provincialPort)"]),
            try await serve(["--data", provincial, "--port", "\(provincialPort)", "--hub-code", "000.00.00.W41",
                       "--upstream", "000.00.00.W01@https://127.0.0.1:\(nationalPort)", "--retry-base", "0.2"]),
        ]
        defer { for h in hubs { h.kill() } }
        let run = try await TrucRun.run(executable: URL(fileURLWithPath: "/bin/bash"), [repo.appendingPathComponent("scripts/two-hub-demo.sh").path],
                                  environment: ["NATIONAL_URL": "https://127.0.0.1:\(nationalPort)", "PROVINCIAL_URL": "https://127.0.0.1:\(provincialPort)",
                                                "NATIONAL_DATA": national, "PROVINCIAL_DATA": provincial, "TRUC": TrucRun.binary.path, "REPO": repo.path])
        for h in hubs { await Program.stop(h) }
        #expect(run.exitCode == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("done: the document crossed both hubs and the status came back"))
    }
}

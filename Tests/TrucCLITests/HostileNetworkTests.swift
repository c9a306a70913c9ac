import Foundation
import Testing
import TrucTestSupport

/// The attacks of the hostile-network issue, against real `truc serve` and `truc verify` processes.
@Suite("Hostile input and a hostile network", .timeLimit(.minutes(30)))
struct HostileNetworkTests {
    static let repo = CLIFixtures.root.deletingLastPathComponent().deletingLastPathComponent()

    @Test("Tests/Drivers/hostile_check.py: crafted ZIPs, impossible dates, idle and slowloris connections, the connection limit, slow 60 MB bodies, all at once with status messages")
    func hostileCheck() async throws {
        let script = Self.repo.appendingPathComponent("Tests/Drivers/hostile_check.py").path
        let run = try await HeavyLoad.exclusive {
            try await TrucRun.run(executable: URL(fileURLWithPath: "/usr/bin/env"),
                            ["python3", script, "--truc", TrucRun.binary.path, "--idle", "200", "--idle-timeout", "1.5", "--load", "3", "--big-mib", "1"])
        }
        #expect(run.exitCode == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains(" passed, 0 failed"), "\(run.stdout)")
        #expect(run.stdout.contains("check load every status message was accepted under attack: ok"))
    }

    @Test("truc verify reports a crafted ZIP as an attachment that cannot be decoded (exit 1), never crashes",
          arguments: ["cd-offset-past-end", "deflate-no-final-block", "deflate-truncated", "local-offset-past", "truncated", "encrypted"])
    func verifyCraftedZip(_ name: String) async throws {
        let run = try await TrucRun.run(["verify", CLIFixtures.path("attachments/hostile/\(name).edxml"), "--json"])
        #expect(run.exitCode == 1, "\(run.stdout)\(run.stderr)")
        let problems = run.json?["attachmentProblems"] as? [[String: Any]]
        #expect(problems?.first?["code"] as? String == "invalid-zip", "\(run.stdout)")
        let text = try await TrucRun.run(["verify", CLIFixtures.path("attachments/hostile/\(name).edxml")])
        #expect(text.exitCode == 1 && text.stdout.contains("Attachment cannot be decoded"), "\(text.stdout)")
    }

    @Test("truc stats refuses impossible dates with the API's rule (exit 2), and never creates a store for them")
    func statsDates() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("truc-stats-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: data) }
        for (from, to) in [("2024-01-01", "2024-01-0½"), ("2024-13-45", "2024-12-31"), ("01/11/2026", "2026-11-02"),
                           ("٢٠٢٤-٠١-٠١", "2024-01-02"), ("2024-02-01", "2024-01-01"), ("2000-01-01", "2024-01-01")] {
            let run = try await TrucRun.run(["stats", "--data", data, "--from", from, "--to", to])
            #expect(run.exitCode == 2, "\(from) \(to): \(run.stdout)\(run.stderr)")
            #expect(run.stderr.contains("invalid-date"), "\(run.stderr)")
        }
    }
}

extension HostileNetworkTests {
    @Test("truc stats on a directory without a store is an error, and creates nothing")
    func statsWithoutStore() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("truc-nostore-\(UUID().uuidString)").path
        let run = try await TrucRun.run(["stats", "--data", data, "--from", "2026-01-01", "--to", "2026-01-31"])
        #expect(run.exitCode == 2 && run.stderr.contains("no-store"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: data))
    }
}

extension HostileNetworkTests {
    @Test("a store error in the delivery engine is logged and retried; the hub keeps serving (another process holds the database's write lock for 20 s)")
    func storeErrorDoesNotEndTheHub() async throws {
        let server = try await HubEndToEndTests.Server(["--log-format", "json"], keepLog: true)
        defer { server.discard() }
        try await server.waitUntilReady()
        // 20 s: the store's health probe and the evidence log's sequencer each wait out their 5 s busy timeout on
        // the store's thread first, and the engine's next claim, queued behind them, must still meet the lock for
        // its own 5 s (with less it could start late enough to get the lock after waiting, and never see an error).
        let lock = """
            import sqlite3, sys, time
            con = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
            con.execute("BEGIN EXCLUSIVE")
            time.sleep(20)
            con.execute("ROLLBACK")
            """
        let held = try await TrucRun.run(executable: URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", lock, server.data + "/truc.sqlite"])
        #expect(held.exitCode == 0, "\(held.stderr)")
        #expect(server.process.isRunning, "the hub ended on a store error")
        let g22 = try await TrucRun.run(["agencies", "token", "000.00.00.G22", "--data", server.data]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        for (code, name) in [("000.00.00.H14", "UBND Tỉnh Cao Bằng"), ("000.00.00.G17", "Bộ Thông tin")] {
            #expect(try await TrucRun.run(["agencies", "add", code, "--name", name, "--data", server.data]).exitCode == 0)
        }
        // Until the store's health probe has seen the lock gone (every 2 s; later when the machine is loaded) a write is
        // answered 503 store-unavailable, "retry later": a client retries, as this one does (bounded).
        var sent = try await TrucRun.run(["send", CLIFixtures.path("signatures/env-valid-inclusive.edxml"), "--hub", "https://127.0.0.1:\(server.port)",
                                    "--token", g22])
        for _ in 0..<40 where sent.stdout.contains("store-unavailable") {
            try await Task.sleep(for: .milliseconds(500))
            sent = try await TrucRun.run(["send", CLIFixtures.path("signatures/env-valid-inclusive.edxml"), "--hub", "https://127.0.0.1:\(server.port)", "--token", g22])
        }
        #expect(sent.exitCode == 0, "\(sent.stdout)\(sent.stderr)")
        let log = try String(contentsOf: try #require(server.log), encoding: .utf8)
        #expect(log.contains("delivery engine: the store failed; retrying"), "\(log.suffix(2000))")
    }
}

extension HostileNetworkTests {
    @Test("truc verify checks a delivery receipt (signed by xmlsec1 with the demo hub key): valid, tampered, unsigned")
    func verifyReceipt() async throws {
        let trust = Self.repo.appendingPathComponent("Certs/demo/trust").path
        let signed = Self.repo.appendingPathComponent("Tests/Fuzz/corpus/receipt/signed.xml").path
        let ok = try await TrucRun.run(["verify", signed, "--trust", trust, "--json"])
        #expect(ok.exitCode == 0, "\(ok.stdout)\(ok.stderr)")
        #expect(ok.json?["kind"] as? String == "receipt" && ok.json?["valid"] as? Bool == true && ok.json?["recipient"] as? String == "000.00.00.H41")
        let text = try String(contentsOfFile: signed, encoding: .utf8)
        let tampered = try CLIFixtures.temporary(text.replacingOccurrences(of: "<How>pull</How>", with: "<How>push</How>"), name: "receipt.xml")
        let bad = try await TrucRun.run(["verify", tampered, "--trust", trust])
        #expect(bad.exitCode == 1 && bad.stdout.contains("INVALID"), "\(bad.stdout)")
        let unsigned = try await TrucRun.run(["verify", Self.repo.appendingPathComponent("Tests/Fuzz/corpus/receipt/unsigned.xml").path, "--trust", trust])
        #expect(unsigned.exitCode == 1 && unsigned.stdout.contains("not signed"), "\(unsigned.stdout)")
    }
}

@Suite("Backups", .timeLimit(.minutes(30)))
struct BackupTests {
    @Test("Tests/Drivers/backup_check.py: truc backup under load, truc restore into a new directory, every acknowledged message fetched byte for byte; a damaged backup refused")
    func backupUnderLoad() async throws {
        let script = HostileNetworkTests.repo.appendingPathComponent("Tests/Drivers/backup_check.py").path
        let run = try await HeavyLoad.exclusive {
            try await TrucRun.run(executable: URL(fileURLWithPath: "/usr/bin/env"), ["python3", script, "--truc", TrucRun.binary.path])
        }
        #expect(run.exitCode == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains(" passed, 0 failed"), "\(run.stdout)")
    }

    @Test("a hub on PostgreSQL is not 'backed up' by copying its data directory: refused, with what to do")
    func postgresHub() async throws {
        let destination = FileManager.default.temporaryDirectory.appendingPathComponent("truc-backup-\(UUID().uuidString)").path
        let refused = try await TrucRun.run(["backup", destination, "--database", "postgres://truc@127.0.0.1:1/hub"])
        #expect(refused.exitCode == 2 && refused.stderr.hasPrefix("truc: store-is-postgres: ") && refused.stderr.contains("pg_dump"), "\(refused.stderr)")
        // A node's data directory (keys and PKI, no SQLite store) says the same.
        let node = FileManager.default.temporaryDirectory.appendingPathComponent("truc-node-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: node.appendingPathComponent("pki"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: node) }
        let nodeRun = try await TrucRun.run(["backup", destination, "--data", node.path])
        #expect(nodeRun.exitCode == 2 && nodeRun.stderr.contains("no-store") && nodeRun.stderr.contains("pg_dump"), "\(nodeRun.stderr)")
        #expect(!FileManager.default.fileExists(atPath: destination))
    }
}

extension HostileNetworkTests {
    @Test("truc stats --agency with a code neither registered nor counted fails as the API does (unknown-agency), not an empty report")
    func statsUnknownAgency() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("truc-stats-agency-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: data) }
        let added = try await TrucRun.run(["agencies", "add", "000.00.00.H41", "--name", "UBND Tỉnh Nghệ An", "--data", data])
        #expect(added.exitCode == 0, "\(added.stderr)")
        let unknown = try await TrucRun.run(["stats", "--data", data, "--from", "2026-01-01", "--to", "2026-01-31", "--agency", "000.00.00.X99"])
        #expect(unknown.exitCode == 1 && unknown.stderr.contains("unknown-agency"), "\(unknown.stdout)\(unknown.stderr)")
        let recipient = try await TrucRun.run(["stats", "--data", data, "--from", "2026-01-01", "--to", "2026-01-31", "--recipient", "000.00.00.X99"])
        #expect(recipient.exitCode == 1 && recipient.stderr.contains("unknown-agency"))
        let known = try await TrucRun.run(["stats", "--data", data, "--from", "2026-01-01", "--to", "2026-01-31", "--agency", "000.00.00.H41"])
        #expect(known.exitCode == 0, "\(known.stderr)")
    }
}

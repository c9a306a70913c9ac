import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import TrucTestSupport

/// Payload retention with real processes (docs/operating.md "Retention and archives"): a hub whose retention is 0 days
/// archives each message once every recipient took it, then purges its payload; the message answers 410 with its
/// SHA-256 and receipts; `truc archive verify` passes on the archives and fails on a changed byte, a removed file, a
/// reordered chain and (with the hub's records) a removed latest archive; `truc archive get` gives the exact bytes
/// back. A full archive disk stops the purge and never the intake.
@Suite("Retention: archive, then purge, with real hubs on SQLite and PostgreSQL", .timeLimit(.minutes(30)))
struct RetentionLiveTests {
    static func curl(_ server: HubEndToEndTests.Server, _ path: String, token: String, extra: [String] = []) async throws -> TrucRun {
        try await FailClosedTests.run("curl", ["-s", "-w", "\n%{http_code}", "--cacert", FailClosedTests.demo + "/trust/root-ca.pem", "-H", "Authorization: Bearer \(token)"]
                                + extra + ["https://127.0.0.1:\(server.port)" + path])
    }

    /// The status code and body of a curl run by `curl(_:_:token:)`.
    static func answer(_ run: TrucRun) -> (status: Int, body: String) {
        let lines = run.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
    }

    static func json(_ text: String) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
    }

    /// Sends a distinct document and has its three recipients take it; answers its id.
    static func sendAndTake(_ hub: HubEndToEndTests.Server, token: String, recipients: [String: String], in dir: String) async throws -> String {
        let sent = try await hub.sendDistinct(token: token, in: dir)
        let id = try #require(sent.json?["id"] as? String, "\(sent.stdout)\(sent.stderr)")
        for (_, recipient) in recipients.sorted(by: { $0.key < $1.key }) {
            let ack = try await curl(hub, "/v1/inbox/\(id)/ack", token: recipient, extra: ["-d", #"{"outcome":"done"}"#])
            #expect(answer(ack).status == 200, "\(ack.stdout)")
        }
        return id
    }

    /// Waits (bounded) until the message answers 410; answers the 410's body.
    static func waitGone(_ hub: HubEndToEndTests.Server, _ id: String, token: String) async throws -> [String: Any] {
        for _ in 0..<600 {
            let (status, body) = await answer(try curl(hub, "/v1/messages/\(id)", token: token))
            if status == 410 { return json(body) ?? [:] }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("message \(id) was not purged within 60 s")
        return [:]
    }

    func scenario(database: String?) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("truc-retention-\(UUID().uuidString)").path
        let archives = dir + "/archives"
        try FileManager.default.createDirectory(atPath: archives, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let storeArguments = database.map { ["--database", $0] } ?? []
        // What a round killed while writing left behind: removed by the next round.
        let leftover = archives + "/.writing-truc-archive-0000000001-00000000.zip"
        try Data("half an archive".utf8).write(to: URL(fileURLWithPath: leftover))
        let hub = try await HubEndToEndTests.Server(["--payload-retention-days", "0", "--archive-dir", archives, "--purge-interval", "1",
                                               "--checkpoint-interval", "1", "--operator-token", "retention-operator-secret"] + storeArguments, keepLog: true)
        defer { hub.discard() }
        try await hub.waitUntilReady()
        let storeFlags = ["--data", hub.data] + storeArguments
        for (code, name) in [("000.00.00.H14", "UBND Tỉnh Cao Bằng"), ("000.00.00.G17", "Bộ Thông tin")] {
            #expect(try await TrucRun.run(["agencies", "add", code, "--name", name] + storeFlags).exitCode == 0)
        }
        let token = try await TrucRun.run(["agencies", "token", "000.00.00.G22"] + storeFlags).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        var recipients: [String: String] = [:]
        for code in ["000.00.00.H41", "000.00.00.H14", "000.00.00.G17"] {
            recipients[code] = try await TrucRun.run(["agencies", "token", code] + storeFlags).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let logKey = await Self.answer(try Self.curl(hub, "/v1/log/key", token: token)).body.trimmingCharacters(in: .whitespacesAndNewlines)
        try logKey.write(toFile: dir + "/log.key", atomically: true, encoding: .utf8)

        // The statistics before any purge (compared after: a purge changes none).
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd"
        formatter.timeZone = TimeZone(secondsFromGMT: 7 * 3600)
        let today = formatter.string(from: Date())
        func stats() async throws -> String {
            try await TrucRun.run(["stats", "--from", today, "--to", today, "--agency", "000.00.00.G22", "--json"] + storeFlags).stdout
        }
        // A message one recipient has not taken stays: it is not final.
        let pending = try #require(try await hub.sendDistinct(token: token, in: dir).json?["id"] as? String)
        var before: String?
        // Three messages, each taken by both recipients and purged before the next: three archives in a chain.
        var purged: [(id: String, gone: [String: Any])] = []
        for round in 0..<3 {
            let id = try await Self.sendAndTake(hub, token: token, recipients: recipients, in: dir)
            if round == 2 { before = try await stats() }
            purged.append((id, try await Self.waitGone(hub, id, token: token)))
        }
        let after = try await stats()
        #expect(before == after && after.contains("\"both\""), "the statistics are the same after the purge: \(after)")
        for (id, gone) in purged {
            let error = gone["error"] as? [String: Any]
            #expect(error?["code"] as? String == "gone", "\(gone)")
            #expect((error?["sha256"] as? String)?.count == 64 && (error?["archive"] as? String)?.hasPrefix("truc-archive-") == true, "\(gone)")
            #expect((error?["receipts"] as? [String])?.count == 3, "every recipient's receipt is named: \(gone)")
            // The trace, the validation report and the receipts themselves stay.
            #expect(Self.answer(try await Self.curl(hub, "/v1/messages/\(id)/trace", token: token)).status == 200)
            #expect(Self.answer(try await Self.curl(hub, "/v1/messages/\(id)/validation-report", token: token)).status == 200)
            let receipt = try #require((error?["receipts"] as? [String])?.first)
            #expect(Self.answer(try await Self.curl(hub, "/v1/messages/\(receipt)", token: token)).status == 200, "a receipt is kept")
            #expect(Self.answer(try await Self.curl(hub, "/v1/messages/\(id)/evidence", token: token)).status == 410)
        }
        #expect(Self.answer(try await Self.curl(hub, "/v1/messages/\(pending)", token: token)).status == 200, "a message not final is never purged")
        #expect(!FileManager.default.fileExists(atPath: leftover), "a half-written archive of an interrupted round is removed")
        let metrics = await Self.answer(try Self.curl(hub, "/metrics", token: "retention-operator-secret")).body
        #expect(metrics.contains("truc_store_purged_payloads 3") && metrics.contains("truc_store_archives 3"), "\(metrics.split(separator: "\n").filter { $0.contains("purge") || $0.contains("archiv") })")
        #expect(metrics.contains(#"truc_stored_messages{kind="edoc",state="purged"} 3"#) || !metrics.contains("truc_stored_messages"), "forecast gauges name purged messages")

        // Offline: every archive, bundle, signature and link holds; one message comes back byte for byte.
        let names = try FileManager.default.contentsOfDirectory(atPath: archives).filter { $0.hasPrefix("truc-archive-") }.sorted()
        #expect(names.count == 3, "\(names)")
        let verify = try await TrucRun.run(["archive", "verify", archives, "--log-key", dir + "/log.key"] + storeFlags)
        #expect(verify.exitCode == 0, "\(verify.stdout)\(verify.stderr)")
        let (first, gone) = try #require(purged.first)
        let get = try await TrucRun.run(["archive", "get", first, "--archive", archives, "--out", dir + "/back.edxml", "--bundle", dir + "/back.zip", "--log-key", dir + "/log.key"])
        #expect(get.exitCode == 0, "\(get.stderr)")
        let back = try Data(contentsOf: URL(fileURLWithPath: dir + "/back.edxml"))
        let digest = try await FailClosedTests.run("sha256sum", [dir + "/back.edxml"]).stdout.prefix(64)
        #expect(String(digest) == (gone["error"] as? [String: Any])?["sha256"] as? String && !back.isEmpty)
        let bundle = try await TrucRun.run(["evidence", "verify", dir + "/back.zip", "--log-key", dir + "/log.key", "--json"])
        #expect(bundle.exitCode == 0 && (bundle.json?["proves"] as? [String] ?? []).contains { $0.contains("acknowledged by") }, "\(bundle.stdout)")
        #expect(try await TrucRun.run(["archive", "get", pending, "--archive", archives]).exitCode == 1, "a message not archived is not found")

        // Tampering, each on a copy of the directory.
        func copy(_ name: String) throws -> String {
            let target = dir + "/" + name
            try FileManager.default.copyItem(atPath: archives, toPath: target)
            return target
        }
        let changed = try copy("changed")
        var bytes = try Data(contentsOf: URL(fileURLWithPath: changed + "/" + names[1]))
        bytes[bytes.count / 2] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: changed + "/" + names[1]))
        let changedRun = try await TrucRun.run(["archive", "verify", changed, "--log-key", dir + "/log.key"])
        #expect(changedRun.exitCode == 1 && changedRun.stdout.contains("FAILS: \(names[1])"), "\(changedRun.stdout)")

        let removed = try copy("removed")
        try FileManager.default.removeItem(atPath: removed + "/" + names[1])
        let removedRun = try await TrucRun.run(["archive", "verify", removed, "--log-key", dir + "/log.key"])
        #expect(removedRun.exitCode == 1 && removedRun.stdout.contains("archive 2 is missing"), "\(removedRun.stdout)")

        let reordered = try copy("reordered")
        try FileManager.default.moveItem(atPath: reordered + "/" + names[1], toPath: reordered + "/swap")
        try FileManager.default.moveItem(atPath: reordered + "/" + names[2], toPath: reordered + "/" + names[1])
        try FileManager.default.moveItem(atPath: reordered + "/swap", toPath: reordered + "/" + names[2])
        let reorderedRun = try await TrucRun.run(["archive", "verify", reordered, "--log-key", dir + "/log.key"])
        #expect(reorderedRun.exitCode == 1 && reorderedRun.stdout.contains("does not match its manifest"), "\(reorderedRun.stdout)")

        // The latest archive removed: the chain alone cannot tell; the hub's records (and its log) can.
        let truncated = try copy("truncated")
        try FileManager.default.removeItem(atPath: truncated + "/" + names[2])
        #expect(try await TrucRun.run(["archive", "verify", truncated, "--log-key", dir + "/log.key"]).exitCode == 0)
        let truncatedRun = try await TrucRun.run(["archive", "verify", truncated, "--log-key", dir + "/log.key"] + storeFlags)
        #expect(truncatedRun.exitCode == 1 && truncatedRun.stdout.contains("recorded by the hub, is not in"), "\(truncatedRun.stdout)")
        // Another key: nothing verifies.
        let otherKey = try await TrucRun.run(["archive", "verify", archives, "--log-key", "truc-log/000.00.00.W00+00000000+AQ" + String(repeating: "A", count: 42) + "="])
        #expect(otherKey.exitCode == 1)

        // Intake went on through all of it; the log agrees with the store, archived events included.
        #expect(try await hub.sendDistinct(token: token, in: dir).exitCode == 0)
        #expect(await hub.stop(keepData: true) == 0)
        defer { try? FileManager.default.removeItem(atPath: hub.data) }
        let log = try await TrucRun.run(["log", "verify", "--json"] + storeFlags)
        #expect(log.exitCode == 0 && ((log.json?["kinds"] as? [String: Int])?["archived"] ?? 0) == 3, "\(log.stdout)\(log.stderr)")
    }

    @Test("SQLite: final messages archived then purged; 410 with receipts; archives verify, and fail when changed, removed, reordered or truncated")
    func sqlite() async throws {
        try await scenario(database: nil)
    }

    @Test("PostgreSQL: the same, with the store on a real PostgreSQL", .enabled { await PostgresCluster.available })
    func postgres() async throws {
        try await scenario(database: try PostgresCluster.require().makeDatabase())
    }

    @Test("SIGTERM in the middle of a long purge round: the hub stops at once, gracefully; nothing half-built is written")
    func stopDuringRound() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("truc-retention-stop-\(UUID().uuidString)").path
        let archives = dir + "/archives", data = dir + "/data"
        try FileManager.default.createDirectory(atPath: archives, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // 10,000 final documents: one round paced to a quarter of a core takes about a minute.
        let fill = try await TrucRun.run(["bench", "messages-fill", "--data", data, "--messages", "10000", "--all-acknowledged"])
        try #require(fill.exitCode == 0, "\(fill.stdout)\(fill.stderr)")
        let hub = try await HubEndToEndTests.Server(["--payload-retention-days", "0", "--archive-dir", archives, "--purge-interval", "1",
                                               "--checkpoint-interval", "1"], keepLog: true, data: data)
        defer { hub.discard() }
        try await hub.waitUntilReady()
        try await Task.sleep(for: .seconds(5)) // the first checkpoint, then the round building its first archive
        let stopping = ContinuousClock.now
        #expect(await hub.stop(keepData: true) == 0, "a graceful exit")
        #expect(ContinuousClock.now - stopping < .seconds(10), "stopped within \(ContinuousClock.now - stopping), not at the end of the round")
        #expect(try FileManager.default.contentsOfDirectory(atPath: archives).allSatisfy { !$0.hasPrefix(".writing-") })
        let verify = try await TrucRun.run(["archive", "verify", archives, "--data", data])
        #expect(verify.exitCode == 0, "\(verify.stdout)\(verify.stderr)")
    }

    @Test("a full archive disk stops the purge, raises the failure count, and intake goes on")
    func fullArchiveDisk() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("truc-retention-full-\(UUID().uuidString)").path
        let archives = dir + "/archives"
        try FileManager.default.createDirectory(atPath: archives, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A 96 KiB file system: room for a few archives of one message (about 30 KB each), then full.
        let mount = try await FailClosedTests.run("mount", ["-t", "tmpfs", "-o", "size=96k", "tmpfs", archives])
        try #require(mount.exitCode == 0, "mounting a tmpfs needs root (CI runs as root): \(mount.stderr)")
        defer { _ = umount2(archives, Int32(MNT_DETACH)) } // as `umount -l`; a defer cannot wait for a program
        let hub = try await HubEndToEndTests.Server(["--payload-retention-days", "0", "--archive-dir", archives, "--purge-interval", "1",
                                               "--checkpoint-interval", "1", "--operator-token", "retention-operator-secret"], keepLog: true)
        defer { hub.discard() }
        try await hub.waitUntilReady()
        let token = try await hub.senderToken()
        var recipients: [String: String] = [:]
        for code in ["000.00.00.H41", "000.00.00.H14", "000.00.00.G17"] {
            recipients[code] = try await TrucRun.run(["agencies", "token", code, "--data", hub.data]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        var failures = 0.0, kept: String?
        for _ in 0..<12 where failures == 0 {
            let id = try await Self.sendAndTake(hub, token: token, recipients: recipients, in: dir)
            // Purged, or refused by a full disk (bounded: a few purge rounds).
            for _ in 0..<100 {
                let status = await Self.answer(try Self.curl(hub, "/v1/messages/\(id)", token: token)).status
                let metrics = await Self.answer(try Self.curl(hub, "/metrics", token: "retention-operator-secret")).body
                failures = metrics.split(separator: "\n").first { $0.hasPrefix("truc_archive_failures_total ") }.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
                if failures > 0 { kept = id }
                if status == 410 || failures > 0 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        #expect(failures > 0, "the archive disk filled up and a round failed")
        let unpurged = try #require(kept)
        #expect(Self.answer(try await Self.curl(hub, "/v1/messages/\(unpurged)", token: token)).status == 200, "nothing is purged that was not archived")
        // Intake goes on; no half-written archive is left behind; what was written still verifies.
        for _ in 0..<3 {
            let sent = try await hub.sendDistinct(token: token, in: dir)
            #expect(sent.exitCode == 0, "\(sent.stdout)\(sent.stderr)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: archives).allSatisfy { !$0.hasPrefix(".writing-") })
        let verify = try await TrucRun.run(["archive", "verify", archives, "--data", hub.data])
        #expect(verify.exitCode == 0, "\(verify.stdout)\(verify.stderr)")
        let log = try String(contentsOf: try #require(hub.log), encoding: .utf8)
        #expect(log.contains("payload purge stopped"), "the failure is logged")
    }
}

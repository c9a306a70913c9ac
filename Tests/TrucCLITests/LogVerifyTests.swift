import Foundation
import Testing
import TrucTestSupport
@testable import TrucVocabulary

/// `truc log verify` on a real hub's store, then on copies of it changed behind the hub's back (Python's sqlite3
/// playing the operator with write access to the database): each change is named by the first leaf it touches.
@Suite("Evidence log: truc log verify recomputes the tree and finds what was changed behind the hub's back", .timeLimit(.minutes(30)))
struct LogVerifyTests {
    static func sql(_ database: String, _ statement: String) async throws {
        let run = try await TrucRun.run(executable: URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", """
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1]); db.execute(sys.argv[2]); db.commit(); print(db.total_changes)
            """, database, statement])
        #expect(run.exitCode == 0 && run.stdout.trimmingCharacters(in: .whitespacesAndNewlines) != "0", "\(statement): \(run.stdout)\(run.stderr)")
    }

    @Test("a hub's log verifies; a changed verdict, changed payload bytes, a delivery's changed state, a deleted refusal, a changed event and a deleted event are each named by their leaf")
    func tamper() async throws {
        let server = try await HubEndToEndTests.Server(keepLog: true)
        defer { server.discard() }
        try await server.waitUntilReady()
        let token = try await server.senderToken()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("truc-log-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func send(_ fixture: String) async throws -> TrucRun { try await server.sendDistinct(fixture, token: token, in: dir) }
        var ids: [String] = []
        for fixture in ["signatures/pdf-organisation.edxml", "signatures/pdf-personal.edxml", "signatures/pdf-both-zip.edxml"] {
            let sent = try await send(fixture)
            ids.append(try #require(sent.json?["id"] as? String, "\(sent.stdout)\(sent.stderr)"))
        }
        #expect(try await send("signatures/pdf-tampered.edxml").exitCode == 1)
        // The first message is taken by its recipient (acknowledged): a `acknowledged` event.
        var acknowledged = 0
        for code in ["000.00.00.H14", "000.00.00.G17"] {
            let recipient = try await TrucRun.run(["agencies", "token", code, "--data", server.data]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let ack = try await FailClosedTests.run("curl", ["-sf", "--cacert", FailClosedTests.demo + "/trust/root-ca.pem", "-H", "Authorization: Bearer \(recipient)",
                                                       "-d", #"{"outcome":"done"}"#, "https://127.0.0.1:\(server.port)/v1/inbox/\(ids[0])/ack"])
            if ack.exitCode == 0 { acknowledged += 1 }
        }
        #expect(acknowledged > 0)
        // The sequencer runs every half second: wait (bounded) until every event has its leaf.
        var report: [String: Any] = [:]
        for _ in 0..<100 {
            let run = try await TrucRun.run(["log", "verify", "--data", server.data, "--json"])
            report = run.json ?? [:]
            if run.exitCode == 0, report["unsequenced"] as? Int == 0, (report["accepted"] as? Int ?? 0) >= 3, (report["refused"] as? Int ?? 0) >= 1,
               (report["kinds"] as? [String: Int])?["acknowledged"] == acknowledged { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(report["unsequenced"] as? Int == 0 && (report["problems"] as? [String])?.isEmpty == true && report["messagesWithoutEvent"] as? Int == 0,
                "\(report)")
        // The operator's changes are events too: the agencies added, the tokens issued.
        let kinds = report["kinds"] as? [String: Int] ?? [:]
        #expect(kinds["operator:agency-changed"] ?? 0 >= 2 && kinds["operator:token-issued"] ?? 0 >= 3 && kinds["acknowledged"] == acknowledged, "\(kinds)")
        #expect(await server.stop(keepData: true) == 0)
        defer { try? FileManager.default.removeItem(atPath: server.data) }

        func tampered(_ name: String, _ statement: String) async throws -> TrucRun {
            let copy = dir + "/" + name
            try FileManager.default.copyItem(atPath: server.data, toPath: copy)
            try await Self.sql(copy + "/truc.sqlite", statement)
            return try await TrucRun.run(["log", "verify", "--data", copy])
        }
        let verdict = try await tampered("verdict", "UPDATE messages SET verdict = replace(verdict, 'valid', 'VALID') WHERE id = '\(ids[1])'")
        #expect(verdict.exitCode == 1 && verdict.stdout.contains("message \(ids[1]): its stored verdict is not the one the event records"), "\(verdict.stdout)")
        // Re-validation says so too, rather than judging the document as if it carried no signature.
        let day = CivilCalendarText.vietnamDay()
        let rejudged = try await TrucRun.run(["revalidate", "--from", day, "--to", day, "--data", dir + "/verdict"])
        #expect(rejudged.exitCode == 1 && rejudged.stdout.contains("the verdict stored at receipt cannot be read"), "\(rejudged.stdout)\(rejudged.stderr)")
        let bytes = try await tampered("bytes", "UPDATE payloads SET bytes = substr(bytes, 1, 40) || x'20' || substr(bytes, 42) WHERE message_id = (SELECT message_id FROM payloads LIMIT 1)")
        #expect(bytes.exitCode == 1 && bytes.stdout.contains("its stored bytes no longer have the SHA-256 the event records"), "\(bytes.stdout)")
        // A delivery the log says was taken, put back in the inbox; a delivery marked taken that nobody took.
        let undelivered = try await tampered("undelivered", "UPDATE deliveries SET state = 'awaiting-pull' WHERE message_id = '\(ids[0])'")
        #expect(undelivered.exitCode == 1 && undelivered.stdout.contains("message \(ids[0]): its delivery to") && undelivered.stdout.contains("is awaiting-pull, the log says delivered"),
                "\(undelivered.stdout)")
        let delivered = try await tampered("delivered", "UPDATE deliveries SET state = 'delivered' WHERE message_id = '\(ids[1])'")
        #expect(delivered.exitCode == 1 && delivered.stdout.contains("message \(ids[1]): its delivery to") && delivered.stdout.contains("is delivered, the log has no such event"),
                "\(delivered.stdout)")
        let refusal = try await tampered("refusal", "DELETE FROM refusals")
        #expect(refusal.exitCode == 1 && refusal.stdout.contains("is not in the store"), "\(refusal.stdout)")
        let event = try await tampered("event", "UPDATE log_events SET entry = CAST(replace(CAST(entry AS TEXT), '\(ids[0])', '\(ids[2])') AS BLOB) WHERE message_id = '\(ids[0])'")
        #expect(event.exitCode == 1 && event.stdout.contains("differs from the entries: the first leaf that disagrees is in [0, 1)") || event.stdout.contains("node (0, "),
                "\(event.stdout)")
        let deleted = try await tampered("deleted", "DELETE FROM log_events WHERE id = 2")
        #expect(deleted.exitCode == 1 && deleted.stdout.contains("leaf 1: missing"), "\(deleted.stdout)")
    }

    @Test("a store from before the log: its messages and their final deliveries are backfilled once, flagged, and then verify; a bundle says what a backfilled event proves")
    func backfill() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("truc-backfill-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var server = try await HubEndToEndTests.Server(["--checkpoint-interval", "1"], keepLog: true)
        defer { server.discard() }
        try await server.waitUntilReady()
        let token = try await server.senderToken(), data = server.data
        defer { try? FileManager.default.removeItem(atPath: data) }
        var ids: [String] = []
        for _ in 0..<2 {
            let sent = try await server.sendDistinct(token: token, in: dir)
            ids.append(try #require(sent.json?["id"] as? String, "\(sent.stdout)\(sent.stderr)"))
        }
        for code in ["000.00.00.H14", "000.00.00.G17"] {
            let recipient = try await TrucRun.run(["agencies", "token", code, "--data", data]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            _ = try await FailClosedTests.run("curl", ["-sf", "--cacert", FailClosedTests.demo + "/trust/root-ca.pem", "-H", "Authorization: Bearer \(recipient)",
                                                 "-d", #"{"outcome":"done"}"#, "https://127.0.0.1:\(server.port)/v1/inbox/\(ids[0])/ack"])
        }
        #expect(await server.stop(keepData: true) == 0)
        // The store as a hub from before the log left it: no events, no tree.
        try await Self.sql(data + "/truc.sqlite", "DELETE FROM log_events")
        try await Self.sql(data + "/truc.sqlite", "DELETE FROM sqlite_sequence WHERE name = 'log_events'")
        try await Self.sql(data + "/truc.sqlite", "DELETE FROM log_nodes")
        try await Self.sql(data + "/truc.sqlite", "DELETE FROM log_checkpoints")
        let before = try await TrucRun.run(["log", "verify", "--data", data, "--json"])
        #expect(before.json?["events"] as? Int == 0 && (before.json?["messagesWithoutEvent"] as? Int ?? 0) >= 3, "two documents and a receipt: \(before.stdout)")

        func settled(_ hub: HubEndToEndTests.Server) async throws -> [String: Any] {
            var report: [String: Any] = [:]
            for _ in 0..<150 {
                report = try await TrucRun.run(["log", "verify", "--data", hub.data, "--json"]).json ?? [:]
                if report["unsequenced"] as? Int == 0, report["messagesWithoutEvent"] as? Int == 0, (report["kinds"] as? [String: Int])?["backfilled"] == 1 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            return report
        }
        server = try await HubEndToEndTests.Server(["--checkpoint-interval", "1"], keepLog: true, data: data)
        try await server.waitUntilReady()
        let report = try await settled(server)
        let kinds = report["kinds"] as? [String: Int] ?? [:]
        #expect(report["messagesWithoutEvent"] as? Int == 0 && (report["problems"] as? [String])?.isEmpty == true && kinds["backfilled"] == 1
                && kinds["accepted"] ?? 0 >= 3 && kinds["acknowledged"] ?? 0 >= 1, "\(report)")
        // The bundle of a backfilled message says what its event proves.
        let bundle = dir + "/evidence.zip"
        var checkedBundle = false
        for _ in 0..<100 where !checkedBundle {
            _ = try await FailClosedTests.run("curl", ["-sf", "--cacert", FailClosedTests.demo + "/trust/root-ca.pem", "-H", "Authorization: Bearer \(token)", "-o", bundle,
                                                 "https://127.0.0.1:\(server.port)/v1/messages/\(ids[0])/evidence"])
            let checked = try await TrucRun.run(["evidence", "verify", bundle, "--json"])
            if checked.exitCode == 0, (checked.json?["pending"] as? [String])?.isEmpty == true {
                #expect((checked.json?["proves"] as? [String] ?? []).contains { $0.contains("a backfilled event: it proves the hub held the message when the log began") },
                        "\(checked.stdout)")
                checkedBundle = true
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(checkedBundle, "no bundle with every event under a checkpoint within 10 s")
        // Once only: a restart writes nothing more.
        #expect(await server.stop(keepData: true) == 0)
        let events = try await TrucRun.run(["log", "verify", "--data", data, "--json"]).json?["events"] as? Int
        server = try await HubEndToEndTests.Server(["--checkpoint-interval", "1"], keepLog: true, data: data)
        try await server.waitUntilReady()
        try await Task.sleep(for: .seconds(2))
        #expect(await server.stop(keepData: true) == 0)
        let after = try await TrucRun.run(["log", "verify", "--data", data, "--json"]).json ?? [:]
        #expect(after["events"] as? Int == events && (after["kinds"] as? [String: Int])?["backfilled"] == 1, "\(after)")
    }

    static func get(_ server: HubEndToEndTests.Server, _ path: String, token: String) async throws -> TrucRun {
        try await FailClosedTests.run("curl", ["-sf", "--cacert", FailClosedTests.demo + "/trust/root-ca.pem", "-H", "Authorization: Bearer \(token)",
                                         "https://127.0.0.1:\(server.port)" + path])
    }

    @Test("signed checkpoints: the note verifies with an independent Ed25519 and C2SP reading; a message's inclusion proof and the consistency proof between two checkpoints verify with RFC 9162 written in Python; truc log verify's root is the checkpoint's")
    func checkpoints() async throws {
        let server = try await HubEndToEndTests.Server(["--checkpoint-interval", "1"], keepLog: true)
        defer { server.discard() }
        try await server.waitUntilReady()
        let token = try await server.senderToken()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("truc-checkpoint-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func send() async throws -> String {
            let sent = try await server.sendDistinct(token: token, in: dir)
            return try #require(sent.json?["id"] as? String, "\(sent.stdout)\(sent.stderr)")
        }
        /// Waits (bounded) for a checkpoint covering at least `size` leaves; its note.
        func checkpoint(atLeast size: Int) async throws -> String {
            for _ in 0..<150 {
                let note = try await Self.get(server, "/v1/log/checkpoint", token: token)
                if note.exitCode == 0, let line = note.stdout.split(separator: "\n").dropFirst().first, let n = Int(line), n >= size { return note.stdout }
                try await Task.sleep(for: .milliseconds(100))
            }
            Issue.record("no checkpoint of \(size) leaves within 15 s")
            return ""
        }
        let key = try await Self.get(server, "/v1/log/key", token: token).stdout
        #expect(key.hasPrefix("truc-log/"), "\(key)")
        try key.write(toFile: dir + "/key", atomically: true, encoding: .utf8)
        let first = try await send()
        let oldNote = try await checkpoint(atLeast: 1)
        try oldNote.write(toFile: dir + "/old.note", atomically: true, encoding: .utf8)
        let oldSize = Int(oldNote.split(separator: "\n")[1]) ?? 0
        _ = try await send()
        let note = try await checkpoint(atLeast: oldSize + 1)
        try note.write(toFile: dir + "/note", atomically: true, encoding: .utf8)
        let inclusion = try await Self.get(server, "/v1/log/proof/inclusion?message=\(first)", token: token)
        try inclusion.stdout.write(toFile: dir + "/inclusion.json", atomically: true, encoding: .utf8)
        let newSize = Int(note.split(separator: "\n")[1]) ?? 0
        let consistency = try await Self.get(server, "/v1/log/proof/consistency?first=\(oldSize)&second=\(newSize)", token: token)
        try consistency.stdout.write(toFile: dir + "/consistency.json", atomically: true, encoding: .utf8)
        let check = try await TrucRun.run(executable: URL(fileURLWithPath: "/usr/bin/env"), [
            "python3", CLIFixtures.path("log/checkpoint_check.py"), dir + "/key", dir + "/note", "--inclusion", dir + "/inclusion.json",
            "--consistency", dir + "/old.note", dir + "/consistency.json"])
        #expect(check.exitCode == 0 && check.stdout.hasPrefix("ok \(newSize) "), "\(check.stdout)\(check.stderr)\n\(inclusion.stdout)\n\(consistency.stdout)")
        // A changed note does not verify.
        try note.replacingOccurrences(of: "\n\(newSize)\n", with: "\n\(newSize + 1)\n").write(toFile: dir + "/forged", atomically: true, encoding: .utf8)
        #expect(try await TrucRun.run(executable: URL(fileURLWithPath: "/usr/bin/env"), ["python3", CLIFixtures.path("log/checkpoint_check.py"), dir + "/key", dir + "/forged"]).exitCode == 1)
        // Another agency may not ask for that message's proof; nobody without a credential for anything.
        #expect(try await TrucRun.run(["agencies", "add", "000.00.00.H30", "--name", "UBND Tỉnh Lạng Sơn", "--data", server.data]).exitCode == 0)
        let other = try await TrucRun.run(["agencies", "token", "000.00.00.H30", "--data", server.data]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try await Self.get(server, "/v1/log/proof/inclusion?message=\(first)", token: other).exitCode != 0)
        #expect(try await Self.get(server, "/v1/log/proof/inclusion?index=0", token: token).exitCode != 0, "a leaf by index is for the operator")
        // The entries: an agency sees those that name it, and only those.
        func entries(_ token: String) async throws -> [String] {
            let page = try await Self.get(server, "/v1/log/entries?start=0&count=1000", token: token)
            let json = try JSONSerialization.jsonObject(with: Data(page.stdout.utf8)) as? [String: Any]
            return (json?["entries"] as? [[String: Any]] ?? []).compactMap { $0["entry"] as? String }
        }
        let mine = try await entries(token), theirs = try await entries(other)
        #expect(mine.contains { $0.contains("\"message\":\"\(first)\"") && $0.contains("\"kind\":\"accepted\"") } && mine.allSatisfy { $0.contains("000.00.00.G22") }, "\(mine)")
        #expect(!theirs.contains { $0.contains(first) } && theirs.allSatisfy { $0.contains("000.00.00.H30") }, "\(theirs)")
        // Offline, the store's tree has the checkpoint's root at its size once nothing more was added.
        #expect(await server.stop(keepData: true) == 0)
        defer { try? FileManager.default.removeItem(atPath: server.data) }
        let verified = try await TrucRun.run(["log", "verify", "--data", server.data, "--json"])
        #expect(verified.exitCode == 0 && (verified.json?["checkpoints"] as? Int ?? 0) >= 2, "\(verified.stdout)")
        // Every checkpoint is checked, not only the latest: the first one's root changed is named.
        let copy = dir + "/changed-checkpoint"
        try FileManager.default.copyItem(atPath: server.data, toPath: copy)
        try await Self.sql(copy + "/truc.sqlite", "UPDATE log_checkpoints SET root = zeroblob(32) WHERE size = \(oldSize)")
        let changed = try await TrucRun.run(["log", "verify", "--data", copy])
        #expect(changed.exitCode == 1 && changed.stdout.contains("checkpoint \(oldSize): its note does not verify with the log's key, or says another tree"),
                "\(changed.stdout)")
    }

    @Test("truc log monitor pins the key, follows the log as it grows, and exits 1 when the hub's store is rolled back to an earlier backup and goes on from there (a fork)")
    func monitorDetectsRollback() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("truc-monitor-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var server = try await HubEndToEndTests.Server(["--checkpoint-interval", "1"], keepLog: true)
        defer { server.discard() }
        try await server.waitUntilReady()
        let token = try await server.senderToken(), data = server.data
        defer { try? FileManager.default.removeItem(atPath: data) }
        func send(_ hub: HubEndToEndTests.Server) async throws {
            let sent = try await hub.sendDistinct(token: token, in: dir)
            #expect(sent.exitCode == 0, "\(sent.stdout)\(sent.stderr)")
        }
        /// Waits (bounded) until the hub's latest checkpoint covers every event it holds, then runs the monitor.
        func monitor(_ hub: HubEndToEndTests.Server) async throws -> TrucRun {
            for _ in 0..<150 {
                let note = try await Self.get(hub, "/v1/log/checkpoint", token: token)
                let verify = try await TrucRun.run(["log", "verify", "--data", hub.data, "--json"])
                if note.exitCode == 0, let size = note.stdout.split(separator: "\n").dropFirst().first.flatMap({ Int($0) }),
                   verify.json?["unsequenced"] as? Int == 0, verify.json?["events"] as? Int == size { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            return try await TrucRun.run(["log", "monitor", "--hub", "https://127.0.0.1:\(hub.port)", "--ca", FailClosedTests.demo + "/trust/root-ca.pem",
                                    "--token", token, "--state", dir + "/state.json"])
        }
        try await send(server)
        let first = try await monitor(server)
        #expect(first.exitCode == 0 && first.stdout.contains("first seen; key pinned"), "\(first.stdout)\(first.stderr)")
        #expect(await server.stop(keepData: true) == 0)
        // A backup of the store as it is now.
        try FileManager.default.copyItem(atPath: data, toPath: dir + "/backup")
        server = try await HubEndToEndTests.Server(["--checkpoint-interval", "1"], keepLog: true, data: data)
        try await server.waitUntilReady()
        try await send(server)
        try await send(server)
        let grown = try await monitor(server)
        #expect(grown.exitCode == 0 && grown.stdout.contains(" extends "), "\(grown.stdout)\(grown.stderr)")
        #expect(await server.stop(keepData: true) == 0)
        // The store rolled back to the backup, and the hub goes on from there: another history.
        try FileManager.default.removeItem(atPath: data)
        try FileManager.default.moveItem(atPath: dir + "/backup", toPath: data)
        server = try await HubEndToEndTests.Server(["--checkpoint-interval", "1"], keepLog: true, data: data)
        try await server.waitUntilReady()
        for _ in 0..<3 { try await send(server) }
        let forked = try await monitor(server)
        #expect(forked.exitCode == 1 && (forked.stderr + forked.stdout).contains("log-inconsistent"), "\(forked.stdout)\(forked.stderr)")
        // A damaged state is refused, not taken for a first run (which would pin whatever key the hub serves now).
        try "{not json".write(toFile: dir + "/state.json", atomically: true, encoding: .utf8)
        let damaged = try await TrucRun.run(["log", "monitor", "--hub", "https://127.0.0.1:\(server.port)", "--ca", FailClosedTests.demo + "/trust/root-ca.pem",
                                       "--token", token, "--state", dir + "/state.json"])
        #expect(damaged.exitCode == 2 && damaged.stderr.contains("state-unreadable"), "\(damaged.stdout)\(damaged.stderr)")
        #expect(await server.stop(keepData: true) == 0)
    }
}

import Foundation
import Testing
import TrucTestSupport

/// `truc migrate`: a hub that ran on SQLite (documents with payloads in the database and in segments, a
/// status, a refusal, an acknowledgement, a token, a client system) copied into PostgreSQL, verified, and
/// served from there by a node that answers as the old hub did.
@Suite("truc migrate --from-sqlite", .timeLimit(.minutes(30)))
struct MigrateTests {
    static func certificate(_ agency: String) -> [String] { PostgresNodesTests.certificate(agency) }

    /// An empty database, a folder holding `truc bench generate`'s messages (a 1 MiB document, a 5 KB status),
    /// and a SQLite hub that is ready.
    static func setUp() async throws -> (url: String, work: String, old: HubEndToEndTests.Server) {
        let url = try await PostgresCluster.require().makeDatabase()
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("truc-migrate-\(UUID().uuidString)").path
        #expect(try await TrucRun.run(["bench", "generate", "--out", work, "--document-mib", "1"]).exitCode == 0)
        let old = try await HubEndToEndTests.Server()
        try await old.waitUntilReady()
        return (url, work, old)
    }

    @Test("a SQLite hub's store copied into PostgreSQL, verified, and served by a node on it", .enabled { await PostgresCluster.available })
    func migrateAndServe() async throws {
        // 1. A hub on SQLite with some history.
        let (url, work, old) = try await Self.setUp()
        defer { try? FileManager.default.removeItem(atPath: work) }
        defer { old.discard() }
        let hub = "https://127.0.0.1:\(old.port)"
        let data = ["--data", old.data]
        let token = try await TrucRun.run(["agencies", "token", "000.00.00.G22"] + data).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let large = try await TrucRun.run(["send", work + "/document-1m.edxml", "--hub", hub, "--token", token])
        let largeId = try #require(large.json?["id"] as? String, "\(large.stdout)\(large.stderr)")
        let status = try await TrucRun.run(["send", work + "/status-5k.edxml", "--hub", hub] + Self.certificate("000.00.00.H41"))
        let statusId = try #require(status.json?["id"] as? String, "\(status.stdout)\(status.stderr)")
        let signed = try await TrucRun.run(["send", CLIFixtures.path("signatures/pki/ltv/pdf-lt-dss.edxml"), "--hub", hub, "--token", token])
        #expect(signed.exitCode <= 1, "\(signed.stdout)\(signed.stderr)")
        #expect(try await TrucRun.run(["send", CLIFixtures.path("signatures/pdf-tampered.edxml"), "--hub", hub, "--token", token]).exitCode == 1)
        #expect(try await TrucRun.run(["ack", statusId, "--hub", hub] + Self.certificate("000.00.00.G22")).exitCode <= 1)
        #expect(try await TrucRun.run(["systems", "add", "00.22.W00", "--agency", "000.00.00.H41"] + data).exitCode == 0)
        let statsBefore = try await TrucRun.run(["stats", "--from", "2026-01-01", "--to", "2027-12-31"] + data)
        let logBefore = try await TrucRun.run(["log", "verify", "--json"] + data).json ?? [:]
        #expect(statsBefore.exitCode == 0, "\(statsBefore.stdout)\(statsBefore.stderr)")
        #expect(await old.stop(keepData: true) == 0)
        defer { try? FileManager.default.removeItem(atPath: old.data) }

        // 2. The copy, verified.
        let migrated = try await TrucRun.run(["migrate", "--from-sqlite", old.data, "--to", url, "--batch", "2"])
        #expect(migrated.exitCode == 0, "\(migrated.stdout)\(migrated.stderr)")
        #expect(migrated.stdout.contains("match"), "\(migrated.stdout)")
        // The indexes dropped for the copy are all back: the same as a new database's.
        let empty = try await PostgresCluster.require().makeDatabase()
        #expect(try await TrucRun.run(["agencies", "list", "--database", empty] + data).exitCode == 0)
        func indexes(_ url: String) async throws -> String {
            try await Program.run(URL(fileURLWithPath: "/usr/bin/psql"), [url, "-tAc", "SELECT string_agg(indexdef, ';' ORDER BY indexname) FROM pg_indexes WHERE schemaname = 'public'"]).stdout
        }
        let migratedIndexes = try await indexes(url), newIndexes = try await indexes(empty)
        #expect(migratedIndexes == newIndexes && !migratedIndexes.isEmpty)
        // Into a database that holds a hub: refused, nothing touched.
        let again = try await TrucRun.run(["migrate", "--from-sqlite", old.data, "--to", url])
        #expect(again.exitCode == 2 && again.stderr.contains("destination-not-empty"), "\(again.stdout)\(again.stderr)")

        // 3. A node on PostgreSQL serves what the old hub held: the same token, the same bytes, the same figures.
        let node = try await HubEndToEndTests.Server(["--database", url, "--node", "after-migration"], data: old.data)
        defer { node.process.kill() }
        try await node.waitUntilReady()
        let newHub = "https://127.0.0.1:\(node.port)"
        let inbox = try await TrucRun.run(["inbox", "--hub", newHub] + Self.certificate("000.00.00.H41"))
        let listed = (inbox.json?["items"] as? [[String: Any]] ?? []).compactMap { $0["messageId"] as? String }
        #expect(listed.contains(largeId), "\(inbox.stdout)\(inbox.stderr)")
        let out = work + "/fetched.edxml"
        #expect(try await TrucRun.run(["fetch", largeId, "--hub", newHub, "-o", out] + Self.certificate("000.00.00.H41")).exitCode == 0)
        #expect(FileManager.default.contents(atPath: out) == FileManager.default.contents(atPath: work + "/document-1m.edxml"), "the exact bytes")
        let statusAfter = try await TrucRun.run(["send", work + "/status-5k.edxml", "--hub", newHub] + Self.certificate("000.00.00.H41"))
        #expect(statusAfter.json?["id"] as? String == statusId, "the status is a duplicate: \(statusAfter.stdout)\(statusAfter.stderr)")
        let statsAfter = try await TrucRun.run(["stats", "--from", "2026-01-01", "--to", "2027-12-31", "--database", url] + data)
        #expect(statsAfter.stdout == statsBefore.stdout, "the same figures:\n\(statsBefore.stdout)\n\(statsAfter.stdout)")
        let systems = try await TrucRun.run(["systems", "list", "--database", url] + data)
        #expect(systems.stdout.contains("00.22.W00"), "\(systems.stdout)\(systems.stderr)")
        // A new document after the migration: the sequences moved past the copied keys.
        // (the token issued on the old hub works on the new one)
        let another = try String(contentsOfFile: work + "/document-1m.edxml", encoding: .utf8).replacingOccurrences(of: "7816/VPCP", with: "7817/VPCP")
        try another.write(toFile: work + "/another.edxml", atomically: true, encoding: .utf8)
        let fresh = try await TrucRun.run(["send", work + "/another.edxml", "--hub", newHub, "--token", token])
        let freshId = try #require(fresh.json?["id"] as? String, "\(fresh.stdout)\(fresh.stderr)")
        let seen = try await TrucRun.run(["inbox", "--hub", newHub] + Self.certificate("000.00.00.H41"))
        let seenIds = (seen.json?["items"] as? [[String: Any]] ?? []).compactMap { $0["messageId"] as? String }
        #expect(seenIds.contains(freshId), "\(seen.stdout)")
        #expect(await node.stop(keepData: true) == 0)
        // The evidence log came along: the same leaves (the old checkpoint's tree is a prefix of the new one), the
        // new document's event after them, and the store agrees with it.
        let logAfter = try await TrucRun.run(["log", "verify", "--json", "--database", url] + data)
        #expect(logAfter.exitCode == 0 && (logAfter.json?["problems"] as? [String])?.isEmpty == true
                && (logAfter.json?["events"] as? Int ?? 0) + (logAfter.json?["unsequenced"] as? Int ?? 0) > (logBefore["events"] as? Int ?? Int.max), "\(logBefore)\n\(logAfter.stdout)\(logAfter.stderr)")
    }

    @Test("a damaged payload stops the copy and leaves the database empty", .enabled { await PostgresCluster.available })
    func damagedSource() async throws {
        let (url, work, old) = try await Self.setUp()
        defer { try? FileManager.default.removeItem(atPath: work) }
        defer { old.discard() }
        let token = try await TrucRun.run(["agencies", "token", "000.00.00.G22", "--data", old.data]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try await TrucRun.run(["send", work + "/document-1m.edxml", "--hub", "https://127.0.0.1:\(old.port)", "--token", token]).exitCode == 0)
        #expect(await old.stop(keepData: true) == 0)
        defer { try? FileManager.default.removeItem(atPath: old.data) }
        // One byte of the segment flipped (the payload the message's SHA-256 was recorded for).
        let segment = try #require(try FileManager.default.contentsOfDirectory(atPath: old.data + "/payloads").first { $0.hasSuffix(".seg") })
        let handle = try #require(FileHandle(forUpdatingAtPath: old.data + "/payloads/" + segment))
        try handle.seek(toOffset: 1000)
        let byte = try #require(try handle.read(upToCount: 1)?.first)
        try handle.seek(toOffset: 1000)
        try handle.write(contentsOf: [byte ^ 0x01])
        try handle.close()

        let migrated = try await TrucRun.run(["migrate", "--from-sqlite", old.data, "--to", url])
        #expect(migrated.exitCode == 1 && migrated.stderr.contains("source-damaged"), "\(migrated.stdout)\(migrated.stderr)")
        let agencies = try await TrucRun.run(["agencies", "list", "--json", "--database", url, "--data", old.data])
        #expect(agencies.stdout.filter { !$0.isWhitespace } == "[]", "rolled back: \(agencies.stdout)\(agencies.stderr)")
        // Unknown options and a missing store are usage errors.
        let missing = try await TrucRun.run(["migrate", "--from-sqlite", work + "/nothing", "--to", url])
        #expect(missing.exitCode == 2 && missing.stderr.contains("no-store"), "\(missing.stdout)\(missing.stderr)")
    }
}

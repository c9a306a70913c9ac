import Foundation
import Testing
import TrucCore
import TrucTestSupport
@testable import TrucStore
@testable import TrucSQLiteStore
@testable import TrucVocabulary

@Suite("Hub store", .timeLimit(.minutes(30)))
struct SQLiteStoreTests {
    func withStore(_ body: (SQLiteStore, String) async throws -> Void) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("truc-store-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try SQLiteStore(dataDirectory: dir)
        for code in ["000.00.00.G22", "000.00.00.H41"] { try await store.upsert(Agency(code: code, name: code)) }
        try await body(store, dir)
    }

    func message(_ id: String, key: String, targets: [String: String] = [:]) -> IncomingMessage {
        IncomingMessage(id: id, kind: "edoc", sender: "000.00.00.G22", documentId: "d-\(key)", idempotencyKey: key, receivedAt: 1_000,
                        sha256: "00", recipients: ["000.00.00.H41"], targets: targets, verdictJSON: "{}", bucket: "unsigned",
                        businessType: 0, statusCode: nil, answersDocumentId: nil, answerJSON: "{\"id\":\"\(id)\"}")
    }

    @Test("accept writes the payload durably, once; the same key is a duplicate with the first answer")
    func acceptAndDuplicate() async throws {
        try await withStore { store, dir in
            #expect(try await store.accept(message("m1", key: "k"), payload: Array("<x/>".utf8)) == .accepted)
            #expect(try await store.accept(message("m2", key: "k"), payload: Array("<y/>".utf8)) == .duplicate("{\"id\":\"m1\"}"))
            let stored = try #require(try await store.message("m1"))
            #expect(try await store.payload(of: stored.id, at: stored.payloadPath) == Array("<x/>".utf8))
            #expect(try await store.message("m2") == nil)
            #expect(!FileManager.default.fileExists(atPath: dir + "/payloads/m2.edxml"))
            #expect(try await store.inbox(for: "000.00.00.H41", kind: nil, after: 0, limit: 10).map(\.messageId) == ["m1"])
        }
    }

    @Test("the answer is kept without a second copy of its verdict and comes back byte for byte; a store of schema 25 (payloads in the WITHOUT ROWID table) upgrades with every payload")
    func compactAnswerAndUpgrade() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("truc-store-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let verdict = #"{"bucket":"organisation","signatures":[{"signer":"Nguyễn Văn A","status":"valid"}]}"#
        var signed = message("m1", key: "k1")
        signed.verdictJSON = verdict
        signed.answerJSON = #"{"id":"m1","signature":"# + verdict + #","tail":"\u0001 is escaped in JSON"}"#
        let payloads: [String: [UInt8]] = ["m1": Array(repeating: 0x41, count: 1_700), "m2": Array(repeating: 0x42, count: 40_000)]
        do {
            let store = try SQLiteStore(dataDirectory: dir)
            #expect(try await store.accept(signed, payload: payloads["m1"]!) == .accepted)
            #expect(try await store.accept(message("m2", key: "k2"), payload: payloads["m2"]!) == .accepted)
            var again = signed
            again.id = "m3"
            #expect(try await store.accept(again, payload: payloads["m1"]!) == .duplicate(signed.answerJSON))
        }
        let stored = try await Self.sqlite(dir, "SELECT length(answer) FROM messages WHERE id = 'm1'")
        #expect(Int(stored.trimmingCharacters(in: .whitespacesAndNewlines)) == signed.answerJSON.utf8.count - verdict.utf8.count + 1, "\(stored)")
        // Back to schema 25: the inline payloads in payload_blobs (WITHOUT ROWID), as a hub of that version left them.
        _ = try await Self.sqlite(dir, """
            CREATE TABLE payload_blobs(message_id TEXT PRIMARY KEY, bytes BLOB NOT NULL) WITHOUT ROWID;
            INSERT INTO payload_blobs SELECT message_id, bytes FROM payloads; DROP TABLE payloads; PRAGMA user_version = 25;
            """)
        let store = try SQLiteStore(dataDirectory: dir)
        for (id, bytes) in payloads {
            let message = try #require(try await store.message(id))
            #expect(try await store.payload(of: id, at: message.payloadPath) == bytes)
        }
        #expect(try await Self.sqlite(dir, "PRAGMA user_version").hasPrefix("\(Migrations.steps.count)"))
        #expect(try await Self.sqlite(dir, "SELECT count(*) FROM sqlite_master WHERE name = 'payload_blobs'").hasPrefix("0"))
    }

    /// Runs SQL on a store's database with Python's sqlite3 (another program, as an operator's tool would be).
    static func sqlite(_ dir: String, _ sql: String) async throws -> String {
        let result = try await Program.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", """
            import sqlite3, sys
            c = sqlite3.connect(sys.argv[1]); c.isolation_level = None
            out = [r for s in [sys.argv[2]] for r in (c.executescript(s).fetchall() if ';' in s.strip()[:-1] else c.execute(s).fetchall())]
            print('\\n'.join('|'.join(str(v) for v in r) for r in out))
            """, dir + "/truc.sqlite", sql], timeLimit: 60)
        try #require(result.exitCode == 0, "sqlite3: \(result.stderr)")
        return result.stdout
    }

    @Test("group commit: concurrent accepts are each recorded once; a duplicate within a batch is a duplicate")
    func groupCommit() async throws {
        try await withStore { store, _ in
            let outcomes = try await withThrowingTaskGroup(of: (Int, AcceptOutcome).self) { group in
                for i in 0..<60 {
                    // 0–49 distinct; 50–59 repeat the keys of 0–9.
                    let key = "k\(i % 50)"
                    group.addTask { (i, try await store.accept(message("m\(i)", key: key), payload: Array("<m\(i)/>".utf8))) }
                }
                var all: [Int: AcceptOutcome] = [:]
                for try await (i, outcome) in group { all[i] = outcome }
                return all
            }
            #expect(outcomes.values.filter { $0 == .accepted }.count == 50)
            #expect(outcomes.values.filter { if case .duplicate = $0 { true } else { false } }.count == 10)
            #expect(try await store.inbox(for: "000.00.00.H41", kind: nil, after: 0, limit: 100).count == 50)
            for (i, outcome) in outcomes where outcome == .accepted {
                let stored = try #require(try await store.message("m\(i)"))
                #expect(try await store.payload(of: stored.id, at: stored.payloadPath) == Array("<m\(i)/>".utf8))
            }
        }
    }

    @Test("a payload above the inline limit is appended to a segment file; smaller ones live in the database")
    func largePayloadSegment() async throws {
        try await withStore { store, dir in
            let big = [UInt8](repeating: 0x41, count: SQLiteStore.inlineLimit + 1)
            #expect(try await store.accept(message("big", key: "big"), payload: big) == .accepted)
            #expect(try await store.accept(message("small", key: "small"), payload: [0x42]) == .accepted)
            let stored = try #require(try await store.message("big"))
            #expect(stored.payloadPath == "segment:00000001.seg:0:\(big.count)")
            #expect(try await store.payload(of: "big", at: stored.payloadPath) == big)
            // The bytes sit in the segment file where the location says.
            let segment = try [UInt8](Data(contentsOf: URL(fileURLWithPath: dir + "/payloads/00000001.seg")))
            #expect(segment == big)
            #expect(try await store.message("small")?.payloadPath == SQLiteStore.inlineMarker)
            #expect(try await store.payload(of: "small", at: SQLiteStore.inlineMarker) == [0x42])
        }
    }

    @Test("concurrent large payloads share segments; after a restart new ones go after the old, which still read back")
    func segmentsAcrossRestart() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("truc-segments-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func payload(_ i: Int) -> [UInt8] { [UInt8](repeating: UInt8(i), count: SQLiteStore.inlineLimit + 1000 * i) }
        do {
            let store = try SQLiteStore(dataDirectory: dir)
            try await store.upsert(Agency(code: "000.00.00.H41", name: "Nghệ An"))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 1...12 {
                    group.addTask { _ = try await store.accept(message("m\(i)", key: "k\(i)"), payload: payload(i)) }
                }
                try await group.waitForAll()
            }
        }
        let store = try SQLiteStore(dataDirectory: dir)
        #expect(try await store.accept(message("m13", key: "k13"), payload: payload(13)) == .accepted)
        var offsets = Set<String>()
        for i in 1...13 {
            let stored = try #require(try await store.message("m\(i)"))
            #expect(stored.payloadPath.hasPrefix("segment:00000001.seg:"))
            offsets.insert(String(stored.payloadPath.split(separator: ":")[2]))
            #expect(try await store.payload(of: stored.id, at: stored.payloadPath) == payload(i))
        }
        #expect(offsets.count == 13)
        let size = try FileManager.default.attributesOfItem(atPath: dir + "/payloads/00000001.seg")[.size] as? Int
        #expect(size == (1...13).map { payload($0).count }.reduce(0, +))
    }

    @Test("a payload stored as a file of its own (before segments) still reads back")
    func legacyPayloadFile() async throws {
        try await withStore { store, dir in
            let path = dir + "/payloads/old.edxml"
            try Data("<edXML/>".utf8).write(to: URL(fileURLWithPath: path))
            #expect(try await store.payload(of: "old", at: path) == Array("<edXML/>".utf8))
            await #expect(throws: (any Error).self) { try await store.payload(of: "gone", at: dir + "/payloads/gone.edxml") }
        }
    }

    @Test("segments roll over at their limit while appends run concurrently; every payload reads back")
    func segmentRollover() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("truc-roll-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let segments = try PayloadSegments(directory: dir, segmentLimit: 50_000)
        let locations = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for i in 0..<40 {
                group.addTask { (i, try await SQLiteStore.blockingIO { try segments.append([UInt8](repeating: UInt8(i), count: 7_000 + i)) }) }
            }
            var all: [Int: String] = [:]
            for try await (i, location) in group { all[i] = location }
            return all
        }
        for (i, location) in locations {
            #expect(try PayloadSegments.read(location, directory: dir) == [UInt8](repeating: UInt8(i), count: 7_000 + i))
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".seg") }.sorted()
        #expect(files.count >= 6)
        for file in files {
            let size = try FileManager.default.attributesOfItem(atPath: dir + "/" + file)[.size] as? Int ?? 0
            #expect(size <= 50_000)
        }
        #expect(throws: PayloadSegments.Failure.self) { try PayloadSegments.read("segment:../x.seg:0:1", directory: dir) }
    }

    @Test("tokens are stored hashed and resolve to their agency")
    func tokens() async throws {
        try await withStore { store, dir in
            let token = try await store.issueToken(for: "000.00.00.H41")
            #expect(try await store.agency(forToken: token)?.code == "000.00.00.H41")
            #expect(try await store.agency(forToken: token + "x") == nil)
            let db = try String(contentsOfFile: dir + "/truc.sqlite", encoding: .isoLatin1)
            #expect(!db.contains(token))
        }
    }

    @Test("push deliveries: claim, retry, dead, requeue; a crash mid-attempt is recovered")
    func deliveryLifecycle() async throws {
        try await withStore { store, _ in
            _ = try await store.accept(message("m1", key: "k1", targets: ["000.00.00.H41": "https://h41.example/in"]), payload: Array("<x/>".utf8))
            var due = try await store.claimDue(now: 2_000, limit: 10)
            #expect(due.map(\.target) == ["https://h41.example/in"])
            #expect(try await store.claimDue(now: 2_000, limit: 10).isEmpty) // claimed: sending
            try await store.recoverInFlight()                                  // a restart
            due = try await store.claimDue(now: Int64(Date().timeIntervalSince1970), limit: 10)
            #expect(due.count == 1)
            try await store.recordAttempt(due[0].id, delivered: false, how: "push", reason: "HTTP 503", retryAt: 5_000)
            #expect(try await store.claimDue(now: 4_999, limit: 10).isEmpty)
            due = try await store.claimDue(now: 5_000, limit: 10)
            try await store.recordAttempt(due[0].id, delivered: false, how: "push", reason: "HTTP 503", retryAt: nil)
            #expect(try await store.deliveries(state: .dead).map(\.attempts) == [2]) // the attempt cut by the crash is not counted
            #expect(try await store.requeue(messageId: "m1", recipient: "000.00.00.H41"))
            #expect(try await store.requeue(messageId: "m1", recipient: "000.00.00.H41") == false) // no longer dead
            due = try await store.claimDue(now: Int64(Date().timeIntervalSince1970), limit: 10)
            try await store.recordAttempt(due[0].id, delivered: true, how: "push", reason: nil, retryAt: nil)
            #expect(try await store.trace("m1").first?.state == "delivered")
        }
    }

    @Test("acknowledging is idempotent and only for the recipient")
    func acknowledge() async throws {
        try await withStore { store, _ in
            _ = try await store.accept(message("m1", key: "k1"), payload: Array("<x/>".utf8))
            #expect(try await store.acknowledge("m1", by: "000.00.00.G22", outcome: .done, reason: nil) == nil)
            #expect(try await store.acknowledge("m1", by: "000.00.00.H41", outcome: .done, reason: nil) == .delivered)
            #expect(try await store.acknowledge("m1", by: "000.00.00.H41", outcome: .fail, reason: "late") == .delivered)
            #expect(try await store.inbox(for: "000.00.00.H41", kind: nil, after: 0, limit: 10).isEmpty)
        }
    }

    @Test("the schema is migrated once; reopening keeps the data")
    func reopen() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("truc-store-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            let store = try SQLiteStore(dataDirectory: dir)
            try await store.upsert(Agency(code: "000.00.00.G22", name: "Văn phòng Chính phủ"))
        }
        let again = try SQLiteStore(dataDirectory: dir)
        #expect(try await again.agency("000.00.00.G22")?.name == "Văn phòng Chính phủ")
    }

    @Test("the same key with other bytes is a conflict naming the accepted message; nothing is stored")
    func conflict() async throws {
        try await withStore { store, _ in
            var original = message("m1", key: "k")
            original.sha256 = "aa"
            let accepted = try await store.accept(original, payload: Array("<x/>".utf8))
            #expect(accepted == .accepted)
            var other = message("m2", key: "k")
            other.sha256 = "bb"
            let refused = try await store.accept(other, payload: Array("<y/>".utf8))
            #expect(refused == .conflict(messageId: "m1", sha256: "aa"))
            other.differentBytesAreDuplicates = true
            let relayed = try await store.accept(other, payload: Array("<y/>".utf8))
            #expect(relayed == .duplicate("{\"id\":\"m1\"}"))
            let stored = try await store.message("m2")
            #expect(stored == nil)
        }
    }

    @Test("refusal records: filtered by sender and code, counted, pruned after the retention")
    func refusals() async throws {
        try await withStore { store, _ in
            func refusal(_ at: Int64, _ sender: String?, _ code: String, caller: String = "000.00.00.G22") -> Refusal {
                Refusal(at: at, caller: caller, sender: sender, documentId: "d", kind: "edoc", code: code, reasons: ["why"], sha256: "00", size: 1)
            }
            try await store.recordRefusal(refusal(1_000, "000.00.00.G22", "invalid-signature"))
            try await store.recordRefusal(refusal(2_000, "000.00.00.G22", "invalid-message"))
            try await store.recordRefusal(refusal(3_000, nil, "malformed-xml", caller: "000.00.00.H41"))
            #expect(try await store.refusals(agency: "000.00.00.G22", code: nil, from: 0, to: 10_000, limit: 10).map(\.code) == ["invalid-message", "invalid-signature"])
            #expect(try await store.refusals(agency: "000.00.00.H41", code: nil, from: 0, to: 10_000, limit: 10).map(\.code) == ["malformed-xml"])
            #expect(try await store.refusals(agency: nil, code: "invalid-message", from: 0, to: 10_000, limit: 10).count == 1)
            #expect(try await store.refusals(agency: nil, code: nil, from: 1_500, to: 10_000, limit: 10).count == 2)
            let counts = try await store.refusalCounts(from: 0, to: 10_000)
            #expect(counts.total == 3 && counts.byCode["invalid-signature"] == 1 && counts.bySender.first?.sender == "000.00.00.G22")
            #expect(try await store.pruneRefusals(before: 2_500) == 2)
            #expect(try await store.refusals(agency: nil, code: nil, from: 0, to: 10_000, limit: 10).map(\.code) == ["malformed-xml"])
        }
    }

    @Test("a refused document counts once; accepted later, it moves to its accepted bucket on the day of its first arrival")
    func distinctDocuments() async throws {
        try await withStore { store, _ in
            let firstDay: Int64 = 1_764_550_800, later = firstDay + 3 * 86_400 // 2025-12-01 and 2025-12-04, Vietnam
            for _ in 0..<3 {
                _ = try await store.countRefused(key: "k", sender: "000.00.00.G22", recipients: ["000.00.00.H41"], businessType: 0, at: firstDay)
            }
            func counts(_ day: Int64) async throws -> [String: Int] {
                let d = CivilCalendar.vietnamDay(day)
                return Dictionary(try await store.signedCounts(from: d, to: d, senders: nil, businessTypes: [], recipient: nil, grouping: .day)
                    .map { ($0.bucket, $0.count) }, uniquingKeysWith: +)
            }
            #expect(try await counts(firstDay) == ["invalid": 1])
            var accepted = message("m1", key: "k")
            accepted.receivedAt = later
            accepted.bucket = "both"
            #expect(try await store.accept(accepted, payload: Array("<x/>".utf8)) == .accepted)
            #expect(try await counts(firstDay).filter { $0.value != 0 } == ["both": 1])
            #expect(try await counts(later).filter { $0.value != 0 }.isEmpty)
            // The pair counters (documents sent to one recipient) moved too.
            let d = CivilCalendar.vietnamDay(firstDay)
            let pairs = try await store.signedCounts(from: d, to: d, senders: nil, businessTypes: [], recipient: "000.00.00.H41", grouping: .day)
            #expect(Dictionary(pairs.map { ($0.bucket, $0.count) }, uniquingKeysWith: +).filter { $0.value != 0 } == ["both": 1])
        }
    }
}

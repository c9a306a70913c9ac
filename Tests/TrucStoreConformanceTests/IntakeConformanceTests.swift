import Foundation
import Testing
import TrucCore
import TrucCrypto
import TrucPostgres
import TrucStore
import TrucTestSupport

@Suite("Store conformance: intake, on SQLite and PostgreSQL", .timeLimit(.minutes(30)))
struct IntakeConformanceTests {
    static func message(_ id: String, key: String, bytes: [UInt8], recipients: [String] = ["000.00.00.H41", "000.00.00.H14"],
                        targets: [String: String] = [:]) -> IncomingMessage {
        var message = IncomingMessage(id: id, kind: "edoc", sender: "000.00.00.G22", documentId: "000.00.00.G22,2026/12/01,\(key)/VPCP",
                                      idempotencyKey: key, receivedAt: 1_796_000_000, sha256: Digest.sha256(bytes).hexString,
                                      recipients: recipients, targets: targets, verdictJSON: #"{"signatures":[]}"#, bucket: "organisation",
                                      businessType: 0, statusCode: nil, answersDocumentId: nil, answerJSON: #"{"id":"\#(id)"}"#)
        message.signers = [Signer(kind: "organisation", certificate: "CN=CA/01")]
        return message
    }

    static func bytes(_ count: Int, seed: UInt8) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) } }

    @Test("a message is stored with its exact bytes and its deliveries; found by id and DocumentId", arguments: await StoreKind.runnable)
    func accept(kind: StoreKind) async throws {
        let s = try await StoreUnderTest.make(kind)
        defer { Task { await s.close() } }
        let store = s.store
        for size in [0, 1, 70_000, (3 << 20) + 17] {
            let bytes = Self.bytes(size, seed: UInt8(size % 251))
            let id = "msg-\(size)"
            let message = Self.message(id, key: "key-\(size)", bytes: bytes, targets: ["000.00.00.H14": "https://h14.example/inbox"])
            #expect(try await store.accept(message, payload: bytes) == .accepted)
            let stored = try #require(try await store.message(id))
            #expect(stored.size == size && stored.sha256 == message.sha256 && stored.sender == "000.00.00.G22" && stored.bucket == "organisation")
            let read = try await store.payload(of: id, at: stored.payloadPath)
            #expect(read == bytes, "payload of \(size) bytes read back with \(read.count) bytes")
            #expect(try await store.recipients(of: id) == ["000.00.00.H41", "000.00.00.H14"])
        }
        #expect(try await store.message("nobody") == nil)
        #expect(try await store.findMessages("msg-0").map(\.id) == ["msg-0"])
        #expect(try await store.findMessages("000.00.00.G22,2026/12/01,key-1/VPCP").map(\.id) == ["msg-1"])
    }

    @Test("the same key again: the same bytes are a duplicate with the first answer, other bytes a conflict", arguments: await StoreKind.runnable)
    func idempotency(kind: StoreKind) async throws {
        let s = try await StoreUnderTest.make(kind)
        defer { Task { await s.close() } }
        let store = s.store
        let bytes = Self.bytes(1000, seed: 1)
        let first = Self.message("first", key: "k", bytes: bytes)
        #expect(try await store.accept(first, payload: bytes) == .accepted)
        var again = Self.message("again", key: "k", bytes: bytes)
        again.answerJSON = #"{"id":"again"}"#
        #expect(try await store.accept(again, payload: bytes) == .duplicate(#"{"id":"first"}"#))
        let other = Self.bytes(1000, seed: 2)
        #expect(try await store.accept(Self.message("other", key: "k", bytes: other), payload: other)
                == .conflict(messageId: "first", sha256: first.sha256))
        #expect(try await store.message("again") == nil)
        #expect(try await store.message("other") == nil)
    }

    @Test("the same document at the same moment on two nodes is stored once; the others answer as duplicates", arguments: await StoreKind.runnable)
    func race(kind: StoreKind) async throws {
        let s = try await StoreUnderTest.make(kind)
        defer { Task { await s.close() } }
        let first = s.store, second = try await s.secondNode()
        let bytes = Self.bytes(200_000, seed: 7)
        let outcomes = try await withThrowingTaskGroup(of: AcceptOutcome.self) { group in
            for i in 0..<12 {
                let node = i % 2 == 0 ? first : second
                group.addTask { try await node.accept(Self.message("race-\(i)", key: "race", bytes: bytes), payload: bytes) }
            }
            return try await group.reduce(into: [AcceptOutcome]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 == .accepted }.count == 1, "\(outcomes)")
        #expect(outcomes.allSatisfy { if case .duplicate = $0 { true } else { $0 == .accepted } }, "\(outcomes)")
        let stored = try await first.findMessages("000.00.00.G22,2026/12/01,race/VPCP")
        #expect(stored.count == 1)
        if let id = stored.first?.id, let message = try await second.message(id) {
            #expect(try await second.payload(of: id, at: message.payloadPath) == bytes)
        }
        if let node = second as? PostgresStore, kind == .postgres { await node.shutdown() }
    }
}

extension IntakeConformanceTests {
    /// A status message (a small intake: on PostgreSQL, concurrent ones share statements).
    static func status(_ id: String, key: String, bytes: [UInt8], targets: [String: String] = [:]) -> IncomingMessage {
        var message = message(id, key: key, bytes: bytes, recipients: ["000.00.00.G22"], targets: targets)
        message.kind = "status"
        message.statusCode = "03"
        message.answersDocumentId = "000.00.00.G22,2026/12/01,\(key)/VPCP"
        message.signers = []
        return message
    }

    @Test("many status messages at once on two nodes: each stored once with its bytes and delivery; duplicates and conflicts answered as alone",
          arguments: await StoreKind.runnable)
    func concurrentSmallIntakes(kind: StoreKind) async throws {
        let s = try await StoreUnderTest.make(kind)
        defer { Task { await s.close() } }
        let first = s.store, second = try await s.secondNode()
        // 80 distinct keys; 20 of them sent a second time with the same bytes and 10 a third time with other bytes,
        // all at once on either node (every fifth one pushed).
        var sends: [(IncomingMessage, [UInt8])] = []
        for i in 0..<80 {
            let bytes = Array("status \(i) ".utf8) + Self.bytes(100 + i * 37, seed: UInt8(i))
            let targets = i % 5 == 0 ? ["000.00.00.G22": "https://g22.example/inbox"] : [:]
            sends.append((Self.status("st-\(i)", key: "st-\(i)", bytes: bytes, targets: targets), bytes))
            if i < 20 { sends.append((Self.status("st-\(i)-again", key: "st-\(i)", bytes: bytes, targets: targets), bytes)) }
            if i < 10 {
                let other = bytes + [0xFF]
                var conflicting = Self.status("st-\(i)-other", key: "st-\(i)", bytes: other, targets: targets)
                conflicting.sha256 = Digest.sha256(other).hexString
                sends.append((conflicting, other))
            }
        }
        let outcomes = try await withThrowingTaskGroup(of: (String, AcceptOutcome).self) { group in
            for (i, (message, bytes)) in sends.shuffled().enumerated() {
                let node = i % 2 == 0 ? first : second
                group.addTask { (message.idempotencyKey, try await node.accept(message, payload: bytes)) }
            }
            return try await group.reduce(into: [String: [AcceptOutcome]]()) { $0[$1.0, default: []].append($1.1) }
        }
        #expect(outcomes.count == 80)
        for (key, answers) in outcomes {
            #expect(answers.filter { $0 == .accepted }.count == 1, "\(key): \(answers)")
        }
        let duplicates = outcomes.values.flatMap { $0 }.filter { if case .duplicate = $0 { true } else { false } }.count
        let conflicts = outcomes.values.flatMap { $0 }.filter { if case .conflict = $0 { true } else { false } }.count
        // The first of a key to arrive wins: the conflicting copy may be the one accepted, the others then conflict.
        #expect(duplicates + conflicts == 30, "duplicates \(duplicates), conflicts \(conflicts)")
        #expect(conflicts >= 10 && conflicts <= 30)
        // Every accepted message is there once, with its exact bytes and one delivery to G22.
        let inbox = try await second.inbox(for: "000.00.00.G22", kind: "status", after: 0, limit: 1000)
        #expect(inbox.count == 80 - 80 / 5, "pulled ones in the inbox: \(inbox.count)")
        for i in [0, 1, 19, 42, 79] {
            let found = try await first.findMessages("000.00.00.G22,2026/12/01,st-\(i)/VPCP")
            #expect(found.count == 1 && found.first?.kind == "status", "st-\(i): \(found.map(\.id))")
        }
        let due = try await first.claimDue(now: Int64(Date().timeIntervalSince1970) + 2_000_000_000, limit: 100)
        #expect(due.count == 80 / 5 && Set(due.map(\.messageId)).count == 80 / 5, "each pushed status queued once: \(due.count)")
        for delivery in due.prefix(5) {
            let message = try #require(try await second.message(delivery.messageId))
            let payload = try await second.payload(of: delivery.messageId, at: message.payloadPath)
            #expect(Digest.sha256(payload).hexString == message.sha256, "stored bytes match their digest")
        }
        if let node = second as? PostgresStore, kind == .postgres { await node.shutdown() }
    }
}

@Suite("Store conformance: the validation data kept with each message, on SQLite and PostgreSQL", .timeLimit(.minutes(30)))
struct EvidenceConformanceTests {
    static func object(_ kind: String, _ size: Int, seed: UInt8) -> EvidenceRecord {
        let der = IntakeConformanceTests.bytes(size, seed: seed)
        return EvidenceRecord(sha256: Digest.sha256(der).hexString, kind: kind, der: der)
    }

    @Test("each object is kept once however many messages use it, with its exact bytes; each message finds its own; a trust snapshot once; a duplicate adds nothing; a status keeps its own",
          arguments: await StoreKind.runnable)
    func keptOnce(kind: StoreKind) async throws {
        let s = try await StoreUnderTest.make(kind)
        defer { Task { await s.close() } }
        let store = s.store
        // A CA's CRL of 2 MiB shared by every message; each message its own signer certificate.
        let crl = Self.object("crl", 2 << 20, seed: 7), root = Self.object("certificate", 900, seed: 1)
        let snapshot = TrustSnapshotRecord(id: "sha256:" + String(repeating: "5a", count: 32), contents: Array(#"{"anchors":[]}"#.utf8))
        var signers: [EvidenceRecord] = []
        for i in 0..<3 {
            let signer = Self.object("certificate", 1_200 + i, seed: UInt8(20 + i))
            signers.append(signer)
            var message = IntakeConformanceTests.message("ev-\(i)", key: "ev\(i)", bytes: IntakeConformanceTests.bytes(500 + i, seed: UInt8(i)))
            message.evidence = [signer, root, crl]
            message.trustSnapshot = snapshot
            #expect(try await store.accept(message, payload: IntakeConformanceTests.bytes(500 + i, seed: UInt8(i))) == .accepted)
        }
        let totals = try await store.evidenceTotals()
        #expect(totals == EvidenceTotals(objects: 5, bytes: Int64(crl.der.count + root.der.count + signers.map(\.der.count).reduce(0, +)),
                                         links: 9, snapshots: 1), "\(totals)")
        let kept = try await store.validationObjects(of: "ev-1")
        #expect(kept == [signers[1], root, crl].sorted { $0.sha256 < $1.sha256 }, "exact bytes, in SHA-256 order")
        #expect(try await store.trustSnapshot(snapshot.id) == snapshot)
        #expect(try await store.trustSnapshot("sha256:none") == nil)
        #expect(try await store.validationObjects(of: "no-such-message").isEmpty)

        // The same message again: a duplicate writes nothing (no link either).
        var again = IntakeConformanceTests.message("ev-dup", key: "ev0", bytes: IntakeConformanceTests.bytes(500, seed: 0))
        again.evidence = [Self.object("ocsp", 300, seed: 99)]
        if case .duplicate = try await store.accept(again, payload: IntakeConformanceTests.bytes(500, seed: 0)) {} else { Issue.record("not a duplicate") }
        #expect(try await store.evidenceTotals() == totals)

        // A signed status message keeps its validation data too.
        var status = IncomingMessage(id: "ev-st", kind: "status", sender: "000.00.00.H41", documentId: "000.00.00.G22,2026/12/01,ev0/VPCP",
                                     idempotencyKey: "evst", receivedAt: 1_796_000_100, sha256: Digest.sha256([1, 2, 3]).hexString,
                                     recipients: ["000.00.00.G22"], verdictJSON: #"{"signatures":[]}"#, bucket: "organisation",
                                     businessType: nil, statusCode: "03", answersDocumentId: "000.00.00.G22,2026/12/01,ev0/VPCP", answerJSON: "{}")
        status.evidence = [root, Self.object("ocsp", 300, seed: 98)]
        #expect(try await store.accept(status, payload: [1, 2, 3]) == .accepted)
        #expect(try await store.validationObjects(of: "ev-st").map(\.kind).sorted() == ["certificate", "ocsp"])
        #expect(try await store.evidenceTotals().objects == 6)
    }
}

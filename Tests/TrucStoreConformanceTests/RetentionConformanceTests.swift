import Foundation
import Testing
import TrucCore
import TrucCrypto
import TrucLog
import TrucStore

@Suite("Store conformance: payload retention (candidates, archives in sequence, purge), on SQLite and PostgreSQL", .timeLimit(.minutes(30)))
struct RetentionConformanceTests {
    static func archive(_ sequence: Int64, messages: Int64 = 1) -> ArchiveRecord {
        ArchiveRecord(sequence: sequence, name: "truc-archive-\(sequence)", manifestSHA256: String(repeating: "\(sequence % 10)", count: 64),
                      messages: messages, bytes: 1_000 * sequence, createdAt: 1_796_100_000 + sequence)
    }

    @Test("only final messages are candidates (receipts never); archives are recorded in sequence with their event; a purge frees the payload and keeps the record",
          arguments: await StoreKind.runnable)
    func purge(kind: StoreKind) async throws {
        let s = try await StoreUnderTest.make(kind)
        defer { Task { await s.close() } }
        let store = s.store
        // Small (in the database), large (a segment on SQLite), and one still waiting for a recipient.
        let small = IntakeConformanceTests.bytes(2_000, seed: 1), large = IntakeConformanceTests.bytes(300_000, seed: 2)
        let pendingBytes = IntakeConformanceTests.bytes(500, seed: 3)
        for (id, bytes) in [("small", small), ("large", large), ("pending", pendingBytes)] {
            #expect(try await store.accept(IntakeConformanceTests.message(id, key: id, bytes: bytes, recipients: ["000.00.00.H41"]), payload: bytes) == .accepted)
        }
        var receipt = IntakeConformanceTests.message("receipt-1", key: "receipt-1", bytes: [1, 2, 3], recipients: ["000.00.00.G22"])
        receipt.kind = "receipt"
        #expect(try await store.accept(receipt, payload: [1, 2, 3]) == .accepted)
        // Nothing is final yet.
        var candidates = try await store.purgeCandidates(receivedBefore: Int64.max, after: nil, limit: 100)
        #expect(Set(candidates.map(\.id)) == ["small", "large", "pending"], "receipts are kept: never candidates")
        #expect(candidates.allSatisfy { $0.finalAt == nil && $0.recipients == ["000.00.00.H41"] && $0.sender == "000.00.00.G22" })
        for id in ["small", "large"] { #expect(try await store.acknowledge(id, by: "000.00.00.H41", outcome: .done, reason: nil) == .delivered) }
        candidates = try await store.purgeCandidates(receivedBefore: Int64.max, after: nil, limit: 100)
        #expect(candidates.filter { $0.finalAt != nil }.map(\.id).sorted() == ["large", "small"])
        #expect(try await store.purgeCandidates(receivedBefore: 1_796_000_000, after: nil, limit: 100).isEmpty, "received before the bound only")
        let page = try await store.purgeCandidates(receivedBefore: Int64.max, after: nil, limit: 1)
        #expect(try await store.purgeCandidates(receivedBefore: Int64.max, after: (page[0].receivedAt, page[0].id), limit: 100).count == 2, "pages follow the cursor")

        // A purge needs a recorded archive; archives come in sequence, once.
        await #expect(throws: (any Error).self) { _ = try await store.purgePayloads(["small"], archive: 1) }
        await #expect(throws: (any Error).self) { try await store.recordArchive(Self.archive(2)) }
        try await store.recordArchive(Self.archive(1, messages: 3))
        await #expect(throws: (any Error).self) { try await store.recordArchive(Self.archive(1)) }
        #expect(try await store.lastArchive() == Self.archive(1, messages: 3))
        let result = try await store.purgePayloads(["small", "large", "pending", "receipt-1"], archive: 1)
        #expect(result.purged.sorted() == ["large", "small"], "a message not final, and a receipt, are never purged")
        #expect(result.bytes == Int64(small.count + large.count))
        #expect(try await store.purgePayloads(["small"], archive: 1).purged.isEmpty, "purged once")
        for id in ["small", "large"] {
            let message = try #require(try await store.message(id))
            #expect(message.purged?.archive == 1 && message.sha256 == Digest.sha256(id == "small" ? small : large).hexString && message.size > 0)
            await #expect(throws: (any Error).self) { _ = try await store.payload(of: id, at: message.payloadPath) }
            #expect(try await store.trace(id).first?.state == "delivered", "the trace is kept")
        }
        let pending = try #require(try await store.message("pending"))
        #expect(try await store.payload(of: "pending", at: pending.payloadPath) == pendingBytes)
        #expect(try await store.purgeCandidates(receivedBefore: Int64.max, after: nil, limit: 100).map(\.id) == ["pending"])
        let totals = try await store.purgeTotals()
        #expect(totals == PurgeTotals(messages: 2, bytes: Int64(small.count + large.count), archives: 1, archivedBytes: 1_000))
        let volume = try await store.storedVolume(receivedSince: 0)
        #expect(volume.first { $0.purged }?.messages == 2 && volume.first { $0.purged }?.payloadBytes == 0, "\(volume)")
        // The archive is an event of the log, in the transaction that recorded it.
        let archived = try await store.logEntries(from: 0, count: 100).compactMap { LogEvent.parse($0.entry) }.filter { $0.kind == "archived" }
        let unsequenced = try await store.unsequencedLogEvents()
        #expect(archived.count == 1 || unsequenced > 0)
        _ = try await store.sequenceLog(limit: 1_000)
        let events = try await store.logEntries(from: 0, count: 100).compactMap { LogEvent.parse($0.entry) }.filter { $0.kind == "archived" }
        #expect(events.count == 1 && events.first?.integer("sequence") == 1 && events.first?.string("manifest") == Self.archive(1).manifestSHA256)
        #expect(try await store.archives(after: 0, limit: 10).map(\.sequence) == [1])

        // A dead delivery of a purged message is not requeued (its bytes are gone).
        let deadBytes = IntakeConformanceTests.bytes(100, seed: 9)
        #expect(try await store.accept(IntakeConformanceTests.message("dead", key: "dead", bytes: deadBytes, recipients: ["000.00.00.H41"],
                                                                       targets: ["000.00.00.H41": "https://h41.example/inbox"]), payload: deadBytes) == .accepted)
        let due = try await store.claimDue(now: Int64(Date().timeIntervalSince1970) + 10, limit: 10)
        let delivery = try #require(due.first { $0.messageId == "dead" })
        try await store.recordAttempt(delivery.id, delivered: false, how: "push", reason: "HTTP 410", retryAt: nil)
        try await store.recordArchive(Self.archive(2))
        #expect(try await store.purgePayloads(["dead"], archive: 2).purged == ["dead"], "a dead delivery is final")
        #expect(try await !store.requeue(messageId: "dead", recipient: "000.00.00.H41"))
        #expect(try await store.requeueAll(recipient: "000.00.00.H41") == 0)

        if kind == .sqlite {
            // The large payload's range was punched out of its segment.
            let segments = try FileManager.default.contentsOfDirectory(atPath: s.directory + "/payloads").filter { $0.hasSuffix(".seg") }
            var blocks = 0
            for segment in segments {
                var info = stat()
                #expect(stat(s.directory + "/payloads/" + segment, &info) == 0)
                blocks += Int(info.st_blocks) * 512
            }
            #expect(blocks < 64 << 10, "the purged payload's \(large.count) bytes no longer take space (\(blocks) bytes allocated)")
        }
    }
}

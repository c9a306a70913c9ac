import Foundation
import Testing
import TrucCore
import TrucLog
import TrucCrypto
import TrucPostgres
import TrucStore
import TrucTestSupport

@Suite("Store conformance: inbox and traces, on SQLite and PostgreSQL", .timeLimit(.minutes(30)))
struct InboxConformanceTests {
    @Test("the recipient's inbox, acknowledgements, progress and the sender's trace", arguments: await StoreKind.runnable)
    func inbox(kind: StoreKind) async throws {
        let s = try await StoreUnderTest.make(kind)
        defer { Task { await s.close() } }
        let store = s.store
        let doc = [UInt8]("document".utf8), status = [UInt8]("status".utf8)
        var document = IntakeConformanceTests.message("doc-1", key: "d1", bytes: doc)
        document.receivedAt = 1_796_000_000
        #expect(try await store.accept(document, payload: doc) == .accepted)
        var later = IntakeConformanceTests.message("doc-2", key: "d2", bytes: doc + [1], recipients: ["000.00.00.H41"])
        later.receivedAt = 1_796_000_100
        #expect(try await store.accept(later, payload: doc + [1]) == .accepted)
        var answer = IncomingMessage(id: "st-1", kind: "status", sender: "000.00.00.H41", documentId: document.documentId, idempotencyKey: "s1",
                                     receivedAt: 1_796_000_200, sha256: Digest.sha256(status).hexString, recipients: ["000.00.00.G22"],
                                     verdictJSON: "{}", bucket: "unsigned", businessType: nil, statusCode: "03",
                                     answersDocumentId: document.documentId, answerJSON: "{}")
        answer.signers = []
        #expect(try await store.accept(answer, payload: status) == .accepted)

        let waiting = try await store.inbox(for: "000.00.00.H41", kind: nil, after: 0, limit: 10, includeReceipts: true)
        #expect(waiting.map(\.messageId) == ["doc-1", "doc-2"] && waiting.allSatisfy { $0.recipient == "000.00.00.H41" })
        #expect(waiting.first?.size == doc.count && waiting.first?.sha256 == document.sha256 && waiting.first?.bucket == "organisation")
        let afterFirst = try await store.inbox(for: "000.00.00.H41", kind: "edoc", after: waiting[0].cursor, limit: 10, includeReceipts: true)
        #expect(afterFirst.map(\.messageId) == ["doc-2"])
        #expect(try await store.inbox(for: "000.00.00.H41", kind: "status", after: 0, limit: 10, includeReceipts: true).isEmpty)
        let statuses = try await store.inbox(for: "000.00.00.G22", kind: "status", after: 0, limit: 10, includeReceipts: true)
        #expect(statuses.map(\.messageId) == ["st-1"] && statuses.first?.statusCode == "03")
        #expect(try await store.inbox(for: "000.00.00.H41", kind: nil, after: 0, limit: 1, includeReceipts: false).count == 1)

        #expect(try await store.markProgress("doc-1", by: "000.00.00.H41", progress: "processing"))
        #expect(try await store.acknowledge("doc-1", by: "000.00.00.H41", outcome: .done, reason: nil) == .delivered)
        #expect(try await store.acknowledge("doc-1", by: "000.00.00.H41", outcome: .fail, reason: "late") == .delivered, "the first outcome stays")
        #expect(try await !store.markProgress("doc-1", by: "000.00.00.H41", progress: "processing"))
        #expect(try await store.acknowledge("doc-1", by: "000.00.00.X99", outcome: .done, reason: nil) == nil)
        #expect(try await store.acknowledge("doc-2", by: "000.00.00.H41", outcome: .fail, reason: "not ours") == .failed)
        #expect(try await store.inbox(for: "000.00.00.H41", kind: nil, after: 0, limit: 10, includeReceipts: true).isEmpty)

        let trace = try await store.trace("doc-1")
        #expect(trace.map(\.recipient) == ["000.00.00.H41", "000.00.00.H14"])
        #expect(trace.first?.state == "delivered" && trace.first?.how == "pull" && trace.first?.deliveredAt != nil && trace.first?.progress == "processing")
        #expect(trace.last?.state == "awaiting-pull")
        #expect(try await store.trace("doc-2").first?.reason == "not ours")
        #expect(try await store.recentSent(by: ["000.00.00.G22"], limit: 5) == ["doc-2", "doc-1"])
        #expect(try await store.recentSent(by: [], limit: 5).isEmpty)
        let documentId = try #require(document.documentId)
        // Statuses that merely name the DocumentId text: from an agency that never received it, and from a
        // recipient to someone other than the document's sender. Neither is linked.
        for (id, from, to) in [("st-stranger", "000.00.00.X99", "000.00.00.G22"), ("st-elsewhere", "000.00.00.H41", "000.00.00.X99")] {
            var other = answer
            (other.id, other.sender, other.recipients, other.idempotencyKey) = (id, from, [to], id)
            #expect(try await store.accept(other, payload: status) == .accepted)
        }
        let answered = try await store.statuses(answering: documentId, of: "doc-1", sender: "000.00.00.G22")
        #expect(answered.map(\.messageId) == ["st-1"] && answered.first?.statusCode == "03" && answered.first?.sender == "000.00.00.H41")
        // X99's own document with the same DocumentId text, sent to H41: only H41's status to X99 is its.
        var stranger = IntakeConformanceTests.message("doc-x", key: "dx", bytes: doc + [2], recipients: ["000.00.00.H41"])
        (stranger.sender, stranger.documentId) = ("000.00.00.X99", documentId)
        #expect(try await store.accept(stranger, payload: doc + [2]) == .accepted)
        #expect(try await store.statuses(answering: documentId, of: "doc-x", sender: "000.00.00.X99").map(\.messageId) == ["st-elsewhere"],
                "another agency reusing the DocumentId text sees none of G22's")
        #expect(try await store.originals(documentId, sender: "000.00.00.G22").map(\.messageId) == ["doc-1"])
        #expect(try await store.originals(documentId, sender: "000.00.00.X99").map(\.messageId) == ["doc-x"])
        let parties = try await store.originalParties(documentId, senders: ["000.00.00.G22", "000.00.00.X99"])
        #expect(parties.map(\.sender) == ["000.00.00.G22", "000.00.00.X99"] && parties.first?.recipients.sorted() == ["000.00.00.H14", "000.00.00.H41"]
                && parties.last?.recipients == ["000.00.00.H41"])
        #expect(try await store.documentsActingOn(documentId, sender: "000.00.00.G22").isEmpty)
        #expect(try await store.receipts(for: "doc-1").isEmpty)
    }

    @Test("acknowledgements of one delivery at once, from two nodes, done and failed mixed: one outcome wins and every answer says it",
          arguments: await StoreKind.runnable)
    func concurrentAcknowledgements(kind: StoreKind) async throws {
        let s = try await StoreUnderTest.make(kind)
        defer { Task { await s.close() } }
        let a = s.store, b = try await s.secondNode()
        let bytes = [UInt8]("document".utf8)
        for n in 0..<5 {
            let message = IntakeConformanceTests.message("ack-\(n)", key: "ack-\(n)", bytes: bytes, recipients: ["000.00.00.H41"])
            #expect(try await a.accept(message, payload: bytes) == .accepted)
            let answers = try await withThrowingTaskGroup(of: DeliveryState?.self) { group in
                for i in 0..<20 {
                    let node = i.isMultiple(of: 2) ? a : b
                    group.addTask {
                        try await node.acknowledge("ack-\(n)", by: "000.00.00.H41", outcome: i % 3 == 0 ? .fail : .done, reason: i % 3 == 0 ? "no" : nil)
                    }
                }
                return try await group.reduce(into: [DeliveryState?]()) { $0.append($1) }
            }
            let final = try #require(try await a.trace("ack-\(n)").first)
            #expect(final.state == "delivered" || final.state == "failed")
            #expect(answers.count == 20 && answers.allSatisfy { $0?.rawValue == final.state }, "\(answers) vs \(final.state)")
            #expect((final.state == "failed") == (final.reason == "no"), "the reason belongs to the winning outcome")
            // One `acknowledged` event, the winner's, in the transaction that recorded it.
            let events = try await a.logEvents(ofMessage: "ack-\(n)").compactMap { LogEvent.parse($0.entry) }.filter { $0.kind == "acknowledged" }
            #expect(events.count == 1 && events.first?.string("outcome") == (final.state == "failed" ? "fail" : "done")
                    && events.first?.string("recipient") == "000.00.00.H41", "\(events)")
        }
        await (b as? PostgresStore)?.shutdown() // the second node (SQLite: the same store, closed by the test)
    }
}

@Suite("Store conformance: deliveries follow an agency between pull and push, on SQLite and PostgreSQL", .timeLimit(.minutes(30)))
struct RetargetConformanceTests {
    @Test("switched to push, waiting deliveries are queued for the endpoint; switched back, they wait in the inbox; a late failure does not undo it",
          arguments: await StoreKind.runnable)
    func retarget(kind: StoreKind) async throws {
        let s = try await StoreUnderTest.make(kind)
        defer { Task { await s.close() } }
        let store = s.store
        try await store.upsert(Agency(code: "000.00.00.H41", name: "UBND Tỉnh Nghệ An"))
        let doc = [UInt8]("document".utf8)
        #expect(try await store.accept(IntakeConformanceTests.message("doc-1", key: "d1", bytes: doc, recipients: ["000.00.00.H41"]), payload: doc) == .accepted)
        func state() async throws -> QueuedDelivery? { try await store.deliveries(state: nil, limit: 10).first { $0.recipient == "000.00.00.H41" } }
        #expect(try await state()?.state == "awaiting-pull")
        try await store.upsert(Agency(code: "000.00.00.H41", name: "UBND Tỉnh Nghệ An", pushURL: "https://h41.example/inbox"))
        let pushed = try await state()
        #expect(pushed?.state == "queued" && pushed?.target == "https://h41.example/inbox")
        // Claimed and being sent when the agency goes back to pull: it waits in the inbox, and the attempt's late
        // failure does not put it back in the push queue.
        let claimed = try await store.claimDue(now: Int64(Date().timeIntervalSince1970) + 10, limit: 10)
        #expect(claimed.map(\.messageId) == ["doc-1"])
        try await store.upsert(Agency(code: "000.00.00.H41", name: "UBND Tỉnh Nghệ An"))
        let pulled = try await state()
        #expect(pulled?.state == "awaiting-pull" && pulled?.target == nil)
        try await store.recordAttempt(claimed[0].id, delivered: false, how: "push", reason: "connection refused", retryAt: 1)
        #expect(try await state()?.state == "awaiting-pull")
        #expect(try await store.inbox(for: "000.00.00.H41", kind: nil, after: 0, limit: 10, includeReceipts: false).map(\.messageId) == ["doc-1"])
        // A rename alone changes nothing.
        try await store.upsert(Agency(code: "000.00.00.H41", name: "Ủy ban nhân dân tỉnh Nghệ An"))
        #expect(try await state()?.state == "awaiting-pull")
    }
}

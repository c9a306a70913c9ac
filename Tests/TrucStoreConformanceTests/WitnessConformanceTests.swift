import Foundation
import Testing
import TrucCore
import TrucStore
import TrucTestSupport

@Suite("Store conformance: checkpoints' time-stamps, cosignatures, witnessed logs, forks, sessions, the store's clock", .timeLimit(.minutes(30)))
struct WitnessConformanceTests {
    @Test("a checkpoint is time-stamped once; a witness's first cosignature stays; a witnessed log advances only from where it is", arguments: await StoreKind.runnable)
    func witnesses(kind: StoreKind) async throws {
        let s = try await StoreUnderTest.make(kind)
        defer { Task { await s.close() } }
        let store = s.store
        for size in [Int64(3), 7, 12] {
            try await store.saveCheckpoint(StoredCheckpoint(size: size, root: [UInt8](repeating: UInt8(size), count: 32), note: "note \(size)", at: 1_000 + size))
        }
        // Saved again with other contents: the first stays.
        try await store.saveCheckpoint(StoredCheckpoint(size: 7, root: [1], note: "other", at: 5))
        #expect(try await store.checkpoint(size: 7)?.note == "note 7")
        #expect(try await store.checkpoint(size: nil)?.size == 12)
        #expect(try await store.checkpoints(after: 3, limit: 10).map(\.size) == [7, 12])
        #expect(try await store.checkpointsAwaitingTimeStamp(limit: 10).map(\.size) == [12, 7, 3], "newest first")
        try await store.saveCheckpointTimeStamp(size: 7, token: [0x30, 1], time: 2_000)
        try await store.saveCheckpointTimeStamp(size: 7, token: [0x30, 2], time: 3_000)
        try await store.saveCheckpointTimeStamp(size: 99, token: [0x30, 3], time: 3_000)
        let stamped = try #require(try await store.checkpoint(size: 7))
        #expect(stamped.timeStampToken == [0x30, 1] && stamped.timeStampTime == 2_000, "the first token stays")
        #expect(try await store.checkpointsAwaitingTimeStamp(limit: 1).map(\.size) == [12])
        #expect(try await store.checkpoint(size: 99) == nil)

        try await store.saveCosignature(size: 7, witness: "w2", line: "— w2 first")
        try await store.saveCosignature(size: 7, witness: "w1", line: "— w1")
        try await store.saveCosignature(size: 7, witness: "w2", line: "— w2 again")
        try await store.saveCosignature(size: 12, witness: "w1", line: "— w1 12")
        let lines = try await store.cosignatures(size: 7)
        #expect(lines.map(\.witness) == ["w1", "w2"] && lines.map(\.line) == ["— w1", "— w2 first"])
        #expect(try await store.lastCosigned(by: "w1") == 12)
        #expect(try await store.lastCosigned(by: "w3") == nil)

        let first = WitnessedCheckpoint(size: 5, root: [5], note: "n5", at: 10), second = WitnessedCheckpoint(size: 9, root: [9], note: "n9", at: 20)
        #expect(try await store.witnessed("hub-b") == nil)
        #expect(try await store.advanceWitnessed("hub-b", from: nil, to: first))
        #expect(try await !store.advanceWitnessed("hub-b", from: nil, to: second), "only the first record is made from nothing")
        #expect(try await !store.advanceWitnessed("hub-b", from: 4, to: second), "not from a size it is not at")
        #expect(try await store.advanceWitnessed("hub-b", from: 5, to: second))
        #expect(try await store.witnessed("hub-b") == second)

        for (n, shown) in ["a", "b", "a"].enumerated() {
            try await store.recordFork(WitnessFork(origin: "hub-b", at: Int64(100 + n), detail: "fork \(n)", known: "k", shown: shown))
        }
        #expect(try await store.forkCount() == 2, "once per checkpoint shown")
        #expect(try await store.forks(limit: 10).map(\.shown) == ["b", "a"], "newest first")
        #expect(try await store.forks(limit: 1).count == 1)
    }

    @Test("sessions end one by one or all at once; messages are listed by when they arrived", arguments: await StoreKind.runnable)
    func sessionsAndArrivals(kind: StoreKind) async throws {
        let s = try await StoreUnderTest.make(kind)
        defer { Task { await s.close() } }
        let store = s.store
        let now = Int64(Date().timeIntervalSince1970)
        for id in ["s1", "s2", "s3"] { try await store.createSession(idHash: id, csrf: "csrf-\(id)", expires: now + 3600) }
        #expect(try await store.sessionCSRF(idHash: "s2", now: now) == "csrf-s2")
        try await store.endSession(idHash: "s2")
        #expect(try await store.sessionCSRF(idHash: "s2", now: now) == nil)
        #expect(try await store.endAllSessions() == 2)
        #expect(try await store.sessionCSRF(idHash: "s1", now: now) == nil)

        for (i, at) in [Int64(500), 300, 300, 900].enumerated() {
            var message = IntakeConformanceTests.message("m\(i)", key: "m\(i)", bytes: [UInt8(i)], recipients: ["000.00.00.H41"])
            message.receivedAt = at
            #expect(try await store.accept(message, payload: [UInt8(i)]) == .accepted)
        }
        let all = try await store.messagesReceived(from: 300, to: 900, after: nil, limit: 10)
        #expect(all.map(\.id) == ["m1", "m2", "m0"], "received in [300, 900), by time then id")
        let page = try await store.messagesReceived(from: 0, to: 1_000, after: (300, "m1"), limit: 2)
        #expect(page.map(\.id) == ["m2", "m0"])
    }

    @Test("the store writes its own clock's time: a delivery's failed attempt and its requeue, a session's creation", arguments: await StoreKind.runnable)
    func storeClock(kind: StoreKind) async throws {
        let start: Double = 1_900_000_000 // 2030: after the messages' arrival, far from the machine's time (a store that reads the system's clock shows)
        let time = ManualClock(start: start)
        let s = try await StoreUnderTest.make(kind, clock: time.clock)
        defer { Task { await s.close() } }
        let store = s.store
        let id = try #require(try await QueueConformanceTests.pushed(1, to: store, prefix: "clock").first)
        let claimed = try await store.claimDue(now: Int64(start) + 1, limit: 10)
        #expect(claimed.map(\.messageId) == [id])
        time.advance(10)
        try await store.recordAttempt(try #require(claimed.first).id, delivered: false, how: "push", reason: "gone", retryAt: nil)
        #expect(try await store.trace(id).first?.updatedAt == Int64(start) + 10, "the failed attempt at the store's time")
        time.advance(10)
        #expect(try await store.requeue(messageId: id, recipient: "000.00.00.H41"))
        let queued = try await store.deliveries(state: .queued, limit: 10).first { $0.messageId == id }
        #expect(queued?.nextAttemptAt == Int64(start) + 20, "queued again at the store's time")
        #expect(try await store.claimDue(now: Int64(start) + 19, limit: 10).isEmpty, "not before")
        #expect(try await store.claimDue(now: Int64(start) + 20, limit: 10).map(\.messageId) == [id])
        try await store.createSession(idHash: "clocked", csrf: "c", expires: Int64(start) + 3_600)
        #expect(try await store.sessionCSRF(idHash: "clocked", now: Int64(start) + 30, idleSeconds: 600) == "c",
                "created at the store's time: not idle for years")
    }
}

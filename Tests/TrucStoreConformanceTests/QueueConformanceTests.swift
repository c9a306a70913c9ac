import Foundation
import Logging
import Testing
import TrucCore
import TrucLog
import TrucCrypto
import TrucPostgres
import TrucStore
import TrucTestSupport
@testable import TrucConcurrency

@Suite("Store conformance: the delivery queue, on SQLite and PostgreSQL; leases between PostgreSQL nodes", .timeLimit(.minutes(30)))
struct QueueConformanceTests {
    static func pushed(_ count: Int, to store: any MessageStoreRoles, prefix: String = "p") async throws -> [String] {
        var ids: [String] = []
        for i in 0..<count {
            let bytes = [UInt8]("push \(prefix) \(i)".utf8)
            let message = IntakeConformanceTests.message("\(prefix)-\(i)", key: "\(prefix)-\(i)", bytes: bytes, recipients: ["000.00.00.H41"],
                                                          targets: ["000.00.00.H41": "https://h41.example/inbox"])
            #expect(try await store.accept(message, payload: bytes) == .accepted)
            ids.append(message.id)
        }
        return ids
    }

    @Test("claimed once; retried when due; dead, requeued; paused and resumed; delivered", arguments: await StoreKind.runnable)
    func queue(kind: StoreKind) async throws {
        let s = try await StoreUnderTest.make(kind)
        defer { Task { await s.close() } }
        let store = s.store
        _ = try await Self.pushed(1, to: store)
        // (requeue and resume act at the real time: the test's clock starts there)
        let now = Int64(Date().timeIntervalSince1970) + 10
        let due = try await store.claimDue(now: now, limit: 10)
        #expect(due.count == 1 && due.first?.target == "https://h41.example/inbox" && due.first?.recipient == "000.00.00.H41" && due.first?.kind == "edoc")
        let delivery = try #require(due.first)
        #expect(try await store.claimDue(now: now, limit: 10).isEmpty, "a claimed delivery is not claimed again")
        try await store.recordAttempt(delivery.id, delivered: false, how: "push", reason: "HTTP 503", retryAt: now + 60)
        #expect(try await store.claimDue(now: now + 30, limit: 10).isEmpty)
        let retried = try await store.claimDue(now: now + 60, limit: 10)
        #expect(retried.map(\.id) == [delivery.id] && retried.first?.attempts == 1)
        try await store.recordAttempt(delivery.id, delivered: false, how: "push", reason: "HTTP 410", retryAt: nil)
        #expect(try await store.trace(delivery.messageId).first?.state == "dead")
        #expect(try await store.requeue(messageId: delivery.messageId, recipient: "000.00.00.H41"))
        #expect(try await !store.requeue(messageId: delivery.messageId, recipient: "000.00.00.H41"), "only a dead delivery is requeued")
        try await store.pause("000.00.00.H41")
        #expect(try await store.claimDue(now: now + 120, limit: 10).isEmpty, "a paused recipient's deliveries wait")
        #expect(try await store.resume("000.00.00.H41"))
        #expect(try await !store.resume("000.00.00.H41"))
        let again = try await store.claimDue(now: now + 120, limit: 10)
        #expect(again.map(\.id) == [delivery.id] && again.first?.attempts == 0)
        try await store.recordAttempt(delivery.id, delivered: true, how: "push", reason: nil, retryAt: nil)
        let trace = try await store.trace(delivery.messageId)
        #expect(trace.first?.state == "delivered" && trace.first?.how == "push" && trace.first?.attempts == 1)
        #expect(try await store.requeueAll(recipient: "000.00.00.H41") == 0)
        // The evidence log has each change in order: dead, requeued (by the operator), delivered; a retry is no event.
        let events = try await store.logEvents(ofMessage: delivery.messageId).compactMap { TrucLog.LogEvent.parse($0.entry) }
        #expect(events.map { $0.kind == "operator" ? $0.string("action") : $0.kind } == ["dead", "requeued", "delivered"], "\(events)")
        #expect(events.first?.members["attempts"] == .integer(2) && events.last?.string("how") == "push" && events.allSatisfy { $0.string("recipient") == "000.00.00.H41" })
        let logged = try await store.unsequencedLogEvents()
        #expect(logged >= 5, "pause and resume are operator events too")
        // The storage forecast's figures: the one document, its delivery final, received inside the window or not.
        let stored = try #require(try await store.message(delivery.messageId))
        let size = Int64(stored.size)
        let volume = try await store.storedVolume(receivedSince: stored.receivedAt)
        #expect(volume == [StoredVolume(kind: "edoc", final: true, messages: 1, payloadBytes: size, recentPayloadBytes: size, recentMessages: 1)], "\(volume)")
        #expect(try await store.storedVolume(receivedSince: stored.receivedAt + 1).first?.recentPayloadBytes == 0)
        #expect(try await store.storeDisk().usedBytes > 0)
    }

    static func node(_ url: String, _ name: String, lease: Int64, directory: String, clock: WallClock = .system) async throws -> PostgresStore {
        try await PostgresStore(url: url, secretsKey: directory + "/secrets.key", node: name, leaseSeconds: lease, clock: clock, logger: quiet)
    }

    @Test("two nodes claiming at once never take the same delivery; a dead node's lease expires and another node takes over", .enabled("no PostgreSQL here (apt-get install postgresql, or TRUC_TEST_POSTGRES_URL)") { await PostgresCluster.available })
    func leases() async throws {
        let url = try await PostgresCluster.require().makeDatabase()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("truc-lease-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // The nodes' clock (leases, renewals) moves by hand: a lease passes without waiting for it.
        let time = ManualClock()
        let a = try await Self.node(url, "node-a", lease: 2, directory: directory, clock: time.clock)
        let b = try await Self.node(url, "node-b", lease: 2, directory: directory, clock: time.clock)
        _ = try await Self.pushed(60, to: a)
        let now = Int64(Date().timeIntervalSince1970) + 10
        // both nodes claim in small batches, concurrently, until nothing is left
        let claims = try await withThrowingTaskGroup(of: [Int64].self) { group in
            for node in [a, b, a, b] {
                group.addTask {
                    var mine: [Int64] = []
                    while true {
                        let batch = try await node.claimDue(now: now, limit: 5)
                        if batch.isEmpty { return mine }
                        mine += batch.map(\.id)
                    }
                }
            }
            return try await group.reduce(into: [[Int64]]()) { $0.append($1) }
        }
        let all = claims.flatMap { $0 }
        #expect(all.count == 60 && Set(all).count == 60, "\(all.count) claims, \(Set(all).count) distinct")
        for id in all { try await a.recordAttempt(id, delivered: true, how: "push", reason: nil, retryAt: nil) }

        // node A dies holding a delivery: B takes it over once A's lease has passed, not before
        _ = try await Self.pushed(1, to: a, prefix: "lease")
        let held = try await a.claimDue(now: now, limit: 1)
        #expect(held.count == 1)
        #expect(try await b.claimDue(now: now + 1, limit: 10).isEmpty, "the lease still holds")
        let taken = try await b.claimDue(now: now + 3, limit: 10)
        #expect(taken.map(\.id) == held.map(\.id), "taken over after the lease")
        try await b.recordAttempt(taken[0].id, delivered: true, how: "push", reason: nil, retryAt: nil)
        // A's late failure does not undo B's delivery
        try await a.recordAttempt(held[0].id, delivered: false, how: "push", reason: "late", retryAt: now + 100)
        #expect(try await a.trace(held[0].messageId).first?.state == "delivered")

        // A renews the lease of an attempt still running: B does not take it over; B's renewal of A's claim is nothing.
        _ = try await Self.pushed(1, to: a, prefix: "renew")
        // (Leases in the store's clock: claims made at its time.)
        let clock = Int64(time.clock.now())
        let running = try await a.claimDue(now: clock, limit: 1)   // A's lease: until clock + 2
        #expect(running.count == 1)
        time.advance(2.1)
        try await b.renewLeases(running.map(\.id))   // not B's claim: changes nothing
        #expect(try await b.claimDue(now: clock + 3, limit: 10).map(\.id) == running.map(\.id), "B's renewal held nothing; A's lease had passed")
        try await b.recordAttempt(running[0].id, delivered: true, how: "push", reason: nil, retryAt: nil)
        _ = try await Self.pushed(1, to: a, prefix: "renewed")
        let clock2 = Int64(time.clock.now())
        let second = try await a.claimDue(now: clock2, limit: 1)
        #expect(second.count == 1)
        time.advance(2.1)
        try await a.renewLeases(second.map(\.id))   // A's attempt still runs: until about clock2 + 4
        #expect(try await b.claimDue(now: clock2 + 3, limit: 10).isEmpty, "renewed by its node: still A's")
        #expect(try await b.claimDue(now: clock2 + 6, limit: 10).map(\.id) == second.map(\.id), "once the renewed lease has passed, taken over")
        try await b.recordAttempt(second[0].id, delivered: true, how: "push", reason: nil, retryAt: nil)

        // node A restarts under the same name: what it held is queued again at once
        _ = try await Self.pushed(1, to: a, prefix: "restart")
        let before = try await a.claimDue(now: now + 3, limit: 10)
        #expect(before.count == 1)
        await a.shutdown()
        let restarted = try await Self.node(url, "node-a", lease: 300, directory: directory)
        try await restarted.recoverInFlight()
        #expect(try await b.claimDue(now: now + 4, limit: 10).map(\.id) == before.map(\.id), "queued again without waiting for the lease")
        await restarted.shutdown()
        await b.shutdown()
    }
    @Test("singleton jobs: one node holds a job and renews it; another takes it over once the claim expires", arguments: await StoreKind.runnable)
    func singletons(kind: StoreKind) async throws {
        let s = try await StoreUnderTest.make(kind)
        defer { Task { await s.close() } }
        guard kind == .postgres, let url = s.url else {
            #expect(try await s.store.holdsSingleton("vxp-poller", seconds: 1), "one node holds every job")
            return
        }
        let time = ManualClock()
        let a = try await Self.node(url, "node-a", lease: 300, directory: s.directory, clock: time.clock)
        let b = try await Self.node(url, "node-b", lease: 300, directory: s.directory, clock: time.clock)
        #expect(try await a.holdsSingleton("vxp-poller", seconds: 2))
        #expect(try await !b.holdsSingleton("vxp-poller", seconds: 2), "held by node A")
        #expect(try await b.holdsSingleton("retention", seconds: 2), "another job is free")
        #expect(try await a.holdsSingleton("vxp-poller", seconds: 2), "the holder renews")
        time.advance(3)
        #expect(try await b.holdsSingleton("vxp-poller", seconds: 60), "taken over once A's claim expired")
        #expect(try await !a.holdsSingleton("vxp-poller", seconds: 60))
        await a.shutdown()
        await b.shutdown()
    }
}

@Suite("PostgreSQL nodes wake each other", .timeLimit(.minutes(30)))
struct DeliveryWakeupTests {
    @Test("a push delivery accepted, or a dead one requeued, on node B wakes node A's engine (LISTEN/NOTIFY); pull-only messages do not",
          .enabled { await PostgresCluster.available })
    func notify() async throws {
        let s = try await StoreUnderTest.make(.postgres)
        defer { Task { await s.close() } }
        let a = try #require(s.store as? PostgresStore)
        await a.listenForDeliveries()
        let signal = try #require(a.deliveryWork)
        #expect(await signal.wait(upTo: .seconds(10)), "raised once listening (notifications sent before are lost)")
        let b = try await s.secondNode()

        let pull = IntakeConformanceTests.message("pull-1", key: "pull-1", bytes: [1, 2, 3], recipients: ["000.00.00.H41"])
        #expect(try await b.accept(pull, payload: [1, 2, 3]) == .accepted)
        #expect(await signal.wait(upTo: .milliseconds(1500)) == false, "a pull-only message needs no engine")

        let ids = try await QueueConformanceTests.pushed(1, to: b, prefix: "wake")
        #expect(await signal.wait(upTo: .seconds(10)), "node A heard node B's commit")
        let claimed = try await a.claimDue(now: Int64(Date().timeIntervalSince1970) + 1, limit: 10)
        #expect(claimed.map(\.messageId) == ids)
        try await a.recordAttempt(try #require(claimed.first).id, delivered: false, how: "push", reason: "gone", retryAt: nil)
        #expect(try await b.requeue(messageId: ids[0], recipient: "000.00.00.H41"))
        #expect(await signal.wait(upTo: .seconds(10)), "a requeue on B wakes A")
    }
}

extension DeliveryWakeupTests {
    @Test("after PostgreSQL restarts, the node listens again (a NOTIFY from another node wakes it) and still shuts down",
          .enabled { await PostgresCluster.available })
    func listenAcrossRestart() async throws {
        let cluster = try await PostgresCluster.dedicated()
        defer { cluster.destroy() }
        let url = try await cluster.makeDatabase()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("truc-listen-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let a = try await PostgresStore(url: url, secretsKey: directory + "/secrets.key", node: "a", logger: quiet)
        await a.listenForDeliveries()
        let signal = try #require(a.deliveryWork)
        #expect(await signal.wait(upTo: .seconds(10)))
        await cluster.stopServer()
        try await Task.sleep(for: .seconds(2))
        try await cluster.startServer()
        let b = try await PostgresStore(url: url, secretsKey: directory + "/secrets.key", node: "b", logger: quiet)
        _ = await signal.wait(upTo: .seconds(5)) // the raise of the new LISTEN, if it came already
        var woken = false
        for attempt in 0..<10 where !woken {
            _ = try await QueueConformanceTests.pushed(1, to: b, prefix: "after-restart-\(attempt)")
            woken = await signal.wait(upTo: .seconds(2))
        }
        #expect(woken, "node A hears node B again after the restart")
        let stopped = ContinuousClock.now
        await b.shutdown()
        await a.shutdown()
        #expect(ContinuousClock.now - stopped < .seconds(15), "shutdown does not hang on the listener")
    }
}

@Suite("Store conformance: one agency's activity (the dashboard's agency page), on SQLite and PostgreSQL", .timeLimit(.minutes(30)))
struct AgencyActivityConformanceTests {
    @Test("its queue by state, its oldest undelivered message, paused, and its last inbox pull across nodes", arguments: await StoreKind.runnable)
    func activity(kind: StoreKind) async throws {
        let s = try await StoreUnderTest.make(kind)
        defer { Task { await s.close() } }
        let store = s.store
        let now = Int64(Date().timeIntervalSince1970)
        let empty = try await store.agencyActivity("000.00.00.H41", now: now)
        #expect(empty == AgencyActivity(states: [:], oldest: nil, paused: false, lastPull: nil))
        // Two pushed messages, then one waiting to be pulled by H14.
        let pushed = try await QueueConformanceTests.pushed(2, to: store, prefix: "act")
        let bytes = [UInt8]("pull me".utf8)
        let pulled = IntakeConformanceTests.message("act-pull", key: "act-pull", bytes: bytes, recipients: ["000.00.00.H14"], targets: [:])
        #expect(try await store.accept(pulled, payload: bytes) == .accepted)
        let due = try await store.claimDue(now: now + 10, limit: 10)
        let first = try #require(due.first { $0.messageId == pushed[0] })
        try await store.recordAttempt(first.id, delivered: false, how: "push", reason: "HTTP 410", retryAt: nil)
        try await store.pause("000.00.00.H41")
        let h41 = try await store.agencyActivity("000.00.00.H41", now: now + 20)
        #expect(h41.states["dead"] == 1 && h41.states.values.reduce(0, +) == 2, "\(h41.states)")
        #expect(h41.paused && h41.lastPull == nil)
        let oldest = try #require(h41.oldest)
        #expect(oldest.messageId == pushed[1] && oldest.recipient == "000.00.00.H41", "the dead one is not undelivered-in-progress")
        let h14 = try await store.agencyActivity("000.00.00.H14", now: now + 20)
        #expect(h14.states == ["awaiting-pull": 1] && h14.oldest?.messageId == pulled.id && !h14.paused)
        // Pulls: the latest time wins, whichever node records it (and an earlier one arriving late does not undo it).
        try await store.recordPull(by: "000.00.00.H14", at: now)
        let other = try await s.secondNode()
        try await other.recordPull(by: "000.00.00.H14", at: now + 120)
        try await store.recordPull(by: "000.00.00.H14", at: now + 60)
        #expect(try await store.agencyActivity("000.00.00.H14", now: now).lastPull == now + 120)
        try await store.recordPull(by: "000.00.00.G22", at: now + 5)
        #expect(try await other.lastPulls() == ["000.00.00.H14": now + 120, "000.00.00.G22": now + 5])
    }
}

import Foundation
import Testing
import TrucCore
import TrucCrypto
import TrucPostgres
import TrucStore
import TrucTestSupport

@Suite("Store conformance: statistics and operations, on SQLite and PostgreSQL", .timeLimit(.minutes(30)))
struct StatisticsConformanceTests {
    /// 2026-11-30 10:00 in Vietnam.
    static let t0: Int64 = 1_796_007_600

    static func document(_ n: Int, bucket: String, at: Int64, recipients: [String] = ["000.00.00.H41", "000.00.00.H14"],
                         sender: String = "000.00.00.G22") -> (IncomingMessage, [UInt8]) {
        let bytes = [UInt8]("document \(n) \(bucket)".utf8)
        var message = IntakeConformanceTests.message("stat-\(n)", key: "stat-\(n)", bytes: bytes, recipients: recipients)
        message.sender = sender
        message.bucket = bucket
        message.receivedAt = at
        message.documentId = "\(sender),2026/11/30,\(n)/VP"
        message.signers = [Signer(kind: bucket == "personal" ? "personal" : "organisation", certificate: "CN=CA/\(n % 2)")]
        return (message, bytes)
    }

    @Test("signed-ratio counters, refused documents moved to their accepted bucket, volume, signers, timeliness", arguments: await StoreKind.runnable)
    func statistics(kind: StoreKind) async throws {
        let s = try await StoreUnderTest.make(kind)
        defer { Task { await s.close() } }
        let store = s.store
        // a document refused for its signature, then accepted: counted once, in its accepted bucket
        #expect(try await store.countRefused(key: "stat-1", sender: "000.00.00.G22", recipients: ["000.00.00.H41", "000.00.00.H14"], businessType: 0, at: Self.t0))
        #expect(try await !store.countRefused(key: "stat-1", sender: "000.00.00.G22", recipients: ["000.00.00.H41"], businessType: 0, at: Self.t0 + 5))
        for (n, bucket) in [(1, "both"), (2, "organisation"), (3, "personal")] {
            let (message, bytes) = Self.document(n, bucket: bucket, at: Self.t0 + Int64(n) * 60)
            #expect(try await store.accept(message, payload: bytes) == .accepted)
        }
        let (next, nextBytes) = Self.document(4, bucket: "invalid", at: Self.t0 + 86_400, recipients: ["000.00.00.H41"])
        #expect(try await store.accept(next, payload: nextBytes) == .accepted)
        #expect(try await !store.countRefused(key: "stat-2", sender: "000.00.00.G22", recipients: [], businessType: 0, at: Self.t0), "accepted already")

        func counts(_ grouping: CountGrouping, recipient: String? = nil, senders: [String]? = nil) async throws -> [String] {
            try await store.signedCounts(from: "2026-11-30", to: "2026-12-01", senders: senders, businessTypes: [0], recipient: recipient, grouping: grouping)
                .filter { $0.count != 0 }.map { "\($0.day)|\($0.sender)|\($0.bucket)|\($0.count)" }.sorted()
        }
        let bySender = try await counts(.sender)
        #expect(bySender == ["2026-11-30|000.00.00.G22|both|1", "2026-11-30|000.00.00.G22|invalid|1",
                             "2026-11-30|000.00.00.G22|organisation|1", "2026-11-30|000.00.00.G22|personal|1"], "\(bySender)")
        let byDay = try await counts(.day)
        #expect(byDay.contains("2026-11-30||both|1") && byDay.contains("2026-12-01||invalid|1") && !byDay.contains { $0.contains("2026-11-30||invalid|1") },
                "the refused document moved to its accepted bucket: \(byDay)")
        #expect(try await counts(.month).contains("2026-11-01||personal|1"))
        #expect(try await counts(.day, recipient: "000.00.00.H14").contains("2026-11-30||organisation|1"))
        #expect(try await counts(.day, recipient: "000.00.00.H14").allSatisfy { !$0.hasPrefix("2026-12-01") })
        #expect(try await counts(.sender, senders: []).isEmpty)
        let volume = try await store.volume(from: "2026-11-30", to: "2026-12-01", agencies: nil, byDay: false)
        #expect(volume.first { $0.key == "000.00.00.G22" }?.sent == 3 && volume.first { $0.key == "000.00.00.H41" }?.received == 3, "\(volume)")
        #expect(try await store.volume(from: "2026-11-30", to: "2026-12-01", agencies: ["000.00.00.H14"], byDay: true)
                == [VolumeRow(key: "2026-11-30", sent: 0, received: 3)])
        #expect(try await store.signerCounts(from: "2026-11-30", to: "2026-12-01", agencies: ["000.00.00.G22"]) == ["organisation": 2, "personal": 1])
        #expect(try await store.countedAgencies() == ["000.00.00.G22", "000.00.00.H14", "000.00.00.H41"])
        // timeliness: a status "03" from H41 answering document 2
        let status = [UInt8]("status".utf8)
        let answer = IncomingMessage(id: "stat-st", kind: "status", sender: "000.00.00.H41", documentId: "000.00.00.G22,2026/11/30,2/VP",
                                     idempotencyKey: "stat-st", receivedAt: Self.t0 + 3600, sha256: Digest.sha256(status).hexString,
                                     recipients: ["000.00.00.G22"], verdictJSON: "{}", bucket: "unsigned", businessType: nil, statusCode: "03",
                                     answersDocumentId: "000.00.00.G22,2026/11/30,2/VP", answerJSON: "{}")
        #expect(try await store.accept(answer, payload: status) == .accepted)
        let received = try await store.receivedDocuments(from: "2026-11-30", to: "2026-11-30", recipients: ["000.00.00.H41"])
        try #require(received.map(\.messageId) == ["stat-1", "stat-2", "stat-3"], "\(received.map(\.messageId))")
        #expect(received[1].statusTimes == ["03": Self.t0 + 3600] && received[0].statusTimes.isEmpty)
    }

    @Test("queues and figures for operators; readiness", arguments: await StoreKind.runnable)
    func operations(kind: StoreKind) async throws {
        let s = try await StoreUnderTest.make(kind)
        defer { Task { await s.close() } }
        let store = s.store
        let now = Int64(Date().timeIntervalSince1970)
        let (first, bytes) = Self.document(1, bucket: "both", at: now - 600)
        #expect(try await store.accept(first, payload: bytes) == .accepted)
        _ = try await QueueConformanceTests.pushed(2, to: store)
        try await store.pause("000.00.00.H14")
        let (states, oldest) = try await store.queueFigures(now: now)
        #expect(states["awaiting-pull"] == 2 && states["queued"] == 2, "\(states)")
        #expect(oldest != nil && oldest! >= 600)
        #expect(try await store.oldestAwaitingPull(now: now).map { $0 >= 600 } == true)
        #expect(try await store.deliveries(state: .queued, limit: 10).map(\.recipient) == ["000.00.00.H41", "000.00.00.H41"])
        #expect(try await store.deliveries(state: nil, limit: 3).count == 3)
        let view = try await store.operationsView(now: now)
        #expect(view.states == states && view.oldest?.messageId == "p-0" && view.receivedLastHour >= 1)
        #expect(view.agencies.map(\.agency) == ["000.00.00.H14", "000.00.00.H41"] && view.agencies.first?.paused == true)
        #expect(view.receivedPerMinute.count == 30)
        #expect(await store.isWritable())
        #expect(store.freeDiskBytes().map { $0 > 0 } == true)
    }

    @Test("counters stay exact when two nodes count at once", .enabled("no PostgreSQL here (apt-get install postgresql, or TRUC_TEST_POSTGRES_URL)") { await PostgresCluster.available })
    func concurrentCounters() async throws {
        let s = try await StoreUnderTest.make(.postgres)
        let second = try await s.secondNode()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for n in 0..<40 {
                let node = n % 2 == 0 ? s.store : second
                group.addTask {
                    let (message, bytes) = Self.document(100 + n, bucket: "organisation", at: Self.t0)
                    _ = try await node.accept(message, payload: bytes)
                }
            }
            try await group.waitForAll()
        }
        let counts = try await s.store.signedCounts(from: "2026-11-30", to: "2026-11-30", senders: nil, businessTypes: [0], recipient: "000.00.00.H41",
                                                    grouping: .day)
        #expect(counts == [DailyCount(day: "2026-11-30", sender: "", bucket: "organisation", count: 40)])
        if let node = second as? PostgresStore { await node.shutdown() }
        await s.close()
    }
}

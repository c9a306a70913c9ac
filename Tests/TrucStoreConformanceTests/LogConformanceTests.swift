import Foundation
import Testing
import TrucCore
import TrucCrypto
import TrucLog
import TrucPostgres
import TrucStore
import TrucTestSupport

@Suite("Store conformance: the evidence log, on SQLite and PostgreSQL", .timeLimit(.minutes(30)))
struct LogConformanceTests {
    /// The tree the store holds, recomputed from its entries alone.
    static func recomputed(_ store: any MessageStoreRoles) async throws -> (levels: MerkleLevels, entries: [[UInt8]]) {
        var levels = MerkleLevels()
        var entries: [[UInt8]] = []
        var next: Int64 = 0
        while true {
            let page = try await store.logEntries(from: next, count: 500)
            guard !page.isEmpty else { break }
            for (index, entry) in page {
                #expect(index == Int64(levels.size), "leaf indexes are contiguous")
                levels.append(MerkleTree.leafHash(entry))
                entries.append(entry)
            }
            next = (page.last?.index ?? 0) + 1
        }
        return (levels, entries)
    }

    /// The root the store's nodes give for `size`.
    static func storedRoot(_ store: any MessageStoreRoles, size: Int) async throws -> [UInt8] {
        var nodes: [String: [UInt8]] = [:]
        // The perfect subtrees a root needs: at most one per level.
        var start = 0
        while start < size {
            var k = 1
            while start % (k << 1) == 0, start + (k << 1) <= size { k <<= 1 }
            let level = k.trailingZeroBitCount
            nodes["\(level)/\(start / k)"] = try #require(try await store.logNode(level: level, index: Int64(start / k)))
            start += k
        }
        return MerkleTree.root(size: size) { level, index in nodes["\(level)/\(index)"] ?? [] }
    }

    @Test("events written with messages and refusals are sequenced without gaps; the stored nodes give the root recomputed from the entries; a message finds its leaf",
          arguments: await StoreKind.runnable)
    func sequenced(kind: StoreKind) async throws {
        let s = try await StoreUnderTest.make(kind)
        defer { Task { await s.close() } }
        let store = s.store
        for i in 0..<37 {
            var message = IntakeConformanceTests.message("log-\(i)", key: "log\(i)", bytes: IntakeConformanceTests.bytes(100 + i, seed: UInt8(i)))
            message.logEntry = LogEvent(kind: "accepted", time: "2026-12-07T00:00:00Z", ["message": .string(message.id), "sha256": .string(message.sha256)]).canonical
            #expect(try await store.accept(message, payload: IntakeConformanceTests.bytes(100 + i, seed: UInt8(i))) == .accepted)
            if i % 5 == 0 {
                var refusal = Refusal(at: 1_000 + Int64(i), caller: "000.00.00.G22", sender: "000.00.00.G22", documentId: "r\(i)", kind: "edoc",
                                      code: "invalid-message", reasons: ["x"], sha256: "ab", size: 1)
                refusal.logEntry = LogEvent(kind: "refused", time: "2026-12-07T00:00:00Z", ["code": .string("invalid-message")]).canonical
                try await store.recordRefusal(refusal)
            }
            // Sequenced in uneven steps, as a running sequencer would.
            if i % 7 == 3 { try await store.sequenceLog(limit: 4) }
        }
        #expect(try await store.unsequencedLogEvents() > 0)
        #expect(try await store.sequenceLog(limit: 1_000) == 45)
        let unsequenced = try await store.unsequencedLogEvents(), size = try await store.logSize()
        #expect(unsequenced == 0 && size == 45)
        let (levels, entries) = try await Self.recomputed(store)
        #expect(entries.count == 45 && entries.allSatisfy { LogEvent.parse($0) != nil })
        for size in [1, 2, 3, 8, 31, 45] {
            var prefix = MerkleLevels()
            for i in 0..<size { prefix.append(levels.subtree(0, i)) }
            #expect(try await Self.storedRoot(store, size: size) == prefix.root, "root at \(size)")
        }
        let index = try #require(try await store.logIndex(ofMessage: "log-20"))
        let event = try #require(LogEvent.parse(entries[Int(index)]))
        #expect(event.string("message") == "log-20")
        // An inclusion proof from the stored nodes verifies against the root.
        var nodes: [String: [UInt8]] = [:]
        for level in 0..<7 {
            for i in 0..<(45 >> level) { nodes["\(level)/\(i)"] = try await store.logNode(level: level, index: Int64(i)) }
        }
        let proof = MerkleTree.inclusionProof(index: Int(index), size: 45) { nodes["\($0)/\($1)"] ?? [] }
        #expect(MerkleTree.verifyInclusion(leafHash: MerkleTree.leafHash(entries[Int(index)]), index: Int(index), size: 45, proof: proof, root: levels.root))
    }

    @Test("two nodes sequencing at once while messages arrive on both: one tree, no gap, no fork", arguments: await StoreKind.runnable)
    func twoSequencers(kind: StoreKind) async throws {
        let s = try await StoreUnderTest.make(kind)
        defer { Task { await s.close() } }
        let first = s.store, second = try await s.secondNode()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for node in 0..<2 {
                let store = node == 0 ? first : second
                group.addTask {
                    for i in 0..<60 {
                        let id = "two-\(node)-\(i)"
                        let bytes = IntakeConformanceTests.bytes(64, seed: UInt8(truncatingIfNeeded: node * 100 + i))
                        var message = IntakeConformanceTests.message(id, key: id, bytes: bytes)
                        message.logEntry = LogEvent(kind: "accepted", time: "2026-12-07T00:00:00Z", ["message": .string(id)]).canonical
                        _ = try await store.accept(message, payload: bytes)
                        if i % 3 == 0 { try await store.sequenceLog(limit: 7) }
                    }
                }
            }
            try await group.waitForAll()
        }
        while try await first.unsequencedLogEvents() > 0 { try await second.sequenceLog(limit: 50) }
        #expect(try await first.logSize() == 120)
        let (levels, entries) = try await Self.recomputed(first)
        #expect(Set(entries.compactMap { LogEvent.parse($0)?.string("message") }).count == 120, "every event once")
        #expect(try await Self.storedRoot(second, size: 120) == levels.root)
        if let node = second as? PostgresStore, kind == .postgres { await node.shutdown() }
    }
}

import EdXML
import Foundation
import Logging
import ServiceLifecycle
import TrucCrypto
import TrucLog
package import TrucStore
import TrucVocabulary

/// The evidence log's events for what the hub stores (docs/evidence-log.md "Evidence log"): built here, written by the store in
/// the same transaction as the row they record.
enum EvidenceEvents {
    /// A message the hub accepted (a document, a status message, or a receipt it issued).
    static func accepted(_ message: IncomingMessage) -> [UInt8] {
        LogEvent(kind: "accepted", time: CivilCalendar.isoUTC(message.receivedAt), [
            "message": .string(message.id), "messageKind": .string(message.kind), "sender": .string(message.sender),
            "recipients": .strings(message.recipients), "documentId": message.documentId.map { .string($0) }, "sha256": .string(message.sha256),
            "verdict": .string(Digest.sha256(Array(message.verdictJSON.utf8)).hexString),
            "trustSnapshot": message.trustSnapshot.map { .string($0.id) },
        ]).canonical
    }

    /// The trust directory read again (`via`: api or sighup): the snapshot verdicts will name, and its anchors.
    static func trustReloaded(_ summary: TrustSummary, via: String) -> [UInt8] {
        LogEvent.operatorAction("trust-reloaded", time: CivilCalendar.isoUTC(Int64(Date().timeIntervalSince1970)), [
            "snapshot": .string(summary.snapshot), "anchors": .strings(summary.anchors.map(\.sha256)), "via": .string(via),
        ]).canonical
    }

    /// A message the hub refused.
    static func refused(_ refusal: Refusal) -> [UInt8] {
        LogEvent(kind: "refused", time: CivilCalendar.isoUTC(refusal.at), [
            "caller": .string(refusal.caller), "agency": .string(refusal.agency), "sender": refusal.sender.map { .string($0) },
            "documentId": refusal.documentId.map { .string($0) }, "code": .string(refusal.code), "sha256": .string(refusal.sha256),
            "verdict": refusal.verdictJSON.map { .string(Digest.sha256(Array($0.utf8)).hexString) },
        ]).canonical
    }
}

/// The evidence log's one sequencer (on PostgreSQL, each node runs one and an advisory lock lets one at a time
/// in): every interval it gives the events written since their leaf indexes and stores the tree's new nodes; every
/// checkpoint interval, when the tree grew, it signs a checkpoint (C2SP signed note, the log's Ed25519 key).
struct LogSequencer: Service {
    let store: any EvidenceLogStore
    let interval: Duration
    let checkpointInterval: Duration
    /// The checkpoints' origin line and key name: `truc-log/<hub code>`.
    let origin: String
    let logger: Logger

    func run() async throws {
        var lastCheckpoint = ContinuousClock.now - checkpointInterval
        var key: Ed25519Key?
        var backoff: Duration = .zero
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do {
                // Drain what waits, 2,000 events per transaction.
                var size = try await store.sequenceLog(limit: 2_000)
                var before: Int64 = -1
                while size - before >= 2_000 {
                    before = size
                    size = try await store.sequenceLog(limit: 2_000)
                }
                if ContinuousClock.now - lastCheckpoint >= checkpointInterval {
                    if key == nil { key = try Ed25519Key(seed: try await store.logSigningSeed()) }
                    if let key { try await checkpoint(size: size, key: key) }
                    lastCheckpoint = .now
                }
                backoff = .zero
            } catch {
                // A store that fails (locked, down) is not asked again at once: the sequencer backs off to 30 s, so
                // that it does not take the store's turns from intake and delivery while it recovers.
                backoff = min(max(backoff * 2, .seconds(1)), .seconds(30))
                logger.error("the evidence log's sequencer failed; it tries again", metadata: ["error": "\(error)", "retryIn": "\(backoff)"])
            }
            await pauseUnlessStopping(for: interval + backoff)
        }
        // Events written after the last turn get their leaves at the next start: they are on disk either way (a
        // drain here could wait on a store that is closing).
    }

    /// Signs and keeps a checkpoint of the tree of `size` leaves, unless one of that size exists.
    func checkpoint(size: Int64, key: Ed25519Key) async throws {
        guard size > 0, (try await store.checkpoint(size: nil))?.size ?? 0 < size else { return }
        let root = try await LogProofs.root(of: store, size: size)
        let note = try Checkpoint(origin: origin, size: size, root: root).signed(name: origin, key: key)
        try await store.saveCheckpoint(StoredCheckpoint(size: size, root: root, note: note, at: Int64(Date().timeIntervalSince1970)))
    }
}

/// The perfect subtrees of the evidence log already read, for work that computes many proofs in a row (a purge
/// round's bundles share the upper nodes of every proof). A stored node never changes, so nothing is invalidated;
/// at most `limit` nodes are kept (then it starts over).
package final class LogNodeCache: @unchecked Sendable {
    package struct Key: Hashable, Sendable {
        let level: Int
        let index: Int
    }

    private let lock = NSLock()
    private var nodes: [Key: [UInt8]] = [:]
    private let limit: Int

    package init(limit: Int = 200_000) { self.limit = limit }

    func hash(_ key: Key) -> [UInt8]? {
        lock.lock()
        defer { lock.unlock() }
        return nodes[key]
    }

    func keep(_ key: Key, _ hash: [UInt8]) {
        lock.lock()
        defer { lock.unlock() }
        if nodes.count >= limit { nodes.removeAll(keepingCapacity: true) }
        nodes[key] = hash
    }
}

/// Roots and proofs of the evidence log's tree, computed from the stored perfect subtrees.
package enum LogProofs {
    /// The root of the tree of `size` leaves, from the stored perfect subtrees.
    package static func root(of store: any EvidenceLogStore, size: Int64) async throws -> [UInt8] {
        try await withNodes(store) { subtree in try MerkleTree.root(size: Int(size), subtree: subtree) }
    }

    /// Runs a tree computation over the stored perfect subtrees: once to learn which it needs (the shape of a
    /// root or proof does not depend on the hashes), then with them fetched.
    package static func withNodes<T>(_ store: any EvidenceLogStore, cache: LogNodeCache? = nil,
                                     _ compute: (_ subtree: (Int, Int) throws -> [UInt8]) throws -> T) async throws -> T {
        var needed: [LogNodeCache.Key] = []
        _ = try? compute { level, index in
            needed.append(LogNodeCache.Key(level: level, index: index))
            return [UInt8](repeating: 0, count: 32)
        }
        var fetched: [LogNodeCache.Key: [UInt8]] = [:]
        for key in needed where fetched[key] == nil {
            if let hash = cache?.hash(key) {
                fetched[key] = hash
                continue
            }
            let hash = try await node(store, key.level, Int64(key.index))
            fetched[key] = hash
            cache?.keep(key, hash)
        }
        return try compute { level, index in
            guard let hash = fetched[LogNodeCache.Key(level: level, index: index)] else { throw StoreError.invalid("the evidence log lacks node (\(level), \(index))") }
            return hash
        }
    }

    package static func node(_ store: any EvidenceLogStore, _ level: Int, _ index: Int64) async throws -> [UInt8] {
        guard let hash = try await store.logNode(level: level, index: index) else {
            throw StoreError.invalid("the evidence log lacks node (\(level), \(index))")
        }
        return hash
    }

    /// The RFC 9162 inclusion proof of leaf `index` in the tree of `size` leaves.
    package static func inclusion(of store: any EvidenceLogStore, index: Int64, size: Int64, cache: LogNodeCache? = nil) async throws -> [[UInt8]] {
        try await withNodes(store, cache: cache) { subtree in try MerkleTree.inclusionProof(index: Int(index), size: Int(size), subtree: subtree) }
    }

    /// The RFC 9162 consistency proof from the tree of `old` leaves to the tree of `new` leaves.
    package static func consistency(of store: any EvidenceLogStore, old: Int64, new: Int64) async throws -> [[UInt8]] {
        try await withNodes(store) { subtree in try MerkleTree.consistencyProof(old: Int(old), new: Int(new), subtree: subtree) }
    }
}

import Foundation
package import TrucConcurrency
import TrucCore
import TrucCrypto
import TrucLog
import TrucStore
import TrucVocabulary

/// The store's contract kept in memory: every role of `MessageStore`, the same answers and the same evidence-log
/// events as the SQLite and PostgreSQL stores (the conformance suite runs on all three), nothing on disk. For the
/// fast tier of the tests and for tools that need a hub without a data directory; a process that ends loses it.
///
/// One node: every singleton job is this node's and a delivery's claim is never taken over. Time (leases, sessions,
/// pauses) comes from `clock`; the evidence log's events are dated by the system's clock. Every method checks what
/// it must refuse before it changes anything, so a refused call leaves the store as it was (a rolled-back
/// transaction's effect, without one).
package actor InMemoryStore {
    struct Message {
        var id: String
        var kind: String
        var sender: String
        var documentId: String?
        var key: String
        var receivedAt: Int64
        var size: Int
        var sha256: String
        var payloadPath: String
        var verdict: String
        var bucket: String
        var businessType: Int?
        var statusCode: String?
        var answersDocumentId: String?
        var answer: String
        var via: [String]
        var dueDate: String?
        var archived: Bool { payloadPath.hasPrefix(PurgedPayload.prefix) }
    }

    struct Delivery {
        var id: Int64
        var messageId: String
        var recipient: String
        var kind: String
        var state: DeliveryState
        var attempts = 0
        var updatedAt: Int64
        var target: String?
        var nextAttemptAt: Int64?
        var reason: String?
        var deliveredAt: Int64?
        var how: String?
        var progress: String?
        var progressAt: Int64?
        var waiting: Bool { ![.delivered, .failed, .dead].contains(state) }
    }

    struct Token {
        var agency: String
        var role: String
    }

    struct System {
        var name: String
        var secret: [UInt8]
        var createdAt: Int64
        var directoryChanges: Bool
    }

    struct LogEventRow {
        var entry: [UInt8]
        var message: String?
    }

    /// The payload location of every message this store holds (bytes in `payloads`).
    static let memoryMarker = "memory"

    let clock: WallClock

    // Directory and credentials
    var agencyByCode: [String: Agency] = [:]
    var agencyCreated: [String: Int64] = [:]
    var mails: [String: String] = [:]
    var directoryVersionNumber: Int64 = 0
    var directoryLog: [DirectoryChange] = []
    var tokens: [String: Token] = [:]
    var systemsById: [String: System] = [:]
    var systemOf: [String: String] = [:]
    var vxpHeaders: [String: String] = [:]
    var sealsByAgency: [String: [String]] = [:]

    // Messages and deliveries
    var messages: [String: Message] = [:]
    var messageOrder: [String] = []
    var byKey: [String: String] = [:]
    var payloads: [String: [UInt8]] = [:]
    var deliveries: [Delivery] = []
    var nextDeliveryId: Int64 = 1
    var paused: [String: Int64] = [:]
    var pulls: [String: Int64] = [:]

    // Evidence
    var objects: [String: EvidenceRecord] = [:]
    var messageObjects: [String: Set<String>] = [:]
    var snapshots: [String: TrustSnapshotRecord] = [:]

    // Statistics: (day, sender, business type, bucket) and (day, sender, recipient, business type, bucket) counters.
    var dailySender: [SenderKey: Int] = [:]
    var dailyPair: [PairKey: Int] = [:]
    var statAgencies: Set<String> = []
    var dailySigners: Set<SignerKey> = []
    var refusedKeys: [String: RefusedKey] = [:]

    // Refusals
    var refusalRows: [Refusal] = []
    var refusalObjects: [Int64: [String]] = [:]
    var nextRefusalId: Int64 = 1

    // Evidence log
    var logEvents: [LogEventRow] = []
    var logNodes: [NodeKey: [UInt8]] = [:]
    var treeSize: Int64 = 0
    var logSeed: [UInt8]?
    var checkpointsBySize: [Int64: StoredCheckpoint] = [:]
    var cosignaturesBySize: [Int64: [String: String]] = [:]
    var witnessedLogs: [String: WitnessedCheckpoint] = [:]
    var forkRows: [WitnessFork] = []

    // Sessions, retention
    var sessions: [String: (csrf: String, expires: Int64, lastSeen: Int64?)] = [:]
    var archiveRows: [ArchiveRecord] = []
    var purgedMessages: Int64 = 0
    var purgedBytes: Int64 = 0

    struct SenderKey: Hashable { var day: String, sender: String, businessType: Int, bucket: String }
    struct PairKey: Hashable { var day: String, sender: String, recipient: String, businessType: Int, bucket: String }
    struct SignerKey: Hashable { var day: String, agency: String, kind: String, certificate: String }
    struct RefusedKey { var firstAt: Int64, sender: String, businessType: Int, recipients: [String], resolved: Bool }
    struct NodeKey: Hashable { var level: Int, index: Int64 }

    package init(clock: WallClock = .system) {
        self.clock = clock
    }

    nonisolated func now() -> Int64 { Int64(clock.now()) }

    static func tokenHash(_ token: String) -> String { Digest.sha256(Array(token.utf8)).hexString }
}

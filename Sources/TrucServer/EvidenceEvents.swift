import EdXML
import Foundation
import Logging
import ServiceLifecycle
import TrucCrypto
import TrucLog
import TrucStore

/// The evidence log's events for what the hub stores (README "Evidence log"): built here, written by the store in
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
/// in): every interval it gives the events written since their leaf indexes and stores the tree's new nodes.
struct LogSequencer: Service {
    let store: any EvidenceLogStore
    let interval: Duration
    let logger: Logger

    func run() async throws {
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do {
                // Drain what waits, 2,000 events per transaction.
                var before: Int64 = -1
                var size = try await store.sequenceLog(limit: 2_000)
                while size != before, size - before >= 2_000 || before < 0 {
                    before = size
                    size = try await store.sequenceLog(limit: 2_000)
                }
            } catch {
                logger.error("the evidence log's sequencer failed; it tries again", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: interval)
        }
        _ = try? await store.sequenceLog(limit: 100_000)
    }
}

import EdXML
import Foundation
import Logging
import ServiceLifecycle
import TrucCrypto
import TrucLog
import TrucStore
import TrucVocabulary

/// Appends the history of a store from before the evidence log (docs/evidence-log.md "Evidence log", backfilled events): each
/// stored message with no `accepted` event gets one, flagged `"backfilled":"yes"` and dated with its receipt, and
/// each of its deliveries in a final state with no event of its own gets `delivered`, `acknowledged` or `dead`,
/// flagged too. A backfilled event proves that the hub held the message (and those states) when it was written —
/// from the first checkpoint after that — not when it arrived. Runs once per store (one node of several): its
/// last event, `{"kind":"backfilled","count":N}` under the message id `#backfill`, marks the work done.
struct LogBackfill: Service {
    let store: any EvidenceLogStore & EvidenceStore & InboxStore & IntakeStore & OperationsStore & RetentionStore
    let logger: Logger
    static let marker = "#backfill"

    func run() async throws {
        do {
            if try await store.holdsSingleton("log-backfill", seconds: 3_600), try await store.logEvents(ofMessage: Self.marker).isEmpty {
                let count = try await backfill()
                if count > 0 { logger.notice("backfilled the evidence log with the messages stored before it", metadata: ["messages": "\(count)"]) }
            }
        } catch {
            logger.error("cannot backfill the evidence log; the next start tries again", metadata: ["error": "\(error)"])
        }
        // A service that returns would stop the hub: this one waits for the shutdown.
        try? await gracefulShutdown()
    }

    /// Backfills every message without an `accepted` event, in receipt order; the number backfilled.
    func backfill() async throws -> Int {
        var cursor: (Int64, String)?
        var count = 0
        while !Task.isShuttingDownGracefully {
            let page = try await store.messagesReceived(from: Int64.min, to: Int64.max, after: cursor, limit: 500)
            guard let last = page.last else { break }
            cursor = (last.receivedAt, last.id)
            var events: [(entry: [UInt8], message: String?)] = []
            for (_, id) in page {
                let logged = try await store.logEvents(ofMessage: id).compactMap { LogEvent.parse($0.entry) }
                guard !logged.contains(where: { $0.kind == "accepted" }), let message = try await store.message(id) else { continue }
                events += Self.events(message, recipients: try await store.recipients(of: id), trace: try await store.trace(id),
                                                logged: logged).map { ($0.canonical, id) }
                count += 1
            }
            if !events.isEmpty { try await store.appendLogEvents(events) }
        }
        guard !Task.isShuttingDownGracefully else { return count }
        let done = LogEvent(kind: "backfilled", time: CivilCalendar.isoUTC(Int64(Date().timeIntervalSince1970)), ["count": .integer(Int64(count))])
        try await store.appendLogEvents([(done.canonical, Self.marker)])
        return count
    }

    /// The backfilled events of one message: accepted, then each final delivery state without an event.
    static func events(_ message: StoredMessage, recipients: [String], trace: [DeliveryTrace], logged: [TrucLog.LogEvent]) -> [TrucLog.LogEvent] {
        var events = [LogEvent(kind: "accepted", time: CivilCalendar.isoUTC(message.receivedAt), [
            "message": .string(message.id), "messageKind": .string(message.kind), "sender": .string(message.sender), "recipients": .strings(recipients),
            "documentId": message.documentId.map { .string($0) }, "sha256": .string(message.sha256),
            "verdict": .string(Digest.sha256(Array(message.verdictJSON.utf8)).hexString), "backfilled": .string("yes"),
        ])]
        for delivery in trace where !logged.contains(where: { $0.string("recipient") == delivery.recipient }) {
            let time = CivilCalendar.isoUTC(delivery.deliveredAt ?? delivery.updatedAt)
            var event: TrucLog.LogEvent
            switch delivery.state {
            case "delivered" where delivery.how == "pull":
                event = .acknowledged(message: message.id, recipient: delivery.recipient, outcome: "done", time: time)
            case "delivered": event = .delivered(message: message.id, recipient: delivery.recipient, how: delivery.how ?? "push", time: time)
            case "failed": event = .acknowledged(message: message.id, recipient: delivery.recipient, outcome: "fail", time: time)
            case "dead": event = .dead(message: message.id, recipient: delivery.recipient, attempts: Int64(delivery.attempts), time: time)
            default: continue
            }
            event.backfilled()
            events.append(event)
        }
        return events
    }
}

import Foundation
package import TrucConcurrency
package import TrucCore
import TrucLog
package import TrucStore
import TrucVocabulary

// The InboxStore and DeliveryQueueStore roles in memory.
extension InMemoryStore {
    package func markProgress(_ id: String, by agency: String, progress: String) -> Bool {
        let now = now()
        var changed = false
        for i in deliveries.indices where deliveries[i].messageId == id && deliveries[i].recipient == agency
            && ![.delivered, .failed, .dead].contains(deliveries[i].state) {
            deliveries[i].progress = progress
            deliveries[i].progressAt = now
            deliveries[i].updatedAt = now
            changed = true
        }
        return changed
    }

    package func recentSent(by senders: [String], limit: Int) -> [String] {
        let set = Set(senders)
        return messages.values.filter { $0.kind == "edoc" && set.contains($0.sender) }
            .sorted { ($0.receivedAt, $0.id) > ($1.receivedAt, $1.id) }.prefix(max(0, limit)).map(\.id)
    }

    package func inbox(for agency: String, kind: String?, after cursor: Int64, limit: Int, includeReceipts: Bool) -> [InboxItem] {
        deliveries.lazy.filter { d in
            guard d.recipient == agency, d.state == .awaitingPull, d.id > cursor else { return false }
            if let kind {
                return kind == "status" && includeReceipts ? (d.kind == "status" || d.kind == "receipt") : d.kind == kind
            }
            return includeReceipts || d.kind != "receipt"
        }.prefix(max(0, limit)).compactMap { d -> InboxItem? in
            guard let m = self.messages[d.messageId] else { return nil }
            return InboxItem(cursor: d.id, messageId: d.messageId, kind: d.kind, sender: m.sender, documentId: m.documentId, receivedAt: m.receivedAt,
                             size: m.size, sha256: m.sha256, bucket: m.bucket, statusCode: m.statusCode, recipient: agency)
        }
    }

    package func acknowledge(_ id: String, by agency: String, outcome: AckOutcome, reason: String?) -> DeliveryState? {
        guard let i = deliveries.firstIndex(where: { $0.messageId == id && $0.recipient == agency }) else { return nil }
        let state = deliveries[i].state
        if state == .delivered || state == .failed { return state }
        let target: DeliveryState = outcome == .done ? .delivered : .failed
        let now = now()
        deliveries[i].state = target
        deliveries[i].deliveredAt = now
        deliveries[i].how = "pull"
        deliveries[i].reason = reason
        deliveries[i].updatedAt = now
        logEvent(.acknowledged(message: id, recipient: agency, outcome: outcome.rawValue, time: CivilCalendar.isoUTC(now)), message: id)
        return target
    }

    package func trace(_ id: String) -> [DeliveryTrace] {
        deliveries.filter { $0.messageId == id }.map {
            DeliveryTrace(recipient: $0.recipient, state: $0.state.rawValue, attempts: $0.attempts, deliveredAt: $0.deliveredAt, how: $0.how,
                          reason: $0.reason, updatedAt: $0.updatedAt, progress: $0.progress, progressAt: $0.progressAt)
        }
    }

    func recipientsOf(_ messageId: String) -> Set<String> {
        Set(deliveries.filter { $0.messageId == messageId }.map(\.recipient))
    }

    package func statuses(answering documentId: String, of messageId: String, sender: String) -> [StatusTrace] {
        let recipients = recipientsOf(messageId)
        return messages.values.filter { s in
            guard s.kind == "status", s.answersDocumentId == documentId else { return false }
            let to = recipientsOf(s.id)
            return (recipients.contains(s.sender) && to.contains(sender)) || (s.sender == sender && !to.isDisjoint(with: recipients))
        }
        .sorted { ($0.receivedAt, $0.id) < ($1.receivedAt, $1.id) }
        .map { StatusTrace(messageId: $0.id, sender: $0.sender, statusCode: $0.statusCode, receivedAt: $0.receivedAt) }
    }

    package func documentsActingOn(_ documentId: String, sender: String) -> [LinkedDocument] {
        linked { $0.kind == "edoc" && $0.answersDocumentId == documentId && $0.sender == sender && [1, 2, 3].contains($0.businessType ?? -1) }
    }

    package func originals(_ documentId: String, sender: String) -> [LinkedDocument] {
        linked { $0.kind == "edoc" && $0.documentId == documentId && $0.sender == sender && ($0.businessType ?? 0) == 0 }
    }

    func linked(_ filter: (Message) -> Bool) -> [LinkedDocument] {
        messages.values.filter(filter).sorted { ($0.receivedAt, $0.id) < ($1.receivedAt, $1.id) }.map {
            LinkedDocument(messageId: $0.id, sender: $0.sender, documentId: $0.documentId, businessType: $0.businessType ?? 0, receivedAt: $0.receivedAt)
        }
    }

    package func originalParties(_ documentId: String, senders: [String]) -> [(sender: String, recipients: [String])] {
        Set(senders).sorted().flatMap { sender in
            originals(documentId, sender: sender).map { (sender: sender, recipients: recipients(of: $0.messageId)) }
        }
    }

    package func receipts(for messageId: String) -> [ReceiptTrace] {
        messages.values.filter { $0.kind == "receipt" && $0.answersDocumentId == messageId }
            .sorted { ($0.receivedAt, $0.id) < ($1.receivedAt, $1.id) }
            .map { ReceiptTrace(receiptId: $0.id, issuedAt: $0.receivedAt, key: $0.key) }
    }

    // MARK: the delivery queue

    package func recoverInFlight() {
        let now = now()
        for i in deliveries.indices where deliveries[i].state == .sending {
            deliveries[i].state = .queued
            deliveries[i].nextAttemptAt = now
        }
    }

    package func claimDue(now: Int64, limit: Int) -> [DueDelivery] {
        let due = deliveries.indices.filter { i in
            let d = deliveries[i]
            return (d.state == .queued || d.state == .waitingRetry) && (d.nextAttemptAt.map { $0 <= now } ?? false) && paused[d.recipient] == nil
        }
        .sorted { (deliveries[$0].nextAttemptAt ?? 0, deliveries[$0].id) < (deliveries[$1].nextAttemptAt ?? 0, deliveries[$1].id) }
        .prefix(max(0, limit))
        return due.compactMap { i -> DueDelivery? in
            guard let m = messages[deliveries[i].messageId] else { return nil }
            deliveries[i].state = .sending
            deliveries[i].updatedAt = now
            let d = deliveries[i]
            return DueDelivery(id: d.id, messageId: d.messageId, recipient: d.recipient, target: d.target ?? "", attempts: d.attempts,
                               payloadPath: m.payloadPath, via: m.via, sender: m.sender, kind: m.kind)
        }
    }

    /// One process holds the store: nothing can take a delivery over, so there is no lease to renew.
    package func renewLeases(_ ids: [Int64]) {}

    package func recordAttempt(_ id: Int64, delivered: Bool, how: String, reason: String?, retryAt: Int64?) {
        guard let i = deliveries.firstIndex(where: { $0.id == id }) else { return }
        let now = now()
        if delivered {
            deliveries[i].state = .delivered
            deliveries[i].attempts += 1
            deliveries[i].deliveredAt = now
            deliveries[i].how = how
            deliveries[i].reason = nil
            deliveries[i].updatedAt = now
        } else {
            // Only the attempt's own claim is answered: a delivery moved meanwhile keeps its new state.
            guard deliveries[i].state == .sending else { return }
            deliveries[i].state = retryAt == nil ? .dead : .waitingRetry
            deliveries[i].attempts += 1
            deliveries[i].reason = reason
            deliveries[i].nextAttemptAt = retryAt
            deliveries[i].updatedAt = now
            guard retryAt == nil else { return }
        }
        let d = deliveries[i], time = CivilCalendar.isoUTC(now)
        logEvent(delivered ? .delivered(message: d.messageId, recipient: d.recipient, how: how, time: time)
                           : .dead(message: d.messageId, recipient: d.recipient, attempts: Int64(d.attempts), time: time), message: d.messageId)
    }

    /// A dead push/forward delivery whose payload is still held can be queued again.
    func requeueable(_ d: Delivery) -> Bool {
        d.state == .dead && d.target != nil && messages[d.messageId].map { !$0.archived } ?? false
    }

    func requeue(at i: Int, now: Int64) {
        deliveries[i].state = .queued
        deliveries[i].attempts = 0
        deliveries[i].nextAttemptAt = now
        deliveries[i].updatedAt = now
    }

    package func requeue(messageId: String, recipient: String) -> Bool {
        guard let i = deliveries.firstIndex(where: { $0.messageId == messageId && $0.recipient == recipient }), requeueable(deliveries[i]) else { return false }
        requeue(at: i, now: now())
        logOperator("requeued", ["message": .string(messageId), "recipient": .string(recipient)])
        return true
    }

    package func requeueAll(recipient: String) -> Int {
        let now = now()
        let found = deliveries.indices.filter { deliveries[$0].recipient == recipient && requeueable(deliveries[$0]) }
        for i in found { requeue(at: i, now: now) }
        if !found.isEmpty { logOperator("requeued", ["recipient": .string(recipient), "count": .integer(Int64(found.count))]) }
        return found.count
    }

    package func pause(_ code: String) {
        guard paused[code] == nil else { return }
        paused[code] = now()
        logOperator("delivery-paused", ["agency": .string(code)])
    }

    @discardableResult
    package func resume(_ code: String) -> Bool {
        guard paused.removeValue(forKey: code) != nil else { return false }
        logOperator("delivery-resumed", ["agency": .string(code)])
        return true
    }

    /// One node: the engine polls its own store.
    package nonisolated var deliveryWork: WorkSignal? { nil }
}

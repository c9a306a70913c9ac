import Foundation
import TrucCore
import TrucLog
package import TrucStore
import TrucVocabulary

// The IntakeStore and EvidenceStore roles in memory.
extension InMemoryStore {
    package func accept(_ message: IncomingMessage, payload: [UInt8]) throws -> AcceptOutcome {
        if let previous = previous(message.idempotencyKey) { return AcceptOutcome.of(message, previous: previous) }
        guard messages[message.id] == nil else { throw StoreError.conflict("message \(message.id) exists") }
        messages[message.id] = Message(
            id: message.id, kind: message.kind, sender: message.sender, documentId: message.documentId, key: message.idempotencyKey,
            receivedAt: message.receivedAt, size: payload.count, sha256: message.sha256, payloadPath: Self.memoryMarker,
            verdict: message.verdictJSON, bucket: message.bucket, businessType: message.businessType, statusCode: message.statusCode,
            answersDocumentId: message.answersDocumentId, answer: message.answerJSON, via: message.via, dueDate: message.dueDate)
        messageOrder.append(message.id)
        byKey[message.idempotencyKey] = message.id
        payloads[message.id] = payload
        keepObjects(message.evidence, snapshot: message.trustSnapshot)
        for object in message.evidence { messageObjects[message.id, default: []].insert(object.sha256) }
        if let entry = message.logEntry { insertEvent(entry, message: message.id) }
        if message.kind == "edoc" {
            // One entry per distinct document, on the day of its first arrival: a document refused before
            // (counted invalid then) moves to the bucket of its accepted copy, on that first day.
            var countedAt = message.receivedAt
            if let refused = refusedKeys[message.idempotencyKey], !refused.resolved {
                count(sender: refused.sender, recipients: refused.recipients, businessType: refused.businessType, bucket: "invalid",
                      at: refused.firstAt, by: -1)
                refusedKeys[message.idempotencyKey]?.resolved = true
                countedAt = refused.firstAt
            }
            count(sender: message.sender, recipients: message.recipients, businessType: message.businessType ?? 0, bucket: message.bucket,
                  at: countedAt)
            let day = CivilCalendar.vietnamDay(message.receivedAt)
            for signer in message.signers {
                dailySigners.insert(SignerKey(day: day, agency: message.sender, kind: signer.kind, certificate: signer.certificate))
            }
        }
        for (recipient, reason) in message.unrouted.sorted(by: { $0.key < $1.key }) {
            addDelivery(Delivery(id: 0, messageId: message.id, recipient: recipient, kind: message.kind, state: .failed,
                                 updatedAt: message.receivedAt, reason: reason))
        }
        for recipient in message.recipients {
            let target = message.targets[recipient]
            addDelivery(Delivery(id: 0, messageId: message.id, recipient: recipient, kind: message.kind,
                                 state: target == nil ? .awaitingPull : .queued, updatedAt: message.receivedAt, target: target,
                                 nextAttemptAt: target == nil ? nil : message.receivedAt))
        }
        return .accepted
    }

    func addDelivery(_ delivery: Delivery) {
        var delivery = delivery
        delivery.id = nextDeliveryId
        nextDeliveryId += 1
        deliveries.append(delivery)
    }

    /// The accepted message under `key`: its answer, id and SHA-256.
    func previous(_ key: String) -> (answer: String, id: String, sha256: String)? {
        guard let id = byKey[key], let message = messages[id] else { return nil }
        return (message.answer, message.id, message.sha256)
    }

    /// Validation objects and a trust snapshot kept once each (by SHA-256, by id).
    func keepObjects(_ records: [EvidenceRecord], snapshot: TrustSnapshotRecord?) {
        for object in records where objects[object.sha256] == nil { objects[object.sha256] = object }
        if let snapshot, snapshots[snapshot.id] == nil { snapshots[snapshot.id] = snapshot }
    }

    package func payload(of messageId: String, at location: String) throws -> [UInt8] {
        guard location == Self.memoryMarker, let bytes = payloads[messageId] else {
            throw StoreError.notFound("no payload for message \(messageId)")
        }
        return bytes
    }

    package func message(_ id: String) -> StoredMessage? {
        messages[id].map(Self.stored)
    }

    static func stored(_ m: Message) -> StoredMessage {
        StoredMessage(id: m.id, kind: m.kind, sender: m.sender, documentId: m.documentId, receivedAt: m.receivedAt, size: m.size,
                      sha256: m.sha256, payloadPath: m.payloadPath, verdictJSON: m.verdict, bucket: m.bucket,
                      businessType: m.businessType, answersDocumentId: m.answersDocumentId)
    }

    package func recipients(of id: String) -> [String] {
        deliveries.filter { $0.messageId == id }.map(\.recipient)
    }

    /// Messages whose hub id or DocumentId is `key` (a DocumentId may name several: one per sender).
    package func findMessages(_ key: String) -> [FoundMessage] {
        var found = messages[key].map { [$0] } ?? []
        found += messageOrder.compactMap { messages[$0] }.filter { $0.documentId == key && $0.id != key }
        return found.sorted { $0.receivedAt < $1.receivedAt }.prefix(50).map {
            FoundMessage(id: $0.id, kind: $0.kind, sender: $0.sender, documentId: $0.documentId, receivedAt: $0.receivedAt, bucket: $0.bucket)
        }
    }

    // MARK: EvidenceStore

    package func validationObjects(of messageId: String) -> [EvidenceRecord] {
        (messageObjects[messageId] ?? []).sorted().compactMap { objects[$0] }
    }

    package func trustSnapshot(_ id: String) -> TrustSnapshotRecord? { snapshots[id] }

    package func evidenceTotals() -> EvidenceTotals {
        EvidenceTotals(objects: Int64(objects.count), bytes: objects.values.reduce(0) { $0 + Int64($1.der.count) },
                       links: messageObjects.values.reduce(0) { $0 + Int64($1.count) }, snapshots: Int64(snapshots.count))
    }

    package func messagesReceived(from: Int64, to: Int64, after cursor: (Int64, String)?, limit: Int) -> [(receivedAt: Int64, id: String)] {
        messages.values.filter { m in
            m.receivedAt >= from && m.receivedAt < to
                && cursor.map { m.receivedAt > $0.0 || (m.receivedAt == $0.0 && m.id > $0.1) } ?? true
        }
        .sorted { ($0.receivedAt, $0.id) < ($1.receivedAt, $1.id) }
        .prefix(max(0, limit)).map { (receivedAt: $0.receivedAt, id: $0.id) }
    }
}

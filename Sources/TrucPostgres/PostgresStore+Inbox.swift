import Foundation
import PostgresNIO
import TrucLog
package import TrucCore
package import TrucStore
import TrucVocabulary

// The InboxStore role on PostgreSQL: what recipients pull and acknowledge, what senders trace.
extension PostgresStore: InboxStore {
    package func inbox(for agency: String, kind: String?, after cursor: Int64, limit: Int, includeReceipts: Bool) async throws -> [InboxItem] {
        // Status items are the business status messages and the hub's delivery receipts.
        let kinds: [String]?
        if let kind {
            kinds = kind == "status" && includeReceipts ? ["status", "receipt"] : [kind]
        } else {
            kinds = includeReceipts ? nil : ["edoc", "status"]
        }
        let rows = try await client.query("""
            SELECT d.id, d.message_id, d.kind, m.sender, m.document_id, m.received_at, m.size, m.sha256, m.bucket, m.status_code
            FROM deliveries d JOIN messages m ON m.id = d.message_id
            WHERE d.recipient = \(agency) AND d.state = 'awaiting-pull' AND d.id > \(cursor)
              AND (\(kinds == nil) OR d.kind = ANY(\(kinds ?? [])))
            ORDER BY d.id LIMIT \(Int64(limit))
            """, logger: logger)
        var items: [InboxItem] = []
        for try await r in rows.decode((Int64, String, String, String, String?, Int64, Int64, String, String, String?).self) {
            items.append(InboxItem(cursor: r.0, messageId: r.1, kind: r.2, sender: r.3, documentId: r.4, receivedAt: r.5, size: Int(r.6),
                                   sha256: r.7, bucket: r.8, statusCode: r.9, recipient: agency))
        }
        return items
    }

    package func acknowledge(_ id: String, by agency: String, outcome: AckOutcome, reason: String?) async throws -> DeliveryState? {
        let target: DeliveryState = outcome == .done ? .delivered : .failed
        let now = now()
        // (empty: the evidence log is off, and the statement writes no event)
        let event = EvidenceLogSwitch.isOn ? LogEvent.acknowledged(message: id, recipient: agency, outcome: outcome.rawValue, time: CivilCalendar.isoUTC(now)).canonical : []
        let rows = try await client.execute(AcknowledgeStatement(messageId: id, recipient: agency, target: target.rawValue, reason: reason,
                                                                 now: now, event: event), logger: logger)
        guard let state = rows.first else { return nil }
        return DeliveryState(rawValue: state)
    }

    package func markProgress(_ id: String, by agency: String, progress: String) async throws -> Bool {
        let now = now()
        var changed = false
        for try await _ in try await client.query("""
            UPDATE deliveries SET progress = \(progress), progress_at = \(now), updated_at = \(now) WHERE message_id = \(id) AND recipient = \(agency)
              AND state NOT IN ('delivered', 'failed', 'dead') RETURNING id
            """, logger: logger).decode(Int64.self) { changed = true }
        return changed
    }

    package func recentSent(by senders: [String], limit: Int) async throws -> [String] {
        guard !senders.isEmpty else { return [] }
        var ids: [String] = []
        for try await id in try await client.query("""
            SELECT id FROM messages WHERE kind = 'edoc' AND sender = ANY(\(senders)) ORDER BY received_at DESC, id DESC LIMIT \(Int64(limit))
            """, logger: logger).decode(String.self) { ids.append(id) }
        return ids
    }

    package func trace(_ id: String) async throws -> [DeliveryTrace] {
        let rows = try await client.query("""
            SELECT recipient, state, attempts, delivered_at, how, reason, updated_at, progress, progress_at FROM deliveries
            WHERE message_id = \(id) ORDER BY id
            """, logger: logger)
        var traces: [DeliveryTrace] = []
        for try await r in rows.decode((String, String, Int, Int64?, String?, String?, Int64, String?, Int64?).self) {
            traces.append(DeliveryTrace(recipient: r.0, state: r.1, attempts: r.2, deliveredAt: r.3, how: r.4, reason: r.5, updatedAt: r.6,
                                        progress: r.7, progressAt: r.8))
        }
        return traces
    }

    package func statuses(answering documentId: String, of messageId: String, sender: String) async throws -> [StatusTrace] {
        let rows = try await client.query("""
            SELECT s.id, s.sender, s.status_code, s.received_at FROM messages s
            WHERE s.kind = 'status' AND s.answers_document_id = \(documentId)
              AND ((s.sender IN (SELECT recipient FROM deliveries WHERE message_id = \(messageId))
                    AND EXISTS (SELECT 1 FROM deliveries sd WHERE sd.message_id = s.id AND sd.recipient = \(sender)))
                OR (s.sender = \(sender) AND EXISTS (SELECT 1 FROM deliveries sd WHERE sd.message_id = s.id
                    AND sd.recipient IN (SELECT recipient FROM deliveries WHERE message_id = \(messageId)))))
            ORDER BY s.received_at, s.id
            """, logger: logger)
        var traces: [StatusTrace] = []
        for try await r in rows.decode((String, String, String?, Int64).self) {
            traces.append(StatusTrace(messageId: r.0, sender: r.1, statusCode: r.2, receivedAt: r.3))
        }
        return traces
    }

    package func receipts(for messageId: String) async throws -> [ReceiptTrace] {
        var traces: [ReceiptTrace] = []
        for try await r in try await client.query("""
            SELECT id, received_at, idempotency_key FROM messages WHERE kind = 'receipt' AND answers_document_id = \(messageId) ORDER BY received_at, id
            """, logger: logger).decode((String, Int64, String).self) { traces.append(ReceiptTrace(receiptId: r.0, issuedAt: r.1, key: r.2)) }
        return traces
    }

    package func originals(_ documentId: String, sender: String) async throws -> [LinkedDocument] {
        try await linked("""
            SELECT id, sender, document_id, COALESCE(business_type, 0), received_at FROM messages
            WHERE kind = 'edoc' AND document_id = \(documentId) AND sender = \(sender) AND COALESCE(business_type, 0) = 0 ORDER BY received_at, id
            """)
    }

    package func documentsActingOn(_ documentId: String, sender: String) async throws -> [LinkedDocument] {
        try await linked("""
            SELECT id, sender, document_id, COALESCE(business_type, 0), received_at FROM messages
            WHERE kind = 'edoc' AND answers_document_id = \(documentId) AND sender = \(sender) AND business_type IN (1, 2, 3)
            ORDER BY received_at, id
            """)
    }

    package func originalParties(_ documentId: String, senders: [String]) async throws -> [(sender: String, recipients: [String])] {
        var parties: [(sender: String, recipients: [String])] = []
        for sender in Set(senders).sorted() {
            for original in try await originals(documentId, sender: sender) {
                parties.append((sender, try await recipients(of: original.messageId)))
            }
        }
        return parties
    }

    private func linked(_ query: PostgresQuery) async throws -> [LinkedDocument] {
        var documents: [LinkedDocument] = []
        for try await r in try await client.query(query, logger: logger).decode((String, String, String?, Int, Int64).self) {
            documents.append(LinkedDocument(messageId: r.0, sender: r.1, documentId: r.2, businessType: r.3, receivedAt: r.4))
        }
        return documents
    }
}

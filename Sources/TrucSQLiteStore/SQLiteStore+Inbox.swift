import Foundation
package import TrucCore
import TrucCrypto
import TrucLog
import TrucSQLite
import TrucVocabulary
package import TrucStore

// The InboxStore role: what recipients pull and acknowledge, what senders trace.
extension SQLiteStore {
    /// A recipient's progress short of delivery (the SDK's `updateStatus processing`). False when no such
    /// delivery waits (delivered, failed or unknown).
    package func markProgress(_ id: String, by agency: String, progress: String) throws -> Bool {
        try db.run("""
            UPDATE deliveries SET progress = ?, progress_at = ?, updated_at = ? WHERE message_id = ? AND recipient = ?
              AND state NOT IN ('delivered', 'failed', 'dead')
            """, [.text(progress), .integer(now()), .integer(now()), .text(id), .text(agency)]) > 0
    }

    /// The latest documents the given agencies sent (newest first).
    package func recentSent(by senders: [String], limit: Int) throws -> [String] {
        guard !senders.isEmpty else { return [] }
        return try db.query("""
            SELECT id FROM messages WHERE kind = 'edoc' AND sender IN (\(Array(repeating: "?", count: senders.count).joined(separator: ",")))
            ORDER BY received_at DESC, id DESC LIMIT ?
            """, senders.map { .text($0) } + [.integer(Int64(limit))]) { $0.text(0) ?? "" }
    }

    /// What waits for `agency`, oldest first, after the cursor.
    /// - Parameter includeReceipts: with kind `status` (or nil), the hub's delivery receipts too.
    package func inbox(for agency: String, kind: String?, after cursor: Int64, limit: Int, includeReceipts: Bool = true) throws -> [InboxItem] {
        var sql = """
            SELECT d.id, d.message_id, d.kind, m.sender, m.document_id, m.received_at, m.size, m.sha256, m.bucket, m.status_code
            FROM deliveries d JOIN messages m ON m.id = d.message_id
            WHERE d.recipient = ? AND d.state = 'awaiting-pull' AND d.id > ?
            """
        var bindings: [SQLiteValue] = [.text(agency), .integer(cursor)]
        if let kind {
            // Status items are the business status messages and the hub's delivery receipts.
            sql += kind == "status" && includeReceipts ? " AND d.kind IN ('status', 'receipt')" : " AND d.kind = ?"
            if kind != "status" || !includeReceipts { bindings.append(.text(kind)) }
        } else if !includeReceipts {
            sql += " AND d.kind <> 'receipt'"
        }
        sql += " ORDER BY d.id LIMIT ?"
        bindings.append(.integer(Int64(limit)))
        return try db.query(sql, bindings) { row in
            InboxItem(cursor: row.int(0), messageId: row.text(1) ?? "", kind: row.text(2) ?? "", sender: row.text(3) ?? "",
                      documentId: row.text(4), receivedAt: row.int(5), size: Int(row.int(6)), sha256: row.text(7) ?? "",
                      bucket: row.text(8) ?? "", statusCode: row.text(9), recipient: agency)
        }
    }

    /// Marks the recipient's delivery taken (`done`) or refused (`fail`). Idempotent: acknowledging again
    /// with the same outcome changes nothing and succeeds; returns nil when there is no such delivery.
    package func acknowledge(_ id: String, by agency: String, outcome: AckOutcome, reason: String?) throws -> DeliveryState? {
        let current = try db.query("SELECT state FROM deliveries WHERE message_id = ? AND recipient = ?", [.text(id), .text(agency)]) {
            $0.text(0).flatMap(DeliveryState.init(rawValue:))
        }
        guard let found = current.first, let state = found else { return nil }
        let target: DeliveryState = outcome == .done ? .delivered : .failed
        if state == .delivered || state == .failed { return state }
        let now = now()
        try db.transaction {
            try db.run("""
                UPDATE deliveries SET state = ?, delivered_at = ?, how = 'pull', reason = ?, updated_at = ? WHERE message_id = ? AND recipient = ?
                """, [.text(target.rawValue), .integer(now), opt(reason), .integer(now), .text(id), .text(agency)])
            try logEvent(.acknowledged(message: id, recipient: agency, outcome: outcome.rawValue, time: CivilCalendar.isoUTC(now)), message: id)
        }
        return target
    }

    package func trace(_ id: String) throws -> [DeliveryTrace] {
        try db.query("""
            SELECT recipient, state, attempts, delivered_at, how, reason, updated_at, progress, progress_at FROM deliveries
            WHERE message_id = ? ORDER BY id
            """, [.text(id)]) { row in
            DeliveryTrace(recipient: row.text(0) ?? "", state: row.text(1) ?? "", attempts: Int(row.int(2)),
                          deliveredAt: row.isNull(3) ? nil : row.int(3), how: row.text(4), reason: row.text(5), updatedAt: row.int(6),
                          progress: row.text(7), progressAt: row.isNull(8) ? nil : row.int(8))
        }
    }

    /// Status messages about a document exchanged between its sender and one of its recipients (either way).
    package func statuses(answering documentId: String, of messageId: String, sender: String) throws -> [StatusTrace] {
        try db.query("""
            SELECT s.id, s.sender, s.status_code, s.received_at FROM messages s
            WHERE s.kind = 'status' AND s.answers_document_id = ?
              AND ((s.sender IN (SELECT recipient FROM deliveries WHERE message_id = ?)
                    AND EXISTS (SELECT 1 FROM deliveries sd WHERE sd.message_id = s.id AND sd.recipient = ?))
                OR (s.sender = ? AND EXISTS (SELECT 1 FROM deliveries sd WHERE sd.message_id = s.id
                    AND sd.recipient IN (SELECT recipient FROM deliveries WHERE message_id = ?))))
            ORDER BY s.received_at, s.id
            """, [.text(documentId), .text(messageId), .text(sender), .text(sender), .text(messageId)]) { row in
            StatusTrace(messageId: row.text(0) ?? "", sender: row.text(1) ?? "", statusCode: row.text(2), receivedAt: row.int(3))
        }
    }

    /// Revocations, updates and replacements `sender` sent for its document (by DocumentId), oldest first.
    package func documentsActingOn(_ documentId: String, sender: String) throws -> [LinkedDocument] {
        try db.query("""
            SELECT id, sender, document_id, business_type, received_at FROM messages
            WHERE kind = 'edoc' AND answers_document_id = ? AND sender = ? AND business_type IN (1, 2, 3) ORDER BY received_at, id
            """, [.text(documentId), .text(sender)], Self.linkedRow)
    }

    /// The original documents (business type 0) `sender` sent with this DocumentId.
    package func originals(_ documentId: String, sender: String) throws -> [LinkedDocument] {
        try db.query("""
            SELECT id, sender, document_id, business_type, received_at FROM messages
            WHERE kind = 'edoc' AND document_id = ? AND sender = ? AND COALESCE(business_type, 0) = 0 ORDER BY received_at, id
            """, [.text(documentId), .text(sender)], Self.linkedRow)
    }

    package func originalParties(_ documentId: String, senders: [String]) throws -> [(sender: String, recipients: [String])] {
        var parties: [(sender: String, recipients: [String])] = []
        for sender in Set(senders).sorted() {
            for original in try originals(documentId, sender: sender) {
                parties.append((sender, try recipients(of: original.messageId)))
            }
        }
        return parties
    }

    static func linkedRow(_ row: Row) -> LinkedDocument {
        LinkedDocument(messageId: row.text(0) ?? "", sender: row.text(1) ?? "", documentId: row.text(2), businessType: Int(row.int(3)),
                       receivedAt: row.int(4))
    }

    /// Receipts the hub issued for a message (hub ids), by recipient.
    package func receipts(for messageId: String) throws -> [ReceiptTrace] {
        try db.query("""
            SELECT id, received_at, idempotency_key FROM messages WHERE kind = 'receipt' AND answers_document_id = ? ORDER BY received_at, id
            """, [.text(messageId)]) { row in
            ReceiptTrace(receiptId: row.text(0) ?? "", issuedAt: row.int(1), key: row.text(2) ?? "")
        }
    }
}

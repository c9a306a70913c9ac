import TrucSQLite
package import TrucStore

// The EvidenceStore role on SQLite.
extension SQLiteStore {
    package nonisolated func validationObjects(of messageId: String) throws -> [EvidenceRecord] {
        try readers.read { db in
            try db.query("""
                SELECT o.sha256, o.kind, o.der FROM message_objects m JOIN validation_objects o ON o.sha256 = m.sha256
                WHERE m.message_id = ? ORDER BY o.sha256
                """, [.text(messageId)]) { EvidenceRecord(sha256: $0.text(0) ?? "", kind: $0.text(1) ?? "", der: $0.blob(2) ?? []) }
        }
    }

    package nonisolated func trustSnapshot(_ id: String) throws -> TrustSnapshotRecord? {
        try readers.read { db in
            try db.query("SELECT id, contents FROM trust_snapshots WHERE id = ?", [.text(id)]) {
                TrustSnapshotRecord(id: $0.text(0) ?? "", contents: $0.blob(1) ?? [])
            }.first
        }
    }

    package nonisolated func evidenceTotals() throws -> EvidenceTotals {
        try readers.read { db in
            let objects = try db.query("SELECT count(*), coalesce(sum(length(der)), 0) FROM validation_objects") { ($0.int(0), $0.int(1)) }.first ?? (0, 0)
            let links = try db.query("SELECT count(*) FROM message_objects") { $0.int(0) }.first ?? 0
            let snapshots = try db.query("SELECT count(*) FROM trust_snapshots") { $0.int(0) }.first ?? 0
            return EvidenceTotals(objects: objects.0, bytes: objects.1, links: links, snapshots: snapshots)
        }
    }

    package nonisolated func messagesReceived(from: Int64, to: Int64, after cursor: (Int64, String)?, limit: Int) throws -> [(receivedAt: Int64, id: String)] {
        try readers.read { db in
            try db.query("""
                SELECT received_at, id FROM messages WHERE received_at >= ? AND received_at < ? AND (received_at > ? OR (received_at = ? AND id > ?))
                ORDER BY received_at, id LIMIT ?
                """, [.integer(from), .integer(to), .integer(cursor?.0 ?? Int64.min), .integer(cursor?.0 ?? Int64.min), .text(cursor?.1 ?? ""),
                      .integer(Int64(limit))]) { (receivedAt: $0.int(0), id: $0.text(1) ?? "") }
        }
    }
}

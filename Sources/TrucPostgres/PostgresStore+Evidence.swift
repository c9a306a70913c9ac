import NIOCore
import PostgresNIO
package import TrucStore

// The EvidenceStore role on PostgreSQL.
extension PostgresStore: EvidenceStore {
    package func validationObjects(of messageId: String) async throws -> [EvidenceRecord] {
        var result: [EvidenceRecord] = []
        for try await (sha256, kind, der) in try await client.query("""
            SELECT o.sha256, o.kind, o.der FROM message_objects m JOIN validation_objects o ON o.sha256 = m.sha256
            WHERE m.message_id = \(messageId) ORDER BY o.sha256
            """, logger: logger).decode((String, String, ByteBuffer).self) {
            result.append(EvidenceRecord(sha256: sha256, kind: kind, der: Array(buffer: der)))
        }
        return result
    }

    package func trustSnapshot(_ id: String) async throws -> TrustSnapshotRecord? {
        for try await (found, contents) in try await client.query("SELECT id, contents FROM trust_snapshots WHERE id = \(id)", logger: logger)
            .decode((String, ByteBuffer).self) {
            return TrustSnapshotRecord(id: found, contents: Array(buffer: contents))
        }
        return nil
    }

    package func evidenceTotals() async throws -> EvidenceTotals {
        var totals = EvidenceTotals(objects: 0, bytes: 0, links: 0, snapshots: 0)
        for try await (objects, bytes, links, snapshots) in try await client.query("""
            SELECT (SELECT count(*) FROM validation_objects), (SELECT coalesce(sum(length(der)), 0)::BIGINT FROM validation_objects),
                   (SELECT count(*) FROM message_objects), (SELECT count(*) FROM trust_snapshots)
            """, logger: logger).decode((Int64, Int64, Int64, Int64).self) {
            totals = EvidenceTotals(objects: objects, bytes: bytes, links: links, snapshots: snapshots)
        }
        return totals
    }

    package func messagesReceived(from: Int64, to: Int64, after cursor: (Int64, String)?, limit: Int) async throws -> [(receivedAt: Int64, id: String)] {
        var result: [(receivedAt: Int64, id: String)] = []
        let at = cursor?.0 ?? Int64.min, id = cursor?.1 ?? ""
        for try await (receivedAt, found) in try await client.query("""
            SELECT received_at, id FROM messages WHERE received_at >= \(from) AND received_at < \(to)
              AND (received_at > \(at) OR (received_at = \(at) AND id > \(id)))
            ORDER BY received_at, id LIMIT \(Int64(limit))
            """, logger: logger).decode((Int64, String).self) { result.append((receivedAt, found)) }
        return result
    }

    /// The message's validation data and trust snapshot, inside its intake transaction: the objects the
    /// database does not hold yet are sent (one query asks which), then one link per object.
    static func recordEvidence(_ message: IncomingMessage, on connection: PostgresConnection, logger: Logger) async throws {
        try await keepObjects(message.evidence, snapshot: message.trustSnapshot, at: message.receivedAt, on: connection, logger: logger)
        if !message.evidence.isEmpty {
            let hashes = message.evidence.map(\.sha256)
            try await connection.query("""
                INSERT INTO message_objects(message_id, sha256) SELECT \(message.id), unnest(\(hashes)::TEXT[]) ON CONFLICT DO NOTHING
                """, logger: logger)
        }
    }

    /// Validation objects and a trust snapshot kept once each (by SHA-256, by id), inside the caller's transaction.
    static func keepObjects(_ objects: [EvidenceRecord], snapshot: TrustSnapshotRecord?, at time: Int64, on connection: PostgresConnection,
                            logger: Logger) async throws {
        if !objects.isEmpty {
            let hashes = objects.map(\.sha256)
            var held = Set<String>()
            for try await sha256 in try await connection.query("SELECT sha256 FROM validation_objects WHERE sha256 = ANY(\(hashes))", logger: logger)
                .decode(String.self) { held.insert(sha256) }
            for object in objects where !held.contains(object.sha256) {
                held.insert(object.sha256)
                try await connection.query("""
                    INSERT INTO validation_objects(sha256, kind, der, first_seen)
                    VALUES (\(object.sha256), \(object.kind), \(ByteBuffer(bytes: object.der)), \(time)) ON CONFLICT DO NOTHING
                    """, logger: logger)
            }
        }
        if let snapshot {
            var held = false
            for try await _ in try await connection.query("SELECT 1 FROM trust_snapshots WHERE id = \(snapshot.id)", logger: logger).decode(Int32.self) { held = true }
            if !held {
                try await connection.query("""
                    INSERT INTO trust_snapshots(id, contents, first_seen) VALUES (\(snapshot.id), \(ByteBuffer(bytes: snapshot.contents)), \(time))
                    ON CONFLICT DO NOTHING
                    """, logger: logger)
            }
        }
    }
}

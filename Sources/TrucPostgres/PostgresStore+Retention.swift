import Foundation
import Logging
import NIOCore
import PostgresNIO
import TrucCore
import TrucLog
package import TrucStore
import TrucVocabulary

// The RetentionStore role on PostgreSQL: archives recorded under an advisory lock (one sequence each, in order,
// whichever node writes), purged payloads marked in `payload` and their chunks deleted a few hundred messages per
// transaction (row locks on those messages only; intake and deliveries go on).
extension PostgresStore: RetentionStore {
    /// The advisory lock key of archive recording ("arch").
    static let archiveLock: Int64 = 0x6172_6368

    package func purgeCandidates(receivedBefore: Int64, after cursor: (Int64, String)?, limit: Int) async throws -> [PurgeCandidate] {
        let (at, id) = cursor ?? (Int64.min, "")
        var result: [PurgeCandidate] = []
        let rows = try await client.query("""
            SELECT m.id, m.kind, m.sender, m.business_type, m.received_at, m.size, m.sha256,
                   (SELECT CASE WHEN count(*) = 0 OR sum(CASE WHEN d.state NOT IN ('delivered', 'failed', 'dead') THEN 1 ELSE 0 END) > 0
                                THEN NULL ELSE max(d.updated_at) END
                    FROM deliveries d WHERE d.message_id = m.id),
                   (SELECT string_agg(d.recipient, ',' ORDER BY d.id) FROM deliveries d WHERE d.message_id = m.id)
            FROM messages m
            WHERE m.received_at < \(receivedBefore) AND (m.received_at, m.id) > (\(at), \(id))
              AND m.kind <> 'receipt' AND m.payload NOT LIKE 'archived:%'
            ORDER BY m.received_at, m.id LIMIT \(Int64(limit))
            """, logger: logger)
        for try await (id, kind, sender, type, receivedAt, size, sha256, finalAt, recipients) in rows.decode(
            (String, String, String, Int32?, Int64, Int64, String, Int64?, String?).self) {
            result.append(PurgeCandidate(id: id, kind: kind, sender: sender, recipients: (recipients ?? "").split(separator: ",").map(String.init),
                                         businessType: type.map(Int.init), receivedAt: receivedAt, size: Int(size), sha256: sha256, finalAt: finalAt))
        }
        return result
    }

    package func lastArchive() async throws -> ArchiveRecord? {
        try await archiveRows("SELECT sequence, name, manifest_sha256, messages, bytes, created_at FROM archives ORDER BY sequence DESC LIMIT 1").first
    }

    package func archives(after sequence: Int64, limit: Int) async throws -> [ArchiveRecord] {
        try await archiveRows("""
            SELECT sequence, name, manifest_sha256, messages, bytes, created_at FROM archives WHERE sequence > \(sequence) ORDER BY sequence LIMIT \(Int64(limit))
            """)
    }

    private func archiveRows(_ query: PostgresQuery) async throws -> [ArchiveRecord] {
        var result: [ArchiveRecord] = []
        for try await (sequence, name, digest, messages, bytes, created) in try await client.query(query, logger: logger)
            .decode((Int64, String, String, Int64, Int64, Int64).self) {
            result.append(ArchiveRecord(sequence: sequence, name: name, manifestSHA256: digest, messages: messages, bytes: bytes, createdAt: created))
        }
        return result
    }

    package func recordArchive(_ archive: ArchiveRecord) async throws {
        try await transaction { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.archiveLock))", logger: self.logger)
            var last: Int64 = 0
            for try await value in try await connection.query("SELECT coalesce(max(sequence), 0)::BIGINT FROM archives", logger: self.logger).decode(Int64.self) {
                last = value
            }
            guard archive.sequence == last + 1 else {
                throw StoreError.conflict("archive \(archive.sequence) does not follow the last recorded archive (\(last))")
            }
            try await connection.query("""
                INSERT INTO archives(sequence, name, manifest_sha256, messages, bytes, created_at)
                VALUES (\(archive.sequence), \(archive.name), \(archive.manifestSHA256), \(archive.messages), \(archive.bytes), \(archive.createdAt))
                """, logger: self.logger)
            try await Self.logEvent(.archived(sequence: archive.sequence, manifestSHA256: archive.manifestSHA256, name: archive.name,
                                              messages: archive.messages, time: CivilCalendar.isoUTC(archive.createdAt)),
                                    on: connection, logger: self.logger)
        }
    }

    package func purgePayloads(_ ids: [String], archive sequence: Int64) async throws -> PurgeResult {
        let location = PurgedPayload.location(archive: sequence, at: now())
        return try await transaction { connection in
            var recorded = false
            for try await _ in try await connection.query("SELECT 1 FROM archives WHERE sequence = \(sequence)", logger: self.logger).decode(Int32.self) {
                recorded = true
            }
            guard recorded else { throw StoreError.invalid("archive \(sequence) is not recorded: nothing it holds may be purged") }
            var purged: [String] = [], bytes: Int64 = 0
            for try await (id, size) in try await connection.query("""
                UPDATE messages m SET payload = \(location)
                WHERE m.id = ANY(\(ids)) AND m.kind <> 'receipt' AND m.payload NOT LIKE 'archived:%'
                  AND EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = m.id)
                  AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = m.id AND d.state NOT IN ('delivered', 'failed', 'dead'))
                RETURNING m.id, m.size
                """, logger: self.logger).decode((String, Int64).self) {
                purged.append(id)
                bytes += size
            }
            if !purged.isEmpty {
                try await connection.query("DELETE FROM payload_chunks WHERE message_id = ANY(\(purged))", logger: self.logger)
                try await connection.query("UPDATE meta SET value = value + \(Int64(purged.count)) WHERE key = 'purged_messages'", logger: self.logger)
                try await connection.query("UPDATE meta SET value = value + \(bytes) WHERE key = 'purged_bytes'", logger: self.logger)
            }
            return PurgeResult(purged: purged, bytes: bytes)
        }
    }

    /// Nothing waits for the end of a round: each purge deleted its chunks.
    package func finishPurgeRound() async throws {}

    package func purgeTotals() async throws -> PurgeTotals {
        var totals = PurgeTotals(messages: 0, bytes: 0, archives: 0, archivedBytes: 0)
        for try await (key, value) in try await client.query("SELECT key, value FROM meta WHERE key IN ('purged_messages', 'purged_bytes')", logger: logger)
            .decode((String, Int64).self) {
            if key == "purged_messages" { totals.messages = value } else { totals.bytes = value }
        }
        for try await (count, bytes) in try await client.query("SELECT count(*), coalesce(sum(bytes), 0)::BIGINT FROM archives", logger: logger)
            .decode((Int64, Int64).self) {
            totals.archives = count
            totals.archivedBytes = bytes
        }
        return totals
    }
}

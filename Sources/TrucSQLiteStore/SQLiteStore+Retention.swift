import Foundation
import TrucCore
import TrucLog
import TrucSQLite
import TrucVocabulary
package import TrucStore

// The RetentionStore role on SQLite: archives recorded in `archives`, purged payloads marked in the message's
// `payload` column (`archived:<sequence>:<time>`), inline payloads deleted with the mark, segment ranges punched
// out after the commit, and the database's freed pages given back to the file system in small steps.
extension SQLiteStore {
    package nonisolated func purgeCandidates(receivedBefore: Int64, after cursor: (Int64, String)?, limit: Int) throws -> [PurgeCandidate] {
        let (at, id) = cursor ?? (Int64.min, "")
        return try readers.read { db in
            try db.query("""
                SELECT m.id, m.kind, m.sender, m.business_type, m.received_at, m.size, m.sha256,
                       (SELECT CASE WHEN count(*) = 0 OR sum(d.state NOT IN ('delivered', 'failed', 'dead')) > 0 THEN NULL ELSE max(d.updated_at) END
                        FROM deliveries d WHERE d.message_id = m.id),
                       (SELECT group_concat(d.recipient, ',') FROM deliveries d WHERE d.message_id = m.id)
                FROM messages m
                WHERE m.received_at < ? AND (m.received_at > ? OR (m.received_at = ? AND m.id > ?))
                  AND m.kind != 'receipt' AND m.payload NOT LIKE 'archived:%'
                ORDER BY m.received_at, m.id LIMIT ?
                """, [.integer(receivedBefore), .integer(at), .integer(at), .text(id), .integer(Int64(limit))]) { row in
                PurgeCandidate(id: row.text(0) ?? "", kind: row.text(1) ?? "", sender: row.text(2) ?? "",
                               recipients: (row.text(8) ?? "").split(separator: ",").map(String.init),
                               businessType: row.isNull(3) ? nil : Int(row.int(3)), receivedAt: row.int(4), size: Int(row.int(5)),
                               sha256: row.text(6) ?? "", finalAt: row.isNull(7) ? nil : row.int(7))
            }
        }
    }

    package nonisolated func lastArchive() throws -> ArchiveRecord? {
        try readers.read { db in try Self.archiveRows(db, "ORDER BY sequence DESC LIMIT 1", []) }.first
    }

    package nonisolated func archives(after sequence: Int64, limit: Int) throws -> [ArchiveRecord] {
        try readers.read { db in try Self.archiveRows(db, "WHERE sequence > ? ORDER BY sequence LIMIT ?", [.integer(sequence), .integer(Int64(limit))]) }
    }

    static func archiveRows(_ db: Database, _ tail: String, _ bindings: [SQLiteValue]) throws -> [ArchiveRecord] {
        try db.query("SELECT sequence, name, manifest_sha256, messages, bytes, created_at FROM archives " + tail, bindings) {
            ArchiveRecord(sequence: $0.int(0), name: $0.text(1) ?? "", manifestSHA256: $0.text(2) ?? "", messages: $0.int(3), bytes: $0.int(4), createdAt: $0.int(5))
        }
    }

    package func recordArchive(_ archive: ArchiveRecord) throws {
        try db.transaction {
            let last = try db.query("SELECT max(sequence) FROM archives") { $0.isNull(0) ? 0 : $0.int(0) }.first ?? 0
            guard archive.sequence == last + 1 else {
                throw StoreError.conflict("archive \(archive.sequence) does not follow the last recorded archive (\(last))")
            }
            try db.run("INSERT INTO archives(sequence, name, manifest_sha256, messages, bytes, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                       [.integer(archive.sequence), .text(archive.name), .text(archive.manifestSHA256), .integer(archive.messages),
                        .integer(archive.bytes), .integer(archive.createdAt)])
            try logEvent(.archived(sequence: archive.sequence, manifestSHA256: archive.manifestSHA256, name: archive.name,
                                   messages: archive.messages, time: CivilCalendar.isoUTC(archive.createdAt)))
        }
    }

    package func purgePayloads(_ ids: [String], archive sequence: Int64) async throws -> PurgeResult {
        let now = now()
        let (result, segmentsToFree, files) = try purgeRows(ids, archive: sequence, now: now)
        if !segmentsToFree.isEmpty || !files.isEmpty {
            // Bytes outside the database go only once the purge that stops referring to them is on disk.
            let syncer = self.syncer
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                syncer.afterSync { error in
                    if let error { continuation.resume(throwing: error) } else { continuation.resume() }
                }
            }
        }
        // (Payloads of versions before segments, a file each, go after the commit.)
        for file in files { unlink(file) }
        if !segmentsToFree.isEmpty {
            let segments = self.segments
            _ = try await Self.blockingIO { try segments.release(segmentsToFree) }
        }
        // Free pages back to the file system, 256 (1 MiB) per step with the store's other work between steps (a database
        // made with incremental auto-vacuum; in an older one freed pages are reused by the next messages). Without an
        // fsync of their own: a step lost in a crash is done again by the next purge.
        for _ in 0..<64 {
            guard let free = try db.query("PRAGMA freelist_count", [], { $0.int(0) }).first, free > 0,
                  try db.query("PRAGMA auto_vacuum", [], { $0.int(0) }).first == 2 else { break }
            try db.run("PRAGMA synchronous=NORMAL")
            defer { _ = try? db.run("PRAGMA synchronous=FULL") }
            try db.execute("PRAGMA incremental_vacuum(256)")
            await Task.yield()
        }
        return result
    }

    /// The purge's transaction: marks, deletes inline payloads, counts; answers the segment ranges to free after it.
    private func purgeRows(_ ids: [String], archive sequence: Int64, now: Int64) throws -> (PurgeResult, [String], [String]) {
        // Without an fsync of its own (as the log's sequencer): the archive holding these payloads is on disk and
        // recorded, so a purge lost in a crash is only done again by the next round. (Segment ranges and files are
        // freed after the WAL syncer made it durable.)
        try db.run("PRAGMA synchronous=NORMAL")
        defer { _ = try? db.run("PRAGMA synchronous=FULL") }
        return try db.transaction {
            guard try !db.query("SELECT 1 FROM archives WHERE sequence = ?", [.integer(sequence)]) { _ in true }.isEmpty else {
                throw StoreError.invalid("archive \(sequence) is not recorded: nothing it holds may be purged")
            }
            var purged: [String] = [], bytes: Int64 = 0, segments: [String] = [], files: [String] = []
            for id in ids {
                guard let (location, size) = try db.query("""
                    SELECT payload, size FROM messages m WHERE id = ? AND kind != 'receipt' AND payload NOT LIKE 'archived:%'
                      AND EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = m.id)
                      AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = m.id AND d.state NOT IN ('delivered', 'failed', 'dead'))
                    """, [.text(id)], { ($0.text(0) ?? "", $0.int(1)) }).first else { continue }
                try db.run("UPDATE messages SET payload = ? WHERE id = ?", [.text(PurgedPayload.location(archive: sequence, at: now)), .text(id)])
                if location == Self.inlineMarker {
                    try db.run("DELETE FROM payloads WHERE message_id = ?", [.text(id)])
                } else if location.hasPrefix(PayloadSegments.prefix) {
                    segments.append(location)
                } else if location.hasPrefix("/") {
                    files.append(location)
                }
                purged.append(id)
                bytes += size
            }
            try db.run("UPDATE meta SET value = value + ? WHERE key = 'purged_messages'", [.integer(Int64(purged.count))])
            try db.run("UPDATE meta SET value = value + ? WHERE key = 'purged_bytes'", [.integer(bytes)])
            return (PurgeResult(purged: purged, bytes: bytes), segments, files)
        }
    }

    package func finishPurgeRound() async throws {
        let segments = self.segments, readers = self.readers
        _ = try await Self.blockingIO {
            try segments.removeEmpty { segment in
                try readers.read { db in
                    try !db.query("SELECT 1 FROM messages WHERE payload LIKE ? LIMIT 1", [.text(PayloadSegments.prefix + segment + ":%")]) { _ in true }.isEmpty
                }
            }
        }
    }

    package nonisolated func purgeTotals() throws -> PurgeTotals {
        try readers.read { db in
            let meta = Dictionary(try db.query("SELECT key, value FROM meta WHERE key IN ('purged_messages', 'purged_bytes')") { ($0.text(0) ?? "", $0.int(1)) },
                                  uniquingKeysWith: { a, _ in a })
            let archives = try db.query("SELECT count(*), coalesce(sum(bytes), 0) FROM archives") { ($0.int(0), $0.int(1)) }.first ?? (0, 0)
            return PurgeTotals(messages: meta["purged_messages"] ?? 0, bytes: meta["purged_bytes"] ?? 0, archives: archives.0, archivedBytes: archives.1)
        }
    }
}

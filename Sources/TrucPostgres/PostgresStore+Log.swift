package import Logging
import Foundation
import NIOCore
import PostgresNIO
import TrucCrypto
import TrucLog
package import TrucStore
import TrucVocabulary

// The EvidenceLogStore role on PostgreSQL: every node may run the sequencer; a transaction-level advisory lock
// lets one at a time in (the others skip their turn), so the tree never forks.
extension PostgresStore: EvidenceLogStore {
    /// The advisory lock key of the sequencer ("9162", RFC 9162).
    static let sequencerLock: Int64 = 9162

    package func sequenceLog(limit: Int) async throws -> Int64 {
        try await transaction { connection in
            var locked = false
            for try await got in try await connection.query("SELECT pg_try_advisory_xact_lock(\(Self.sequencerLock))", logger: self.logger)
                .decode(Bool.self) { locked = got }
            var size: Int64 = 0
            for try await count in try await connection.query("SELECT coalesce(max(idx) + 1, 0) FROM log_nodes WHERE level = 0", logger: self.logger).decode(Int64.self) {
                size = count
            }
            guard locked else { return size } // another node is sequencing now
            var pending: [(id: Int64, entry: [UInt8])] = []
            for try await (id, entry) in try await connection.query("""
                SELECT e.id, e.entry FROM log_pending p JOIN log_events e ON e.id = p.event_id ORDER BY p.event_id LIMIT \(Int64(limit))
                """, logger: self.logger).decode((Int64, ByteBuffer).self) { pending.append((id, Array(buffer: entry))) }
            guard !pending.isEmpty else { return size }
            // The left siblings the new leaves need: at most one per level.
            var stored: [String: [UInt8]] = [:]
            for try await (level, index, hash) in try await connection.query("""
                SELECT level, idx, hash FROM log_nodes WHERE (level, idx) IN (SELECT l, ((\(size) >> l) - 1) FROM generate_series(0, 62) AS l)
                """, logger: self.logger).decode((Int32, Int64, ByteBuffer).self) { stored["\(level)/\(index)"] = Array(buffer: hash) }
            let nodes = try MerkleTree.appending(pending.map { MerkleTree.leafHash($0.entry) }, to: size) { level, index in
                guard let hash = stored["\(level)/\(index)"] else {
                    throw StoreError.invalid("the evidence log lacks node (\(level), \(index)) of a tree of \(size) leaves")
                }
                return hash
            }
            let ids = pending.map(\.id), indexes = pending.indices.map { size + Int64($0) }
            try await connection.query("""
                WITH done AS (DELETE FROM log_pending WHERE event_id = ANY(\(ids)::BIGINT[]))
                INSERT INTO log_leaves(leaf, event_id) SELECT * FROM unnest(\(indexes)::BIGINT[], \(ids)::BIGINT[])
                """, logger: self.logger)
            try await connection.query("""
                INSERT INTO log_nodes(level, idx, hash)
                SELECT * FROM unnest(\(nodes.map { Int32($0.level) })::INTEGER[], \(nodes.map(\.index))::BIGINT[], \(nodes.map { ByteBuffer(bytes: $0.hash) })::BYTEA[])
                """, logger: self.logger)
            return size + Int64(pending.count)
        }
    }

    package func logSize() async throws -> Int64 {
        for try await count in try await client.query("SELECT coalesce(max(idx) + 1, 0) FROM log_nodes WHERE level = 0", logger: logger).decode(Int64.self) { return count }
        return 0
    }

    package func logNode(level: Int, index: Int64) async throws -> [UInt8]? {
        for try await hash in try await client.query("SELECT hash FROM log_nodes WHERE level = \(Int32(level)) AND idx = \(index)", logger: logger)
            .decode(ByteBuffer.self) { return Array(buffer: hash) }
        return nil
    }

    package func logEntries(from: Int64, count: Int) async throws -> [(index: Int64, entry: [UInt8])] {
        var result: [(index: Int64, entry: [UInt8])] = []
        for try await (index, entry) in try await client.query("""
            SELECT l.leaf, e.entry FROM log_leaves l JOIN log_events e ON e.id = l.event_id WHERE l.leaf >= \(from) ORDER BY l.leaf LIMIT \(Int64(count))
            """, logger: logger).decode((Int64, ByteBuffer).self) { result.append((index, Array(buffer: entry))) }
        return result
    }

    package func logIndex(ofMessage id: String) async throws -> Int64? {
        for try await index in try await client.query("""
            SELECT l.leaf FROM log_events e JOIN log_leaves l ON l.event_id = e.id WHERE e.message_id = \(id) ORDER BY e.id LIMIT 1
            """, logger: logger).decode(Int64.self) { return index }
        return nil
    }

    package func logEvents(ofMessage id: String) async throws -> [(index: Int64?, entry: [UInt8])] {
        var events: [(index: Int64?, entry: [UInt8])] = []
        for try await (index, entry) in try await client.query("SELECT l.leaf, e.entry FROM log_events e LEFT JOIN log_leaves l ON l.event_id = e.id WHERE e.message_id = \(id) ORDER BY e.id",
                                                               logger: logger).decode((Int64?, ByteBuffer).self) {
            events.append((index, Array(buffer: entry)))
        }
        return events
    }

    package func appendLogEvent(_ entry: [UInt8]) async throws {
        guard let insert = Self.eventInsert(entry, message: nil) else { return }
        try await client.query(insert, logger: logger)
    }

    package func appendLogEvents(_ events: [(entry: [UInt8], message: String?)]) async throws {
        try await transaction { connection in
            for event in events {
                guard let insert = Self.eventInsert(event.entry, message: event.message) else { return }
                try await connection.query(insert, logger: self.logger)
            }
        }
    }

    /// The statement that writes an event of the evidence log and queues it for the sequencer (one round trip); nil
    /// when the log is off. Every event written outside the prepared intake and acknowledgement statements uses it.
    static func eventInsert(_ entry: [UInt8], message: String?) -> PostgresQuery? {
        guard EvidenceLogSwitch.isOn else { return nil }
        return """
            WITH e AS (INSERT INTO log_events(entry, message_id) VALUES (\(ByteBuffer(bytes: entry)), \(message)) RETURNING id)
            INSERT INTO log_pending(event_id) SELECT id FROM e
            """
    }

    /// Writes an event of the evidence log in a transaction (with the change it records).
    static func logEvent(_ event: TrucLog.LogEvent, message: String? = nil, on connection: PostgresConnection, logger: Logger) async throws {
        guard let insert = eventInsert(event.canonical, message: message) else { return }
        try await connection.query(insert, logger: logger)
    }

    /// Writes an operator's change (`LogEvent.operatorAction`) in a transaction, at the system's time (an event
    /// of the evidence log is dated by the system's clock, never by a test's).
    static func logOperator(_ action: String, _ details: [String: TrucLog.LogEvent.Value?], on connection: PostgresConnection, logger: Logger) async throws {
        let event = TrucLog.LogEvent.operatorAction(action, time: CivilCalendar.isoUTC(Int64(Date().timeIntervalSince1970)), details)
        try await logEvent(event, message: event.string("message"), on: connection, logger: logger)
    }

    package func unsequencedLogEvents() async throws -> Int64 {
        for try await count in try await client.query("SELECT count(*) FROM log_pending", logger: logger).decode(Int64.self) {
            return count
        }
        return 0
    }

    package func logSigningSeed() async throws -> [UInt8] {
        for try await sealed in try await client.query("SELECT sealed FROM log_key WHERE id = 1", logger: logger).decode(ByteBuffer.self) {
            do { return try secretBox().open(Array(buffer: sealed)) } catch { throw StoreError.invalid("the evidence log's key does not open with this node's secrets.key: every node of a hub needs the same secrets.key (copy the first node's)") }
        }
        let sealed = ByteBuffer(bytes: try secretBox().seal(try Ed25519Key.newSeed()))
        try await client.query("INSERT INTO log_key(id, sealed) VALUES (1, \(sealed)) ON CONFLICT DO NOTHING", logger: logger)
        return try await logSigningSeed()
    }

    package func saveCheckpoint(_ checkpoint: StoredCheckpoint) async throws {
        try await client.query("""
            INSERT INTO log_checkpoints(size, root, note, at) VALUES (\(checkpoint.size), \(ByteBuffer(bytes: checkpoint.root)), \(checkpoint.note), \(checkpoint.at))
            ON CONFLICT DO NOTHING
            """, logger: logger)
    }

    package func checkpoint(size: Int64?) async throws -> StoredCheckpoint? {
        let rows = size == nil
            ? try await client.query("SELECT size, root, note, at, tsa_token, tsa_time FROM log_checkpoints ORDER BY size DESC LIMIT 1", logger: logger)
            : try await client.query("SELECT size, root, note, at, tsa_token, tsa_time FROM log_checkpoints WHERE size = \(size ?? 0)", logger: logger)
        for try await row in rows.decode((Int64, ByteBuffer, String, Int64, ByteBuffer?, Int64?).self) { return Self.checkpoint(row) }
        return nil
    }

    package func checkpoints(after: Int64, limit: Int) async throws -> [StoredCheckpoint] {
        var result: [StoredCheckpoint] = []
        for try await row in try await client.query("""
            SELECT size, root, note, at, tsa_token, tsa_time FROM log_checkpoints WHERE size > \(after) ORDER BY size LIMIT \(Int64(limit))
            """, logger: logger).decode((Int64, ByteBuffer, String, Int64, ByteBuffer?, Int64?).self) { result.append(Self.checkpoint(row)) }
        return result
    }

    static func checkpoint(_ r: (Int64, ByteBuffer, String, Int64, ByteBuffer?, Int64?)) -> StoredCheckpoint {
        StoredCheckpoint(size: r.0, root: Array(buffer: r.1), note: r.2, at: r.3, timeStampToken: r.4.map { Array(buffer: $0) }, timeStampTime: r.5)
    }

    package func checkpointsAwaitingTimeStamp(limit: Int) async throws -> [StoredCheckpoint] {
        var result: [StoredCheckpoint] = []
        for try await row in try await client.query("""
            SELECT size, root, note, at, tsa_token, tsa_time FROM log_checkpoints WHERE tsa_token IS NULL ORDER BY size DESC LIMIT \(Int64(limit))
            """, logger: logger).decode((Int64, ByteBuffer, String, Int64, ByteBuffer?, Int64?).self) { result.append(Self.checkpoint(row)) }
        return result
    }

    package func saveCheckpointTimeStamp(size: Int64, token: [UInt8], time: Int64) async throws {
        try await client.query("""
            UPDATE log_checkpoints SET tsa_token = \(ByteBuffer(bytes: token)), tsa_time = \(time) WHERE size = \(size) AND tsa_token IS NULL
            """, logger: logger)
    }
}

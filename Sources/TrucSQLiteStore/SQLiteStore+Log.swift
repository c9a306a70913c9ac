import Foundation
import TrucCrypto
import TrucLog
import TrucSQLite
import TrucVocabulary
package import TrucStore

// The EvidenceLogStore role on SQLite: the store's one writer is the sequencer.
extension SQLiteStore {
    /// Writes an event of the evidence log (its canonical bytes), in the caller's transaction (with the change it
    /// records); nothing when the log is off. Every event the store writes goes through here.
    func insertEvent(_ entry: [UInt8], message: String?) throws {
        guard EvidenceLogSwitch.isOn else { return }
        try db.run("INSERT INTO log_events(entry, message_id) VALUES (?, ?)", [.blob(entry), message.map { .text($0) } ?? .null])
    }

    func logEvent(_ event: LogEvent, message: String? = nil) throws {
        try insertEvent(event.canonical, message: message)
    }

    /// Writes an operator's change (`LogEvent.operatorAction`), in the caller's transaction, dated by the system's clock.
    func logOperator(_ action: String, _ details: [String: LogEvent.Value?]) throws {
        let event = LogEvent.operatorAction(action, time: CivilCalendar.isoUTC(Int64(Date().timeIntervalSince1970)), details)
        try logEvent(event, message: event.string("message"))
    }

    package func appendLogEvent(_ entry: [UInt8]) throws {
        try insertEvent(entry, message: nil)
    }

    package func appendLogEvents(_ events: [(entry: [UInt8], message: String?)]) throws {
        try db.transaction {
            for event in events { try insertEvent(event.entry, message: event.message) }
        }
    }

    package func sequenceLog(limit: Int) throws -> Int64 {
        // Without its own fsync (as the intake's batches): the events are durable already, and a sequencing lost in a
        // crash is done again, in the same order (by id), to the same tree.
        try db.run("PRAGMA synchronous=NORMAL")
        defer { _ = try? db.run("PRAGMA synchronous=FULL") }
        return try db.transaction {
            let size = try Self.logSize(db)
            // Leaf i is event id i + 1 (migration 24): the next leaves are the events after id `size`, without a gap.
            let pending = try db.query("SELECT id, entry FROM log_events WHERE id > ? ORDER BY id LIMIT ?", [.integer(size), .integer(Int64(limit))]) {
                (id: $0.int(0), entry: $0.blob(1) ?? [])
            }
            guard !pending.isEmpty else { return size }
            for (offset, event) in pending.enumerated() where event.id != size + 1 + Int64(offset) {
                throw StoreError.invalid("the evidence log lacks the event of leaf \(size + Int64(offset)) (id \(size + 1 + Int64(offset))): it was deleted")
            }
            let nodes = try MerkleTree.appending(pending.map { MerkleTree.leafHash($0.entry) }, to: size) { level, index in
                guard let hash = try db.query("SELECT hash FROM log_nodes WHERE level = ? AND idx = ?", [.integer(Int64(level)), .integer(index)], {
                    $0.blob(0) ?? []
                }).first else { throw StoreError.invalid("the evidence log lacks node (\(level), \(index)) of a tree of \(size) leaves") }
                return hash
            }
            for node in nodes {
                try db.run("INSERT INTO log_nodes(level, idx, hash) VALUES (?, ?, ?)", [.integer(Int64(node.level)), .integer(node.index), .blob(node.hash)])
            }
            return size + Int64(pending.count)
        }
    }

    /// The tree's size: one past the last leaf hash (O(log n), where a count would read every leaf).
    static func logSize(_ db: Database) throws -> Int64 {
        try db.query("SELECT coalesce(max(idx) + 1, 0) FROM log_nodes WHERE level = 0") { $0.int(0) }.first ?? 0
    }

    package nonisolated func logSize() throws -> Int64 {
        try readers.read { db in try Self.logSize(db) }
    }

    package nonisolated func logNode(level: Int, index: Int64) throws -> [UInt8]? {
        try readers.read { db in
            try db.query("SELECT hash FROM log_nodes WHERE level = ? AND idx = ?", [.integer(Int64(level)), .integer(index)]) { $0.blob(0) ?? [] }.first
        }
    }

    package nonisolated func logEntries(from: Int64, count: Int) throws -> [(index: Int64, entry: [UInt8])] {
        try readers.read { db in
            let size = try Self.logSize(db)
            return try db.query("SELECT id - 1, entry FROM log_events WHERE id > ? AND id <= ? ORDER BY id LIMIT ?",
                                [.integer(from), .integer(size), .integer(Int64(count))]) {
                (index: $0.int(0), entry: $0.blob(1) ?? [])
            }
        }
    }

    package nonisolated func logIndex(ofMessage id: String) throws -> Int64? {
        try readers.read { db in
            let size = try Self.logSize(db)
            return try db.query("SELECT id - 1 FROM log_events WHERE message_id = ? AND id <= ? ORDER BY id LIMIT 1", [.text(id), .integer(size)]) { $0.int(0) }.first
        }
    }

    package nonisolated func logEvents(ofMessage id: String) throws -> [(index: Int64?, entry: [UInt8])] {
        try readers.read { db in
            let size = try Self.logSize(db)
            return try db.query("SELECT id, entry FROM log_events WHERE message_id = ? ORDER BY id", [.text(id)]) {
                (index: $0.int(0) <= size ? $0.int(0) - 1 : nil, entry: $0.blob(1) ?? [])
            }
        }
    }

    package nonisolated func unsequencedLogEvents() throws -> Int64 {
        try readers.read { db in
            let written = try db.query("SELECT coalesce(max(id), 0) FROM log_events") { $0.int(0) }.first ?? 0
            return max(0, written - (try Self.logSize(db)))
        }
    }

    package func logSigningSeed() throws -> [UInt8] {
        if let sealed = try db.query("SELECT sealed FROM log_key WHERE id = 1", [], { $0.blob(0) ?? [] }).first {
            do { return try secretBox().open(sealed) } catch { throw StoreError.invalid("the evidence log's key does not open with this node's secrets.key: every node of a hub needs the same secrets.key (copy the first node's)") }
        }
        let seed = try Ed25519Key.newSeed()
        try db.run("INSERT OR IGNORE INTO log_key(id, sealed) VALUES (1, ?)", [.blob(try secretBox().seal(seed))])
        return try logSigningSeed()
    }

    package func saveCheckpoint(_ checkpoint: StoredCheckpoint) throws {
        try db.run("INSERT OR IGNORE INTO log_checkpoints(size, root, note, at) VALUES (?, ?, ?, ?)",
                   [.integer(checkpoint.size), .blob(checkpoint.root), .text(checkpoint.note), .integer(checkpoint.at)])
    }

    package nonisolated func checkpoint(size: Int64?) throws -> StoredCheckpoint? {
        try readers.read { db in
            let sql = size == nil ? "SELECT size, root, note, at, tsa_token, tsa_time FROM log_checkpoints ORDER BY size DESC LIMIT 1"
                                  : "SELECT size, root, note, at, tsa_token, tsa_time FROM log_checkpoints WHERE size = ?"
            return try db.query(sql, size.map { [.integer($0)] } ?? []) { Self.checkpoint($0) }.first
        }
    }

    package nonisolated func checkpoints(after: Int64, limit: Int) throws -> [StoredCheckpoint] {
        try readers.read { db in
            try db.query("SELECT size, root, note, at, tsa_token, tsa_time FROM log_checkpoints WHERE size > ? ORDER BY size LIMIT ?",
                         [.integer(after), .integer(Int64(limit))]) { Self.checkpoint($0) }
        }
    }

    static func checkpoint(_ row: Row) -> StoredCheckpoint {
        StoredCheckpoint(size: row.int(0), root: row.blob(1) ?? [], note: row.text(2) ?? "", at: row.int(3), timeStampToken: row.blob(4),
                         timeStampTime: row.blob(4) == nil ? nil : row.int(5))
    }

    package nonisolated func checkpointsAwaitingTimeStamp(limit: Int) throws -> [StoredCheckpoint] {
        try readers.read { db in
            try db.query("SELECT size, root, note, at, tsa_token, tsa_time FROM log_checkpoints WHERE tsa_token IS NULL ORDER BY size DESC LIMIT ?",
                         [.integer(Int64(limit))]) { Self.checkpoint($0) }
        }
    }

    package func saveCheckpointTimeStamp(size: Int64, token: [UInt8], time: Int64) throws {
        try db.run("UPDATE log_checkpoints SET tsa_token = ?, tsa_time = ? WHERE size = ? AND tsa_token IS NULL", [.blob(token), .integer(time), .integer(size)])
    }
}

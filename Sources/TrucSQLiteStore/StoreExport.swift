import Foundation
import TrucSQLite
package import TrucStore

/// A read-only walk through a stopped (or running) hub's SQLite store, for `truc migrate`: every table row by
/// row in one read transaction (one consistent snapshot, even while a hub writes), and each message's payload
/// wherever it lives (in the database, in a payload segment, or in a file of its own).
///
/// Rows come as `StoreValue`s with their column names, so the copy is not written table by table: a table or
/// column the destination does not know is an error there, not a silent loss.
package final class StoreExport {
    private let db: Database
    private let payloadDirectory: String
    /// The schema version of the store (after `upgrade`).
    package private(set) var schemaVersion: Int

    /// Opens `DIR/truc.sqlite`; throws when there is none.
    package init(dataDirectory: String) throws {
        let path = dataDirectory + "/truc.sqlite"
        guard FileManager.default.fileExists(atPath: path) else {
            throw StoreError.notFound("\(dataDirectory) holds no Truc store (truc.sqlite)")
        }
        db = try Database(path: path)
        payloadDirectory = dataDirectory + "/payloads"
        schemaVersion = Int(try db.query("PRAGMA user_version") { $0.int(0) }.first ?? 0)
    }

    /// Brings an older store to this truc's schema (what `truc serve` does when it starts on it).
    package func upgrade() throws {
        try Migrations.apply(to: db)
        schemaVersion = Migrations.steps.count
    }

    /// Starts the snapshot: everything read until `end()` sees the same committed state.
    package func begin() throws {
        try db.execute("BEGIN")
        // A read transaction starts at its first read.
        _ = try db.query("SELECT count(*) FROM sqlite_master") { $0.int(0) }
    }

    package func end() {
        try? db.execute("COMMIT")
    }

    /// The store's tables (not SQLite's own, not the inline payloads: they travel with their messages).
    package func tables() throws -> [String] {
        try db.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT IN ('payloads', 'payload_blobs') ORDER BY name") {
            $0.text(0) ?? ""
        }
    }

    package func columns(of table: String) throws -> [String] {
        try db.query("SELECT name FROM pragma_table_info(?) ORDER BY cid", [.text(table)]) { $0.text(0) ?? "" }
    }

    /// Bytes of the pages of each table and index whose name starts with `prefix` (SQLite's dbstat).
    package func tableBytes(prefix: String) throws -> [String: Int64] {
        var sizes: [String: Int64] = [:]
        for (name, bytes) in try db.query("SELECT name, sum(pgsize) FROM dbstat WHERE name LIKE ? GROUP BY name", [.text(prefix + "%")], {
            ($0.text(0) ?? "", $0.int(1))
        }) { sizes[name] = bytes }
        return sizes
    }

    package func count(_ table: String) throws -> Int64 {
        try db.query("SELECT count(*) FROM \"\(table)\"") { $0.int(0) }.first ?? 0
    }

    /// Every row of `table` (in the order of its key), `batch` at a time; `body` may suspend between batches.
    package func rows(of table: String, columns: [String], batch: Int,
                      _ body: ([[StoreValue]]) async throws -> Void) async throws {
        let list = columns.map { "\"\($0)\"" }.joined(separator: ", ")
        let statement = try db.prepare("SELECT \(list) FROM \"\(table)\"")
        var rows: [[StoreValue]] = []
        while let row = try statement.step() {
            rows.append((0..<row.count).map { StoreValue(row.value($0)) })
            if rows.count == batch {
                try await body(rows)
                rows.removeAll(keepingCapacity: true)
            }
        }
        if !rows.isEmpty { try await body(rows) }
    }

    /// The exact bytes of a message's payload, by the location recorded in its `payload` column.
    package func payload(of messageId: String, at location: String) throws -> [UInt8] {
        if location == SQLiteStore.inlineMarker {
            // (`payload_blobs` before schema version 26.)
            let table = schemaVersion >= 26 ? "payloads" : "payload_blobs"
            guard let bytes = try db.query("SELECT bytes FROM \(table) WHERE message_id = ?", [.text(messageId)], { $0.blob(0) ?? [] }).first else {
                throw StoreError.notFound("no payload for message \(messageId) in the database")
            }
            return bytes
        }
        if location.hasPrefix(PayloadSegments.prefix) {
            return try PayloadSegments.read(location, directory: payloadDirectory)
        }
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: location)))
    }
}

/// The SQLite schema's version in this truc.
package enum StoreSchema {
    package static var version: Int { Migrations.steps.count }
}

extension StoreValue {
    init(_ value: SQLiteValue) {
        switch value {
        case .null: self = .null
        case .integer(let v): self = .integer(v)
        case .real(let v): self = .real(v)
        case .text(let v): self = .text(v)
        case .blob(let v): self = .bytes(v)
        }
    }
}

import Foundation
import Logging
import NIOCore
import PostgresNIO
package import TrucStore

/// Why an import cannot go on.
package struct ImportError: Error, CustomStringConvertible {
    package let description: String
    init(_ description: String) { self.description = description }
}

/// The copy of a whole hub into an empty PostgreSQL database (`truc migrate`): rows and payloads written in
/// one transaction (a failed copy leaves the database as empty as it was), several hundred rows per statement.
package struct PostgresImporter {
    let connection: PostgresConnection
    let logger: Logger
    /// Column name → PostgreSQL type name, per table of the destination schema.
    let schema: [String: [String: String]]

    /// The destination's tables (those of this truc's schema).
    package var tables: Set<String> { Set(schema.keys) }

    /// Inserts `rows` (values in the order of `columns`) into `table` with `COPY … FROM STDIN` (text format),
    /// converting each value to its column's type; about 1 MiB per write.
    package func insert(into table: String, columns: [String], rows: [[StoreValue]]) async throws {
        guard !rows.isEmpty else { return }
        guard let types = schema[table] else { throw ImportError("the destination has no table \(table): this truc cannot copy it") }
        let columnTypes = try columns.map { column in
            guard let type = types[column] else { throw ImportError("the destination's table \(table) has no column \(column): this truc cannot copy it") }
            return type
        }
        // Rendered before the COPY starts: a value that does not fit fails the copy with a clear error.
        var buffers: [ByteBuffer] = []
        var buffer = ByteBuffer()
        buffer.reserveCapacity(1 << 20)
        for row in rows {
            guard row.count == columns.count else { throw ImportError("a row of \(table) has \(row.count) values for \(columns.count) columns") }
            for (index, (value, type)) in zip(row, columnTypes).enumerated() {
                if index > 0 { buffer.writeInteger(UInt8(ascii: "\t")) }
                try Self.render(value, as: type, into: &buffer, table: table)
            }
            buffer.writeInteger(UInt8(ascii: "\n"))
            if buffer.readableBytes >= 1 << 20 {
                buffers.append(buffer)
                buffer = ByteBuffer()
                buffer.reserveCapacity(1 << 20)
            }
        }
        if buffer.readableBytes > 0 { buffers.append(buffer) }
        try await connection.copyFrom(table: table, columns: columns, logger: logger) { writer in
            for chunk in buffers { try await writer.write(chunk) }
        }
    }

    /// Writes a message's payload in chunk rows, as `PostgresStore.accept` does.
    package func insertPayloads(_ payloads: [(messageId: String, bytes: [UInt8])]) async throws {
        var rows: [[StoreValue]] = []
        var pending = 0
        for payload in payloads {
            var seq: Int64 = 0
            var offset = 0
            repeat {
                let end = min(payload.bytes.count, offset + PostgresStore.chunkSize)
                rows.append([.text(payload.messageId), .integer(seq), .bytes(Array(payload.bytes[offset..<end]))])
                pending += end - offset
                seq += 1
                offset = end
                // No statement much larger than 8 MiB.
                if pending >= 8 << 20 {
                    try await insert(into: "payload_chunks", columns: ["message_id", "seq", "bytes"], rows: rows)
                    rows.removeAll()
                    pending = 0
                }
            } while offset < payload.bytes.count
        }
        try await insert(into: "payload_chunks", columns: ["message_id", "seq", "bytes"], rows: rows)
    }

    /// Runs a statement of the copy's own (clearing a seeded row, fixing up states).
    package func execute(_ sql: String) async throws {
        try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
    }

    /// Drops the secondary indexes (not those of primary keys and unique constraints) of `tables` for the
    /// copy, as pg_restore does: built once from sorted data afterwards instead of updated row by row. Returns
    /// the statements that create them again (`restoreIndexes`), in the same transaction.
    package func deferIndexes(of tables: [String]) async throws -> [String] {
        let rows = try await connection.query("""
            SELECT i.indexname::text, i.indexdef FROM pg_indexes i
            WHERE i.schemaname = current_schema() AND i.tablename = ANY(\(tables))
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
            ORDER BY i.indexname
            """, logger: logger)
        var indexes: [(String, String)] = []
        for try await row in rows.decode((String, String).self) { indexes.append(row) }
        for (name, _) in indexes { try await execute("DROP INDEX \"\(name)\"") }
        return indexes.map(\.1)
    }

    package func restoreIndexes(_ statements: [String]) async throws {
        try await execute("SET LOCAL maintenance_work_mem = '256MB'")
        for statement in statements { try await execute(statement) }
    }

    /// Moves every serial sequence past the largest copied key.
    package func advanceSequences() async throws {
        let rows = try await connection.query("""
            SELECT table_name::text, column_name::text FROM information_schema.columns
            WHERE table_schema = current_schema() AND column_default LIKE 'nextval(%'
            """, logger: logger)
        var serials: [(String, String)] = []
        for try await row in rows.decode((String, String).self) { serials.append(row) }
        for (table, column) in serials {
            try await execute("""
                SELECT setval(pg_get_serial_sequence('\(table)', '\(column)'), COALESCE((SELECT MAX("\(column)") FROM "\(table)"), 0) + 1, false)
                """)
        }
    }

    /// A value in COPY's text format: `\\N` for null, backslash escapes in text, `\\x…` hex for bytea.
    static func render(_ value: StoreValue, as type: String, into buffer: inout ByteBuffer, table: String) throws {
        switch (value, type) {
        case (.null, _): buffer.writeStaticString("\\N")
        case (.integer(let v), "boolean"): buffer.writeStaticString(v != 0 ? "t" : "f")
        case (.integer(let v), "bigint"), (.integer(let v), "double precision"): buffer.writeString(String(v))
        case (.integer(let v), "integer"):
            guard Int32(exactly: v) != nil else { throw ImportError("\(v) does not fit an integer column of \(table)") }
            buffer.writeString(String(v))
        case (.integer(let v), "text"): buffer.writeString(String(v))
        case (.real(let v), "double precision"): buffer.writeString(String(v))
        case (.real(let v), "bigint"):
            guard let whole = Int64(exactly: v) else { throw ImportError("\(v) is not a whole number for a column of \(table)") }
            buffer.writeString(String(whole))
        case (.text(let v), "text"): escape(Array(v.utf8), into: &buffer)
        case (.text(let v), "bytea"): hex(Array(v.utf8), into: &buffer)
        case (.bytes(let v), "bytea"): hex(v, into: &buffer)
        case (.bytes(let v), "text"):
            guard String(validating: v, as: UTF8.self) != nil else { throw ImportError("a blob in a text column of \(table) is not UTF-8") }
            escape(v, into: &buffer)
        default: throw ImportError("a value \(value.kind) cannot go into a \(type) column of \(table)")
        }
    }

    static func escape(_ bytes: [UInt8], into buffer: inout ByteBuffer) {
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
            case UInt8(ascii: "\t"): buffer.writeStaticString("\\t")
            case UInt8(ascii: "\n"): buffer.writeStaticString("\\n")
            case UInt8(ascii: "\r"): buffer.writeStaticString("\\r")
            default: buffer.writeInteger(byte)
            }
        }
    }

    /// bytea's hex input (`\x…`), its backslash escaped for COPY.
    static func hex(_ bytes: [UInt8], into buffer: inout ByteBuffer) {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        buffer.writeStaticString("\\\\x")
        buffer.reserveCapacity(minimumWritableBytes: bytes.count * 2)
        for byte in bytes {
            buffer.writeInteger(digits[Int(byte >> 4)])
            buffer.writeInteger(digits[Int(byte & 0x0f)])
        }
    }
}

extension StoreValue {
    var kind: String {
        switch self {
        case .null: "null"
        case .integer: "integer"
        case .real: "real"
        case .text: "text"
        case .bytes: "blob"
        }
    }
}

/// What the copy holds, read back for verification.
package struct PayloadCheck: Sendable {
    package let messageId: String
    package let recordedSHA256: String
    package let recordedSize: Int64
    /// SHA-256 and size of the chunks as PostgreSQL holds them (nil: no chunk at all).
    package let storedSHA256: String?
    package let storedSize: Int64
}

extension PostgresStore {
    /// True when the database holds no hub yet: no agency, message, token, system, refusal or counter.
    package func isEmptyHub() async throws -> Bool {
        let rows = try await client.query("""
            SELECT (SELECT count(*) FROM agencies) + (SELECT count(*) FROM messages) + (SELECT count(*) FROM tokens)
                 + (SELECT count(*) FROM systems) + (SELECT count(*) FROM refusals) + (SELECT count(*) FROM daily_total)
            """, logger: logger)
        for try await total in rows.decode(Int64.self) { return total == 0 }
        return false
    }

    /// Runs `body` with an importer in one transaction: everything it wrote commits together, or nothing does.
    package nonisolated func importing(_ body: (PostgresImporter) async throws -> Void) async throws {
        let logger = logger
        do {
            try await pool.withTransaction(logger: logger) { connection in
            let rows = try await connection.query("""
                SELECT table_name::text, column_name::text, data_type::text FROM information_schema.columns
                WHERE table_schema = current_schema()
                """, logger: logger)
            var schema: [String: [String: String]] = [:]
            for try await (table, column, type) in rows.decode((String, String, String).self) { schema[table, default: [:]][column] = type }
            let importer = PostgresImporter(connection: connection, logger: logger, schema: schema)
            try await body(importer)
            }
        } catch let error as PostgresTransactionError {
            throw error.closureError ?? error
        }
    }

    /// Rows per table.
    package func rowCount(_ table: String) async throws -> Int64 {
        let rows = try await client.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \"\(table)\""), logger: logger)
        for try await count in rows.decode(Int64.self) { return count }
        return 0
    }

    /// The stored payloads after `messageId` (in id order), hashed by PostgreSQL itself from their chunks.
    package func payloadChecks(after messageId: String, limit: Int) async throws -> [PayloadCheck] {
        let rows = try await client.query("""
            SELECT m.id, m.sha256, m.size,
              (SELECT encode(sha256(string_agg(c.bytes, ''::bytea ORDER BY c.seq)), 'hex') FROM payload_chunks c WHERE c.message_id = m.id),
              (SELECT COALESCE(SUM(length(c.bytes)), 0)::bigint FROM payload_chunks c WHERE c.message_id = m.id)
            FROM messages m WHERE m.id > \(messageId) AND m.payload NOT LIKE 'archived:%' ORDER BY m.id LIMIT \(Int64(limit))
            """, logger: logger)
        var checks: [PayloadCheck] = []
        for try await r in rows.decode((String, String, Int64, String?, Int64).self) {
            checks.append(PayloadCheck(messageId: r.0, recordedSHA256: r.1, recordedSize: r.2, storedSHA256: r.3, storedSize: r.4))
        }
        return checks
    }
}

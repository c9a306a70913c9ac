import CSQLite

/// A value bound to or read from SQLite.
package enum SQLiteValue: Equatable, Sendable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

/// A prepared statement; owns its `sqlite3_stmt*`.
package final class Statement {
    let stmt: OpaquePointer
    unowned let database: Database

    init(_ stmt: OpaquePointer, database: Database) {
        self.stmt = stmt
        self.database = database
    }

    deinit { sqlite3_finalize(stmt) }

    package func bind(_ values: [SQLiteValue]) throws(SQLiteError) {
        sqlite3_reset(stmt)
        sqlite3_clear_bindings(stmt)
        for (i, value) in values.enumerated() {
            let index = Int32(i + 1)
            let rc: Int32
            switch value {
            case .null: rc = sqlite3_bind_null(stmt, index)
            case .integer(let v): rc = sqlite3_bind_int64(stmt, index, v)
            case .real(let v): rc = sqlite3_bind_double(stmt, index, v)
            case .text(let v): rc = sqlite3_bind_text(stmt, index, v, -1, truc_sqlite_transient())
            case .blob(let v):
                rc = v.withUnsafeBytes { sqlite3_bind_blob64(stmt, index, $0.baseAddress, sqlite3_uint64($0.count), truc_sqlite_transient()) }
            }
            guard rc == SQLITE_OK else { throw database.error(rc) }
        }
    }

    /// Advances; returns the row, or nil when done.
    package func step() throws(SQLiteError) -> Row? {
        let rc = sqlite3_step(stmt)
        switch rc {
        case SQLITE_ROW: return Row(stmt: stmt)
        case SQLITE_DONE: return nil
        default: throw database.error(rc)
        }
    }
}

/// The current row of a statement; valid until the next `step`.
package struct Row {
    let stmt: OpaquePointer

    package func isNull(_ column: Int32) -> Bool { sqlite3_column_type(stmt, column) == SQLITE_NULL }
    package func int(_ column: Int32) -> Int64 { sqlite3_column_int64(stmt, column) }
    package func double(_ column: Int32) -> Double { sqlite3_column_double(stmt, column) }

    package func text(_ column: Int32) -> String? {
        guard let p = sqlite3_column_text(stmt, column) else { return nil }
        return String(cString: p)
    }

    /// The number of columns of the row.
    package var count: Int32 { sqlite3_column_count(stmt) }

    /// A column as it is stored (its dynamic type).
    package func value(_ column: Int32) -> SQLiteValue {
        switch sqlite3_column_type(stmt, column) {
        case SQLITE_NULL: .null
        case SQLITE_INTEGER: .integer(int(column))
        case SQLITE_FLOAT: .real(double(column))
        case SQLITE_BLOB: .blob(blob(column) ?? [])
        default: .text(text(column) ?? "")
        }
    }

    package func blob(_ column: Int32) -> [UInt8]? {
        guard !isNull(column) else { return nil }
        let count = Int(sqlite3_column_bytes(stmt, column))
        guard count > 0, let p = sqlite3_column_blob(stmt, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: p, count: count))
    }
}

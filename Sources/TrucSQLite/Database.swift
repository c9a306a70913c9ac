import CSQLite

/// One SQLite connection. Owns the `sqlite3*`; use it from one task or thread at a time (opened with
/// SQLITE_OPEN_NOMUTEX), which is why it is not `Sendable`: the store layer gives each connection an owner.
package final class Database {
    let handle: OpaquePointer
    /// Prepared statements by SQL text, reused by `query` and `run` (taken out while in use, so a nested
    /// use of the same SQL prepares its own).
    private var statements: [String: Statement] = [:]

    /// Opens (creating if needed) the database at `path`, in WAL mode with a busy timeout.
    package init(path: String, busyTimeoutMilliseconds: Int32 = 5000) throws(SQLiteError) {
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open \(path)"
            if let db { sqlite3_close_v2(db) }
            throw SQLiteError(code: .init(rawValue: rc), message: message)
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, busyTimeoutMilliseconds)
        let mode = try query("PRAGMA journal_mode=WAL") { $0.text(0) }.first ?? nil
        guard mode == "wal" else { throw SQLiteError(code: .misuse, message: "journal_mode is \(mode ?? "unknown"), not wal") }
        try execute("PRAGMA foreign_keys=ON")
    }

    deinit {
        statements.removeAll()
        sqlite3_close_v2(handle)
    }

    /// Runs one or more statements that return no rows.
    package func execute(_ sql: String) throws(SQLiteError) {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        if rc != SQLITE_OK {
            let message = errorMessage.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(errorMessage)
            throw SQLiteError(code: .init(rawValue: rc), message: message)
        }
    }

    /// Prepares a statement with `?` parameters.
    package func prepare(_ sql: String) throws(SQLiteError) -> Statement {
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, 0, &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw error(rc) }
        return Statement(stmt, database: self)
    }

    /// Runs `sql` with `bindings` and maps each row.
    package func query<T>(_ sql: String, _ bindings: [SQLiteValue] = [], _ row: (Row) throws -> T) throws(SQLiteError) -> [T] {
        let statement = try cached(sql)
        defer { giveBack(sql, statement) }
        try statement.bind(bindings)
        var result: [T] = []
        while let r = try statement.step() {
            do { result.append(try row(r)) } catch let e as SQLiteError { throw e } catch {
                throw SQLiteError(code: .misuse, message: "row mapping failed: \(error)")
            }
        }
        return result
    }

    /// Runs a statement that returns no rows; returns the number of rows changed.
    @discardableResult
    package func run(_ sql: String, _ bindings: [SQLiteValue] = []) throws(SQLiteError) -> Int {
        let statement = try cached(sql)
        defer { giveBack(sql, statement) }
        try statement.bind(bindings)
        _ = try statement.step()
        return Int(sqlite3_changes(handle))
    }

    /// Runs `body` in a transaction (BEGIN IMMEDIATE), committed when it returns, rolled back when it throws.
    package func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    private func cached(_ sql: String) throws(SQLiteError) -> Statement {
        if let statement = statements.removeValue(forKey: sql) { return statement }
        return try prepare(sql)
    }

    private func giveBack(_ sql: String, _ statement: Statement) {
        sqlite3_reset(statement.stmt)
        sqlite3_clear_bindings(statement.stmt)
        // Statements built with a variable number of parameters (IN lists) are not worth keeping forever.
        if statements.count < 200 { statements[sql] = statement }
    }

    package var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    func error(_ rc: Int32) -> SQLiteError {
        SQLiteError(code: .init(rawValue: rc), message: String(cString: sqlite3_errmsg(handle)))
    }
}

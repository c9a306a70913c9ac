import CSQLite

extension Database {
    /// Copies the database into a new file at `path` with SQLite's online backup API: a consistent snapshot
    /// of the committed state, taken while other connections go on writing (WAL readers are not blocked).
    package func backup(to path: String) throws(SQLiteError) {
        var destination: OpaquePointer?
        let rc = sqlite3_open_v2(path, &destination, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nil)
        guard rc == SQLITE_OK, let destination else {
            if let destination { sqlite3_close_v2(destination) }
            throw SQLiteError(code: .init(rawValue: rc), message: "cannot create \(path)")
        }
        defer { sqlite3_close_v2(destination) }
        guard let backup = sqlite3_backup_init(destination, "main", handle, "main") else {
            throw SQLiteError(code: .init(rawValue: sqlite3_errcode(destination)), message: String(cString: sqlite3_errmsg(destination)))
        }
        var step = SQLITE_OK
        repeat {
            // All pages in one step: one read transaction, hence one consistent snapshot.
            step = sqlite3_backup_step(backup, -1)
            if step == SQLITE_BUSY || step == SQLITE_LOCKED { sqlite3_sleep(20) }
        } while step == SQLITE_OK || step == SQLITE_BUSY || step == SQLITE_LOCKED
        let finish = sqlite3_backup_finish(backup)
        guard step == SQLITE_DONE, finish == SQLITE_OK else {
            throw SQLiteError(code: .init(rawValue: step == SQLITE_DONE ? finish : step), message: "the backup of the database failed")
        }
    }
}

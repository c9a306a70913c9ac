import TrucSQLite

// The SessionStore role on SQLite.
extension HubStore {
    package func createSession(idHash: String, csrf: String, expires: Int64) throws {
        try db.transaction {
            try db.run("DELETE FROM dashboard_sessions WHERE expires <= ?", [.integer(Self.now())])
            try db.run("INSERT OR REPLACE INTO dashboard_sessions(id_hash, csrf, expires) VALUES (?, ?, ?)",
                       [.text(idHash), .text(csrf), .integer(expires)])
        }
    }

    package func sessionCSRF(idHash: String, now: Int64) throws -> String? {
        try db.query("SELECT csrf FROM dashboard_sessions WHERE id_hash = ? AND expires > ?", [.text(idHash), .integer(now)]) { $0.text(0) }.first ?? nil
    }

    package func endSession(idHash: String) throws {
        try db.run("DELETE FROM dashboard_sessions WHERE id_hash = ?", [.text(idHash)])
    }

    package func endAllSessions() throws -> Int {
        try db.run("DELETE FROM dashboard_sessions")
    }
}

import TrucSQLite
package import TrucStore

// The SessionStore role on SQLite.
extension SQLiteStore {
    package func createSession(idHash: String, csrf: String, expires: Int64) throws {
        try db.transaction {
            try db.run("DELETE FROM dashboard_sessions WHERE expires <= ?", [.integer(now())])
            try db.run("INSERT OR REPLACE INTO dashboard_sessions(id_hash, csrf, expires, last_seen) VALUES (?, ?, ?, ?)",
                       [.text(idHash), .text(csrf), .integer(expires), .integer(now())])
        }
    }

    package func sessionCSRF(idHash: String, now: Int64, idleSeconds: Int64) throws -> String? {
        let rows = try db.query("SELECT csrf, last_seen FROM dashboard_sessions WHERE id_hash = ? AND expires > ?", [.text(idHash), .integer(now)]) {
            ($0.text(0), $0.isNull(1) ? nil : $0.int(1))
        }
        guard let (csrf, lastSeen) = rows.first, let csrf else { return nil }
        if let lastSeen, now - lastSeen > idleSeconds { return nil }
        if lastSeen.map({ now - $0 >= 60 }) ?? true {
            try db.run("UPDATE dashboard_sessions SET last_seen = ? WHERE id_hash = ?", [.integer(now), .text(idHash)])
        }
        return csrf
    }

    package func endSession(idHash: String) throws {
        try db.run("DELETE FROM dashboard_sessions WHERE id_hash = ?", [.text(idHash)])
    }

    package func endAllSessions() throws -> Int {
        try db.run("DELETE FROM dashboard_sessions")
    }
}

import PostgresNIO
import TrucStore

// The SessionStore role on PostgreSQL: every node sees every session.
extension PostgresStore: SessionStore {
    package func createSession(idHash: String, csrf: String, expires: Int64) async throws {
        let now = now()
        try await transaction { connection in
            try await connection.query("DELETE FROM dashboard_sessions WHERE expires <= \(now)", logger: self.logger)
            try await connection.query("""
                INSERT INTO dashboard_sessions(id_hash, csrf, expires, last_seen) VALUES (\(idHash), \(csrf), \(expires), \(now))
                ON CONFLICT (id_hash) DO UPDATE SET csrf = excluded.csrf, expires = excluded.expires, last_seen = excluded.last_seen
                """, logger: self.logger)
        }
    }

    package func sessionCSRF(idHash: String, now: Int64, idleSeconds: Int64) async throws -> String? {
        var found: (String, Int64?)?
        for try await row in try await client.query("""
            SELECT csrf, last_seen FROM dashboard_sessions WHERE id_hash = \(idHash) AND expires > \(now)
            """, logger: logger).decode((String, Int64?).self) { found = row }
        guard let (csrf, lastSeen) = found else { return nil }
        if let lastSeen, now - lastSeen > idleSeconds { return nil }
        if lastSeen.map({ now - $0 >= 60 }) ?? true {
            try await client.query("UPDATE dashboard_sessions SET last_seen = \(now) WHERE id_hash = \(idHash)", logger: logger)
        }
        return csrf
    }

    package func endSession(idHash: String) async throws {
        try await client.query("DELETE FROM dashboard_sessions WHERE id_hash = \(idHash)", logger: logger)
    }

    package func endAllSessions() async throws -> Int {
        var count = 0
        for try await _ in try await client.query("DELETE FROM dashboard_sessions RETURNING id_hash", logger: logger).decode(String.self) {
            count += 1
        }
        return count
    }
}

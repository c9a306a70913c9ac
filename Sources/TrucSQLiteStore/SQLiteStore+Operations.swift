import Foundation
import TrucCrypto
package import TrucCore
import TrucLog
import TrucSQLite
package import TrucStore

extension SQLiteStore {
    package func operationsView(now: Int64) throws -> OperationsView {
        let (states, _) = try queueFigures(now: now)
        var byAgency: [String: [String: Int]] = [:]
        for (recipient, state, n) in try db.query("""
            SELECT recipient, state, COUNT(*) FROM deliveries WHERE state IN ('awaiting-pull', 'queued', 'sending', 'waiting-retry', 'dead')
            GROUP BY recipient, state
            """, [], { ($0.text(0) ?? "", $0.text(1) ?? "", Int($0.int(2))) }) {
            byAgency[recipient, default: [:]][state] = n
        }
        let paused = Set(try pausedAgencies())
        for code in paused where byAgency[code] == nil { byAgency[code] = [:] }
        let oldest = try db.query("""
            SELECT d.message_id, d.recipient, d.state, m.received_at FROM deliveries d JOIN messages m ON m.id = d.message_id
            WHERE d.state IN ('awaiting-pull', 'queued', 'sending', 'waiting-retry') ORDER BY m.received_at LIMIT 1
            """) { row in
            OperationsView.Oldest(messageId: row.text(0) ?? "", recipient: row.text(1) ?? "", state: row.text(2) ?? "",
                                  receivedAt: row.int(3), ageSeconds: max(0, now - row.int(3)))
        }.first
        func received(since: Int64) throws -> Int {
            try db.query("SELECT COUNT(*) FROM messages WHERE received_at >= ?", [.integer(since)]) { Int($0.int(0)) }.first ?? 0
        }
        func delivered(since: Int64) throws -> Int {
            try db.query("SELECT COUNT(*) FROM deliveries WHERE delivered_at >= ?", [.integer(since)]) { Int($0.int(0)) }.first ?? 0
        }
        var perMinute = [Int](repeating: 0, count: 30)
        for (minute, n) in try db.query("""
            SELECT (? - received_at) / 60, COUNT(*) FROM messages WHERE received_at > ? GROUP BY 1
            """, [.integer(now), .integer(now - 30 * 60)], { (Int($0.int(0)), Int($0.int(1))) }) where (0..<30).contains(minute) {
            perMinute[29 - minute] = n
        }
        return OperationsView(
            states: states,
            agencies: byAgency.keys.sorted().map { OperationsView.AgencyQueue(agency: $0, states: byAgency[$0]!, paused: paused.contains($0)) },
            oldest: oldest,
            receivedLastMinute: try received(since: now - 60), deliveredLastMinute: try delivered(since: now - 60),
            receivedLastHour: try received(since: now - 3600), deliveredLastHour: try delivered(since: now - 3600),
            receivedPerMinute: perMinute)
    }

    package func agencyActivity(_ code: String, now: Int64) throws -> AgencyActivity {
        var states: [String: Int] = [:]
        for (state, n) in try db.query("""
            SELECT state, COUNT(*) FROM deliveries WHERE recipient = ? AND state IN ('awaiting-pull', 'queued', 'sending', 'waiting-retry', 'dead')
            GROUP BY state
            """, [.text(code)], { ($0.text(0) ?? "", Int($0.int(1))) }) {
            states[state] = n
        }
        let oldest = try db.query("""
            SELECT d.message_id, d.recipient, d.state, m.received_at FROM deliveries d JOIN messages m ON m.id = d.message_id
            WHERE d.recipient = ? AND d.state IN ('awaiting-pull', 'queued', 'sending', 'waiting-retry') ORDER BY m.received_at LIMIT 1
            """, [.text(code)]) { row in
            OperationsView.Oldest(messageId: row.text(0) ?? "", recipient: row.text(1) ?? "", state: row.text(2) ?? "",
                                  receivedAt: row.int(3), ageSeconds: max(0, now - row.int(3)))
        }.first
        let paused = try db.query("SELECT 1 FROM paused WHERE code = ?", [.text(code)]) { $0.int(0) }.first != nil
        let lastPull = try db.query("SELECT last_pull FROM agency_pulls WHERE agency = ?", [.text(code)]) { $0.int(0) }.first
        let lastError = try db.query("""
            SELECT reason, updated_at, state FROM deliveries WHERE recipient = ? AND state IN ('waiting-retry', 'dead') AND reason IS NOT NULL
            ORDER BY updated_at DESC, id DESC LIMIT 1
            """, [.text(code)]) { AgencyActivity.LastError(reason: $0.text(0) ?? "", at: $0.int(1), state: $0.text(2) ?? "") }.first
        return AgencyActivity(states: states, oldest: oldest, paused: paused, lastPull: lastPull, lastError: lastError)
    }

    package func recordPull(by code: String, at time: Int64) throws {
        try db.run("""
            INSERT INTO agency_pulls(agency, last_pull) VALUES (?, ?)
            ON CONFLICT(agency) DO UPDATE SET last_pull = max(last_pull, excluded.last_pull)
            """, [.text(code), .integer(time)])
    }

    package func lastPulls() throws -> [String: Int64] {
        var pulls: [String: Int64] = [:]
        for (code, at) in try db.query("SELECT agency, last_pull FROM agency_pulls", [], { ($0.text(0) ?? "", $0.int(1)) }) { pulls[code] = at }
        return pulls
    }

    /// Messages whose hub id or DocumentId is `key` (a DocumentId may name several: one per sender).
    package func findMessages(_ key: String) throws -> [FoundMessage] {
        try db.query("""
            SELECT id, kind, sender, document_id, received_at, bucket FROM messages WHERE id = ?
            UNION ALL SELECT id, kind, sender, document_id, received_at, bucket FROM messages WHERE document_id = ? AND id <> ?
            ORDER BY 5 LIMIT 50
            """, [.text(key), .text(key), .text(key)]) { row in
            FoundMessage(id: row.text(0) ?? "", kind: row.text(1) ?? "", sender: row.text(2) ?? "", documentId: row.text(3),
                         receivedAt: row.int(4), bucket: row.text(5) ?? "")
        }
    }

    /// Stops pushing and forwarding to an agency (or a code behind a peer hub); its deliveries wait, queued.
    package func pause(_ code: String) throws {
        try db.transaction {
            if try db.run("INSERT OR IGNORE INTO paused(code, since) VALUES (?, ?)", [.text(code), .integer(now())]) > 0 {
                try logOperator("delivery-paused", ["agency": .string(code)])
            }
        }
    }

    /// Resumes delivery; returns false when it was not paused.
    @discardableResult
    package func resume(_ code: String) throws -> Bool {
        try db.transaction {
            guard try db.run("DELETE FROM paused WHERE code = ?", [.text(code)]) > 0 else { return false }
            try logOperator("delivery-resumed", ["agency": .string(code)])
            return true
        }
    }

    package func pausedAgencies() throws -> [String] {
        try db.query("SELECT code FROM paused ORDER BY code") { $0.text(0) ?? "" }
    }

    /// Requeues every dead push/forward delivery to an agency; returns how many.
    package func requeueAll(recipient: String) throws -> Int {
        try db.transaction {
            let count = try db.run("""
                UPDATE deliveries SET state = 'queued', attempts = 0, next_attempt_at = ?, updated_at = ?
                WHERE recipient = ? AND state = 'dead' AND target IS NOT NULL AND NOT EXISTS (SELECT 1 FROM messages pm WHERE pm.id = deliveries.message_id AND pm.payload LIKE 'archived:%')
                """, [.integer(now()), .integer(now()), .text(recipient)])
            if count > 0 { try logOperator("requeued", ["recipient": .string(recipient), "count": .integer(Int64(count))]) }
            return count
        }
    }

    /// Issues a statistics viewer token scoped to an agency and its subtree (shown once; only its hash is kept).
    package func issueViewerToken(for code: String) throws -> String {
        guard try writerAgency(code) != nil else { throw StoreError.notFound("no agency \(code)") }
        let token = "trucv_" + (try secureRandomBytes(32)).hexString
        try db.transaction {
            try db.run("INSERT INTO tokens(token_hash, agency, created_at, role) VALUES (?, ?, ?, 'viewer')",
                       [.text(Self.tokenHash(token)), .text(code), .integer(now())])
            try logOperator("token-issued", ["agency": .string(code), "role": .string("viewer"), "credential": .string(Self.tokenHash(token))])
        }
        return token
    }

    /// The agency a token belongs to and its role (`agency` or `viewer`).
    package nonisolated func credential(forToken token: String) throws -> (agency: Agency, role: String)? {
        try readers.read { db in try db.query("""
            SELECT a.code, a.name, a.parent, a.cert_identifier, a.cert_sha256, a.push_url, a.relay, t.role FROM tokens t
            JOIN agencies a ON a.code = t.agency WHERE t.token_hash = ?
            """, [.text(Self.tokenHash(token))]) { (Self.agencyRow($0), $0.text(7) ?? "agency") }.first }
    }
}

#if canImport(Glibc)
import Glibc
#endif

extension SQLiteStore {
    /// Bytes available to the hub in the data directory's file system (nil when it cannot be read).
    package nonisolated func storedVolume(receivedSince since: Int64) throws -> [StoredVolume] {
        try readers.read { db in
            try db.query("""
                SELECT m.kind, NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = m.id AND d.state NOT IN ('delivered', 'failed', 'dead')),
                       m.payload LIKE 'archived:%',
                       count(*), coalesce(sum(CASE WHEN m.payload LIKE 'archived:%' THEN 0 ELSE m.size END), 0),
                       coalesce(sum(CASE WHEN m.received_at >= ? AND m.payload NOT LIKE 'archived:%' THEN m.size ELSE 0 END), 0),
                       coalesce(sum(m.received_at >= ?), 0)
                FROM messages m GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
                """, [.integer(since), .integer(since)]) {
                var row = StoredVolume(kind: $0.text(0) ?? "", final: $0.int(1) != 0, messages: $0.int(3), payloadBytes: $0.int(4), recentPayloadBytes: $0.int(5),
                                       recentMessages: $0.int(6))
                row.purged = $0.int(2) != 0
                return row
            }
        }
    }

    package nonisolated func storeDisk() -> (usedBytes: Int64, freeBytes: Int64?) {
        let fm = FileManager.default
        // Blocks allocated, not the length: payload segments have holes where purged payloads were.
        func size(_ path: String) -> Int64 {
            var info = stat()
            return stat(path, &info) == 0 ? Int64(info.st_blocks) * 512 : 0
        }
        var total = size(dataDirectory + "/truc.sqlite") + size(dataDirectory + "/truc.sqlite-wal")
        let payloads = dataDirectory + "/payloads"
        for file in (try? fm.contentsOfDirectory(atPath: payloads)) ?? [] { total += size(payloads + "/" + file) }
        return (total, freeDiskBytes())
    }

    package nonisolated func freeDiskBytes() -> Int64? {
        var stats = statvfs()
        guard statvfs(dataDirectory, &stats) == 0 else { return nil }
        return Int64(stats.f_bavail) * Int64(stats.f_frsize)
    }
}

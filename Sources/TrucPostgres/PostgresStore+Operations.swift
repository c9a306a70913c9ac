import Foundation
import PostgresNIO
package import TrucCore
package import TrucStore
#if canImport(Glibc)
import Glibc
#endif

// The OperationsStore role on PostgreSQL: what operators watch.
extension PostgresStore: OperationsStore {
    package func deliveries(state: DeliveryState?, limit: Int) async throws -> [QueuedDelivery] {
        let rows = try await client.query("""
            SELECT d.message_id, d.recipient, d.state, d.attempts, d.target, d.next_attempt_at, d.reason, m.sender, m.document_id
            FROM deliveries d JOIN messages m ON m.id = d.message_id
            WHERE (\(state == nil) OR d.state = \(state?.rawValue)) ORDER BY d.id LIMIT \(Int64(limit))
            """, logger: logger)
        var result: [QueuedDelivery] = []
        for try await r in rows.decode((String, String, String, Int, String?, Int64?, String?, String, String?).self) {
            result.append(QueuedDelivery(messageId: r.0, recipient: r.1, state: r.2, attempts: r.3, target: r.4, nextAttemptAt: r.5, reason: r.6,
                                         sender: r.7, documentId: r.8))
        }
        return result
    }

    package func queueFigures(now: Int64) async throws -> ([String: Int], Int64?) {
        var depths: [String: Int] = [:]
        for try await (state, n) in try await client.query("SELECT state, COUNT(*) FROM deliveries GROUP BY state", logger: logger)
            .decode((String, Int64).self) { depths[state] = Int(n) }
        var oldest: Int64?
        for try await first in try await client.query("""
            SELECT MIN(m.received_at) FROM deliveries d JOIN messages m ON m.id = d.message_id WHERE d.state NOT IN ('delivered', 'failed', 'dead')
            """, logger: logger).decode(Int64?.self) { oldest = first }
        return (depths, oldest.map { max(0, now - $0) })
    }

    package func oldestAwaitingPull(now: Int64) async throws -> Int64? {
        for try await first in try await client.query("""
            SELECT MIN(m.received_at) FROM deliveries d JOIN messages m ON m.id = d.message_id WHERE d.state = 'awaiting-pull'
            """, logger: logger).decode(Int64?.self) { return first.map { now - $0 } }
        return nil
    }

    package func operationsView(now: Int64) async throws -> OperationsView {
        let (states, _) = try await queueFigures(now: now)
        var byAgency: [String: [String: Int]] = [:]
        for try await (recipient, state, n) in try await client.query("""
            SELECT recipient, state, COUNT(*) FROM deliveries WHERE state IN ('awaiting-pull', 'queued', 'sending', 'waiting-retry', 'dead')
            GROUP BY recipient, state
            """, logger: logger).decode((String, String, Int64).self) { byAgency[recipient, default: [:]][state] = Int(n) }
        var paused: Set<String> = []
        for try await code in try await client.query("SELECT code FROM paused", logger: logger).decode(String.self) { paused.insert(code) }
        for code in paused where byAgency[code] == nil { byAgency[code] = [:] }
        var oldest: OperationsView.Oldest?
        for try await r in try await client.query("""
            SELECT d.message_id, d.recipient, d.state, m.received_at FROM deliveries d JOIN messages m ON m.id = d.message_id
            WHERE d.state IN ('awaiting-pull', 'queued', 'sending', 'waiting-retry') ORDER BY m.received_at LIMIT 1
            """, logger: logger).decode((String, String, String, Int64).self) {
            oldest = OperationsView.Oldest(messageId: r.0, recipient: r.1, state: r.2, receivedAt: r.3, ageSeconds: max(0, now - r.3))
        }
        var figures = (0, 0, 0, 0)
        for try await r in try await client.query("""
            SELECT (SELECT COUNT(*) FROM messages WHERE received_at >= \(now - 60)),
                   (SELECT COUNT(*) FROM deliveries WHERE delivered_at >= \(now - 60)),
                   (SELECT COUNT(*) FROM messages WHERE received_at >= \(now - 3600)),
                   (SELECT COUNT(*) FROM deliveries WHERE delivered_at >= \(now - 3600))
            """, logger: logger).decode((Int64, Int64, Int64, Int64).self) { figures = (Int(r.0), Int(r.1), Int(r.2), Int(r.3)) }
        var perMinute = [Int](repeating: 0, count: 30)
        for try await (minute, n) in try await client.query("""
            SELECT (\(now) - received_at) / 60, COUNT(*) FROM messages WHERE received_at > \(now - 30 * 60) GROUP BY 1
            """, logger: logger).decode((Int64, Int64).self) where (0..<30).contains(minute) {
            perMinute[29 - Int(minute)] = Int(n)
        }
        return OperationsView(states: states,
                              agencies: byAgency.keys.sorted().map { OperationsView.AgencyQueue(agency: $0, states: byAgency[$0]!, paused: paused.contains($0)) },
                              oldest: oldest, receivedLastMinute: figures.0, deliveredLastMinute: figures.1, receivedLastHour: figures.2,
                              deliveredLastHour: figures.3, receivedPerMinute: perMinute)
    }

    package func agencyActivity(_ code: String, now: Int64) async throws -> AgencyActivity {
        var states: [String: Int] = [:]
        for try await (state, n) in try await client.query("""
            SELECT state, COUNT(*) FROM deliveries WHERE recipient = \(code) AND state IN ('awaiting-pull', 'queued', 'sending', 'waiting-retry', 'dead')
            GROUP BY state
            """, logger: logger).decode((String, Int64).self) { states[state] = Int(n) }
        var oldest: OperationsView.Oldest?
        for try await r in try await client.query("""
            SELECT d.message_id, d.recipient, d.state, m.received_at FROM deliveries d JOIN messages m ON m.id = d.message_id
            WHERE d.recipient = \(code) AND d.state IN ('awaiting-pull', 'queued', 'sending', 'waiting-retry') ORDER BY m.received_at LIMIT 1
            """, logger: logger).decode((String, String, String, Int64).self) {
            oldest = OperationsView.Oldest(messageId: r.0, recipient: r.1, state: r.2, receivedAt: r.3, ageSeconds: max(0, now - r.3))
        }
        var paused = false
        for try await _ in try await client.query("SELECT 1 FROM paused WHERE code = \(code)", logger: logger).decode(Int32.self) { paused = true }
        var lastPull: Int64?
        for try await at in try await client.query("SELECT last_pull FROM agency_pulls WHERE agency = \(code)", logger: logger).decode(Int64.self) {
            lastPull = at
        }
        var lastError: AgencyActivity.LastError?
        for try await (reason, at, state) in try await client.query("""
            SELECT reason, updated_at, state FROM deliveries WHERE recipient = \(code) AND state IN ('waiting-retry', 'dead') AND reason IS NOT NULL
            ORDER BY updated_at DESC, id DESC LIMIT 1
            """, logger: logger).decode((String, Int64, String).self) { lastError = .init(reason: reason, at: at, state: state) }
        return AgencyActivity(states: states, oldest: oldest, paused: paused, lastPull: lastPull, lastError: lastError)
    }

    package func recordPull(by code: String, at time: Int64) async throws {
        try await client.query("""
            INSERT INTO agency_pulls(agency, last_pull) VALUES (\(code), \(time))
            ON CONFLICT (agency) DO UPDATE SET last_pull = GREATEST(agency_pulls.last_pull, excluded.last_pull)
            """, logger: logger)
    }

    package func lastPulls() async throws -> [String: Int64] {
        var pulls: [String: Int64] = [:]
        for try await (code, at) in try await client.query("SELECT agency, last_pull FROM agency_pulls", logger: logger).decode((String, Int64).self) {
            pulls[code] = at
        }
        return pulls
    }

    /// The server is unreachable, closed the connection, is starting or shutting down, is a standby after a
    /// failover (read-only), is out of resources, or the pool gave up connecting; also a serialization failure
    /// or deadlock (retrying is the answer).
    package nonisolated func isOutage(_ error: any Error) -> Bool {
        if let error = error as? PostgresTransactionError {
            guard let inner = error.closureError ?? error.beginError ?? error.commitError else { return false }
            return isOutage(inner)
        }
        // The pool's own error (its module is not a product of postgres-nio): it gave up creating connections.
        if String(describing: type(of: error)) == "ConnectionPoolError" { return true }
        if case PostgresStoreError.timeout = error { return true }
        guard let error = error as? PSQLError else { return false }
        switch error.code {
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed, .queryCancelled,
             .sslUnsupported, .failedToAddSSLHandler:
            return true
        case .server:
            guard let state = error.serverInfo?[.sqlState] else { return false }
            return state.hasPrefix("08") || state.hasPrefix("53") || state.hasPrefix("57P") || state == "25006" || state == "40001" || state == "40P01"
        default:
            return false
        }
    }

    /// A claim row per job: taken when free or expired, renewed by its holder, in one statement (no race).
    package func holdsSingleton(_ name: String, seconds: Int64) async throws -> Bool {
        let now = now()
        for try await _ in try await client.query("""
            INSERT INTO singletons(name, holder, until) VALUES (\(name), \(node), \(now + seconds))
            ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
            WHERE singletons.holder = excluded.holder OR singletons.until < \(now)
            RETURNING holder
            """, logger: logger).decode(String.self) { return true }
        return false
    }

    /// True when the server takes a write: a transaction that gets an id (a read-only standby after a
    /// failover, or an unreachable server, is not writable).
    package func isWritable() async -> Bool {
        do {
            return try await transaction { connection in
                for try await _ in try await connection.query("SELECT txid_current()", logger: self.logger).decode(Int64.self) { return true }
                return false
            }
        } catch {
            return false
        }
    }

    package func storedVolume(receivedSince since: Int64) async throws -> [StoredVolume] {
        var rows: [StoredVolume] = []
        for try await (kind, final, purged, messages, bytes, recent, recentMessages) in try await client.query("""
            SELECT m.kind, NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = m.id AND d.state NOT IN ('delivered', 'failed', 'dead')),
                   m.payload LIKE 'archived:%',
                   count(*), coalesce(sum(CASE WHEN m.payload LIKE 'archived:%' THEN 0 ELSE m.size END), 0)::BIGINT,
                   coalesce(sum(CASE WHEN m.received_at >= \(since) AND m.payload NOT LIKE 'archived:%' THEN m.size ELSE 0 END), 0)::BIGINT,
                   count(*) FILTER (WHERE m.received_at >= \(since))
            FROM messages m GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
            """, logger: logger).decode((String, Bool, Bool, Int64, Int64, Int64, Int64).self) {
            var row = StoredVolume(kind: kind, final: final, messages: messages, payloadBytes: bytes, recentPayloadBytes: recent, recentMessages: recentMessages)
            row.purged = purged
            rows.append(row)
        }
        return rows
    }

    /// The database's size; its server's free space is watched there (this node's `freeDiskBytes` is its own).
    package func storeDisk() async throws -> (usedBytes: Int64, freeBytes: Int64?) {
        for try await size in try await client.query("SELECT pg_database_size(current_database())", logger: logger).decode(Int64.self) { return (size, nil) }
        return (0, nil)
    }

    /// Free space where this node keeps its local files (the directory of `secrets.key`); PostgreSQL's own disk
    /// is watched on the database server.
    package nonisolated func freeDiskBytes() -> Int64? {
        var stats = statvfs()
        guard statvfs(localDirectory, &stats) == 0 else { return nil }
        return Int64(stats.f_bavail) * Int64(stats.f_frsize)
    }
}

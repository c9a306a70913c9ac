import Foundation
import PostgresNIO
import TrucCore
import TrucLog
package import TrucStore
import TrucVocabulary

// The DeliveryQueueStore role on PostgreSQL, for several nodes: a due delivery is claimed with a lease
// (`FOR UPDATE SKIP LOCKED`, `claimed_by`, `lease_until`), so two nodes never attempt it at once; a node that dies
// mid-attempt loses the lease and another node takes the delivery over once it expires (at-least-once on the
// wire; receivers de-duplicate, as with one node).
extension PostgresStore: DeliveryQueueStore {
    /// Deliveries this node claimed in a previous life (same node name) are attempted again at once; those of
    /// other nodes wait for their lease.
    package func recoverInFlight() async throws {
        let now = now()
        try await client.query("""
            UPDATE deliveries SET state = 'queued', next_attempt_at = \(now), claimed_by = NULL, lease_until = NULL
            WHERE state = 'sending' AND claimed_by = \(node)
            """, logger: logger)
    }

    package func claimDue(now: Int64, limit: Int) async throws -> [DueDelivery] {
        let until = now + leaseSeconds
        let rows = try await client.query("""
            WITH picked AS (
              SELECT d.id FROM deliveries d
              WHERE ((d.state IN ('queued', 'waiting-retry') AND d.next_attempt_at <= \(now)) OR (d.state = 'sending' AND d.lease_until < \(now)))
                AND NOT EXISTS (SELECT 1 FROM paused p WHERE p.code = d.recipient)
              ORDER BY d.next_attempt_at, d.id LIMIT \(Int64(limit)) FOR UPDATE SKIP LOCKED),
            claimed AS (
              UPDATE deliveries d SET state = 'sending', claimed_by = \(node), lease_until = \(until), updated_at = \(now)
              FROM picked WHERE d.id = picked.id
              RETURNING d.id, d.message_id, d.recipient, d.target, d.attempts)
            SELECT c.id, c.message_id, c.recipient, COALESCE(c.target, ''), c.attempts, m.payload, m.via, m.sender, m.kind
            FROM claimed c JOIN messages m ON m.id = c.message_id ORDER BY c.id
            """, logger: logger)
        var due: [DueDelivery] = []
        for try await r in rows.decode((Int64, String, String, String, Int, String, String, String, String).self) {
            due.append(DueDelivery(id: r.0, messageId: r.1, recipient: r.2, target: r.3, attempts: r.4, payloadPath: r.5,
                                   via: r.6.split(separator: ",").map(String.init), sender: r.7, kind: r.8))
        }
        return due
    }

    /// Extends this node's lease on deliveries it is still attempting: an attempt longer than the lease is
    /// never taken over by another node while it runs, and the lease itself can stay short (a dead node's
    /// deliveries are taken over within a lease).
    package func renewLeases(_ ids: [Int64]) async throws {
        guard !ids.isEmpty else { return }
        let until = now() + leaseSeconds
        try await client.query("""
            UPDATE deliveries SET lease_until = \(until) WHERE id = ANY(\(ids)) AND state = 'sending' AND claimed_by = \(node)
            """, logger: logger)
    }

    package func recordAttempt(_ id: Int64, delivered: Bool, how: String, reason: String?, retryAt: Int64?) async throws {
        let now = now()
        if !delivered, let retryAt {
            // A late failure never undoes a delivery another node completed meanwhile, nor a delivery the operator
            // moved (its agency switched to pull): only a delivery still being sent is answered.
            try await client.query("""
                UPDATE deliveries SET state = 'waiting-retry', attempts = attempts + 1, reason = \(reason), next_attempt_at = \(retryAt),
                  updated_at = \(now), claimed_by = NULL, lease_until = NULL WHERE id = \(id) AND state = 'sending'
                """, logger: logger)
            return
        }
        // Delivered or dead: the evidence log's event in the same transaction.
        try await transaction { connection in
            let rows = try await connection.query(delivered ? """
                UPDATE deliveries SET state = 'delivered', attempts = attempts + 1, delivered_at = \(now), how = \(how), reason = NULL,
                  updated_at = \(now), claimed_by = NULL, lease_until = NULL WHERE id = \(id) RETURNING message_id, recipient, attempts
                """ : """
                UPDATE deliveries SET state = 'dead', attempts = attempts + 1, reason = \(reason), next_attempt_at = NULL,
                  updated_at = \(now), claimed_by = NULL, lease_until = NULL WHERE id = \(id) AND state = 'sending' RETURNING message_id, recipient, attempts
                """, logger: self.logger)
            // The row is read to its end before the event's statement runs on the same connection.
            var changed: [(String, String, Int64)] = []
            for try await row in rows.decode((String, String, Int64).self) { changed.append(row) }
            for (message, recipient, attempts) in changed {
                let time = CivilCalendar.isoUTC(now)
                try await Self.logEvent(delivered ? .delivered(message: message, recipient: recipient, how: how, time: time)
                                                  : .dead(message: message, recipient: recipient, attempts: attempts, time: time),
                                        message: message, on: connection, logger: self.logger)
            }
        }
    }

    package func requeue(messageId: String, recipient: String) async throws -> Bool {
        let now = now()
        let changed = try await transaction { connection in
            var changed = false
            for try await _ in try await connection.query("""
                UPDATE deliveries SET state = 'queued', attempts = 0, next_attempt_at = \(now), updated_at = \(now)
                WHERE message_id = \(messageId) AND recipient = \(recipient) AND state = 'dead' AND target IS NOT NULL AND NOT EXISTS (SELECT 1 FROM messages pm WHERE pm.id = deliveries.message_id AND pm.payload LIKE 'archived:%') RETURNING id
                """, logger: self.logger).decode(Int64.self) { changed = true }
            if changed {
                try await Self.logOperator("requeued", ["message": .string(messageId), "recipient": .string(recipient)], on: connection, logger: self.logger)
            }
            return changed
        }
        if changed { try await notifyDeliveries() }
        return changed
    }

    package func requeueAll(recipient: String) async throws -> Int {
        let now = now()
        let count = try await transaction { connection in
            var count = 0
            for try await _ in try await connection.query("""
                UPDATE deliveries SET state = 'queued', attempts = 0, next_attempt_at = \(now), updated_at = \(now)
                WHERE recipient = \(recipient) AND state = 'dead' AND target IS NOT NULL AND NOT EXISTS (SELECT 1 FROM messages pm WHERE pm.id = deliveries.message_id AND pm.payload LIKE 'archived:%') RETURNING id
                """, logger: self.logger).decode(Int64.self) { count += 1 }
            if count > 0 {
                try await Self.logOperator("requeued", ["recipient": .string(recipient), "count": .integer(Int64(count))], on: connection, logger: self.logger)
            }
            return count
        }
        if count > 0 { try await notifyDeliveries() }
        return count
    }

    package func pause(_ code: String) async throws {
        try await transaction { connection in
            var paused = false
            for try await _ in try await connection.query("""
                INSERT INTO paused(code, since) VALUES (\(code), \(self.now())) ON CONFLICT DO NOTHING RETURNING code
                """, logger: self.logger).decode(String.self) { paused = true }
            if paused { try await Self.logOperator("delivery-paused", ["agency": .string(code)], on: connection, logger: self.logger) }
        }
    }

    @discardableResult
    package func resume(_ code: String) async throws -> Bool {
        let changed = try await transaction { connection in
            var changed = false
            for try await _ in try await connection.query("DELETE FROM paused WHERE code = \(code) RETURNING code", logger: self.logger).decode(String.self) {
                changed = true
            }
            if changed { try await Self.logOperator("delivery-resumed", ["agency": .string(code)], on: connection, logger: self.logger) }
            return changed
        }
        if changed { try await notifyDeliveries() }
        return changed
    }

    /// Wakes every node's delivery engine (outside a transaction: at once).
    func notifyDeliveries() async throws {
        try await client.query(PostgresQuery(unsafeSQL: "NOTIFY \(Self.deliveryChannel)"), logger: logger)
    }
}

import Foundation
package import TrucCore
import TrucCrypto
import TrucLog
import TrucSQLite
import TrucVocabulary
package import TrucStore
package import TrucConcurrency

// The DeliveryQueueStore and OperationsStore roles: the delivery engine's queue and what operators watch.
extension SQLiteStore {

    /// After a crash or restart: deliveries caught mid-attempt are attempted again (at-least-once on the wire).
    package func recoverInFlight() throws {
        try db.run("UPDATE deliveries SET state = 'queued', next_attempt_at = ? WHERE state = 'sending'", [.integer(now())])
    }

    /// Claims deliveries that are due: marks them `sending` and returns them.
    package func claimDue(now: Int64, limit: Int) throws -> [DueDelivery] {
        try db.transaction {
            let due = try db.query("""
                SELECT d.id, d.message_id, d.recipient, d.target, d.attempts, m.payload, m.via, m.sender, m.kind FROM deliveries d JOIN messages m ON m.id = d.message_id
                WHERE d.state IN ('queued', 'waiting-retry') AND d.next_attempt_at <= ?
                  AND NOT EXISTS (SELECT 1 FROM paused p WHERE p.code = d.recipient)
                ORDER BY d.next_attempt_at, d.id LIMIT ?
                """, [.integer(now), .integer(Int64(limit))]) { row in
                DueDelivery(id: row.int(0), messageId: row.text(1) ?? "", recipient: row.text(2) ?? "", target: row.text(3) ?? "",
                            attempts: Int(row.int(4)), payloadPath: row.text(5) ?? "",
                            via: (row.text(6) ?? "").split(separator: ",").map(String.init), sender: row.text(7) ?? "",
                            kind: row.text(8) ?? "")
            }
            for d in due {
                try db.run("UPDATE deliveries SET state = 'sending', updated_at = ? WHERE id = ?", [.integer(now), .integer(d.id)])
            }
            return due
        }
    }

    /// One process holds the store: nothing can take a delivery over, so there is no lease to renew.
    package func renewLeases(_ ids: [Int64]) throws {}

    /// Records an attempt: delivered, to be retried at `retryAt`, or dead (retryAt nil after a failure).
    package func recordAttempt(_ id: Int64, delivered: Bool, how: String, reason: String?, retryAt: Int64?) throws {
        let now = now()
        try db.transaction {
            if delivered {
                guard try db.run("""
                    UPDATE deliveries SET state = 'delivered', attempts = attempts + 1, delivered_at = ?, how = ?, reason = NULL, updated_at = ? WHERE id = ?
                    """, [.integer(now), .text(how), .integer(now), .integer(id)]) > 0 else { return }
            } else {
                let state: DeliveryState = retryAt == nil ? .dead : .waitingRetry
                // Only the attempt's own claim is answered: a delivery the operator moved meanwhile (its agency switched
                // to pull) keeps its new state.
                guard try db.run("""
                    UPDATE deliveries SET state = ?, attempts = attempts + 1, reason = ?, next_attempt_at = ?, updated_at = ? WHERE id = ? AND state = 'sending'
                    """, [.text(state.rawValue), opt(reason), retryAt.map { .integer($0) } ?? .null, .integer(now), .integer(id)]) > 0,
                    state == .dead else { return }
            }
            // The evidence log's `delivered` or `dead` event, in the same transaction.
            guard let row = try db.query("SELECT message_id, recipient, attempts FROM deliveries WHERE id = ?", [.integer(id)], {
                (message: $0.text(0) ?? "", recipient: $0.text(1) ?? "", attempts: $0.int(2))
            }).first else { return }
            let time = CivilCalendar.isoUTC(now)
            try logEvent(delivered ? .delivered(message: row.message, recipient: row.recipient, how: how, time: time)
                                   : .dead(message: row.message, recipient: row.recipient, attempts: row.attempts, time: time), message: row.message)
        }
    }

    /// Puts a dead (or failed) push/forward delivery back in the queue, attempts reset. Returns false when
    /// there is no such delivery or it is not dead.
    package func requeue(messageId: String, recipient: String) throws -> Bool {
        try db.transaction {
            guard try db.run("""
                UPDATE deliveries SET state = 'queued', attempts = 0, next_attempt_at = ?, updated_at = ?
                WHERE message_id = ? AND recipient = ? AND state = 'dead' AND target IS NOT NULL AND NOT EXISTS (SELECT 1 FROM messages pm WHERE pm.id = deliveries.message_id AND pm.payload LIKE 'archived:%')
                """, [.integer(now()), .integer(now()), .text(messageId), .text(recipient)]) > 0 else { return false }
            try logOperator("requeued", ["message": .string(messageId), "recipient": .string(recipient)])
            return true
        }
    }


    /// Deliveries in a state (all states when nil), oldest first.
    package func deliveries(state: DeliveryState?, limit: Int = 500) throws -> [QueuedDelivery] {
        var sql = """
            SELECT d.message_id, d.recipient, d.state, d.attempts, d.target, d.next_attempt_at, d.reason, m.sender, m.document_id
            FROM deliveries d JOIN messages m ON m.id = d.message_id
            """
        var bindings: [SQLiteValue] = []
        if let state {
            sql += " WHERE d.state = ?"
            bindings.append(.text(state.rawValue))
        }
        sql += " ORDER BY d.id LIMIT ?"
        bindings.append(.integer(Int64(limit)))
        return try db.query(sql, bindings) { row in
            QueuedDelivery(messageId: row.text(0) ?? "", recipient: row.text(1) ?? "", state: row.text(2) ?? "", attempts: Int(row.int(3)),
                           target: row.text(4), nextAttemptAt: row.isNull(5) ? nil : row.int(5), reason: row.text(6),
                           sender: row.text(7) ?? "", documentId: row.text(8))
        }
    }

    /// The age in seconds of the oldest message waiting in an inbox (awaiting pull), nil when none waits.
    package func oldestAwaitingPull(now: Int64) throws -> Int64? {
        try db.query("""
            SELECT MIN(m.received_at) FROM deliveries d JOIN messages m ON m.id = d.message_id WHERE d.state = 'awaiting-pull'
            """) { $0.isNull(0) ? nil : now - $0.int(0) }.first ?? nil
    }

    /// Deliveries per state, and the age in seconds of the oldest one still waiting (any state but
    /// delivered, failed and dead).
    package func queueFigures(now: Int64) throws -> ([String: Int], Int64?) {
        var depths: [String: Int] = [:]
        for (state, count) in try db.query("SELECT state, COUNT(*) FROM deliveries GROUP BY state", [], { ($0.text(0) ?? "", Int($0.int(1))) }) {
            depths[state] = count
        }
        let oldest = try db.query("""
            SELECT MIN(m.received_at) FROM deliveries d JOIN messages m ON m.id = d.message_id
            WHERE d.state NOT IN ('delivered', 'failed', 'dead')
            """) { $0.isNull(0) ? nil : $0.int(0) }.first ?? nil
        return (depths, oldest.map { max(0, now - $0) })
    }

    /// One node: every singleton job is this node's.
    package func holdsSingleton(_ name: String, seconds: Int64) -> Bool { true }

    /// One node: the engine polls its own store (cheap in SQLite).
    package nonisolated var deliveryWork: WorkSignal? { nil }

    package nonisolated func isOutage(_ error: any Error) -> Bool {
        if let error = error as? SQLiteError { return error.isOutage }
        return error is PayloadSegments.Failure
    }

    /// True when the store answers a write (readiness).
    package func isWritable() -> Bool {
        (try? db.execute("BEGIN IMMEDIATE; COMMIT")) != nil
    }
}

package import TrucConcurrency
package import TrucCore

/// The delivery engine's queue: due deliveries claimed, attempts recorded, retries and pauses.
package protocol DeliveryQueueStore: Actor {
    func recoverInFlight() async throws
    func claimDue(now: Int64, limit: Int) async throws -> [DueDelivery]
    /// Extends the lease on deliveries still being attempted (several nodes); one node needs none.
    func renewLeases(_ ids: [Int64]) async throws
    func recordAttempt(_ id: Int64, delivered: Bool, how: String, reason: String?, retryAt: Int64?) async throws
    func requeue(messageId: String, recipient: String) async throws -> Bool
    func requeueAll(recipient: String) async throws -> Int
    func pause(_ code: String) async throws
    @discardableResult func resume(_ code: String) async throws -> Bool
    /// Raised when deliveries become due on any node (PostgreSQL: `LISTEN/NOTIFY`), so an idle engine can
    /// wait longer between polls; nil when the store has none (the engine polls).
    nonisolated var deliveryWork: WorkSignal? { get }
}

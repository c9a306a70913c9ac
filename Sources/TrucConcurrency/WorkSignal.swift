import Foundation

/// "There may be deliveries due now": raised by the store when work appears (on PostgreSQL, a `NOTIFY` from
/// any node), taken by the delivery engine between its polls. A flag, not a queue: many raises before a take
/// are one wake-up, and a missed one costs at most a poll interval (notifications are not persisted).
package final class WorkSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var raised = false

    package init() {}

    package func raise() {
        lock.lock()
        raised = true
        lock.unlock()
    }

    /// True (and lowered) when raised since the last take.
    package func take() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        let was = raised
        raised = false
        return was
    }

    /// Waits until the signal is raised or `limit` has passed; true when raised. Checks every `step` (no
    /// query: a flag in memory).
    package func wait(upTo limit: Duration, step: Duration = .milliseconds(50)) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if take() { return true }
            if Task.isCancelled { return false }
            try? await Task.sleep(for: step)
        }
        return take()
    }
}


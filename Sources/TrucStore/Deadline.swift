import Foundation

/// Runs an operation but answers its caller by `limit` at the latest. For store calls that may never return:
/// postgres-nio (1.33) can lose a query written on a connection the server has just closed (its answer never
/// comes), and a probe of a dead server may wait on its pool. The caller gets `expired()` as its error; the
/// operation is cancelled and left behind (it cannot be resumed from outside).
package enum Deadline {
    package static func run<T: Sendable>(_ limit: Duration, expired: @escaping @Sendable () -> any Error,
                                         _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        let resumed = FirstOnly()
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let work = Task {
                do {
                    let value = try await operation()
                    if resumed.claim() { continuation.resume(returning: value) }
                } catch {
                    if resumed.claim() { continuation.resume(throwing: error) }
                }
            }
            Task {
                try? await Task.sleep(for: limit)
                if resumed.claim() {
                    continuation.resume(throwing: expired())
                    work.cancel()
                }
            }
        }
    }

    /// True for the first caller only: the continuation is resumed once.
    private final class FirstOnly: @unchecked Sendable {
        private let lock = NSLock()
        private var done = false

        func claim() -> Bool {
            lock.lock()
            defer { lock.unlock() }
            if done { return false }
            done = true
            return true
        }
    }
}

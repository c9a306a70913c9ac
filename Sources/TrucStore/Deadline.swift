import Foundation

/// Runs an operation but answers its caller by `limit` at the latest. For store calls that may never return:
/// postgres-nio (1.33) can lose a query written on a connection the server has just closed (its answer never
/// comes), and a probe of a dead server may wait on its pool. The caller gets `expired()` as its error; the
/// operation is cancelled and left behind (it cannot be resumed from outside).
package enum Deadline {
    package static func run<T: Sendable>(_ limit: Duration, expired: @escaping @Sendable () -> any Error,
                                         _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        let resumed = FirstOnly()
        let timer = TimerSlot()
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let work = Task {
                let result: Result<T, any Error>
                do { result = .success(try await operation()) } catch { result = .failure(error) }
                // The timer is cancelled as soon as the work is done: a store call takes milliseconds, and
                // thousands of calls a second must not each leave a timer pending for the whole limit.
                timer.cancel()
                if resumed.claim() { continuation.resume(with: result) }
            }
            timer.start(Task {
                try? await Task.sleep(for: limit)
                if !Task.isCancelled, resumed.claim() {
                    continuation.resume(throwing: expired())
                    work.cancel()
                }
            })
        }
    }

    /// The timer task of one call, cancelled by whichever comes first: the work finishing, or its start after
    /// the work has already finished.
    private final class TimerSlot: @unchecked Sendable {
        private let lock = NSLock()
        private var task: Task<Void, Never>?
        private var cancelled = false

        func start(_ timer: Task<Void, Never>) {
            lock.lock()
            let late = cancelled
            if !late { task = timer }
            lock.unlock()
            if late { timer.cancel() }
        }

        func cancel() {
            lock.lock()
            cancelled = true
            let timer = task
            task = nil
            lock.unlock()
            timer?.cancel()
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

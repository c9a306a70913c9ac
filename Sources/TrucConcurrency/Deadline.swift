import Foundation

/// Runs an operation but answers its caller by `limit` at the latest. For store calls that may never return:
/// postgres-nio (1.33) can lose a query written on a connection the server has just closed (its answer never
/// comes), and a probe of a dead server may wait on its pool. The caller gets `expired()` as its error; the
/// operation is cancelled and left behind (it cannot be resumed from outside).
package enum Deadline {
    package static func run<T: Sendable>(_ limit: Duration, expired: @escaping @Sendable () -> any Error,
                                         _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        let resumed = FirstOnly()
        let timer = TaskSlot()
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
}

/// `Deadline` for calls by the thousand a second: instead of a timer per call, the calls under way are noted
/// (a lock and a dictionary entry) and one sweeper task looks every `period` for those past their limit — a
/// call is given up between `limit` and `limit + period`. PostgreSQL statements run under it (a timer per
/// statement was a tenth of a node's CPU).
package final class DeadlineWatch: @unchecked Sendable {
    private struct Pending {
        let expires: ContinuousClock.Instant
        let expire: @Sendable () -> Void
    }

    private let lock = NSLock()
    private var pending: [UInt64: Pending] = [:]
    private var next: UInt64 = 0
    private var sweeper: Task<Void, Never>?
    private var stopped = false
    private let period: Duration

    package init(period: Duration = .seconds(1)) {
        self.period = period
    }

    /// Stops the sweeper: calls under way then have no deadline. For the owner's shutdown.
    package func stop() {
        lock.lock()
        stopped = true
        let task = sweeper
        sweeper = nil
        lock.unlock()
        task?.cancel()
    }

    package func run<T: Sendable>(_ limit: Duration, expired: @escaping @Sendable () -> any Error,
                                  _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        let resumed = FirstOnly()
        let work = TaskSlot()
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let id = watch(until: .now + limit) {
                if resumed.claim() {
                    continuation.resume(throwing: expired())
                    work.cancel()
                }
            }
            work.start(Task {
                let result: Result<T, any Error>
                do { result = .success(try await operation()) } catch { result = .failure(error) }
                self.forget(id)
                if resumed.claim() { continuation.resume(with: result) }
            })
        }
    }

    /// Notes a call under way; its key.
    private func watch(until expires: ContinuousClock.Instant, _ expire: @escaping @Sendable () -> Void) -> UInt64 {
        lock.lock()
        defer { lock.unlock() }
        next &+= 1
        pending[next] = Pending(expires: expires, expire: expire)
        if sweeper == nil && !stopped {
            let period = period
            sweeper = Task { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: period)
                    guard let self else { return }
                    self.sweep()
                }
            }
        }
        return next
    }

    private func forget(_ id: UInt64) {
        lock.lock()
        pending[id] = nil
        lock.unlock()
    }

    private func sweep() {
        let now = ContinuousClock.now
        lock.lock()
        let due = pending.filter { $0.value.expires <= now }
        for id in due.keys { pending[id] = nil }
        lock.unlock()
        for entry in due.values { entry.expire() }
    }
}

/// True for the first caller only: a continuation is resumed once.
final class FirstOnly: @unchecked Sendable {
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

/// A task to cancel, cancelled by whichever comes first: `cancel()`, or `start` after `cancel()`.
final class TaskSlot: @unchecked Sendable {
    private let lock = NSLock()
    private var task: Task<Void, Never>?
    private var cancelled = false

    func start(_ task: Task<Void, Never>) {
        lock.lock()
        let late = cancelled
        if !late { self.task = task }
        lock.unlock()
        if late { task.cancel() }
    }

    func cancel() {
        lock.lock()
        cancelled = true
        let task = self.task
        self.task = nil
        lock.unlock()
        task?.cancel()
    }
}

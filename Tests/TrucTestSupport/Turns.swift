import Synchronization

/// A counting semaphore that suspends the task waiting for a turn (first come, first served); a task cancelled
/// while it waits stops waiting.
final class Turns: Sendable {
    private struct State {
        var free: Int
        var waiting: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
        var next: UInt64 = 0
    }
    private let state: Mutex<State>

    init(_ count: Int) { state = Mutex(State(free: max(1, count))) }

    func take() async throws {
        let id = state.withLock { state -> UInt64 in
            state.next += 1
            return state.next
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let now = state.withLock { state -> Bool? in
                    if Task.isCancelled { return nil } // cancelled before it could be found in the line
                    if state.free > 0 { state.free -= 1; return true }
                    state.waiting.append((id, continuation))
                    return false
                }
                switch now {
                case nil: continuation.resume(throwing: CancellationError())
                case true?: continuation.resume()
                case false?: break
                }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, any Error>? in
                guard let index = state.waiting.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiting.remove(at: index).continuation
            }
            waiter?.resume(throwing: CancellationError())
        }
    }

    func give() {
        let next = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            if state.waiting.isEmpty { state.free += 1; return nil }
            return state.waiting.removeFirst().continuation
        }
        next?.resume()
    }
}

/// Tests that load both cores for long (a fuzz build and run, the crash test, attacks under load, backups
/// under load) take turns: run together, they starve the timing-sensitive tests of CPU (a JVM client that
/// waits 5 s for `100 Continue`, for instance). Tests that are sensitive to time take a turn too. A test waiting
/// for its turn is suspended, not blocking a thread: the cooperative pool has one thread per core.
package enum HeavyLoad {
    private static let gate = Turns(1)

    package static func exclusive<T>(_ body: () async throws -> T) async throws -> T {
        try await gate.take()
        defer { gate.give() }
        return try await body()
    }
}

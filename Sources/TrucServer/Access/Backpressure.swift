import Foundation
import NIOConcurrencyHelpers
package import NIOCore
import NIOPosix
import HTTPTypes
import TrucCore

/// The CPU-heavy part of intake (parsing, validation, signature verification) runs here, on its own threads
/// sized to the cores, never on the NIO event loops that serve every other request: a 20 MB document being
/// verified does not delay a status message or `/healthz`. At most `threads + queueLimit` jobs are admitted;
/// beyond that the caller gets `503 busy` with `Retry-After` instead of an unbounded queue.
package final class WorkPool: Sendable {
    private let pool: NIOThreadPool
    private let admitted = NIOLockedValueBox(0)
    package let threads: Int
    package let queueLimit: Int

    /// - Parameter niceness: added to the threads' nice value (Linux): a lane for large documents runs below
    ///   the event loops and the small-message lane, so that it uses the spare CPU without delaying them.
    /// - Parameter latencySensitive: the threads ask the scheduler for short slices (see `ThreadSlices`).
    package init(threads: Int = System.coreCount, queueLimit: Int = 64, niceness: Int32 = 0, latencySensitive: Bool = false) {
        self.threads = max(1, threads)
        self.queueLimit = max(0, queueLimit)
        pool = NIOThreadPool(numberOfThreads: self.threads)
        pool.start()
        if niceness > 0 { pool.lowerPriority(by: niceness, threads: self.threads) }
        if latencySensitive { pool.onEachThread(self.threads) { ThreadSlices.shortenCurrent() } }
    }

    /// Jobs admitted now (running or waiting).
    package var load: Int { admitted.withLockedValue { $0 } }

    package func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        let accepted = admitted.withLockedValue { count -> Bool in
            guard count < threads + queueLimit else { return false }
            count += 1
            return true
        }
        guard accepted else {
            throw HubError.busy("the hub is verifying \(threads + queueLimit) messages already; try again shortly")
        }
        defer { admitted.withLockedValue { $0 -= 1 } }
        return try await pool.runIfActive(body)
    }

    package func shutdown() async {
        try? await pool.shutdownGracefully()
    }
}

/// A cap on the request-body bytes the hub holds at once, across every connection: a body is admitted
/// only while the total stays under the cap (else `503 busy`, `Retry-After`), so slow or parallel large
/// uploads cannot grow memory without bound. Bodies are counted as they arrive.
package final class BodyBudget: Sendable {
    package let limit: Int
    private let held = NIOLockedValueBox(0)

    package init(limit: Int) { self.limit = limit }

    package var inUse: Int { held.withLockedValue { $0 } }

    /// Reserves `bytes` more; false when that would pass the cap.
    package func reserve(_ bytes: Int) -> Bool {
        held.withLockedValue { held in
            guard bytes <= limit - held else { return false }
            held += bytes
            return true
        }
    }

    package func release(_ bytes: Int) {
        held.withLockedValue { $0 -= bytes }
    }

    /// Collects a request body of at most `maxBytes` within the budget. Throws `413 too-large` past
    /// `maxBytes` and `503 busy` when the hub holds too many bodies already.
    package func collect<S: AsyncSequence>(_ body: S, announced: Int?, maxBytes: Int) async throws -> [UInt8] where S.Element == ByteBuffer {
        if let announced, announced > maxBytes {
            throw HubError(.tooLarge, "the body is \(announced) bytes; the limit is \(maxBytes)")
        }
        var reserved = 0
        defer { release(reserved) }
        func take(_ n: Int) throws {
            guard reserve(n) else {
                throw HubError.busy("the hub holds \(limit) bytes of request bodies already; try again shortly", retryAfter: 5)
            }
            reserved += n
        }
        // Collected straight into one array of the announced size (no regrowth, no second copy).
        var bytes: [UInt8] = []
        if let announced {
            try take(announced)
            bytes.reserveCapacity(announced)
        }
        for try await chunk in body {
            guard bytes.count + chunk.readableBytes <= maxBytes else {
                throw HubError(.tooLarge, "the body exceeds \(maxBytes) bytes")
            }
            if bytes.count + chunk.readableBytes > reserved { try take(bytes.count + chunk.readableBytes - reserved) }
            bytes.append(contentsOf: chunk.readableBytesView)
        }
        return bytes
    }
}

/// Closes a new connection at once when `limit` connections are open already (before its TLS handshake),
/// so idle or hostile clients cannot take every file descriptor. Added to every connection's pipeline.
final class ConnectionLimitHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    let counter: ConnectionCounter
    private var counted = false

    init(counter: ConnectionCounter) { self.counter = counter }

    func handlerAdded(context: ChannelHandlerContext) {
        if counter.tryOpen() {
            counted = true
        } else {
            context.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        if counted {
            counted = false
            counter.closed()
        }
    }
}

/// Open connections of one listener.
package final class ConnectionCounter: Sendable {
    package let limit: Int
    private let open = NIOLockedValueBox(0)

    package init(limit: Int) { self.limit = limit }

    func tryOpen() -> Bool {
        open.withLockedValue { open in
            guard open < limit else { return false }
            open += 1
            return true
        }
    }

    func closed() { open.withLockedValue { $0 -= 1 } }
}

extension NIOThreadPool {
    /// Runs `body` once on each of the pool's `threads` (the runs wait for each other, so each lands on its own
    /// thread): for settings that belong to a thread (its nice value, its scheduler slice).
    func onEachThread(_ threads: Int, _ body: @escaping @Sendable () -> Void) {
        let arrived = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        for _ in 0..<threads {
            submit { _ in
                body()
                arrived.signal()
                release.wait()
            }
        }
        for _ in 0..<threads { arrived.wait() }
        for _ in 0..<threads { release.signal() }
    }

    /// Raises the nice value of each of the pool's `threads`.
    func lowerPriority(by niceness: Int32, threads: Int) {
        #if os(Linux)
        // On Linux the nice value is per thread, and who = 0 names the calling thread (setpriority(2)).
        onEachThread(threads) { _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness) }
        #endif
    }
}

import Hummingbird
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle
import TrucStore
import TrucConcurrency
import TrucCore

/// Whether the store can be used now, as a node sees it: set down by a request that failed with an outage error
/// or by a probe that failed or timed out, set up again only by a probe that succeeded.
package final class StoreHealth: Sendable {
    private let state = NIOLockedValueBox((down: false, probing: false))

    package init() {}

    package var isDown: Bool { state.withLockedValue { $0.down } }

    /// Records the store's state; true when it changed.
    @discardableResult
    func set(down: Bool) -> Bool {
        state.withLockedValue { value in
            defer { value.down = down }
            return value.down != down
        }
    }

    /// Claims the right to start a probe (one at a time: a probe stuck in a dead pool is not started twice).
    func startProbe() -> Bool {
        state.withLockedValue { value in
            if value.probing { return false }
            value.probing = true
            return true
        }
    }

    func endProbe() { state.withLockedValue { $0.probing = false } }

    /// Asks the store whether it takes a write (`isWritable`), giving up after `timeout` (false). One probe at a
    /// time: a probe stuck in a dead pool is not started twice; while one runs, nil (no news).
    func probe(_ store: any OperationsStore, timeout: Duration) async -> Bool? {
        guard startProbe() else { return nil }
        struct TimedOut: Error {}
        return (try? await Deadline.run(timeout, expired: { TimedOut() }) {
            defer { self.endProbe() }
            return await store.isWritable()
        }) ?? false
    }
}

/// A request that fails because the store cannot be used for now (its PostgreSQL server down, restarting or
/// failing over; SQLite's disk failing or full — the store says which errors mean that) answers
/// `503 store-unavailable` with `Retry-After`, never a bare 500. While the store is known to be down
/// (`StoreHealth`), requests are answered so at once instead of waiting for a connection that will not come;
/// `/readyz` too (503 without a probe of its own); `/healthz` and `/metrics` still answer. Nothing was acknowledged — no 2xx is sent before a
/// commit — and sending again is safe: intake is idempotent. Other errors pass unchanged.
struct StoreFailureMiddleware: RouterMiddleware {
    typealias Context = HubRequestContext
    let store: any OperationsStore
    let health: StoreHealth
    let logger: Logger

    static let unaffected: Set<String> = ["/healthz", "/metrics"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // Known down: one quick probe (shared by the requests arriving meanwhile) before refusing, so that the
        // first request after a recovery is not refused on the strength of an older probe.
        if health.isDown && !Self.unaffected.contains(request.uri.path) {
            guard await health.probe(store, timeout: .seconds(1)) == true else { throw Self.unavailable }
            if health.set(down: false) { logger.notice("the store is available again") }
        }
        do {
            return try await next(request, context)
        } catch let error as any HTTPResponseError {
            throw error
        } catch where store.isOutage(error) {
            if health.set(down: true) { logger.error("the store is unavailable", metadata: ["error": "\(error)"]) }
            logger.notice("request refused: the store is unavailable", metadata: ["route": "\(context.endpointPath ?? request.uri.path)"])
            throw Self.unavailable
        }
    }

    static var unavailable: HubError {
        HubError(.storeUnavailable,
                 "the hub's store is unavailable (nothing was acknowledged); retry later: sending again is safe", retryAfter: 5)
    }
}

/// Probes the store every `interval` (a write transaction, `isWritable`), giving up after `timeout`: a store
/// that does not answer is down for the requests (`StoreFailureMiddleware`) and `/readyz`; the first probe that
/// succeeds brings it back. The store's own connection handling does the reconnecting.
struct StoreHealthService: Service {
    let store: any OperationsStore
    let health: StoreHealth
    let interval: Duration
    let timeout: Duration
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            if let up = await health.probe(store, timeout: timeout) {
                if health.set(down: !up) {
                    if up { logger.notice("the store is available again") } else { logger.error("the store is unavailable (probe failed or timed out)") }
                }
            }
            // While the store is down, look again sooner: traffic comes back as soon as it is.
            let pause = health.isDown ? min(interval, .milliseconds(250)) : interval
            await pauseUnlessStopping(for: pause)
        }
    }
}

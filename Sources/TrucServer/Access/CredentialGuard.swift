import Foundation
package import Logging
import NIOConcurrencyHelpers
import HTTPTypes
package import TrucConcurrency
import TrucCore

/// Slows down anyone guessing tokens (`POST /login`, a Bearer token on any route): after a few wrong
/// tokens from one address, that address is refused with `429 too-many-attempts` (and `Retry-After`) for a
/// time that doubles with each further failure, up to 15 minutes; a right token clears it. Beyond a
/// hub-wide budget of wrong tokens a minute, every failing address is held back too (many addresses
/// guessing at once). A blocked address is logged once per block, not once per try. The map of addresses is
/// bounded (the oldest are forgotten).
package final class CredentialGuard: Sendable {
    struct Source {
        var failures: [Double] = []
        var blockedUntil: Double = 0
        var blocks = 0
    }

    struct State {
        var sources: [String: Source] = [:]
        var order: [String] = []
        var recent: [Double] = []
    }

    /// Wrong tokens one address may send within `window` seconds before it is held back.
    package let perSource: Int
    /// Wrong tokens the whole hub takes within `window` seconds before every failing address is held back.
    package let global: Int
    package let window: Double = 60
    let capacity = 10_000
    private let state = NIOLockedValueBox(State())
    private let logger: Logger
    private let clock: WallClock

    package init(perSource: Int = 5, global: Int = 200, clock: WallClock = .system, logger: Logger = Logger(label: "truc")) {
        self.perSource = perSource
        self.global = global
        self.clock = clock
        self.logger = logger
    }

    /// Seconds `source` must still wait, or nil when it may try.
    package func waiting(_ source: String) -> Int? {
        let now = clock.now()
        return state.withLockedValue { state in
            guard let s = state.sources[source], s.blockedUntil > now else { return nil }
            return Int((s.blockedUntil - now).rounded(.up))
        }
    }

    /// Throws `429 too-many-attempts` while `source` is held back.
    func check(_ source: String) throws {
        if let wait = waiting(source) {
            throw HubError(.tooManyAttempts, "too many wrong tokens from this address; try again in \(wait) s",
                           retryAfter: wait)
        }
    }

    /// Records a wrong token from `source`.
    package func failed(_ source: String) {
        let now = clock.now()
        let blocked: (Int, Int)? = state.withLockedValue { state in
            state.recent = state.recent.filter { $0 > now - window } + [now]
            if state.sources[source] == nil {
                if state.order.count >= capacity { state.sources[state.order.removeFirst()] = nil }
                state.order.append(source)
            }
            var s = state.sources[source] ?? Source()
            s.failures = s.failures.filter { $0 > now - window } + [now]
            defer { state.sources[source] = s }
            guard s.failures.count >= perSource || state.recent.count > global else { return nil }
            s.blocks += 1
            let seconds = min(900, 1 << min(s.blocks, 10))
            s.blockedUntil = now + Double(seconds)
            return (seconds, s.failures.count)
        }
        if let (seconds, failures) = blocked {
            logger.warning("wrong tokens: an address is held back", metadata: [
                "source": "\(source)", "failures": "\(failures)", "seconds": "\(seconds)"])
        }
    }

    /// A right token: the address starts afresh.
    package func succeeded(_ source: String) {
        state.withLockedValue { state in
            if state.sources[source] != nil { state.sources[source] = Source() }
        }
    }
}

import Foundation
import NIOConcurrencyHelpers

/// How many refusal records one caller may write: a bucket of `burst` records refilled at `perMinute` a
/// minute. Past it the refusals are still answered, logged in aggregate and counted in the statistics, but
/// not each written: the next record written says how many were left out before it. One token sending
/// thousands of malformed messages a second cannot fill the store or the operator's pages. The map of
/// callers is bounded (the oldest are forgotten).
final class RefusalThrottle: Sendable {
    struct Bucket {
        var tokens: Double
        var at: Double
        var skipped = 0
    }

    enum Decision: Equatable {
        /// Write it; `skipped` refusals of this caller were left out since the last record.
        case record(skipped: Int)
        /// Leave it out (counted in the next record).
        case skip
    }

    let burst: Double
    let perMinute: Double
    let capacity = 10_000
    private let buckets = NIOLockedValueBox((map: [String: Bucket](), order: [String]()))

    init(burst: Int = 20, perMinute: Int = 60) {
        self.burst = Double(burst)
        self.perMinute = Double(perMinute)
    }

    func decide(_ caller: String, now: Double = Date().timeIntervalSince1970) -> Decision {
        buckets.withLockedValue { state in
            if state.map[caller] == nil {
                if state.order.count >= capacity { state.map[state.order.removeFirst()] = nil }
                state.order.append(caller)
            }
            var bucket = state.map[caller] ?? Bucket(tokens: burst, at: now)
            bucket.tokens = min(burst, bucket.tokens + max(0, now - bucket.at) * perMinute / 60)
            bucket.at = now
            defer { state.map[caller] = bucket }
            guard bucket.tokens >= 1 else {
                bucket.skipped += 1
                return .skip
            }
            bucket.tokens -= 1
            let skipped = bucket.skipped
            bucket.skipped = 0
            return .record(skipped: skipped)
        }
    }
}

import Foundation
package import TrucConcurrency
import Synchronization

/// A wall clock a test moves by hand: a hold, a lease or an expiry is passed by `advance`, not by sleeping.
package final class ManualClock: Sendable {
    private let seconds: Mutex<Double>

    package init(start: Double = Date().timeIntervalSince1970) { seconds = Mutex(start) }

    package var clock: WallClock { WallClock { [self] in seconds.withLock { $0 } } }

    package func advance(_ by: Double) { seconds.withLock { $0 += by } }
}

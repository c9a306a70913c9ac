import Foundation

/// Seconds since 1970 as a component reads them: the system's clock in the hub; in tests, a clock they move by
/// hand (so that a hold of 2 seconds is passed without waiting 2 seconds, and a loaded machine changes nothing).
package struct WallClock: Sendable {
    package let now: @Sendable () -> Double

    package init(now: @escaping @Sendable () -> Double) { self.now = now }

    package static let system = WallClock { Date().timeIntervalSince1970 }
}

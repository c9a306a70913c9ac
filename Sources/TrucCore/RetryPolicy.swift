/// When to try a failed delivery again: exponential backoff with jitter, a finite number of attempts.
package struct RetryPolicy: Sendable, Equatable {
    /// Delay after the first failure, in seconds.
    package var baseDelay: Double
    /// Upper bound of any delay, in seconds.
    package var maxDelay: Double
    /// Attempts in all (the first one included) before the delivery is dead.
    package var maxAttempts: Int
    /// Fraction of the delay that is randomised (0.2: ±20 %), so retries of many deliveries spread out.
    package var jitter: Double

    package init(baseDelay: Double = 2, maxDelay: Double = 600, maxAttempts: Int = 8, jitter: Double = 0.2) {
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxAttempts = maxAttempts
        self.jitter = jitter
    }

    /// The delay before the next attempt after `attempts` failed ones, or nil when the delivery is dead.
    /// - Parameter random: a value in 0..<1 (injected, so that tests are deterministic).
    package func delay(afterFailedAttempts attempts: Int, random: Double) -> Double? {
        guard attempts < maxAttempts else { return nil }
        let exponential = min(maxDelay, baseDelay * pow2(attempts - 1))
        let spread = exponential * jitter * (2 * random - 1)
        return max(0, min(maxDelay, exponential + spread))
    }

    private func pow2(_ n: Int) -> Double {
        var v = 1.0
        for _ in 0..<max(0, min(n, 62)) { v *= 2 }
        return v
    }
}

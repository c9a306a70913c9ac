/// Where one recipient's copy of a message is.
package enum DeliveryState: String, Sendable, Codable, CaseIterable {
    /// Waiting in the recipient's inbox for it to pull and acknowledge.
    case awaitingPull = "awaiting-pull"
    /// Queued for a push or a forward to a peer hub.
    case queued
    case sending
    case waitingRetry = "waiting-retry"
    /// Taken: acknowledged by the recipient, or accepted by its endpoint or the next hub.
    case delivered
    /// The recipient acknowledged it with `fail` (it could not process it).
    case failed
    /// Given up after the retry policy's last attempt; an operator can requeue it.
    case dead
}

/// How a recipient acknowledges a pulled message.
package enum AckOutcome: String, Sendable, Codable {
    case done, fail
}

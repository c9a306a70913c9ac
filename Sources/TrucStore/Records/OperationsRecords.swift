import Foundation
/// What the operator's dashboard and admin API read and change.
package struct OperationsView: Sendable, Codable {
    package struct AgencyQueue: Sendable, Codable {
        package var agency: String
        package var states: [String: Int]
        package var paused: Bool

        package init(agency: String, states: [String: Int], paused: Bool) {
            self.agency = agency
            self.states = states
            self.paused = paused
        }
    }

    package struct Oldest: Sendable, Codable, Equatable {
        package var messageId: String
        package var recipient: String
        package var state: String
        package var receivedAt: Int64
        package var ageSeconds: Int64

        package init(messageId: String, recipient: String, state: String, receivedAt: Int64, ageSeconds: Int64) {
            self.messageId = messageId
            self.recipient = recipient
            self.state = state
            self.receivedAt = receivedAt
            self.ageSeconds = ageSeconds
        }
    }

    /// Deliveries per state (all of them).
    package var states: [String: Int]
    /// Per recipient, the deliveries not yet taken (awaiting pull, queued, sending, waiting retry, dead), and
    /// whether delivery to it is paused.
    package var agencies: [AgencyQueue]
    package var oldest: Oldest?
    /// Messages accepted and deliveries taken in the last minute and the last hour.
    package var receivedLastMinute: Int
    package var deliveredLastMinute: Int
    package var receivedLastHour: Int
    package var deliveredLastHour: Int
    /// Messages accepted per minute over the last 30 minutes, oldest first.
    package var receivedPerMinute: [Int]

    package init(states: [String: Int], agencies: [AgencyQueue], oldest: Oldest?, receivedLastMinute: Int, deliveredLastMinute: Int,
                 receivedLastHour: Int, deliveredLastHour: Int, receivedPerMinute: [Int]) {
        self.states = states
        self.agencies = agencies
        self.oldest = oldest
        self.receivedLastMinute = receivedLastMinute
        self.deliveredLastMinute = deliveredLastMinute
        self.receivedLastHour = receivedLastHour
        self.deliveredLastHour = deliveredLastHour
        self.receivedPerMinute = receivedPerMinute
    }
}

/// One agency's side of the queues (`agencyActivity`).
package struct AgencyActivity: Sendable, Codable, Equatable {
    /// Its deliveries not yet taken, per state (awaiting pull, queued, sending, waiting retry, dead).
    package var states: [String: Int]
    /// The oldest of them that is still to be delivered (dead ones excepted, as in the hub's view).
    package var oldest: OperationsView.Oldest?
    package var paused: Bool
    /// When it last asked for its inbox (REST or the SDK's dialect), to the minute; nil: never seen.
    package var lastPull: Int64?
    /// The latest failed attempt among its deliveries still waiting for a retry or dead: why, and when.
    package var lastError: LastError?

    package struct LastError: Sendable, Codable, Equatable {
        package var reason: String
        package var at: Int64
        package var state: String
        package init(reason: String, at: Int64, state: String) {
            self.reason = reason
            self.at = at
            self.state = state
        }
    }

    package init(states: [String: Int], oldest: OperationsView.Oldest?, paused: Bool, lastPull: Int64?, lastError: LastError? = nil) {
        self.states = states
        self.oldest = oldest
        self.paused = paused
        self.lastPull = lastPull
        self.lastError = lastError
    }
}

/// A message found by hub id or DocumentId.
package struct FoundMessage: Sendable, Codable {
    package var id: String
    package var kind: String
    package var sender: String
    package var documentId: String?
    package var receivedAt: Int64
    package var bucket: String

    package init(id: String, kind: String, sender: String, documentId: String?, receivedAt: Int64, bucket: String) {
        self.id = id
        self.kind = kind
        self.sender = sender
        self.documentId = documentId
        self.receivedAt = receivedAt
        self.bucket = bucket
    }
}

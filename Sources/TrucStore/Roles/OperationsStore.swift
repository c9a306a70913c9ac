package import TrucCore

/// What operators watch: queues, the oldest waiting message, the store's health.
package protocol OperationsStore: Actor {
    func deliveries(state: DeliveryState?, limit: Int) async throws -> [QueuedDelivery]
    func queueFigures(now: Int64) async throws -> ([String: Int], Int64?)
    func oldestAwaitingPull(now: Int64) async throws -> Int64?
    /// What the store holds, by message kind and by whether every delivery is final (delivered, failed or dead):
    /// messages, payload bytes, and payload bytes received since `since` — a scan of the messages (callers cache it).
    func storedVolume(receivedSince since: Int64) async throws -> [StoredVolume]
    /// Bytes the store takes on disk (the SQLite files and payload segments, or PostgreSQL's database size) and the
    /// free bytes of the file system that holds them (nil when the store cannot see it: PostgreSQL's server disk).
    func storeDisk() async throws -> (usedBytes: Int64, freeBytes: Int64?)
    func operationsView(now: Int64) async throws -> OperationsView
    /// One agency as its recipient side looks: its deliveries not yet taken by state, the oldest of them,
    /// whether delivery to it is paused, and when it last asked for its inbox.
    func agencyActivity(_ code: String, now: Int64) async throws -> AgencyActivity
    /// Records that `code` asked for its inbox at `time` (callers throttle: a minute's precision is enough).
    func recordPull(by code: String, at time: Int64) async throws
    /// When each agency last asked for its inbox (agencies that never did are absent).
    func lastPulls() async throws -> [String: Int64]
    func isWritable() async -> Bool
    nonisolated func freeDiskBytes() -> Int64?
    /// Claims (or renews) the singleton job `name` for `seconds`: true when this node runs it now. Jobs that
    /// must run on one node of a hub at a time (the VXP upstream poller, pruning) ask before each round; when
    /// the holder dies its claim expires and another node takes the job over. One node (SQLite) always holds.
    func holdsSingleton(_ name: String, seconds: Int64) async throws -> Bool
    /// True when `error` (thrown by this store) means the store cannot be used for now — its server is down,
    /// restarting or failing over, its disk failing or full — rather than that the request was wrong: the
    /// caller answers `503 store-unavailable` (retry later), and nothing was acknowledged.
    nonisolated func isOutage(_ error: any Error) -> Bool
}

extension OperationsStore {
    package func deliveries(state: DeliveryState?) async throws -> [QueuedDelivery] {
        try await deliveries(state: state, limit: 500)
    }
}

package struct StoredVolume: Sendable, Equatable, Codable {
    package var kind: String
    /// Every delivery of these messages is delivered, failed or dead (or they have none).
    package var final: Bool
    /// Their payloads were archived and purged (`payloadBytes` then counts none: they are no longer stored).
    package var purged = false
    package var messages: Int64
    package var payloadBytes: Int64
    package var recentPayloadBytes: Int64
    /// The messages received since the forecast's window began (purged ones included: their rows stay).
    package var recentMessages: Int64
    package init(kind: String, final: Bool, messages: Int64, payloadBytes: Int64, recentPayloadBytes: Int64, recentMessages: Int64 = 0) {
        self.kind = kind
        self.final = final
        self.messages = messages
        self.payloadBytes = payloadBytes
        self.recentPayloadBytes = recentPayloadBytes
        self.recentMessages = recentMessages
    }
}

import Foundation
package import TrucCore
package import TrucStore

// The OperationsStore role in memory.
extension InMemoryStore {
    static let waitingStates: [DeliveryState] = [.awaitingPull, .queued, .sending, .waitingRetry]
    static let shownStates: [DeliveryState] = [.awaitingPull, .queued, .sending, .waitingRetry, .dead]

    package func deliveries(state: DeliveryState?, limit: Int) -> [QueuedDelivery] {
        deliveries.lazy.filter { state == nil || $0.state == state }.prefix(max(0, limit)).compactMap { d -> QueuedDelivery? in
            guard let m = self.messages[d.messageId] else { return nil }
            return QueuedDelivery(messageId: d.messageId, recipient: d.recipient, state: d.state.rawValue, attempts: d.attempts, target: d.target,
                                  nextAttemptAt: d.nextAttemptAt, reason: d.reason, sender: m.sender, documentId: m.documentId)
        }
    }

    package func queueFigures(now: Int64) -> ([String: Int], Int64?) {
        var depths: [String: Int] = [:]
        for d in deliveries { depths[d.state.rawValue, default: 0] += 1 }
        let oldest = deliveries.filter(\.waiting).compactMap { messages[$0.messageId]?.receivedAt }.min()
        return (depths, oldest.map { max(0, now - $0) })
    }

    package func oldestAwaitingPull(now: Int64) -> Int64? {
        deliveries.filter { $0.state == .awaitingPull }.compactMap { messages[$0.messageId]?.receivedAt }.min().map { now - $0 }
    }

    func oldest(_ filter: (Delivery) -> Bool, now: Int64) -> OperationsView.Oldest? {
        deliveries.filter { Self.waitingStates.contains($0.state) && filter($0) }
            .compactMap { d in messages[d.messageId].map { (d, $0.receivedAt) } }
            .min { $0.1 < $1.1 }
            .map { OperationsView.Oldest(messageId: $0.0.messageId, recipient: $0.0.recipient, state: $0.0.state.rawValue, receivedAt: $0.1,
                                         ageSeconds: max(0, now - $0.1)) }
    }

    package func operationsView(now: Int64) -> OperationsView {
        let (states, _) = queueFigures(now: now)
        var byAgency: [String: [String: Int]] = [:]
        for d in deliveries where Self.shownStates.contains(d.state) { byAgency[d.recipient, default: [:]][d.state.rawValue, default: 0] += 1 }
        for code in paused.keys where byAgency[code] == nil { byAgency[code] = [:] }
        func received(since: Int64) -> Int { messages.values.filter { $0.receivedAt >= since }.count }
        func delivered(since: Int64) -> Int { deliveries.filter { ($0.deliveredAt ?? .min) >= since }.count }
        var perMinute = [Int](repeating: 0, count: 30)
        for m in messages.values where m.receivedAt > now - 30 * 60 {
            let minute = Int((now - m.receivedAt) / 60)
            if (0..<30).contains(minute) { perMinute[29 - minute] += 1 }
        }
        return OperationsView(
            states: states,
            agencies: byAgency.keys.sorted().map { OperationsView.AgencyQueue(agency: $0, states: byAgency[$0]!, paused: paused[$0] != nil) },
            oldest: oldest({ _ in true }, now: now),
            receivedLastMinute: received(since: now - 60), deliveredLastMinute: delivered(since: now - 60),
            receivedLastHour: received(since: now - 3600), deliveredLastHour: delivered(since: now - 3600),
            receivedPerMinute: perMinute)
    }

    package func agencyActivity(_ code: String, now: Int64) -> AgencyActivity {
        var states: [String: Int] = [:]
        for d in deliveries where d.recipient == code && Self.shownStates.contains(d.state) { states[d.state.rawValue, default: 0] += 1 }
        let lastError = deliveries.filter { $0.recipient == code && ($0.state == .waitingRetry || $0.state == .dead) && $0.reason != nil }
            .max { ($0.updatedAt, $0.id) < ($1.updatedAt, $1.id) }
            .map { AgencyActivity.LastError(reason: $0.reason ?? "", at: $0.updatedAt, state: $0.state.rawValue) }
        return AgencyActivity(states: states, oldest: oldest({ $0.recipient == code }, now: now), paused: paused[code] != nil,
                              lastPull: pulls[code], lastError: lastError)
    }

    package func recordPull(by code: String, at time: Int64) {
        pulls[code] = max(pulls[code] ?? time, time)
    }

    package func lastPulls() -> [String: Int64] { pulls }

    package func storedVolume(receivedSince since: Int64) -> [StoredVolume] {
        struct Group: Hashable { var kind: String, final: Bool, purged: Bool }
        var groups: [Group: StoredVolume] = [:]
        let waiting = Set(deliveries.filter(\.waiting).map(\.messageId))
        for m in messages.values {
            let group = Group(kind: m.kind, final: !waiting.contains(m.id), purged: m.archived)
            var row = groups[group] ?? StoredVolume(kind: m.kind, final: group.final, messages: 0, payloadBytes: 0, recentPayloadBytes: 0, recentMessages: 0)
            row.purged = group.purged
            row.messages += 1
            if !m.archived { row.payloadBytes += Int64(m.size) }
            if m.receivedAt >= since, !m.archived { row.recentPayloadBytes += Int64(m.size) }
            if m.receivedAt >= since { row.recentMessages += 1 }
            groups[group] = row
        }
        return groups.sorted { ($0.key.kind, $0.key.final ? 1 : 0, $0.key.purged ? 1 : 0) < ($1.key.kind, $1.key.final ? 1 : 0, $1.key.purged ? 1 : 0) }
            .map(\.value)
    }

    /// The payloads held, in bytes, and the memory still available (this store's "disk").
    package func storeDisk() -> (usedBytes: Int64, freeBytes: Int64?) {
        (payloads.values.reduce(0) { $0 + Int64($1.count) }, freeDiskBytes())
    }

    /// The machine's available physical memory: what this store can still take (the hub refuses intake below its
    /// free-space floor, as it does for a disk).
    package nonisolated func freeDiskBytes() -> Int64? {
        let pages = sysconf(Int32(_SC_AVPHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
        guard pages > 0, size > 0 else { return nil }
        return Int64(pages).multipliedReportingOverflow(by: Int64(size)).overflow ? Int64.max : Int64(pages) * Int64(size)
    }

    package func isWritable() -> Bool { true }

    /// One node: every singleton job is this node's.
    package func holdsSingleton(_ name: String, seconds: Int64) -> Bool { true }

    /// Memory does not go down.
    package nonisolated func isOutage(_ error: any Error) -> Bool { false }
}

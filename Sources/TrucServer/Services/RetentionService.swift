import Foundation
import Logging
import ServiceLifecycle
import TrucStore

/// Prunes the refusal records older than the retention (at start, then every hour). An error is logged,
/// counted and retried at the next round; it never ends the hub.
struct RetentionService: Service {
    let store: any OperationsStore & RefusalStore
    let days: Int
    let interval: Duration
    let metrics: HubMetrics
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                // One node of a hub prunes (the others skip the round).
                guard try await store.holdsSingleton("retention", seconds: interval.components.seconds * 2 + 60) else {
                    await pauseUnlessStopping(for: interval)
                    continue
                }
                let cutoff = Int64(Date().timeIntervalSince1970) - Int64(days) * 86_400
                let pruned = try await store.pruneRefusals(before: cutoff)
                if pruned > 0 { logger.info("pruned refusal records", metadata: ["count": "\(pruned)", "retentionDays": "\(days)"]) }
            } catch {
                metrics.serviceError(service: "retention")
                logger.error("cannot prune refusal records", metadata: ["error": "\(error)"])
            }
            await pauseUnlessStopping(for: interval)
        }
    }
}

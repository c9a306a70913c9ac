import Foundation
import Logging
import ServiceLifecycle
import TrucCore
import TrucVXP
import TrucStore
import HTTPTypes

/// Polls each VXP-dialect peer hub for what waits for this hub's agencies: getReceivedEdocList →
/// getEdoc → the same intake as any message (as relayed by that peer) → updateStatus `done`, or `fail`
/// when the intake refuses the message for good. A message the hub could not store is not acknowledged,
/// so the next poll takes it again (the intake's idempotency makes that safe) — up to `maxTries` times: then
/// it is set aside (no longer fetched until the hub restarts, logged as an error and counted as the
/// `vxp-set-aside` service error, which the TrucPeerMessageSetAside alert watches), so that one poison
/// message at an upstream hub cannot hold up everything behind it.
struct VXPPoller: Service {
    let peers: [PeerHub]
    let client: VXPClient
    let intake: Intake
    /// Where the round's lease is taken (one node of a hub polls).
    let jobs: any OperationsStore
    let interval: Duration
    let logger: Logger
    let board: PeerStatusBoard
    let metrics: HubMetrics
    var maxTries = 5
    let ledger = PoisonLedger()

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            // One node of a hub polls the upstream hubs (the others skip the round; one that dies hands over).
            let mine = (try? await jobs.holdsSingleton("vxp-poller", seconds: interval.components.seconds * 3 + 60)) ?? false
            if mine { for peer in peers { await poll(peer) } }
            await pauseUnlessStopping(for: interval)
        }
    }

    func poll(_ peer: PeerHub) async {
        var log = logger
        log[metadataKey: "peer"] = "\(peer.code)"
        for messageType in ["edoc", "status"] {
            let ids: [String]
            do {
                ids = try await client.receivedList(peer.url, messageType: messageType)
                await board.record(peer: peer.code, ok: true)
            } catch {
                metrics.serviceError(service: "vxp-poller")
                log.notice("cannot list a peer hub's messages", metadata: ["error": "\(error)"])
                await board.record(peer: peer.code, ok: false, error: "\(error)")
                return
            }
            for id in ids {
                await take(id, from: peer, log: log)
            }
        }
    }

    func take(_ id: String, from peer: PeerHub, log: Logger) async {
        var log = log
        log[metadataKey: "peer-doc"] = "\(id)"
        let key = peer.code + "|" + id
        guard await !ledger.isSetAside(key) else { return }
        do {
            let bytes = try await client.fetch(peer.url, docId: id)
            let sender = IntakeSender(name: "peer hub \(peer.code)", codes: [], relay: true, peer: peer.code)
            do {
                let (answer, _, _) = try await intake.accept(bytes, from: sender, via: [peer.code])
                log.info("took a message from a peer hub", metadata: ["message": "\(answer.id)"])
                try await client.updateStatus(peer.url, docId: id, status: "done")
            } catch let refusal as HubError where (400..<500).contains(Int(refusal.status.code)) {
                log.warning("refused a message from a peer hub", metadata: ["code": "\(refusal.code)", "reason": "\(refusal.message)"])
                try await client.updateStatus(peer.url, docId: id, status: "fail")
            }
        } catch {
            metrics.serviceError(service: "vxp-poller")
            if await ledger.failed(key, maxTries: maxTries) {
                metrics.serviceError(service: "vxp-set-aside")
                log.error("set aside a message of a peer hub that could not be taken \(maxTries) times; it is no longer fetched until the hub restarts",
                          metadata: ["error": "\(error)"])
            } else {
                log.notice("cannot take a message from a peer hub; next poll", metadata: ["error": "\(error)"])
            }
        }
    }
}

/// Failed tries per upstream message, bounded (the oldest entries are forgotten past `capacity`).
actor PoisonLedger {
    private var tries: [String: Int] = [:]
    private var order: [String] = []
    let capacity = 10_000

    func isSetAside(_ key: String) -> Bool { tries[key] == .max }

    /// Records a failed try; true when this one sets the message aside.
    func failed(_ key: String, maxTries: Int) -> Bool {
        if tries[key] == nil {
            order.append(key)
            if order.count > capacity { tries[order.removeFirst()] = nil }
        }
        let count = (tries[key] ?? 0) + 1
        guard count >= maxTries else { tries[key] = count; return false }
        tries[key] = .max
        return true
    }
}

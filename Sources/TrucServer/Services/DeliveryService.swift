import EdXML
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import TrucCore
import TrucStore
import TrucXML
import NIOHTTP1
import TrucConcurrency

/// Pushes messages to agencies' endpoints and forwards them to peer hubs: claims due deliveries from the
/// store, POSTs the exact stored bytes over HTTPS with the hub's client certificate, and records each
/// attempt — delivered on 2xx, retried with backoff and jitter on network errors and 5xx/408/429, dead after
/// the last attempt or on another 4xx. At-least-once on the wire (a crash mid-attempt re-sends; receivers
/// deduplicate), exactly-once in the store.
package struct DeliveryService: Service {
    let store: any DeliveryQueueStore & IntakeStore
    let client: HTTPClient
    let hubCode: String
    let policy: RetryPolicy
    let pollInterval: Duration
    let logger: Logger
    let receipts: ReceiptIssuer
    let metrics: HubMetrics
    /// This hub's identity at VXP-dialect peer hubs (nil when none is configured).
    let vxp: VXPClient?
    let peers: PeerStatusBoard
    let outbound: OutboundCheck
    /// How often the leases of running attempts are renewed (a third of the lease).
    let leaseRenewal: Duration

    /// The hub's outbound HTTPS client (to agencies, peer hubs, witnesses): the hub's certificate as client
    /// certificate, the client CA bundle as trust roots.
    static func makeClient(_ configuration: HubConfiguration, timeout: TimeAmount) throws -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(configuration.clientCAPath))
        tls.certificateChain = try NIOSSLCertificate.fromPEMFile(configuration.certificatePath).map { .certificate($0) }
        tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: configuration.privateKeyPath, format: .pem))
        var clientConfiguration = HTTPClient.Configuration(tlsConfiguration: tls, timeout: .init(connect: .seconds(5), read: timeout))
        // Fail an attempt at once when the peer is unreachable: the retry policy, not the client, decides when to try again.
        clientConfiguration.connectionPool.retryConnectionEstablishment = false
        // Never follow a redirect: an endpoint's 3xx would make the hub re-send the document (or, as a GET,
        // fetch) wherever it points, from the hub's network position. A redirect is a permanent failure.
        clientConfiguration.redirectConfiguration = .disallow
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
    }

    init(store: any DeliveryQueueStore & IntakeStore, configuration: HubConfiguration, logger: Logger, receipts: ReceiptIssuer, metrics: HubMetrics,
         peers: PeerStatusBoard) throws {
        self.peers = peers
        self.outbound = OutboundCheck(policy: configuration.outbound)
        self.leaseRenewal = .seconds(max(1, configuration.deliveryLeaseSeconds / 3))
        self.client = try Self.makeClient(configuration, timeout: .seconds(60))
        self.store = store
        self.hubCode = configuration.hubCode
        self.policy = configuration.retryPolicy
        self.pollInterval = .milliseconds(Int(configuration.deliveryPollSeconds * 1000))
        self.logger = logger
        self.receipts = receipts
        self.metrics = metrics
        if let systemId = configuration.vxp.systemId, let secret = configuration.vxp.secret {
            self.vxp = VXPClient(client: client, systemId: systemId, secret: Array(secret.utf8))
        } else {
            self.vxp = nil
        }
    }

    /// Runs until the hub shuts down. A store error (disk full, database locked, …) is logged, counted and
    /// retried with backoff: it never ends the service, which would take the whole hub down with it.
    package func run() async throws {
        var failures = 0
        var recovered = false
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                if !recovered {
                    try await store.recoverInFlight()
                    recovered = true
                }
                let due = try await store.claimDue(now: Int64(Date().timeIntervalSince1970), limit: 16)
                failures = 0
                if due.isEmpty {
                    if let work = store.deliveryWork {
                        // Woken at once by new work from any node; polls anyway (notifications are not persisted,
                        // and retries and expired leases fall due by the clock).
                        await cancelWhenGracefulShutdown { _ = await work.wait(upTo: max(pollInterval, .seconds(2))) }
                    } else {
                        await pauseUnlessStopping(for: pollInterval)
                    }
                    continue
                }
                // Attempts already started are finished, even during a graceful shutdown. Their leases are
                // renewed while they run (every third of a lease), so another node never takes one over.
                let store = store, logger = logger, renewEvery = leaseRenewal
                let renewal = Task {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: renewEvery)
                        if Task.isCancelled { break }
                        do { try await store.renewLeases(due.map(\.id)) } catch {
                            logger.warning("cannot renew delivery leases", metadata: ["error": "\(error)"])
                        }
                    }
                }
                await withTaskGroup(of: Void.self) { group in
                    for delivery in due { group.addTask { await attempt(delivery) } }
                }
                renewal.cancel()
            } catch {
                failures += 1
                metrics.serviceError(service: "delivery")
                let backoff = Self.backoff(afterFailures: failures)
                logger.error("delivery engine: the store failed; retrying", metadata: [
                    "error": "\(error)", "failures": "\(failures)", "retryIn": "\(backoff)"])
                await pauseUnlessStopping(for: backoff)
            }
        }
        try? await client.shutdown()
    }

    /// 0.5 s doubling per consecutive failure, at most 30 s.
    static func backoff(afterFailures n: Int) -> Duration {
        .milliseconds(min(30_000, 500 << min(max(n - 1, 0), 6)))
    }

    func attempt(_ delivery: DueDelivery) async {
        var log = logger
        log[metadataKey: "message"] = "\(delivery.messageId)"
        log[metadataKey: "recipient"] = "\(delivery.recipient)"
        log[metadataKey: "attempt"] = "\(delivery.attempts + 1)"
        let how = delivery.target.hasSuffix("/v1/messages") || delivery.target.hasSuffix("/v1/receipts") || delivery.target.hasPrefix("vxp:")
            ? "forward" : "push"
        var failure: String
        var permanent = false
        // Where the hub connects on its own initiative: never loopback, link-local or multicast (nor private,
        // when the operator says so), unless allowed. An agency's endpoint cannot point the hub inward.
        if let refused = await outbound.refusal(delivery.target.hasPrefix("vxp:") ? String(delivery.target.dropFirst(4)) : delivery.target) {
            do {
                try await store.recordAttempt(delivery.id, delivered: false, how: how, reason: "target-denied: " + refused, retryAt: nil)
            } catch {
                log.error("cannot record a delivery attempt", metadata: ["error": "\(error)"])
            }
            metrics.delivery(how: how, outcome: "dead")
            log.warning("delivery is dead", metadata: ["reason": "target-denied: \(refused)"])
            return
        }
        do {
            if delivery.target.hasPrefix("vxp:") {
                try await forwardVXP(delivery)
                await peers.record(target: delivery.target, ok: true)
                try await store.recordAttempt(delivery.id, delivered: true, how: how, reason: nil, retryAt: nil)
                log.info("delivered", metadata: ["how": "vxp"])
                metrics.delivery(how: how, outcome: "delivered")
                return
            }
            var payload = try await store.payload(of: delivery.messageId, at: delivery.payloadPath)
            if how == "forward" { payload = forwardedCopy(payload) }
            var request = HTTPClientRequest(url: delivery.target)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/xml")
            request.headers.add(name: "Truc-Via", value: (delivery.via + [hubCode]).joined(separator: ","))
            request.headers.add(name: "Truc-Message-Id", value: delivery.messageId)
            request.body = .bytes(ByteBuffer(bytes: payload))
            let response = try await client.execute(request, timeout: .seconds(120))
            let body = try await response.body.collect(upTo: 64 * 1024)
            let code = Int(response.status.code)
            await peers.record(target: delivery.target, ok: code < 500, error: "HTTP \(code)")
            if (200..<300).contains(code) {
                try await store.recordAttempt(delivery.id, delivered: true, how: how, reason: nil, retryAt: nil)
                log.info("delivered", metadata: ["how": "\(how)"])
                metrics.delivery(how: how, outcome: "delivered")
                // A push is taken by the recipient itself; a forward only reaches the next hub.
                if how == "push" { await receipts.issue(messageId: delivery.messageId, recipient: delivery.recipient, how: how) }
                return
            }
            if (300..<400).contains(code) {
                failure = "HTTP \(code): the endpoint answered with a redirect, which the hub never follows; fix the endpoint's address"
                permanent = true
            } else {
                failure = "HTTP \(code): \(String(String(buffer: body).prefix(300)))"
                permanent = (400..<500).contains(code) && code != 408 && code != 429
            }
        } catch let error as VXPCallError {
            failure = error.description
            permanent = error.permanent
            await peers.record(target: delivery.target, ok: permanent, error: failure)
        } catch {
            failure = DeliveryFailure.describe(error, target: delivery.target)
            await peers.record(target: delivery.target, ok: false, error: failure)
        }
        let attempts = delivery.attempts + 1
        let delay = permanent ? nil : policy.delay(afterFailedAttempts: attempts, random: Double.random(in: 0..<1))
        let retryAt = delay.map { Int64(Date().timeIntervalSince1970 + $0.rounded(.up)) }
        do {
            try await store.recordAttempt(delivery.id, delivered: false, how: how, reason: failure, retryAt: retryAt)
        } catch {
            log.error("cannot record a delivery attempt", metadata: ["error": "\(error)"])
        }
        metrics.delivery(how: how, outcome: retryAt == nil ? "dead" : "retry")
        if retryAt == nil {
            log.warning("delivery is dead", metadata: ["reason": "\(failure)"])
        } else {
            log.notice("delivery failed; will retry", metadata: ["reason": "\(failure)"])
        }
    }
}

extension DeliveryService {
    /// What goes to the next hub: the document with this hub's `TraceHeader` appended to its
    /// `TraceHeaderList` — unless its envelope is signed (the enveloped signature covers the trace, so the
    /// bytes go unchanged and the hop list travels in `Truc-Via`), or it is a status message (no trace).
    func forwardedCopy(_ payload: [UInt8]) -> [UInt8] {
        var limits = ReadLimits.default
        limits.xml.maxBytes = max(limits.xml.maxBytes, payload.count + 1)
        guard let parsed = try? EdXMLReader.read(payload, limits: limits), case .document = parsed.message,
              parsed.envelopeSignatureElements.isEmpty,
              let stamped = TraceStamp.append(to: payload, organId: hubCode, timestamp: TraceStamp.timestamp(Int64(Date().timeIntervalSince1970)))
        else { return payload }
        return stamped
    }

    /// A forward to a VXP-dialect hub: sendEdoc with this hub's system id (the hub's DocId is not kept:
    /// receipts and statuses come back through the poller).
    func forwardVXP(_ delivery: DueDelivery) async throws {
        guard let vxp else {
            throw VXPCallError(description: "no VXP system id and secret are configured for VXP-dialect peer hubs", permanent: true)
        }
        let payload = forwardedCopy(try await store.payload(of: delivery.messageId, at: delivery.payloadPath))
        _ = try await vxp.send(String(delivery.target.dropFirst(4)), payload, from: delivery.sender,
                               messageType: delivery.kind == "edoc" ? "edoc" : "status")
    }
}

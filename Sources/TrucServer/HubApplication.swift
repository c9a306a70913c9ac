import AsyncHTTPClient
import EdXML
import Foundation
package import Hummingbird
import HummingbirdCore
import HummingbirdTLS
package import Logging
package import NIOCore
import NIOSSL
package import ServiceLifecycle
import TrucCore
import TrucCrypto
import TrucLog
import TrucRevocation
import TrucSignatures
package import TrucStore
import TrucXML

/// The hub's long-running parts, to run in one `ServiceGroup`: the HTTPS application and the delivery engine.
package struct Hub {
    package let services: [any Service]
    /// Every route of the HTTPS listener with who may call it (see `Access`).
    package let routes: [RouteRule]
    /// What the router itself holds ("METHOD path"), to check that no route bypassed `AccessRouter`.
    package let registered: [String]
    /// The HTTPS listener's router (middleware, access rules, every route): what in-process tests send requests
    /// to (HummingbirdTesting), without TLS or a socket.
    package let router: Router<HubRequestContext>
    /// What the services release when they end (verification threads, HTTP clients), for `close()`.
    let releases: [@Sendable () async -> Void]

    /// Releases what the services would have released at shutdown (verification threads, HTTP clients), for a
    /// hub whose services were never run: a router under test.
    package func close() async {
        for release in releases { await release() }
    }
}

/// Builds the hub. Kept apart from `truc serve` so tests build the same hub.
/// - Parameter onPlainServerRunning: called when the plain-HTTP VXP listener (if configured) is up.
package func buildHub(
    configuration: HubConfiguration, store: any MessageStore, logger: Logger,
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in },
    onPlainServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) throws -> Hub {
    EvidenceLogSwitch.set(configuration.evidenceLog)
    let receipts = try receiptIssuer(configuration: configuration, store: store, logger: logger)
    let metrics = HubMetrics()
    let verified = VerifiedCertificates()
    var policy = VerificationPolicy(requireRevocationData: configuration.requireRevocationData)
    policy.revocationUnknown = configuration.revocation.unknown
    if let usages = configuration.signingExtendedKeyUsages { policy.signingExtendedKeyUsages = usages }
    if let algorithms = configuration.algorithmPolicy { policy.algorithms = algorithms }
    policy.revocationBudget = .milliseconds(Int64(configuration.revocation.budgetSeconds * 1000))
    var revocationConfiguration = NetworkRevocation.Configuration(
        mode: configuration.revocation.mode, freshness: configuration.revocation.freshnessSeconds,
        fetchTimeout: .milliseconds(Int64(configuration.revocation.fetchTimeoutSeconds * 1000)),
        cacheDirectory: configuration.dataDirectory + "/revocation")
    revocationConfiguration.rewrites = configuration.revocation.rewrites
    revocationConfiguration.fetchIssuers = configuration.revocation.fetchIssuers
    // OCSP and CRL addresses come from certificates: the same outbound rule as pushes and forwards.
    let outbound = OutboundCheck(policy: configuration.outbound)
    revocationConfiguration.refuseTarget = { outbound.refusalNow($0) }
    let network: NetworkRevocation? = configuration.revocation.mode == .offline ? nil : NetworkRevocation(
        configuration: revocationConfiguration, logger: logger)
    let trust = try TrustState(directory: configuration.trustDirectory, policy: policy, revocation: network ?? OfflineRevocation(),
                               onReload: { verified.forgetAll() })
    let summary = trust.summary
    logger.info("trust directory loaded", metadata: summary.logMetadata)
    for anchor in summary.anchors {
        logger.info("trust anchor", metadata: ["subject": "\(anchor.subject)", "sha256": "\(anchor.sha256)", "notAfter": "\(anchor.notAfter)"])
    }
    let limits = configuration.limits
    let pool = WorkPool(threads: limits.verifyThreads, queueLimit: limits.verifyQueueLimit, latencySensitive: true)
    ThreadSlices.shortenEventLoops()
    let largePool = WorkPool(threads: limits.verifyThreads, queueLimit: limits.verifyQueueLimit, niceness: 10)
    let bodies = BodyBudget(limit: limits.maxBufferedBodyBytes)
    var intake = Intake(store: store, trust: trust, limits: readLimits(maxBytes: configuration.maxBodyBytes),
                        hubCode: configuration.hubCode, routing: configuration.routing, hopLimit: configuration.hopLimit, pool: pool)
    intake.workBudget = .milliseconds(Int64(limits.workBudgetSeconds * 1000))
    intake.largePool = largePool
    intake.logger = logger
    intake.receipts = receipts
    let pulls = PullRecorder()
    let vxpRoutes = VXPRoutes(store: store, intake: intake, receipts: receipts, metrics: metrics, maxBodyBytes: configuration.maxBodyBytes, bodies: bodies,
                              prefix: configuration.vxp.prefix, hubCode: configuration.hubCode, logger: logger, pulls: pulls)
    let storeHealth = StoreHealth()
    var routes = HubRoutes(
        store: store,
        auth: Authenticator(store: store, trustState: trust, operatorTokenHash: configuration.operatorToken.map { Digest.sha256(Array($0.utf8)) },
                            metricsTokenHash: configuration.metricsToken.map { Digest.sha256(Array($0.utf8)) },
                            verified: verified, guesses: CredentialGuard(perSource: limits.wrongTokensPerMinute,
                                                                      global: max(200, 40 * limits.wrongTokensPerMinute),
                                                                      clock: configuration.clock, logger: logger)),
        intake: intake, maxBodyBytes: configuration.maxBodyBytes, bodies: bodies, receipts: receipts, metrics: metrics,
        minFreeDiskBytes: configuration.minFreeDiskBytes, health: storeHealth, routing: configuration.routing, logger: logger, pulls: pulls)
    var services: [any Service] = [WorkPoolService(pools: [pool, largePool])]
    let tlsConnections = ConnectionCounter(limit: limits.maxConnections)

    let peerBoard = PeerStatusBoard(peers: configuration.routing.peers)
    let forecaster = StorageForecaster(store: store)
    routes.gauges = GaugeSources(
        trust: trust,
        hubCertificates: (try? Certificate.fromPEM([UInt8](try Data(contentsOf: URL(fileURLWithPath: configuration.certificatePath))))) ?? [],
        clientCAs: (try? Certificate.fromPEM([UInt8](try Data(contentsOf: URL(fileURLWithPath: configuration.clientCAPath))))) ?? [],
        peers: peerBoard, minFreeDiskBytes: configuration.minFreeDiskBytes, health: storeHealth, timeStamping: configuration.tsaURL != nil,
        forecaster: forecaster, forecastThresholdDays: configuration.diskForecastDays)
    let router = Router(context: HubRequestContext.self)
    router.add(middleware: RequestMetricsMiddleware(metrics: metrics))
    router.add(middleware: StoreFailureMiddleware(store: store, health: storeHealth, logger: logger))
    let sessions = DashboardSessions(store: store, credential: routes.auth.operatorTokenHash)
    let access = AccessRouter(router: router, auth: routes.auth, sessions: sessions)
    routes.register(on: access)
    let stats = StatsRoutes(store: store, auth: routes.auth)
    stats.register(on: access)
    AdminRoutes(store: store, peers: peerBoard, trust: trust, routing: configuration.routing, logger: logger).register(on: access)
    WitnessRoutes(store: store, hubCode: configuration.hubCode, logs: Dictionary(configuration.witnessFor.map {
        (String($0.split(separator: "+").first ?? ""), $0) }, uniquingKeysWith: { a, _ in a }), logger: logger).register(on: access)
    RefusalRoutes(store: store, reports: ValidationReports(signer: routes.receipts.signer, hubCode: routes.receipts.hubCode)).register(on: access)
    DashboardRoutes(store: store, auth: routes.auth, peers: peerBoard, directory: stats.directory, sessions: sessions,
                    hubCode: configuration.hubCode, reports: ValidationReports(signer: routes.receipts.signer, hubCode: routes.receipts.hubCode),
                    forecaster: forecaster, forecastThresholdDays: configuration.diskForecastDays, logger: logger)
        .register(on: access)
    vxpRoutes.register(on: access)
    services.append(Application(
        router: router,
        server: try .tls(.http1(configuration: http1Configuration(limits, tlsConnections)), tlsConfiguration: try tlsConfiguration(configuration)),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "Truc"),
        onServerRunning: onServerRunning,
        logger: logger))

    if let host = configuration.vxp.plainHost, let port = configuration.vxp.plainPort {
        let plainRouter = Router(context: HubRequestContext.self)
        plainRouter.add(middleware: RequestMetricsMiddleware(metrics: metrics))
        plainRouter.add(middleware: StoreFailureMiddleware(store: store, health: storeHealth, logger: logger))
        let plainAccess = AccessRouter(router: plainRouter, auth: routes.auth, sessions: sessions)
        plainAccess.get("/healthz", .public) { _, _ in JSONText.response(["status": "ok"]) }
        var plainVXP = vxpRoutes
        plainVXP.allowStateChanges = configuration.vxp.plainWrites
        plainVXP.register(on: plainAccess)
        services.append(Application(
            router: plainRouter, server: .http1(configuration: http1Configuration(limits, ConnectionCounter(limit: limits.maxConnections))),
            configuration: .init(address: .hostname(host, port: port), serverName: "Truc"),
            onServerRunning: onPlainServerRunning, logger: logger))
    }

    let delivery = try DeliveryService(store: store, configuration: configuration, logger: logger, receipts: receipts, metrics: metrics,
                                       peers: peerBoard)
    services.append(delivery)
    if let network { services.append(RevocationRefreshService(revocation: network, interval: .seconds(max(1, min(60, configuration.revocation.freshnessSeconds / 2))))) }
    if configuration.reloadOnSIGHUP { services.append(TrustReloadService(trust: trust, store: store, metrics: metrics, logger: logger)) }
    services.append(StoreHealthService(store: store, health: storeHealth, interval: .seconds(2), timeout: .seconds(3), logger: logger))
    services.append(LogSequencer(store: store, interval: .milliseconds(500), checkpointInterval: .seconds(configuration.checkpointIntervalSeconds),
                                 origin: "truc-log/\(configuration.hubCode)", logger: logger))
    if configuration.evidenceLog { services.append(LogBackfill(store: store, logger: logger)) }
    if let tsa = configuration.tsaURL { services.append(CheckpointStamper(store: store, url: tsa, trust: trust, logger: logger)) }
    if !configuration.witnesses.isEmpty {
        services.append(WitnessGatherer(store: store, witnesses: configuration.witnesses,
                                        client: try DeliveryService.makeClient(configuration, timeout: .seconds(10)), metrics: metrics, logger: logger))
    }
    services.append(RetentionService(store: store, days: configuration.refusalRetentionDays, interval: .seconds(3600), metrics: metrics,
                                     logger: logger))
    if configuration.retention.archiveDirectory != nil {
        let origin = "truc-log/\(configuration.hubCode)"
        let reports = ValidationReports(signer: receipts.signer, hubCode: receipts.hubCode)
        services.append(PayloadPurgeService(store: store, settings: configuration.retention, builder: {
            let key = try Ed25519Key(seed: try await store.logSigningSeed())
            return EvidenceBundleBuilder(store: store, reports: reports, origin: origin,
                                         verifierKey: Checkpoint.verifierKey(name: origin, publicKey: key.publicKey))
        }, origin: origin, metrics: metrics, logger: logger))
    }
    let vxpPeers = configuration.routing.peers.filter { $0.dialect == .vxp }
    if !vxpPeers.isEmpty, let client = delivery.vxp {
        services.append(VXPPoller(peers: vxpPeers, client: client, intake: intake, jobs: store,
                                  interval: .milliseconds(Int(configuration.vxp.pollSeconds * 1000)), logger: logger, board: peerBoard,
                                  metrics: metrics))
    }
    var releases: [@Sendable () async -> Void] = [{ await pool.shutdown() }, { await largePool.shutdown() }, { try? await delivery.client.shutdown() }]
    if let network { releases.append { await network.shutdown() } }
    if let gatherer = services.compactMap({ $0 as? WitnessGatherer }).first { releases.append { try? await gatherer.client.shutdown() } }
    return Hub(services: services, routes: access.rules, registered: router.routes.map { "\($0.method) \($0.path)" }, router: router,
               releases: releases)
}

func receiptIssuer(configuration: HubConfiguration, store: any MessageStore, logger: Logger) throws -> ReceiptIssuer {
    let signer = try ReceiptSigner(privateKeyPEM: [UInt8](try Data(contentsOf: URL(fileURLWithPath: configuration.privateKeyPath))),
                                   certificateChainPEM: [UInt8](try Data(contentsOf: URL(fileURLWithPath: configuration.certificatePath))))
    return ReceiptIssuer(signer: signer, store: store, hubCode: configuration.hubCode, routing: configuration.routing, logger: logger)
}

/// HTTP/1.1 with `Expect: 100-continue` answered at once, the connection limit, and the idle timeout (which
/// also ends TLS handshakes and request heads that never finish: the timer runs from the connection's start).
func http1Configuration(_ limits: ConnectionLimits, _ counter: ConnectionCounter) -> HTTP1Channel.Configuration {
    HTTP1Channel.Configuration(additionalChannelHandlers: [ConnectionLimitHandler(counter: counter), ExpectContinueHandler()],
                               idleTimeout: .milliseconds(Int64(limits.idleTimeoutSeconds * 1000)))
}

/// Shuts the verification threads down when the hub stops.
struct WorkPoolService: Service {
    let pools: [WorkPool]

    func run() async throws {
        try? await gracefulShutdown()
        for pool in pools { await pool.shutdown() }
    }
}

/// TLS 1.2+, the hub's certificate; a client certificate is asked for and checked when presented (agencies
/// may use tokens instead; SDK clients present none).
func tlsConfiguration(_ configuration: HubConfiguration) throws -> TLSConfiguration {
    let chainPEM = [UInt8](try Data(contentsOf: URL(fileURLWithPath: configuration.certificatePath)))
    guard let leaf = try Certificate.fromPEM(chainPEM).first else { throw CryptoError("\(configuration.certificatePath) holds no certificate") }
    var tls = TLSConfiguration.makeServerConfiguration(
        certificateChain: try NIOSSLCertificate.fromPEMBytes(chainPEM).map { .certificate($0) },
        privateKey: .privateKey(NIOSSLPrivateKey(customPrivateKey: try HandshakeKey(pemFile: configuration.privateKeyPath, certificate: leaf))))
    tls.minimumTLSVersion = .tlsv12
    tls.certificateVerification = .optionalVerification
    tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(configuration.clientCAPath))
    return tls
}

func readLimits(maxBytes: Int) -> ReadLimits {
    var limits = ReadLimits.default
    limits.xml.maxBytes = maxBytes
    return limits
}

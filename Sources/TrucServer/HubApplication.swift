import EdXML
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import TrucCore
import TrucCrypto
import TrucSignatures
import TrucStore

/// The hub's long-running parts, to run in one `ServiceGroup`: the HTTPS application and the delivery engine.
package struct Hub {
    package let services: [any Service]
}

/// Builds the hub. Kept apart from `truc serve` so tests build the same hub.
package func buildHub(
    configuration: HubConfiguration, store: HubStore, logger: Logger,
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) throws -> Hub {
    let receipts = try receiptIssuer(configuration: configuration, store: store, logger: logger)
    let metrics = HubMetrics()
    let app = try buildApplication(configuration: configuration, store: store, logger: logger, receipts: receipts, metrics: metrics,
                                   onServerRunning: onServerRunning)
    let delivery = try DeliveryService(store: store, configuration: configuration, logger: logger, receipts: receipts, metrics: metrics)
    return Hub(services: [app, delivery])
}

func receiptIssuer(configuration: HubConfiguration, store: HubStore, logger: Logger) throws -> ReceiptIssuer {
    let signer = try ReceiptSigner(privateKeyPEM: [UInt8](try Data(contentsOf: URL(fileURLWithPath: configuration.privateKeyPath))),
                                   certificateChainPEM: [UInt8](try Data(contentsOf: URL(fileURLWithPath: configuration.certificatePath))))
    return ReceiptIssuer(signer: signer, store: store, hubCode: configuration.hubCode, logger: logger)
}

/// Builds the hub's HTTPS application.
func buildApplication(
    configuration: HubConfiguration, store: HubStore, logger: Logger, receipts: ReceiptIssuer, metrics: HubMetrics,
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) throws -> some ApplicationProtocol {
    let trust = try TrustStore(directory: configuration.trustDirectory, requireRevocationData: configuration.requireRevocationData)
    let verifier = SignatureVerifier(trust: trust, policy: VerificationPolicy(requireRevocationData: configuration.requireRevocationData))
    let router = Router(context: HubRequestContext.self)
    let routes = HubRoutes(
        store: store,
        auth: Authenticator(store: store, trust: trust, operatorTokenHash: configuration.operatorToken.map { Digest.sha256(Array($0.utf8)) }),
        intake: Intake(store: store, verifier: verifier, limits: readLimits(maxBytes: configuration.maxBodyBytes),
                       hubCode: configuration.hubCode, routing: configuration.routing, hopLimit: configuration.hopLimit),
        maxBodyBytes: configuration.maxBodyBytes, receipts: receipts, metrics: metrics)
    routes.register(on: router)
    StatsRoutes(store: store, auth: routes.auth).register(on: router)

    var tls = TLSConfiguration.makeServerConfiguration(
        certificateChain: try NIOSSLCertificate.fromPEMFile(configuration.certificatePath).map { .certificate($0) },
        privateKey: .privateKey(try NIOSSLPrivateKey(file: configuration.privateKeyPath, format: .pem)))
    tls.minimumTLSVersion = .tlsv12
    // Ask for a client certificate and check it when one is presented; agencies may use tokens instead.
    tls.certificateVerification = .optionalVerification
    tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(configuration.clientCAPath))

    return Application(
        router: router,
        server: try .tls(.http1(), tlsConfiguration: tls),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "Truc"),
        onServerRunning: onServerRunning,
        logger: logger)
}

func readLimits(maxBytes: Int) -> ReadLimits {
    var limits = ReadLimits.default
    limits.xml.maxBytes = maxBytes
    return limits
}

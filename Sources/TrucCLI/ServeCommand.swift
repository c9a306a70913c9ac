import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import TrucCrypto
import Foundation
import Logging
import ServiceLifecycle
import TrucCore
import TrucPostgres
import TrucServer
import TrucSignatures
import TrucStore
import UnixSignals
import NIOCore
import TrucSQLiteStore

/// `truc serve`: the HTTPS hub. Configuration keys, by precedence: command-line flag, environment
/// variable, config file (JSON or YAML with the same key names as the flags), default — read through one
/// swift-configuration `ConfigReader` (`ServeSettings`). The keys are those of the catalogue, `ServeKeys`. With no
/// PKI given, the hub makes one for its installation under DATA/pki (see `LocalPKI`); the committed Certs/demo
/// only with --demo-pki.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the HTTPS hub.", discussion: ServeKeys.helpText)

    @Option(help: "A config file, JSON or YAML (.yaml, .yml), whose keys are the flag names (host, port, data, tls-cert, ...; routes is a list); an unknown key or a value of the wrong type is refused.") var config: String?
    @Flag(name: .customLong("print-config"), help: "Print the effective configuration and where each value comes from (secrets masked), and exit.")
    var printConfig = false
    @Flag(inversion: .prefixedNo, help: "Register the demo agencies (of this installation's PKI, or of Certs/demo with --demo-pki) when the store has none.")
    var demoAgencies = true
    @Flag(name: .customLong("demo-pki"), help: "Use the committed demo PKI of Certs/demo. Its private keys are public: for tests and demonstrations only.")
    var demoPKI = false
    /// Every configuration key given as a flag (`--port 8443`, `--port=8443`, `--require-revocation`, `--route …`
    /// repeated): read against the catalogue, `ServeKeys` (an unknown flag is refused with the nearest key).
    @Argument(parsing: .allUnrecognized, help: .hidden) var keyArguments: [String] = []
    @OptionGroup var errorOutput: ErrorOutput


    func run() async throws {
        let flags: ServeFlags
        do { flags = try ServeFlags.parse(keyArguments) } catch { throw error.report() }
        let settings = try await ServeSettings(flags: flags, file: config, environment: ProcessInfo.processInfo.environment)
        try refuseUnknownKeys(settings)
        try settings.refuseInvalidValues()
        try settings.refuseOutOfRange()
        if printConfig {
            printConfiguration(settings)
            return
        }

        let dataDirectory = settings.defaulted("data")
        // Before anything is created: the data directory and the ports.
        try Preflight.dataDirectory(dataDirectory)
        let listenHost = settings.defaulted("host")
        let listenPort = settings.defaultedInt("port")
        try Preflight.port(listenHost, listenPort, flag: "--port")
        // Every setting is checked before anything is made (the PKI, the store, the demo agencies).
        let routing = try routingTable(settings)
        let retryPolicy = RetryPolicy(
            baseDelay: settings.defaultedDouble("retry-base"), maxDelay: settings.defaultedDouble("retry-max"),
            maxAttempts: settings.defaultedInt("retry-attempts"))
        let vxp = try vxpSettings(settings)
        if let plainHost = vxp.plainHost, let plainPort = vxp.plainPort, plainPort != 0 {
            try Preflight.port(plainHost, plainPort, flag: "--vxp-http")
        }
        var limits = ConnectionLimits()
        limits.idleTimeoutSeconds = settings.defaultedDouble("idle-timeout")
        limits.maxConnections = settings.defaultedInt("max-connections")
        limits.maxBufferedBodyBytes = settings.defaultedInt("max-buffered-bytes")
        limits.verifyQueueLimit = settings.defaultedInt("verify-queue")
        limits.workBudgetSeconds = settings.defaultedDouble("work-budget")
        guard limits.idleTimeoutSeconds > 0, limits.maxConnections > 0, limits.maxBufferedBodyBytes > 0, limits.verifyQueueLimit >= 0 else {
            throw ValidationError("--idle-timeout, --max-connections and --max-buffered-bytes must be positive")
        }
        let refusalRetentionDays = settings.defaultedInt("refusal-retention-days")
        guard refusalRetentionDays > 0 else { throw ValidationError("--refusal-retention-days must be positive") }
        let checkpointInterval = settings.defaultedInt("checkpoint-interval")
        guard (1...86_400).contains(checkpointInterval) else { throw ValidationError("--checkpoint-interval is 1 to 86400 seconds") }
        let revocation = try revocationSettings(settings)
        let lease = Int64(settings.defaultedInt("delivery-lease"))
        guard lease >= 5 else {
            throw CommandFailure(.usage, "--delivery-lease \(lease) is too short: give at least 5 seconds").report()
        }
        if let token = settings.string("operator-token"), token.count < 16 {
            throw CommandFailure(.usage, "the operator token has \(token.count) characters: give at least 16 (it opens every queue and the dashboard; wrong guesses are slowed down, not stopped)").report()
        }
        if let token = settings.string("metrics-token") {
            guard token.count >= 16 else {
                throw CommandFailure(.usage, "the metrics token has \(token.count) characters: give at least 16").report()
            }
            guard token != settings.string("operator-token") else {
                throw CommandFailure(.usage, "the metrics token is the operator token: give the scraper a token of its own").report()
            }
        }
        let poolSize = settings.defaultedInt("database-pool")
        guard (2...1000).contains(poolSize) else {
            throw CommandFailure(.usage, "--database-pool \(poolSize): give 2 to 1000 connections (and keep nodes × pool below the server's max_connections)").report()
        }

        let pki = try resolvePKI(settings, dataDirectory: dataDirectory)
        var configured = HubConfiguration(
            hubCode: settings.defaulted("hub-code"),
            host: listenHost,
            port: listenPort,
            certificatePath: pki.certificate, privateKeyPath: pki.privateKey, clientCAPath: pki.clientCA, trustDirectory: pki.trust,
            dataDirectory: dataDirectory,
            maxBodyBytes: settings.defaultedInt("max-body-bytes"),
            operatorToken: settings.string("operator-token"),
            requireRevocationData: settings.bool("require-revocation"))
        var outbound = OutboundPolicy(denyPrivate: settings.bool("deny-private-targets"))
        for text in (settings.string("allow-targets") ?? "").split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !text.isEmpty {
            guard let range = AddressRange(text) else {
                throw CommandFailure(.usage, "--allow-targets: \(text) is not an address or a range ADDRESS/BITS").report()
            }
            outbound.allowed.append(range)
        }
        configured.outbound = outbound
        configured.metricsToken = settings.string("metrics-token")
        if let file = settings.string("algorithm-policy") {
            do { configured.algorithmPolicy = try AlgorithmPolicyFile.read(file) } catch { throw error.report() }
        }
        if let text = settings.string("signing-eku") {
            do { configured.signingExtendedKeyUsages = try SigningEKU.parse(text, flag: "--signing-eku") } catch { throw error.report() }
        }
        configured.deliveryLeaseSeconds = lease
        configured.routing = routing
        configured.retryPolicy = retryPolicy
        configured.vxp = vxp
        configured.minFreeDiskBytes = Int64(settings.defaultedInt("min-free-disk"))
        configured.limits = limits
        configured.refusalRetentionDays = refusalRetentionDays
        configured.checkpointIntervalSeconds = checkpointInterval
        if let tsa = settings.string("tsa-url") {
            guard let parsed = URL(string: tsa), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""), parsed.host != nil else {
                throw ValidationError("--tsa-url is an http(s) URL")
            }
            configured.tsaURL = tsa
        }
        configured.retention = try retentionSettings(settings, dataDirectory: dataDirectory)
        let forecastDays = settings.defaultedInt("disk-forecast-days")
        guard (1...3_650).contains(forecastDays) else { throw ValidationError("--disk-forecast-days is 1 to 3650") }
        configured.diskForecastDays = forecastDays
        switch settings.defaulted("evidence-log") {
        case "on": configured.evidenceLog = true
        case "off": configured.evidenceLog = false
        default: throw ValidationError("--evidence-log is on or off")
        }
        configured.witnesses = try (settings.string("witnesses") ?? "").split(separator: ",").map { text in
            let url = text.trimmingCharacters(in: .whitespaces)
            guard let parsed = URL(string: url), parsed.scheme?.lowercased() == "https", parsed.host != nil else { throw ValidationError("--witnesses are https URLs") }
            return url
        }
        configured.witnessFor = try (settings.string("witness-for") ?? "").split(separator: ",").map { text in
            let key = text.trimmingCharacters(in: .whitespaces)
            guard key.split(separator: "+", maxSplits: 2).count == 3 else { throw ValidationError("--witness-for takes log keys as GET /v1/log/key prints them (name+id+key)") }
            return key
        }
        configured.reloadOnSIGHUP = true
        configured.revocation = revocation
        let hubConfiguration = configured

        let json = settings.defaulted("log-format") == "json"
        LoggingSystem.bootstrap { label in
            if json { return JSONLogHandler(label: label) }
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = ProcessInfo.processInfo.environment["TRUC_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
            return handler
        }
        let logger = Logger(label: "truc")
        let files = FileLimit.raise()
        if files.soft < UInt64(limits.maxConnections) + 64 {
            logger.warning("the open-file limit is below --max-connections", metadata: [
                "limit": "\(files.soft)", "maxConnections": "\(limits.maxConnections)"])
        }
        if pki.created {
            logger.notice("made a PKI for this installation (its keys never left this machine)", metadata: [
                "ca": "\(pki.rootCertificate ?? "")", "agencies": "\(pki.agencies ?? "")"])
        }
        if let root = pki.rootCertificate { logger.info("clients trust the hub's CA certificate", metadata: ["ca": "\(root)"]) }
        if pki.demo {
            logger.warning("USING THE DEMO PKI OF Certs/demo: ITS PRIVATE KEYS ARE PUBLIC. Anyone can mint certificates it trusts; for tests and demonstrations only")
        }
        for anchor in LocalPKI.untrustworthyAnchors(in: pki.trust) {
            logger.warning("SIGNATURES ARE VERIFIED AGAINST A DEMO OR SELF-MADE CA: a valid signature proves nothing outside this test bench; give --trust with the real CAs",
                           metadata: ["anchor": "\(anchor)"])
        }
        let store: any MessageStore
        let postgres: PostgresStore?
        if let url = settings.string("database") {
            let name = settings.string("node") ?? ProcessInfo.processInfo.hostName
            do {
                postgres = try await PostgresStore(url: url, secretsKey: hubConfiguration.dataDirectory + "/secrets.key", node: name,
                                                   leaseSeconds: lease, poolSize: poolSize, logger: logger)
            } catch {
                throw CommandFailure(.storeUnavailable, "cannot open the PostgreSQL store (--database): \(error)").report()
            }
            store = postgres!
            await postgres!.listenForDeliveries()
            logger.info("store: PostgreSQL", metadata: ["node": "\(name)"])
        } else {
            postgres = nil
            store = try SQLiteStore(dataDirectory: hubConfiguration.dataDirectory)
        }
        if demoAgencies, let folder = pki.agencies, try await store.agencies().isEmpty {
            let registered = try DemoPKI.agencies(in: folder)
            for agency in registered { try await store.upsert(agency) }
            logger.info("registered the demo agencies", metadata: ["agencies": "\(registered.map(\.code).joined(separator: ", "))"])
        }
        let hub = try buildHub(configuration: hubConfiguration, store: store, logger: logger) { channel in
            logger.info("Truc hub listening", metadata: ["address": "\(channel.localAddress.map { "\($0)" } ?? "?")",
                                                         "hub": "\(hubConfiguration.hubCode)", "data": "\(hubConfiguration.dataDirectory)"])
            SystemdNotify.send("READY=1\nSTATUS=listening on \(hubConfiguration.host):\(hubConfiguration.port)")
        }
        let group = ServiceGroup(configuration: .init(services: hub.services + [SystemdStoppingNotifier()],
                                                      gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        await postgres?.shutdown()
    }
}

extension ServeCommand {
    /// `--route` and `--upstream` (or the config file's `routes` and `upstream`).
    func routingTable(_ settings: ServeSettings) throws -> RoutingTable {
        func peer(_ text: String) throws -> PeerHub {
            let parts = text.split(separator: "@", maxSplits: 1).map(String.init)
            let url = parts.count == 2 && parts[1].hasPrefix("vxp+") ? String(parts[1].dropFirst(4)) : parts.last ?? ""
            guard parts.count == 2, !parts[0].isEmpty, url.hasPrefix("https://") || url.hasPrefix("http://") else {
                throw ValidationError("\(text) is not HUBCODE@URL (or HUBCODE@vxp+URL for a hub that speaks the national SDK's dialect)")
            }
            if parts.count == 2, parts[1].hasPrefix("vxp+") {
                return PeerHub(code: parts[0], url: String(parts[1].dropFirst(4)), dialect: .vxp)
            }
            return PeerHub(code: parts[0], url: parts[1])
        }
        var entries: [RoutingTable.Entry] = []
        for route in settings.strings("routes") {
            let parts = route.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw ValidationError("--route \(route) is not PATTERN=HUBCODE@URL") }
            entries.append(.init(pattern: parts[0], hub: try peer(parts[1])))
        }
        let upstreamText = settings.string("upstream")
        return RoutingTable(entries: entries, defaultUpstream: try upstreamText.map(peer))
    }
}

extension ServeCommand {
    /// `--revocation`, `--revocation-unknown`, `--revocation-freshness`, `--revocation-budget`, `--revocation-timeout`.
    func revocationSettings(_ settings: ServeSettings) throws -> RevocationSettings {
        var result = RevocationSettings()
        if let text = settings.string("revocation") {
            result.mode = try RevocationMode.choice(text, flag: "--revocation").mapError { ValidationError($0.message) }.get()
        }
        if let text = settings.string("revocation-unknown") {
            result.unknown = try RevocationUnknownAction.choice(text, flag: "--revocation-unknown").mapError { ValidationError($0.message) }.get()
        }
        result.freshnessSeconds = Int64(settings.defaultedInt("revocation-freshness"))
        result.budgetSeconds = settings.defaultedDouble("revocation-budget")
        result.fetchTimeoutSeconds = settings.defaultedDouble("revocation-timeout")
        if let text = settings.string("revocation-rewrite") { result.rewrites = try RevocationRewrites.parse(text) }
        result.fetchIssuers = settings.bool("fetch-ca-issuers")
        guard result.freshnessSeconds > 0, result.budgetSeconds >= 0, result.fetchTimeoutSeconds > 0 else {
            throw ValidationError("--revocation-freshness and --revocation-timeout must be positive, --revocation-budget not negative")
        }
        return result
    }
}

extension ServeCommand {
    /// The national SDK's dialect: prefix, plain listener, this hub's identity at VXP peers.
    func vxpSettings(_ settings: ServeSettings) throws -> VXPSettings {
        var vxp = VXPSettings()
        if let prefix = settings.string("vxp-prefix") {
            guard prefix.hasPrefix("/"), !prefix.hasSuffix("/") else { throw ValidationError("--vxp-prefix starts with / and does not end with /") }
            vxp.prefix = prefix
        }
        if let listen = settings.string("vxp-http") {
            let parts = listen.split(separator: ":").map(String.init)
            guard parts.count == 2, let port = Int(parts[1]) else { throw ValidationError("--vxp-http \(listen) is not HOST:PORT") }
            vxp.plainHost = parts[0]
            vxp.plainPort = port
        }
        vxp.plainWrites = settings.bool("vxp-http-writes")
        vxp.systemId = settings.string("vxp-system")
        if let file = settings.string("vxp-secret-file") {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw ValidationError("cannot read \(file)") }
            vxp.secret = text.trimmingCharacters(in: .newlines)
        }
        vxp.pollSeconds = settings.defaultedDouble("vxp-poll")
        return vxp
    }
}

/// The optional JSON config file.

/// The PKI a hub runs with: given explicitly, the committed demo PKI (`--demo-pki`), or the one the hub
/// makes for its installation (`DATA/pki`) for whatever is not given.
struct HubPKI {
    var certificate: String
    var privateKey: String
    var clientCA: String
    var trust: String
    /// The demo agencies' certificates to register (nil when the PKI is the operator's own).
    var agencies: String?
    var rootCertificate: String?
    var created = false
    var demo = false
}

extension ServeCommand {
    func resolvePKI(_ settings: ServeSettings, dataDirectory: String) throws -> HubPKI {
        let given = (cert: settings.string("tls-cert"), key: settings.string("tls-key"),
                     ca: settings.string("client-ca"), trust: settings.string("trust"))
        if demoPKI {
            let demo = try DemoPKI.locate()
            return HubPKI(certificate: given.cert ?? demo + "/hub/server.chain.pem", privateKey: given.key ?? demo + "/hub/server.key",
                          clientCA: given.ca ?? demo + "/hub/client-ca.pem", trust: given.trust ?? demo + "/trust", agencies: demo + "/agencies",
                          rootCertificate: demo + "/trust/root-ca.pem", demo: true)
        }
        if let cert = given.cert, let key = given.key, let ca = given.ca, let trust = given.trust {
            try Preflight.keyPair(certificate: cert, key: key)
            return HubPKI(certificate: cert, privateKey: key, clientCA: ca, trust: trust)
        }
        // Any PKI setting means the operator owns the PKI: a missing piece is an error, never a made-up CA (nor
        // demo agencies bound to made-up certificates) quietly filling the gap.
        let pieces = [("--tls-cert", "TRUC_TLS_CERT", given.cert), ("--tls-key", "TRUC_TLS_KEY", given.key),
                      ("--client-ca", "TRUC_CLIENT_CA", given.ca), ("--trust", "TRUC_TRUST_DIR", given.trust)]
        let set = pieces.filter { $0.2 != nil }, missing = pieces.filter { $0.2 == nil }
        if !set.isEmpty {
            throw CommandFailure(.pkiIncomplete, "\(set.map(\.0).joined(separator: ", ")) \(set.count == 1 ? "is" : "are") set but \(missing.map { "\($0.0) (\($0.1))" }.joined(separator: ", ")) \(missing.count == 1 ? "is" : "are") not: "
                    + "when you give the hub's PKI give all four (the hub's certificate chain and key, the CAs of client certificates, the trust directory for signatures); "
                    + "with none of them the hub makes its own PKI for this installation in DATA/pki (or use --demo-pki for tests)").report()
        }
        do {
            try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        } catch {
            throw CommandFailure(.dataUnusable, "cannot create the data directory \(dataDirectory): \(error.localizedDescription)").report()
        }
        let (local, created) = try LocalPKI.ensure(dataDirectory: dataDirectory)
        return HubPKI(certificate: local.certificate, privateKey: local.privateKey, clientCA: local.clientCA,
                      trust: local.trust, agencies: local.agencies, rootCertificate: local.rootCertificate, created: created)
    }
}

/// The committed demo PKI and its agencies.
enum DemoPKI {
    static func locate() throws -> String {
        do {
            return URL(fileURLWithPath: try TrustDirectory.demo()).deletingLastPathComponent().path
        } catch {
            throw ValidationError("the demo PKI (Certs/demo) was not found; --demo-pki needs the repository's Certs/demo")
        }
    }

    /// One agency per folder of `folder`, authenticated by its organisation certificate's MST identifier.
    static func agencies(in folder: String) throws -> [Agency] {
        return try FileManager.default.contentsOfDirectory(atPath: folder).sorted().compactMap { code in
            let name = (try? String(contentsOfFile: "\(folder)/\(code)/name.txt", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? code
            let pem = try Data(contentsOf: URL(fileURLWithPath: "\(folder)/\(code)/organisation.pem"))
            let identifier = try Certificate.fromPEM([UInt8](pem)).first?.identifiers.first
            return try Agency(code: code, name: name, certificateIdentifier: identifier).validated()
        }
    }
}

/// The process's open-file limit: the soft limit raised to the hard one at start (a hub holds a descriptor
/// per connection; Debian's default soft limit of 1,024 would cap it far below `--max-connections`).
enum FileLimit {
    static func raise() -> (soft: UInt64, hard: UInt64) {
        #if canImport(Glibc)
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return (0, 0) }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return (UInt64(limit.rlim_cur), UInt64(limit.rlim_max))
        #else
        return (UInt64.max, UInt64.max)
        #endif
    }
}

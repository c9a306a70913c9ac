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
/// swift-configuration `ConfigReader` (`ServeSettings`). With no PKI given, the hub
/// makes one for its installation under DATA/pki (see `LocalPKI`); the committed Certs/demo only with --demo-pki.
///
/// | flag | environment | default |
/// |---|---|---|
/// | --host | TRUC_HOST | 127.0.0.1 |
/// | --port | TRUC_PORT | 8443 |
/// | --data | TRUC_DATA_DIR | ./data |
/// | --database postgres://… | TRUC_DATABASE_URL | none (SQLite in the data directory) |
/// | --node NAME | TRUC_NODE | the host name |
/// | --delivery-lease SECONDS | TRUC_DELIVERY_LEASE | 60 (PostgreSQL: takeover of a dead node's deliveries; renewed while an attempt runs) |
/// | --database-pool N | TRUC_DATABASE_POOL | 32 (PostgreSQL: connections of this node) |
/// | --tls-cert / --tls-key | TRUC_TLS_CERT / TRUC_TLS_KEY | DATA/pki/hub/server.chain.pem / server.key (made on first start) |
/// | --client-ca | TRUC_CLIENT_CA | DATA/pki/hub/client-ca.pem |
/// | --trust | TRUC_TRUST_DIR | DATA/pki/trust |
/// | --demo-pki | – | off (Certs/demo: public keys, tests only) |
/// | --hub-code | TRUC_HUB_CODE | 000.00.00.W00 |
/// | --max-body-bytes | TRUC_MAX_BODY_BYTES | 67108864 |
/// | --operator-token | TRUC_OPERATOR_TOKEN | none (no operator access) |
/// | --metrics-token | TRUC_METRICS_TOKEN | none (/metrics with the operator token only) |
/// | --revocation-rewrite FROM=TO,… | TRUC_REVOCATION_REWRITE | none: OCSP/CRL URLs fetched as the certificates write them |
/// | --algorithm-policy FILE | TRUC_ALGORITHM_POLICY | built in: SHA-1 and RSA < 2048 bits from 2014-01-01, MD5 from 2009-01-01 |
/// | --signing-eku OID,… | TRUC_SIGNING_EKU | anyExtendedKeyUsage, emailProtection, MS document signing, documentSigning, Adobe (see SigningEKU) |
/// | --require-revocation | TRUC_REQUIRE_REVOCATION=true (or 1, yes) | off |
/// | --allow-targets CIDR,… | TRUC_ALLOW_TARGETS | none: pushes, forwards, SDK upstream calls and revocation fetches never reach loopback, link-local or multicast addresses |
/// | --deny-private-targets | TRUC_DENY_PRIVATE_TARGETS=true | off (private ranges reachable: government networks use them) |
/// | --fetch-ca-issuers | TRUC_FETCH_CA_ISSUERS=true | off: an intermediate a document does not carry is not fetched from its caIssuers address |
/// | --revocation prefer-ocsp\|crl-only\|offline | TRUC_REVOCATION | prefer-ocsp |
/// | --revocation-unknown indeterminate\|invalid\|accept | TRUC_REVOCATION_UNKNOWN | indeterminate |
/// | --revocation-freshness / --revocation-budget / --revocation-timeout | – | 3600 s / 3 s / 10 s |
/// | --route PATTERN=HUB@URL (repeatable) | – (config key "routes": ["G=000.00.00.W01@https://…"]) | none |
/// | --upstream HUB@URL | TRUC_UPSTREAM | none |
/// | --retry-attempts / --retry-base / --retry-max | – | 8 / 2 s / 600 s |
/// | --vxp-prefix | TRUC_VXP_PREFIX | /XrdAdapter/adapter |
/// | --vxp-http HOST:PORT | TRUC_VXP_HTTP | none (VXP only on the HTTPS listener) |
/// | --vxp-http-writes | TRUC_VXP_HTTP_WRITES=true (or 1, yes) | off (the plain listener serves reads only) |
/// | --vxp-system / --vxp-secret-file | TRUC_VXP_SYSTEM / TRUC_VXP_SECRET_FILE | none (this hub's identity at VXP peers) |
/// | --vxp-poll | – | 5 s |
/// | --log-format text\|json | TRUC_LOG_FORMAT | text |
/// | --min-free-disk BYTES | – | 268435456 (256 MiB) |
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the HTTPS hub.")

    @Option(help: "A config file, JSON or YAML (.yaml, .yml), whose keys are the flag names (host, port, data, tls-cert, ...; routes is a list); an unknown key or a value of the wrong type is refused.") var config: String?
    @Flag(name: .customLong("print-config"), help: "Print the effective configuration and where each value comes from (secrets masked), and exit.")
    var printConfig = false
    @Option(help: "Listen address (env TRUC_HOST). Default 127.0.0.1.") var host: String?
    @Option(help: "Listen port (env TRUC_PORT). Default 8443.") var port: Int?
    @Option(help: "Data directory: SQLite store, payloads, the installation's PKI (env TRUC_DATA_DIR). Default ./data.") var data: String?
    @Option(help: "A PostgreSQL store instead of the data directory's SQLite, shared by several nodes: postgres://user:password@host:5432/db (env TRUC_DATABASE_URL). Default none.")
    var database: String?
    @Option(help: "This node's name in delivery leases, stable across restarts (env TRUC_NODE). Default the host name.") var node: String?
    @Option(name: .customLong("delivery-lease"),
            help: "On PostgreSQL: seconds a node holds a delivery it attempts before another node may take it over; renewed every third of it while the attempt runs. Default 60.")
    var deliveryLease: Int64?
    @Option(name: .customLong("database-pool"),
            help: "On PostgreSQL: connections this node opens at most (each write holds one until its commit is durable); nodes × pool must stay below the server's max_connections, 100 by default (env TRUC_DATABASE_POOL). Default 32.")
    var databasePool: Int?
    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain of the hub (env TRUC_TLS_CERT). Default DATA/pki/hub/server.chain.pem, made on first start.") var tlsCert: String?
    @Option(name: .customLong("tls-key"), help: "PEM private key of the hub (env TRUC_TLS_KEY). Default DATA/pki/hub/server.key.") var tlsKey: String?
    @Option(name: .customLong("client-ca"), help: "PEM bundle of CAs accepted for client certificates (env TRUC_CLIENT_CA). Default DATA/pki/hub/client-ca.pem.") var clientCA: String?
    @Option(help: "Trust directory for signatures and client-certificate CRLs (env TRUC_TRUST_DIR; reloaded on SIGHUP). Default DATA/pki/trust.") var trust: String?
    @Option(name: .customLong("hub-code"), help: "This hub's own code (env TRUC_HUB_CODE). Default 000.00.00.W00.") var hubCode: String?
    @Option(name: .customLong("max-body-bytes"), help: "Largest accepted request body, bytes (env TRUC_MAX_BODY_BYTES). Default 67108864.") var maxBodyBytes: Int?
    @Option(name: .customLong("operator-token"), help: "The operator's bearer token (prefer TRUC_OPERATOR_TOKEN).") var operatorToken: String?
    @Option(name: .customLong("revocation-rewrite"), help: "Rewrite OCSP/CRL URLs from certificates: FROM=TO pairs, comma-separated, each an http(s) URL prefix (env TRUC_REVOCATION_REWRITE), e.g. http://ocsp.ca.ptc=http://10.0.0.5:8080.")
    var revocationRewrite: String?
    @Option(name: .customLong("algorithm-policy"), help: "A JSON file of algorithm sunsets (env TRUC_ALGORITHM_POLICY). Default: SHA-1 and RSA under 2048 bits from 2014-01-01, MD5 from 2009-01-01.")
    var algorithmPolicy: String?
    @Option(name: .customLong("signing-eku"), help: "Extended key usages (dotted OIDs, comma-separated) that allow a signer certificate carrying the extension to sign documents (env TRUC_SIGNING_EKU). Default: \(SigningEKU.defaultText).")
    var signingEKU: String?
    @Option(name: .customLong("metrics-token"), help: "A bearer token that reads /metrics and nothing else, for Prometheus (prefer TRUC_METRICS_TOKEN).") var metricsToken: String?
    @Flag(name: .customLong("require-revocation"), help: "Signers with no revocation source at all (no CRL for the issuer, no OCSP or CRL URL) are indeterminate.")
    var requireRevocation = false
    @Option(help: "Revocation sources for document signers: prefer-ocsp (OCSP, then fetched and file CRLs), crl-only, offline (the trust directory's CRL files) (env TRUC_REVOCATION). Default prefer-ocsp.")
    var revocation: String?
    @Option(name: .customLong("revocation-unknown"), help: "When sources exist but none answers in time: indeterminate, invalid (refused) or accept (env TRUC_REVOCATION_UNKNOWN). Default indeterminate.")
    var revocationUnknown: String?
    @Option(name: .customLong("revocation-freshness"), help: "Seconds an OCSP answer or fetched CRL is used before it is asked again. Default 3600.")
    var revocationFreshness: Int?
    @Option(name: .customLong("revocation-budget"), help: "Seconds one document's verification may wait for OCSP responders and CRL servers. Default 3.")
    var revocationBudget: Double?
    @Option(name: .customLong("revocation-timeout"), help: "Time limit of one OCSP or CRL fetch, seconds. Default 10.") var revocationTimeout: Double?
    @Option(name: .customLong("allow-targets"), help: "Address ranges the hub may connect to even if loopback, link-local or private (comma-separated CIDRs, e.g. 127.0.0.0/8 for a hub and its peers on one machine).")
    var allowTargets: String?
    @Flag(name: .customLong("deny-private-targets"), help: "Never connect to private (RFC 1918, RFC 4193, CGNAT) addresses either, unless --allow-targets names them.")
    var denyPrivateTargets = false
    @Flag(name: .customLong("fetch-ca-issuers"), help: "Fetch an intermediate certificate a document does not carry from the caIssuers address of the certificate it issued (env TRUC_FETCH_CA_ISSUERS=true). Off by default.")
    var fetchCAIssuers = false
    @Option(name: .customLong("route"), help: "A peer-hub route PATTERN=HUBCODE@URL (repeatable); PATTERN: a code, PREFIX*, a level-1 code (H41) or a group letter (G).")
    var routes: [String] = []
    @Option(help: "The default upstream hub, HUBCODE@URL (env TRUC_UPSTREAM).") var upstream: String?
    @Option(name: .customLong("retry-attempts"), help: "Delivery attempts before a delivery is dead. Default 8.") var retryAttempts: Int?
    @Option(name: .customLong("retry-base"), help: "First retry delay, seconds (doubles each attempt, ±20 % jitter). Default 2.") var retryBase: Double?
    @Option(name: .customLong("retry-max"), help: "Longest retry delay, seconds. Default 600.") var retryMax: Double?
    @Option(name: .customLong("vxp-prefix"), help: "Path prefix of the national SDK's operations. Default /XrdAdapter/adapter.") var vxpPrefix: String?
    @Option(name: .customLong("vxp-http"), help: "Also serve the SDK's operations over plain HTTP on HOST:PORT (loopback or a private network).")
    var vxpHTTP: String?
    @Flag(name: .customLong("vxp-http-writes"), help: "Let the plain-HTTP listener also serve sendEdoc, updateStatus, registerAgency and deleteAgency.")
    var vxpHTTPWrites = false
    @Option(name: .customLong("vxp-system"), help: "This hub's systemid at VXP-dialect peer hubs (routes written HUB@vxp+URL).") var vxpSystem: String?
    @Option(name: .customLong("vxp-secret-file"), help: "File holding this hub's secret at VXP-dialect peer hubs.") var vxpSecretFile: String?
    @Option(name: .customLong("vxp-poll"), help: "Seconds between polls of VXP-dialect peer hubs. Default 5.") var vxpPoll: Double?
    @Option(name: .customLong("log-format"), help: "text or json (one JSON object per line) (env TRUC_LOG_FORMAT). Default text.") var logFormat: String?
    @Option(name: .customLong("min-free-disk"), help: "Bytes free in the data directory below which /readyz fails. Default 268435456.") var minFreeDisk: Int?
    @Flag(inversion: .prefixedNo, help: "Register the demo agencies (of this installation's PKI, or of Certs/demo with --demo-pki) when the store has none.")
    var demoAgencies = true
    @Flag(name: .customLong("demo-pki"), help: "Use the committed demo PKI of Certs/demo. Its private keys are public: for tests and demonstrations only.")
    var demoPKI = false
    @Option(name: .customLong("idle-timeout"), help: "Seconds before a connection with no request in progress is closed (also unfinished TLS handshakes and request heads). Default 30.")
    var idleTimeout: Double?
    @Option(name: .customLong("max-connections"), help: "Open connections per listener; more are closed at once. Default 4096.") var maxConnections: Int?
    @Option(name: .customLong("max-buffered-bytes"), help: "Request-body bytes held at once across the hub; beyond it 503 busy. Default 268435456.")
    var maxBufferedBytes: Int?
    @Option(name: .customLong("verify-queue"), help: "Messages waiting for a verification thread; beyond it 503 busy. Default 64.") var verifyQueue: Int?
    @Option(name: .customLong("refusal-retention-days"), help: "Days refusal records are kept. Default 90.") var refusalRetentionDays: Int?
    @Option(name: .customLong("payload-retention-days"), help: "Days a message's payload is kept after the message is final (every delivery delivered, failed or dead), or off. Payloads are purged only into archives (--archive-dir). Default 90.")
    var payloadRetentionDays: String?
    @Option(name: .customLong("payload-retention-overrides"), help: "Per agency (sender or recipient) or business type: AGENCY=DAYS,type:N=DAYS,… (DAYS or off; the longest that applies wins). Default: none.")
    var payloadRetentionOverrides: String?
    @Option(name: .customLong("archive-dir"), help: "Directory the payload archives are written to before payloads are purged (another volume). Default: none (nothing is purged).")
    var archiveDir: String?
    @Option(name: .customLong("purge-interval"), help: "Seconds between archive-and-purge rounds. Default 3600.") var purgeInterval: Int?
    @Option(name: .customLong("checkpoint-interval"), help: "Seconds between signed checkpoints of the evidence log (when it grew). Default 10.") var checkpointInterval: Int?
    @Option(name: .customLong("tsa-url"), help: "An RFC 3161 time-stamping authority (http(s) URL) for the evidence log's checkpoints. Default: none (signed only).") var tsaURL: String?
    @Option(name: .customLong("disk-forecast-days"), help: "Alert (TrucDiskFullSoon) and show red when the data volume would be full within this many days at the last week's rate. Default 30.") var diskForecastDays: Int?
    @Option(name: .customLong("evidence-log"), help: "on (default) or off: off writes no event of the evidence log (to measure its cost; the gap shows in truc log verify).") var evidenceLog: String?
    @Option(name: .customLong("witnesses"), help: "Peer hubs (https base URLs, comma-separated) asked to cosign the evidence log's checkpoints. Default: none.") var witnesses: String?
    @Option(name: .customLong("witness-for"), help: "The log keys (GET /v1/log/key of each peer hub, comma-separated) of the logs this hub witnesses. Default: none.") var witnessFor: String?
    @Option(name: .customLong("work-budget"), help: "Seconds one document may take to decode and verify; past it 422 too-complex. Default 20.")
    var workBudget: Double?

    @OptionGroup var errorOutput: ErrorOutput


    func run() async throws {
        let settings = try await ServeSettings(keys: keys, routes: routes, file: config, environment: ProcessInfo.processInfo.environment)
        try refuseUnknownKeys(settings)
        try settings.refuseInvalidValues(ints: Self.intKeys, doubles: Self.doubleKeys, bools: Self.boolKeys)
        if printConfig {
            printConfiguration(settings)
            return
        }

        let dataDirectory = settings.string("data") ?? "./data"
        // Before anything is created: the data directory and the ports.
        try Preflight.dataDirectory(dataDirectory)
        let listenHost = settings.string("host") ?? "127.0.0.1"
        let listenPort = settings.int("port") ?? 8443
        try Preflight.port(listenHost, listenPort, flag: "--port")
        // Every setting is checked before anything is made (the PKI, the store, the demo agencies).
        let routing = try routingTable(settings)
        let retryPolicy = RetryPolicy(
            baseDelay: settings.double("retry-base") ?? 2, maxDelay: settings.double("retry-max") ?? 600,
            maxAttempts: settings.int("retry-attempts") ?? 8)
        let vxp = try vxpSettings(settings)
        if let plainHost = vxp.plainHost, let plainPort = vxp.plainPort, plainPort != 0 {
            try Preflight.port(plainHost, plainPort, flag: "--vxp-http")
        }
        var limits = ConnectionLimits()
        limits.idleTimeoutSeconds = settings.double("idle-timeout") ?? limits.idleTimeoutSeconds
        limits.maxConnections = settings.int("max-connections") ?? limits.maxConnections
        limits.maxBufferedBodyBytes = settings.int("max-buffered-bytes") ?? limits.maxBufferedBodyBytes
        limits.verifyQueueLimit = settings.int("verify-queue") ?? limits.verifyQueueLimit
        limits.workBudgetSeconds = settings.double("work-budget") ?? limits.workBudgetSeconds
        guard limits.idleTimeoutSeconds > 0, limits.maxConnections > 0, limits.maxBufferedBodyBytes > 0, limits.verifyQueueLimit >= 0 else {
            throw ValidationError("--idle-timeout, --max-connections and --max-buffered-bytes must be positive")
        }
        let refusalRetentionDays = settings.int("refusal-retention-days") ?? 90
        guard refusalRetentionDays > 0 else { throw ValidationError("--refusal-retention-days must be positive") }
        let checkpointInterval = settings.int("checkpoint-interval") ?? 10
        guard (1...86_400).contains(checkpointInterval) else { throw ValidationError("--checkpoint-interval is 1 to 86400 seconds") }
        let revocation = try revocationSettings(settings)
        let lease = settings.int("delivery-lease").map(Int64.init) ?? 60
        guard lease >= 5 else {
            throw CommandFailure(code: "usage", message: "--delivery-lease \(lease) is too short: give at least 5 seconds", exitCode: 2).report()
        }
        if let token = settings.string("operator-token"), token.count < 16 {
            throw CommandFailure(code: "usage", message: "the operator token has \(token.count) characters: give at least 16 (it opens every queue and the dashboard; wrong guesses are slowed down, not stopped)", exitCode: 2).report()
        }
        if let token = settings.string("metrics-token") {
            guard token.count >= 16 else {
                throw CommandFailure(code: "usage", message: "the metrics token has \(token.count) characters: give at least 16", exitCode: 2).report()
            }
            guard token != settings.string("operator-token") else {
                throw CommandFailure(code: "usage", message: "the metrics token is the operator token: give the scraper a token of its own", exitCode: 2).report()
            }
        }
        let poolSize = settings.int("database-pool") ?? PostgresStore.defaultPoolSize
        guard (2...1000).contains(poolSize) else {
            throw CommandFailure(code: "usage", message: "--database-pool \(poolSize): give 2 to 1000 connections (and keep nodes × pool below the server's max_connections)", exitCode: 2).report()
        }

        let pki = try resolvePKI(settings, dataDirectory: dataDirectory)
        var configured = HubConfiguration(
            hubCode: settings.string("hub-code") ?? "000.00.00.W00",
            host: listenHost,
            port: listenPort,
            certificatePath: pki.certificate, privateKeyPath: pki.privateKey, clientCAPath: pki.clientCA, trustDirectory: pki.trust,
            dataDirectory: dataDirectory,
            maxBodyBytes: settings.int("max-body-bytes") ?? 64 << 20,
            operatorToken: settings.string("operator-token"),
            requireRevocationData: settings.bool("require-revocation"))
        var outbound = OutboundPolicy(denyPrivate: settings.bool("deny-private-targets"))
        for text in (settings.string("allow-targets") ?? "").split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !text.isEmpty {
            guard let range = AddressRange(text) else {
                throw CommandFailure(code: "usage", message: "--allow-targets: \(text) is not an address or a range ADDRESS/BITS", exitCode: 2).report()
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
        configured.minFreeDiskBytes = Int64(settings.int("min-free-disk") ?? 256 << 20)
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
        let forecastDays = settings.int("disk-forecast-days") ?? 30
        guard (1...3_650).contains(forecastDays) else { throw ValidationError("--disk-forecast-days is 1 to 3650") }
        configured.diskForecastDays = forecastDays
        switch settings.string("evidence-log") ?? "on" {
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

        let json = (settings.string("log-format") ?? "text") == "json"
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
                throw CommandFailure(code: "store-unavailable", message: "cannot open the PostgreSQL store (--database): \(error)", exitCode: 3).report()
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
        result.freshnessSeconds = Int64(settings.int("revocation-freshness") ?? 3600)
        result.budgetSeconds = settings.double("revocation-budget") ?? 3
        result.fetchTimeoutSeconds = settings.double("revocation-timeout") ?? 10
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
        vxp.pollSeconds = settings.double("vxp-poll") ?? 5
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
            return HubPKI(certificate: cert, privateKey: key, clientCA: ca, trust: trust)
        }
        // Any PKI setting means the operator owns the PKI: a missing piece is an error, never a made-up CA (nor
        // demo agencies bound to made-up certificates) quietly filling the gap.
        let pieces = [("--tls-cert", "TRUC_TLS_CERT", given.cert), ("--tls-key", "TRUC_TLS_KEY", given.key),
                      ("--client-ca", "TRUC_CLIENT_CA", given.ca), ("--trust", "TRUC_TRUST_DIR", given.trust)]
        let set = pieces.filter { $0.2 != nil }, missing = pieces.filter { $0.2 == nil }
        if !set.isEmpty {
            throw CommandFailure(
                code: "pki-incomplete",
                message: "\(set.map(\.0).joined(separator: ", ")) \(set.count == 1 ? "is" : "are") set but \(missing.map { "\($0.0) (\($0.1))" }.joined(separator: ", ")) \(missing.count == 1 ? "is" : "are") not: "
                    + "when you give the hub's PKI give all four (the hub's certificate chain and key, the CAs of client certificates, the trust directory for signatures); "
                    + "with none of them the hub makes its own PKI for this installation in DATA/pki (or use --demo-pki for tests)",
                exitCode: 2).report()
        }
        do {
            try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        } catch {
            throw CommandFailure(code: "data-unusable", message: "cannot create the data directory \(dataDirectory): \(error.localizedDescription)",
                                 exitCode: 3).report()
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

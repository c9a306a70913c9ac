package import TrucConcurrency
import NIOCore
package import TrucCore
package import TrucSignatures

/// Everything `truc serve` needs, with the demo defaults. Reading it from flags, environment and a
/// config file happens in the CLI (`ServeCommand`), which lists every key.
package struct HubConfiguration: Sendable {
    /// This hub's own agency code (a W-group system code), written in trace headers and receipts.
    package var hubCode: String
    package var host: String
    package var port: Int
    /// PEM certificate chain and key of the hub's TLS server certificate.
    package var certificatePath: String
    package var privateKeyPath: String
    /// PEM bundle of the CAs whose client certificates the hub accepts (agencies, peer hubs).
    package var clientCAPath: String
    /// Trust directory for signatures and for CRL checks of client certificates.
    package var trustDirectory: String
    /// Where the SQLite store and the payload segments live.
    package var dataDirectory: String
    /// Largest accepted request body, in bytes.
    package var maxBodyBytes: Int
    /// The operator's credential (`Authorization: Bearer …`), for admin endpoints and any message.
    package var operatorToken: String?
    /// A scrape-only credential for Prometheus: reads `/metrics`, nothing else.
    package var metricsToken: String?
    /// The extended key usages (dotted OIDs) that allow signing documents; nil: the default set.
    package var signingExtendedKeyUsages: Set<String>?
    /// When weak algorithms stop being acceptable; nil: `AlgorithmPolicy.standard`.
    package var algorithmPolicy: AlgorithmPolicy?
    package var requireRevocationData: Bool
    /// Peer hubs by recipient pattern, and the default upstream hub.
    package var routing: RoutingTable
    /// Most hubs a message may pass before this one.
    package var hopLimit: Int
    package var retryPolicy: RetryPolicy
    /// On PostgreSQL: how long a node holds a delivery it attempts; renewed while the attempt runs.
    package var deliveryLeaseSeconds: Int64 = 60
    /// Where the hub may connect on its own initiative (pushes, forwards, SDK upstream calls).
    package var outbound = OutboundPolicy()
    /// How often the delivery engine looks for due deliveries when idle, in seconds.
    package var deliveryPollSeconds: Double
    /// The national SDK's dialect.
    package var vxp = VXPSettings()
    /// `/readyz` fails when the data directory's file system has less free space than this.
    package var minFreeDiskBytes: Int64 = Self.defaultMinFreeDiskBytes
    package static let defaultMinFreeDiskBytes: Int64 = 256 << 20
    /// The storage forecast's alert threshold: the data volume full within this many days at the last week's rate.
    package var diskForecastDays = Self.defaultDiskForecastDays
    package static let defaultDiskForecastDays = 30
    /// Limits that keep one caller from taking the hub down (see docs/security.md "Security model").
    package var limits = ConnectionLimits()
    /// How long refusal records are kept, in days.
    package var refusalRetentionDays = Self.defaultRefusalRetentionDays
    package static let defaultRefusalRetentionDays = 90
    /// Payload retention and where archives go (docs/operating.md "Retention and archives").
    package var retention = RetentionSettings()
    /// Seconds between signed checkpoints of the evidence log (only when it grew).
    package var checkpointIntervalSeconds = Self.defaultCheckpointIntervalSeconds
    package static let defaultCheckpointIntervalSeconds = 10
    /// An RFC 3161 TSA that time-stamps the evidence log's checkpoints (none: they are signed only).
    package var tsaURL: String?
    /// Whether the process writes the evidence log (off only to measure its cost).
    package var evidenceLog = true
    /// Witnesses asked to cosign the evidence log's checkpoints (peer hubs' base URLs).
    package var witnesses: [String] = []
    /// The verifier keys of the logs this hub witnesses (`POST /v1/log/witness`).
    package var witnessFor: [String] = []
    /// Reload the trust directory on SIGHUP (a process-wide signal: `truc serve` sets it; hubs built inside a
    /// test process do not, and reload through the admin API).
    package var reloadOnSIGHUP = false
    /// The clock of the holds on wrong tokens (tests move it by hand).
    package var clock = WallClock.system
    /// How revocation of document signers is decided (see docs/signatures.md "Revocation").
    package var revocation = RevocationSettings()

    package init(hubCode: String = "000.00.00.W00", host: String = "127.0.0.1", port: Int = 8443,
                 certificatePath: String, privateKeyPath: String, clientCAPath: String, trustDirectory: String,
                 dataDirectory: String = "./data", maxBodyBytes: Int = 64 << 20, operatorToken: String? = nil,
                 requireRevocationData: Bool = false, routing: RoutingTable = RoutingTable(), hopLimit: Int = 8,
                 retryPolicy: RetryPolicy = RetryPolicy(), deliveryPollSeconds: Double = 0.5) {
        self.hubCode = hubCode
        self.host = host
        self.port = port
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
        self.clientCAPath = clientCAPath
        self.trustDirectory = trustDirectory
        self.dataDirectory = dataDirectory
        self.maxBodyBytes = maxBodyBytes
        self.operatorToken = operatorToken
        self.requireRevocationData = requireRevocationData
        self.routing = routing
        self.hopLimit = hopLimit
        self.retryPolicy = retryPolicy
        self.deliveryPollSeconds = deliveryPollSeconds
    }
}

/// Revocation of document signers: sources, caching, and what an undecidable answer becomes.
package struct RevocationSettings: Sendable {
    package var mode: RevocationMode = .preferOCSP
    package var unknown: RevocationUnknownAction = .indeterminate
    /// Seconds an OCSP answer or fetched CRL is used before it is asked again.
    package var freshnessSeconds: Int64 = 3600
    /// How long one document's verification waits for the network, in seconds.
    package var budgetSeconds: Double = 3
    /// Time limit of one fetch, in seconds.
    package var fetchTimeoutSeconds: Double = 10
    /// OCSP/CRL address rewriting (`NetworkRevocation.Configuration.rewrites`).
    package var rewrites: [(from: String, to: String)] = []
    /// Fetch missing intermediates from caIssuers addresses (`NetworkRevocation.Configuration.fetchIssuers`).
    package var fetchIssuers = false
    package init() {}
}

/// The national SDK's dialect (VXP): where it is served, and this hub's identity towards VXP peer hubs.
package struct VXPSettings: Sendable {
    /// Path prefix of the nine operations, on the HTTPS listener and the plain one.
    package var prefix = "/XrdAdapter/adapter"
    /// A plain-HTTP listener serving only the VXP operations (SDK clients configured with `http://`, or
    /// behind a TLS-terminating proxy); nil: none. The HMAC authenticates the calls, but nothing hides them:
    /// bind it to loopback or a private network.
    package var plainHost: String?
    package var plainPort: Int?
    /// Whether the plain listener also serves the operations that change state (sendEdoc, updateStatus,
    /// registerAgency, deleteAgency). Off by default: captured plain-HTTP headers could be replayed.
    package var plainWrites = false
    /// This hub's system id and secret at VXP-dialect peer hubs.
    package var systemId: String?
    package var secret: String?
    /// How often VXP-dialect peer hubs are polled for messages, in seconds.
    package var pollSeconds: Double = 5

    package init() {}
}

/// Connection hygiene and admission limits.
package struct ConnectionLimits: Sendable {
    /// A connection with no request in progress is closed after this many seconds: idle keep-alive
    /// connections, TLS handshakes that never finish, request heads that never end (slowloris).
    package var idleTimeoutSeconds: Double = 30
    /// Open connections per listener; a connection beyond it is closed at once.
    package var maxConnections = 4_096
    /// Request-body bytes held at once across the hub; a body beyond it gets `503 busy`.
    package var maxBufferedBodyBytes = 256 << 20
    /// Messages waiting for a verification thread; beyond it intake answers `503 busy`.
    package var verifyQueueLimit = 64
    /// Wrong tokens one address may send in a minute before it is held back (`429 too-many-attempts`).
    package var wrongTokensPerMinute = 5
    /// Verification threads (default: one per core).
    package var verifyThreads = System.coreCount
    /// Time one document may take to decode its attachments and verify its signatures; past it, 422
    /// too-complex (a 20 MB document takes well under a second on this project's 2-core machine).
    package var workBudgetSeconds: Double = 20

    package init() {}
}

import TrucPostgres
import TrucServer
import TrucSignatures

/// One configuration key of `truc serve`. The catalogue (`ServeKeys.all`) is the only place a key is written:
/// the flag (`--NAME`), its environment variable, its type, its default, its help and whether it is a secret.
/// From it come the parsing of the flags, the environment lookup, the config file's unknown-key and wrong-type
/// checks, `--print-config`, `truc serve --help` and the table of `docs/configuration.md` (a test compares it).
struct ServeKey: Sendable {
    enum Kind: String, Sendable {
        case text, int, double, bool, list
    }

    let name: String
    let kind: Kind
    /// Its environment variable (keys without one come from flags and the config file only).
    let environment: String?
    /// What the flag's value is, in the help (`SECONDS`, `FILE`, …); nil for an on/off flag.
    let placeholder: String?
    /// The value used when no source gives one, written as a source would write it; nil when there is none
    /// (the feature is off) or when it is derived at start (the text says from what).
    let defaultValue: String?
    /// The default as the help, the docs and `--print-config` state it.
    let defaultText: String
    let help: String
    let secret: Bool
    /// For a number: the values the hub can use at all (a value outside, or not finite, is refused at start before
    /// anything is made: no setting can overflow the arithmetic it feeds). Narrower rules are checked where the
    /// setting is read.
    let range: ClosedRange<Double>?

    init(_ name: String, _ kind: Kind, env environment: String? = nil, _ placeholder: String? = nil, default value: String? = nil,
         shown: String? = nil, secret: Bool = false, range: ClosedRange<Double>? = nil, _ help: String) {
        self.name = name
        self.kind = kind
        self.environment = environment
        self.placeholder = placeholder ?? (kind == .bool ? nil : "VALUE")
        self.defaultValue = value
        self.defaultText = shown ?? value ?? "none"
        self.help = help
        self.secret = secret
        self.range = range
    }

    /// The flag's name: `--route` is repeated, its key `routes` a list.
    var flag: String { name == "routes" ? "route" : name }
}

/// Numbers as the docs write them: `30`, not `30.0`.
private func shown(_ value: Double) -> String { value == value.rounded() ? String(Int(value)) : String(value) }

enum ServeKeys {
    private static let limits = ConnectionLimits()
    private static let revocation = RevocationSettings()

    static let all: [ServeKey] = [
        ServeKey("host", .text, env: "TRUC_HOST", "ADDRESS", default: "127.0.0.1", "The address the HTTPS listener binds."),
        ServeKey("port", .int, env: "TRUC_PORT", "PORT", default: "8443", range: 0...65_535, "The port of the HTTPS listener."),
        ServeKey("data", .text, env: "TRUC_DATA_DIR", "DIR", default: "./data",
                 "The data directory: the SQLite store `truc.sqlite`, `payloads/`, the installation's PKI."),
        ServeKey("database", .text, env: "TRUC_DATABASE_URL", "URL", shown: "none: SQLite in the data directory", secret: true,
                 "`postgres://user:password@host:5432/db` runs the hub on PostgreSQL, shared by several nodes (docs/operating.md, \"Store\")."),
        ServeKey("node", .text, env: "TRUC_NODE", "NAME", shown: "the host name",
                 "This node's name in delivery leases; keep it stable across restarts."),
        ServeKey("database-pool", .int, env: "TRUC_DATABASE_POOL", "N", default: String(PostgresStore.defaultPoolSize), range: 0...1_000_000,
                 "On PostgreSQL, the connections a node opens at most; each write holds one until its commit is durable, so this bounds a node's concurrent intakes (nodes × pool must stay below the server's `max_connections`, 100 by default)."),
        ServeKey("delivery-lease", .int, env: "TRUC_DELIVERY_LEASE", "SECONDS", default: "60", range: 0...31_536_000,
                 "On PostgreSQL, how long a node holds a delivery it attempts before another node may take it over (at least 5); renewed every third of it while the attempt runs, so a slow attempt is never taken twice and a dead node's deliveries move within a minute."),
        ServeKey("tls-cert", .text, env: "TRUC_TLS_CERT", "PEM", shown: "DATA/pki/hub/server.chain.pem (made on first start)",
                 "The hub's certificate chain. The four PKI settings (`tls-cert`, `tls-key`, `client-ca`, `trust`) go together: all or none."),
        ServeKey("tls-key", .text, env: "TRUC_TLS_KEY", "PEM", shown: "DATA/pki/hub/server.key (made on first start)", "The hub's private key."),
        ServeKey("client-ca", .text, env: "TRUC_CLIENT_CA", "PEM", shown: "DATA/pki/hub/client-ca.pem (made on first start)",
                 "The CAs accepted for client certificates."),
        ServeKey("trust", .text, env: "TRUC_TRUST_DIR", "DIR", shown: "DATA/pki/trust (made on first start)",
                 "The trust directory: anchors and CRLs for signatures and client certificates; reloaded on SIGHUP."),
        ServeKey("hub-code", .text, env: "TRUC_HUB_CODE", "CODE", default: "000.00.00.W00", "This hub's own agency code."),
        ServeKey("max-body-bytes", .int, env: "TRUC_MAX_BODY_BYTES", "BYTES", default: String(64 << 20), range: 1_024...1_099_511_627_776, "The largest request body accepted (64 MiB)."),
        ServeKey("operator-token", .text, env: "TRUC_OPERATOR_TOKEN", "TOKEN", shown: "none: no operator access", secret: true,
                 "The operator's bearer token (16 characters or more); prefer the environment variable."),
        ServeKey("metrics-token", .text, env: "TRUC_METRICS_TOKEN", "TOKEN", shown: "none: /metrics with the operator token only", secret: true,
                 "A token (16 characters or more, not the operator's) that reads `/metrics` and nothing else, for Prometheus."),
        ServeKey("require-revocation", .bool, env: "TRUC_REQUIRE_REVOCATION", default: "false",
                 "A signer with no revocation source at all (no CRL for its issuer, no OCSP or CRL URL) is indeterminate; off, it counts as not revoked."),
        ServeKey("revocation-rewrite", .text, env: "TRUC_REVOCATION_REWRITE", "FROM=TO,…",
                 "OCSP and CRL URLs from certificates rewritten by prefix before fetching (`http://ocsp.ca.ptc=http://10.0.0.5:8080`: addresses that resolve only inside a government network); the verdict's revocation source names both; the rewritten address is still held to `allow-targets`. `truc verify --revocation-rewrite` too."),
        ServeKey("algorithm-policy", .text, env: "TRUC_ALGORITHM_POLICY", "FILE",
                 shown: "built in: SHA-1 and RSA < 2048 bits from 2014-01-01, MD5 from 2009-01-01",
                 "A JSON file of algorithm sunsets (docs/signatures.md, \"Algorithm policy\")."),
        ServeKey("signing-eku", .text, env: "TRUC_SIGNING_EKU", "OID,…", default: SigningEKU.defaultText,
                 "The extended key usages (dotted OIDs) that let a signer certificate carrying the extension sign documents: anyExtendedKeyUsage, emailProtection, MS document signing, documentSigning, Adobe ADT by default."),
        ServeKey("revocation", .text, env: "TRUC_REVOCATION", "prefer-ocsp|crl-only|offline", default: revocation.mode.rawValue,
                 "The revocation sources of document signers: OCSP, then fetched and file CRLs; fetched and file CRLs only; the trust directory's CRL files only."),
        ServeKey("revocation-unknown", .text, env: "TRUC_REVOCATION_UNKNOWN", "indeterminate|invalid|accept", default: revocation.unknown.rawValue,
                 "When sources exist but none answers in time: the signature is indeterminate, invalid (the document refused) or accepted."),
        ServeKey("revocation-freshness", .int, "SECONDS", default: String(revocation.freshnessSeconds), range: 1...31_536_000,
                 "How long an OCSP answer or a fetched CRL is used before it is asked again."),
        ServeKey("revocation-budget", .double, "SECONDS", default: shown(revocation.budgetSeconds), range: 0...3_600,
                 "How long one document's verification may wait for OCSP responders and CRL servers."),
        ServeKey("revocation-timeout", .double, "SECONDS", default: shown(revocation.fetchTimeoutSeconds), range: 0...3_600, "The time limit of one OCSP or CRL fetch."),
        ServeKey("routes", .list, "PATTERN=HUBCODE@URL",
                 "A peer-hub route, repeatable (config key `routes`: a list of the same strings); PATTERN: a code, PREFIX*, a level-1 code (H41) or a group letter (G); `HUB@vxp+URL` for a hub of the national SDK's dialect."),
        ServeKey("upstream", .text, env: "TRUC_UPSTREAM", "HUBCODE@URL", "The default upstream hub, for recipients no route names."),
        ServeKey("allow-targets", .text, env: "TRUC_ALLOW_TARGETS", "CIDR,…", shown: "none",
                 "Pushes, forwards, SDK upstream calls and OCSP/CRL fetches never connect to loopback, link-local (169.254.169.254 included), unspecified or multicast addresses; the ranges named here are allowed (e.g. `127.0.0.0/8,::1` for hubs and endpoints on one machine)."),
        ServeKey("fetch-ca-issuers", .bool, env: "TRUC_FETCH_CA_ISSUERS", default: "false",
                 "Fetch an intermediate a document does not carry from the caIssuers address of the certificate it issued (DER or PEM, at most 64 KB, 3 levels, cached per URL, rewritten and held to `allow-targets` like revocation fetches); a candidate only: the path must still reach an anchor. `truc verify --fetch-ca-issuers` too."),
        ServeKey("deny-private-targets", .bool, env: "TRUC_DENY_PRIVATE_TARGETS", default: "false",
                 "Also deny private ranges (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7) unless `allow-targets` names them; off, they are reachable, as government networks use them."),
        ServeKey("retry-attempts", .int, "N", default: "8", range: 1...1_000, "Delivery attempts before a delivery is dead."),
        ServeKey("retry-base", .double, "SECONDS", default: "2", range: 0...86_400, "The first retry delay; it doubles each attempt (±20 % jitter)."),
        ServeKey("retry-max", .double, "SECONDS", default: "600", range: 0...31_536_000, "The longest retry delay."),
        ServeKey("vxp-prefix", .text, env: "TRUC_VXP_PREFIX", "PATH", default: VXPSettings().prefix, "The path prefix of the national SDK's operations."),
        ServeKey("vxp-http", .text, env: "TRUC_VXP_HTTP", "HOST:PORT", shown: "none: the SDK's operations only on the HTTPS listener",
                 "Also serve the SDK's operations over plain HTTP (loopback or a private network)."),
        ServeKey("vxp-http-writes", .bool, env: "TRUC_VXP_HTTP_WRITES", default: "false",
                 "Let the plain-HTTP listener also serve sendEdoc, updateStatus, registerAgency and deleteAgency; off, it serves the SDK's reads only."),
        ServeKey("vxp-system", .text, env: "TRUC_VXP_SYSTEM", "ID", "This hub's systemid at VXP-dialect peer hubs (routes written `HUB@vxp+URL`)."),
        ServeKey("vxp-secret-file", .text, env: "TRUC_VXP_SECRET_FILE", "FILE", "The file holding this hub's secret at VXP-dialect peer hubs."),
        ServeKey("vxp-poll", .double, "SECONDS", default: shown(VXPSettings().pollSeconds), range: 0.01...86_400, "Seconds between polls of VXP-dialect peer hubs."),
        ServeKey("log-format", .text, env: "TRUC_LOG_FORMAT", "text|json", default: "text",
                 "`text`: swift-log's stream format; `json`: one object per line with `time`, `level`, `label`, `message`, `metadata`."),
        ServeKey("min-free-disk", .int, "BYTES", default: String(HubConfiguration.defaultMinFreeDiskBytes), range: 0...1_125_899_906_842_624,
                 "`/readyz` fails below this many bytes free in the data directory (256 MiB)."),
        ServeKey("idle-timeout", .double, "SECONDS", default: shown(limits.idleTimeoutSeconds), range: 0...86_400,
                 "A connection with no request in progress is closed (idle keep-alive, a TLS handshake or request head that never ends)."),
        ServeKey("max-connections", .int, "N", default: String(limits.maxConnections), range: 0...1_000_000,
                 "Open connections per listener; beyond it a new connection is closed at once."),
        ServeKey("max-buffered-bytes", .int, "BYTES", default: String(limits.maxBufferedBodyBytes), range: 0...1_099_511_627_776,
                 "Request-body bytes held at once across the hub; beyond it `503 busy` with `Retry-After`."),
        ServeKey("verify-queue", .int, "N", default: String(limits.verifyQueueLimit), range: 0...1_000_000,
                 "Messages waiting for a verification thread (one per core); beyond it `503 busy` with `Retry-After`."),
        ServeKey("work-budget", .double, "SECONDS", default: shown(limits.workBudgetSeconds), range: 0.001...86_400,
                 "CPU seconds one document may take to decode and verify, counted on the thread doing it (waiting for a core is not counted; ten times it in wall time ends the work anyway); past it `422 too-complex`."),
        ServeKey("refusal-retention-days", .int, "N", default: String(HubConfiguration.defaultRefusalRetentionDays), range: 0...36_500,
                 "Refusal records (and the validation data kept with them) are pruned after so many days."),
        ServeKey("payload-retention-days", .text, "N|off", default: "90",
                 "A message's payload is archived, then purged, so many days after the message is final (every delivery delivered, failed or dead); only with `archive-dir` (docs/operating.md, \"Retention and archives\")."),
        ServeKey("payload-retention-overrides", .text, "LIST",
                 "`AGENCY=DAYS,type:N=DAYS,…` (DAYS or `off`) per sender or recipient agency and per business type; the longest that applies wins."),
        ServeKey("archive-dir", .text, env: "TRUC_ARCHIVE_DIR", "DIR", shown: "none: nothing is purged",
                 "The directory archives are written to before payloads are purged: another volume (an NFS or object-store mount), not inside the data directory."),
        ServeKey("purge-interval", .int, "SECONDS", default: "3600", range: 0...1_000_000, "Seconds between archive-and-purge rounds (1 to 86400)."),
        ServeKey("checkpoint-interval", .int, "SECONDS", default: String(HubConfiguration.defaultCheckpointIntervalSeconds), range: 0...1_000_000,
                 "A signed checkpoint of the evidence log every so often, when it grew (1 to 86400)."),
        ServeKey("tsa-url", .text, env: "TRUC_TSA_URL", "URL", shown: "none: checkpoints are signed only",
                 "An RFC 3161 time-stamping authority (http or https) that time-stamps each checkpoint."),
        ServeKey("evidence-log", .text, "on|off", default: "on",
                 "`off` writes no event of the evidence log (only to measure what the log costs: `scripts/bench-log.sh`); the gap shows in `truc log verify`."),
        ServeKey("disk-forecast-days", .int, "N", default: String(HubConfiguration.defaultDiskForecastDays), range: 1...3_650,
                 "The storage forecast's alert (TrucDiskFullSoon) and dashboard threshold: days until the data volume is full at the last week's rate."),
        ServeKey("witnesses", .text, env: "TRUC_WITNESSES", "URL,…",
                 "Peer hubs (https base URLs) asked to cosign each new checkpoint, reached with the hub's certificate."),
        ServeKey("witness-for", .text, env: "TRUC_WITNESS_FOR", "KEY,…",
                 "The log keys (`GET /v1/log/key` of each) of the peer hubs whose logs this hub witnesses."),
    ]

    static let byName: [String: ServeKey] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })
    static let byFlag: [String: ServeKey] = Dictionary(uniqueKeysWithValues: all.map { ($0.flag, $0) })

    static func key(_ name: String) -> ServeKey {
        guard let key = byName[name] else { preconditionFailure("\(name) is not a key of the catalogue") }
        return key
    }
}

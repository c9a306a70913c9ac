import Foundation
package import Logging
import PostgresNIO
package import TrucCore
import TrucCrypto
import TrucLog
package import TrucStore
package import TrucConcurrency

/// The store of several hub nodes: PostgreSQL through a `PostgresClient` pool (no ORM), every role of
/// `MessageStore` behind the same protocols as `SQLiteStore`, checked by the same conformance tests.
///
/// Every write commits before it returns (the server's `synchronous_commit` is left on; the connection sets
/// it explicitly). Secrets of client systems are sealed with the `secrets.key` given, which every node needs
/// (the database alone does not reveal them).
package actor PostgresStore {
    /// The pool. Queries go through `client` (under a deadline); transactions through `transaction`.
    let pool: PostgresClient
    /// Every single statement under `transactionDeadline` (see `deadlines`), its rows collected within it.
    nonisolated var client: GuardedClient { GuardedClient(pool: pool, deadline: transactionDeadline, deadlines: deadlines) }
    /// The calls under way and their deadlines (one sweeper, not a timer per statement).
    nonisolated let deadlines = DeadlineWatch()
    let logger: Logger
    private let runner: Task<Void, Never>
    /// Raised by `NOTIFY truc_deliveries` from any node (see `listenForDeliveries`).
    package nonisolated let deliveryWork: WorkSignal? = WorkSignal()
    private var listener: Task<Void, Never>?
    /// The channel a commit that makes deliveries due notifies.
    static let deliveryChannel = "truc_deliveries"
    /// The channel every change to agencies or tokens notifies at its commit (schema version 7).
    static let directoryChannel = "truc_directory"
    /// Agencies, credentials and the directory's version, kept while this node listens (see `PostgresDirectoryCache`).
    nonisolated let directoryCache = PostgresDirectoryCache()
    private let secretsKeyPath: String
    /// The directory of `secrets.key`: this node's local files.
    nonisolated let localDirectory: String
    private var sealingKey: SecretBox?
    /// This node's name in delivery leases (stable across restarts: its own in-flight deliveries are resumed).
    package let node: String
    /// How long a claimed delivery stays this node's before another node may take it over.
    package let leaseSeconds: Int64

    /// Connects (`postgres://user[:password]@host[:port]/database`, TLS off unless `?sslmode=require`), starts
    /// the pool and applies the schema migrations.
    /// Connections a node opens to PostgreSQL at most, by default. Every request that writes holds one until
    /// its commit is durable, so the pool bounds a node's concurrent intakes: with a commit taking a few
    /// milliseconds to reach the disk, 20 (the driver's default) capped status messages near 1,000/s.
    package static let defaultPoolSize = 32

    package init(url: String, secretsKey: String, node: String = ProcessInfo.processInfo.hostName, leaseSeconds: Int64 = 60,
                 poolSize: Int = PostgresStore.defaultPoolSize, logger: Logger = Logger(label: "truc.postgres")) async throws {
        self.node = node
        self.leaseSeconds = leaseSeconds
        var configuration = try Self.configuration(url)
        configuration.options.additionalStartupParameters = [("synchronous_commit", "on"), ("application_name", "truc")]
        configuration.options.maximumConnections = max(2, poolSize)
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.pool = client
        self.logger = logger
        self.secretsKeyPath = secretsKey
        self.localDirectory = (secretsKey as NSString).deletingLastPathComponent
        runner = Task { await client.run() }
        do {
            try await PostgresSchema.migrate(client, logger: logger)
        } catch {
            runner.cancel()
            throw error
        }
    }

    /// Starts listening on `truc_deliveries` and `truc_directory` on a connection of its own (taken from the pool
    /// for as long as the node runs; re-established after a failure). Each delivery notification — and each
    /// (re)connection, since notifications sent meanwhile are lost — raises `deliveryWork`; while the connection
    /// listens, agencies and credentials are kept in `directoryCache`, forgotten at every directory notification
    /// and whenever the connection is lost. For nodes that serve (`truc serve`).
    package func listenForDeliveries() {
        guard listener == nil, let signal = deliveryWork else { return }
        let client = pool, logger = logger, cache = directoryCache
        listener = Task {
            while !Task.isCancelled {
                do {
                    try await client.withConnection { connection in
                        try await connection.listen(on: Self.deliveryChannel) { deliveries in
                            try await connection.listen(on: Self.directoryChannel) { directory in
                                cache.setLive(true)
                                defer { cache.setLive(false) }
                                signal.raise()
                                try await withThrowingTaskGroup(of: Void.self) { group in
                                    group.addTask { for try await _ in deliveries { signal.raise() } }
                                    group.addTask { for try await _ in directory { cache.forget() } }
                                    // Either sequence ending means the connection no longer listens.
                                    _ = try await group.next()
                                    group.cancelAll()
                                }
                            }
                        }
                    }
                } catch {
                    if Task.isCancelled { break }
                    logger.notice("LISTEN lost; listening again", metadata: ["error": "\(error)"])
                }
                cache.setLive(false)
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// Stops the pool (its connections close).
    package func shutdown() async {
        listener?.cancel()
        if let listener { _ = await listener.value }
        runner.cancel()
        _ = await runner.value
        deadlines.stop()
    }

    static func configuration(_ url: String) throws -> PostgresClient.Configuration {
        guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme ?? ""),
              let host = components.host, !host.isEmpty else {
            throw PostgresStoreError.badURL("a PostgreSQL URL looks like postgres://user:password@host:5432/database")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        let tls: PostgresClient.Configuration.TLS
        switch components.queryItems?.first(where: { $0.name == "sslmode" })?.value ?? "disable" {
        case "disable": tls = .disable
        case "require", "verify-full": tls = .require(.makeClientConfiguration())
        case "prefer": tls = .prefer(.makeClientConfiguration())
        case let other: throw PostgresStoreError.badURL("sslmode \(other) is not supported (disable, prefer, require)")
        }
        return PostgresClient.Configuration(host: host, port: components.port ?? 5432, username: components.user ?? "postgres",
                                            password: components.password, database: database.isEmpty ? nil : database, tls: tls)
    }

    /// A transaction; the closure's own error (not PostgresNIO's wrapper) reaches the caller. Given up after
    /// `transactionDeadline`: a lost query answers `PostgresStoreError.timeout` (an outage: 503) instead of
    /// never — a request never answered, a graceful shutdown never finished.
    func transaction<Result: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> Result) async throws -> Result {
        let client = pool, logger = logger
        return try await deadlines.run(transactionDeadline, expired: { [limit = transactionDeadline] in PostgresStoreError.timeout(limit) }) {
            do {
                return try await client.withTransaction(logger: logger) { connection in try await body(connection) }
            } catch let error as PostgresTransactionError {
                if let closureError = error.closureError { throw closureError }
                throw error
            }
        }
    }

    /// How long a transaction may take before the caller is answered with a timeout (an outage: `503`).
    nonisolated var transactionDeadline: Duration { .seconds(30) }

    static func now() -> Int64 { Int64(Date().timeIntervalSince1970) }
    static func tokenHash(_ token: String) -> String { Digest.sha256(Array(token.utf8)).hexString }

    typealias AgencyColumns = (String, String, String?, String?, String?, String?, Bool)
    static let agencyColumns = "code, name, parent, cert_identifier, cert_sha256, push_url, relay"
    static func agency(_ c: AgencyColumns) -> Agency {
        Agency(code: c.0, name: c.1, parent: c.2, certificateIdentifier: c.3, certificateSHA256: c.4, pushURL: c.5, relay: c.6)
    }

    func agencies(_ query: PostgresQuery) async throws -> [Agency] {
        let rows = try await client.query(query, logger: logger)
        var result: [Agency] = []
        for try await columns in rows.decode(AgencyColumns.self) { result.append(Self.agency(columns)) }
        return result
    }
}

// MARK: DirectoryStore

extension PostgresStore: DirectoryStore, CredentialStore, ClientSystemStore {
    package func agency(_ code: String) async throws -> Agency? {
        if let kept = directoryCache.agency(code) { return kept }
        let ticket = directoryCache.ticket()
        let agency = try await client.execute(AgencyStatement(code: code), logger: logger).first.map(Self.agency)
        directoryCache.keep(agency: agency, for: code, ticket: ticket)
        return agency
    }

    package func agencies() async throws -> [Agency] {
        try await agencies("SELECT code, name, parent, cert_identifier, cert_sha256, push_url, relay FROM agencies ORDER BY code")
    }

    package func upsert(_ agency: Agency) async throws {
        defer { directoryCache.forget() } // this node's change, before its notification comes back
        let now = Self.now()
        let retargeted = try await transaction { connection -> Bool in
            var stored: Agency?
            for try await c in try await connection.query("SELECT \(unescaped: Self.agencyColumns) FROM agencies WHERE code = \(agency.code) FOR UPDATE",
                                                           logger: self.logger).decode(AgencyColumns.self) { stored = Self.agency(c) }
            let before: String?? = stored.map { $0.pushURL }
            if stored != agency { try await Self.logAgencyChange(agency, by: nil, on: connection, logger: self.logger) }
            try await Self.logDirectoryChange(code: agency.code, name: agency.name, parent: agency.parent, deleted: false, on: connection, logger: self.logger)
            try await connection.query("""
                INSERT INTO agencies(code, name, parent, cert_identifier, cert_sha256, push_url, relay, created_at)
                VALUES (\(agency.code), \(agency.name), \(agency.parent), \(agency.certificateIdentifier), \(agency.certificateSHA256),
                        \(agency.pushURL), \(agency.relay), \(now))
                ON CONFLICT(code) DO UPDATE SET name = excluded.name, parent = excluded.parent, cert_identifier = excluded.cert_identifier,
                  cert_sha256 = excluded.cert_sha256, push_url = excluded.push_url, relay = excluded.relay
                """, logger: self.logger)
            // The agency's waiting deliveries follow a change of how it takes delivery (see SQLiteStore.retarget).
            guard let previous = before, previous != agency.pushURL else { return false }
            if let url = agency.pushURL {
                try await connection.query("""
                    UPDATE deliveries SET state = 'queued', target = \(url), next_attempt_at = \(now), updated_at = \(now)
                    WHERE recipient = \(agency.code) AND state IN ('awaiting-pull', 'queued', 'waiting-retry')
                    """, logger: self.logger)
                try await connection.query("""
                    UPDATE deliveries SET target = \(url) WHERE recipient = \(agency.code) AND state = 'dead' AND target IS NOT NULL
                    """, logger: self.logger)
            } else {
                try await connection.query("""
                    UPDATE deliveries SET state = 'awaiting-pull', target = NULL, next_attempt_at = NULL, updated_at = \(now), claimed_by = NULL, lease_until = NULL
                    WHERE recipient = \(agency.code) AND state IN ('queued', 'sending', 'waiting-retry')
                    """, logger: self.logger)
            }
            return agency.pushURL != nil
        }
        if retargeted { try await notifyDeliveries() }
    }

    @discardableResult
    package func removeAgency(_ code: String) async throws -> Bool {
        defer { directoryCache.forget() } // this node's change, before its notification comes back
        return try await transaction { connection in
            try await Self.remove(code, by: nil, on: connection, logger: self.logger)
        }
    }

    /// The evidence log's `agency-changed` event (`by`: the client system that registered it, nil for an operator).
    static func logAgencyChange(_ agency: Agency, by system: String?, on connection: PostgresConnection, logger: Logger) async throws {
        var details = LogEvent.agencyDetails(code: agency.code, name: agency.name, parent: agency.parent,
                                             certificateIdentifier: agency.certificateIdentifier, certificateSHA256: agency.certificateSHA256,
                                             pushURL: agency.pushURL, relay: agency.relay)
        details["system"] = system.map { .string($0) }
        try await logOperator("agency-changed", details, on: connection, logger: logger)
    }

    /// Removes an agency and its tokens in a transaction (`by`: the client system that asked).
    static func remove(_ code: String, by system: String?, on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        var existing: (String, String?)?
        for try await row in try await connection.query("SELECT name, parent FROM agencies WHERE code = \(code) FOR UPDATE", logger: logger)
            .decode((String, String?).self) { existing = row }
        guard let existing else { return false }
        try await connection.query("DELETE FROM tokens WHERE agency = \(code)", logger: logger)
        try await logDirectoryChange(code: code, name: existing.0, parent: existing.1, deleted: true, on: connection, logger: logger)
        try await connection.query("DELETE FROM agencies WHERE code = \(code)", logger: logger)
        try await logOperator("agency-removed", ["agency": .string(code), "system": system.map { .string($0) }], on: connection, logger: logger)
        return true
    }

    static func logDirectoryChange(code: String, name: String, parent: String?, deleted: Bool, on connection: PostgresConnection,
                                   logger: Logger) async throws {
        try await connection.query("""
            INSERT INTO directory_log(code, name, parent, deleted, at) VALUES (\(code), \(name), \(parent), \(deleted), \(now()))
            """, logger: logger)
    }

    package func issueToken(for code: String) async throws -> String {
        try await issue(prefix: "truc_", role: "agency", for: code)
    }

    package func issueViewerToken(for code: String) async throws -> String {
        try await issue(prefix: "trucv_", role: "viewer", for: code)
    }

    private func issue(prefix: String, role: String, for code: String) async throws -> String {
        defer { directoryCache.forget() } // this node's change, before its notification comes back
        guard try await agency(code) != nil else { throw StoreError.notFound("no agency \(code)") }
        let token = prefix + (try secureRandomBytes(32)).hexString
        let hash = Self.tokenHash(token), now = Self.now()
        do {
            try await transaction { connection in
                try await connection.query("INSERT INTO tokens(token_hash, agency, role, created_at) VALUES (\(hash), \(code), \(role), \(now))", logger: self.logger)
                try await Self.logOperator("token-issued", ["agency": .string(code), "role": .string(role), "credential": .string(hash)],
                                           on: connection, logger: self.logger)
            }
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23503" {
            throw StoreError.notFound("no agency \(code)") // removed meanwhile (foreign key)
        }
        return token
    }

    package func revokeTokens(of code: String, role: String?) async throws -> Int {
        defer { directoryCache.forget() } // this node's change, before its notification comes back
        return try await transaction { connection in
            var exists = false
            for try await _ in try await connection.query("SELECT 1 FROM agencies WHERE code = \(code)", logger: self.logger).decode(Int.self) { exists = true }
            guard exists else { throw StoreError.notFound("no agency \(code)") }
            var revoked = 0
            for try await _ in try await connection.query("""
                DELETE FROM tokens WHERE agency = \(code) AND (\(role)::text IS NULL OR role = \(role)) RETURNING 1
                """, logger: self.logger).decode(Int.self) { revoked += 1 }
            if revoked > 0 {
                try await Self.logOperator("tokens-revoked", ["agency": .string(code), "role": role.map { .string($0) }, "count": .integer(Int64(revoked))],
                                           on: connection, logger: self.logger)
            }
            return revoked
        }
    }

    package func credential(forToken token: String) async throws -> (agency: Agency, role: String)? {
        let hash = Self.tokenHash(token)
        if let kept = directoryCache.credential(hash) { return (kept.agency, kept.role) }
        let ticket = directoryCache.ticket()
        guard let c = try await client.execute(CredentialStatement(tokenHash: hash), logger: logger).first else { return nil }
        let credential = PostgresDirectoryCache.Credential(agency: Self.agency((c.0, c.1, c.2, c.3, c.4, c.5, c.6)), role: c.7)
        directoryCache.keep(credential: credential, for: hash, ticket: ticket)
        return (credential.agency, credential.role)
    }

    package func agency(forCertificateSHA256 fingerprint: String, identifiers: [String]) async throws -> Agency? {
        if let pinned = try await agencies("SELECT code, name, parent, cert_identifier, cert_sha256, push_url, relay FROM agencies WHERE cert_sha256 = \(fingerprint)").first {
            return pinned
        }
        for identifier in identifiers {
            let matches = try await agencies("""
                SELECT code, name, parent, cert_identifier, cert_sha256, push_url, relay FROM agencies
                WHERE cert_identifier = \(identifier) AND cert_sha256 IS NULL
                """)
            if matches.count == 1 { return matches[0] }
        }
        return nil
    }

    package func system(_ id: String) async throws -> (ClientSystem, secret: [UInt8])? {
        var found: (String, [UInt8], Int64, Bool)?
        for try await row in try await client.query("SELECT name, secret, created_at, directory_changes FROM systems WHERE id = \(id)", logger: logger)
            .decode((String, ByteBuffer, Int64, Bool).self) {
            found = (row.0, Array(row.1.readableBytesView), row.2, row.3)
        }
        guard let found else { return nil }
        let secret = try secretBox().open(found.1)
        return (ClientSystem(id: id, name: found.0, agencies: try await systemAgencies(id), createdAt: found.2, directoryChanges: found.3), secret)
    }

    /// Registers a client system (or replaces it): the same contract as `SQLiteStore.addSystem`.
    package func addSystem(id: String, name: String, agencies: [String], secret: String? = nil, directoryChanges: Bool = false) async throws -> String {
        guard ClientSystem.isValidId(id) else { throw StoreError.invalid("a systemid is 1–64 letters, digits, '.', '-' or '_'") }
        for code in agencies where try await agency(code) == nil { throw StoreError.notFound("no agency \(code)") }
        let plain = try secret ?? ("vxp_" + secureRandomBytes(24).hexString)
        guard !plain.isEmpty else { throw StoreError.invalid("the secret is empty") }
        let sealed = ByteBuffer(bytes: try secretBox().seal(Array(plain.utf8)))
        let now = Self.now()
        try await transaction { connection in
            for code in agencies {
                for try await owner in try await connection.query("SELECT system_id FROM system_agencies WHERE agency = \(code) FOR UPDATE", logger: self.logger)
                    .decode(String.self) where owner != id {
                    throw StoreError.conflict("agency \(code) already belongs to system \(owner)")
                }
            }
            try await connection.query("""
                INSERT INTO systems(id, name, secret, created_at, directory_changes) VALUES (\(id), \(name), \(sealed), \(now), \(directoryChanges))
                ON CONFLICT(id) DO UPDATE SET name = excluded.name, secret = excluded.secret, directory_changes = excluded.directory_changes
                """, logger: self.logger)
            try await connection.query("DELETE FROM system_agencies WHERE system_id = \(id)", logger: self.logger)
            for code in agencies {
                try await connection.query("INSERT INTO system_agencies(agency, system_id, created_at) VALUES (\(code), \(id), \(now))", logger: self.logger)
            }
            try await Self.logOperator("system-changed", ["system": .string(id), "name": .string(name), "agencies": .strings(agencies),
                                                          "credential": .string(Digest.sha256(Array(plain.utf8)).hexString),
                                                          "directoryChanges": directoryChanges ? .string("yes") : nil], on: connection, logger: self.logger)
        }
        return plain
    }

    package func systems() async throws -> [ClientSystem] {
        var rows: [(String, String, Int64, Bool)] = []
        for try await r in try await client.query("SELECT id, name, created_at, directory_changes FROM systems ORDER BY id", logger: logger)
            .decode((String, String, Int64, Bool).self) { rows.append(r) }
        var result: [ClientSystem] = []
        for r in rows {
            result.append(ClientSystem(id: r.0, name: r.1, agencies: try await systemAgencies(r.0), createdAt: r.2, directoryChanges: r.3))
        }
        return result
    }

    @discardableResult
    package func removeSystem(_ id: String) async throws -> Bool {
        try await transaction { connection in
            try await connection.query("DELETE FROM system_agencies WHERE system_id = \(id)", logger: self.logger)
            var removed = false
            for try await _ in try await connection.query("DELETE FROM systems WHERE id = \(id) RETURNING id", logger: self.logger).decode(String.self) {
                removed = true
            }
            if removed { try await Self.logOperator("system-removed", ["system": .string(id)], on: connection, logger: self.logger) }
            return removed
        }
    }

    package func vxpHeaderFirstUse(hash: String, system: String, operation: String, at time: Int64) async throws -> String {
        let key = hash.lowercased()
        // The insert wins, or waits for the transaction that wins and does nothing; a second statement (a new
        // snapshot) then reads the winner — one statement would not see a row committed while it waited.
        for try await mine in try await client.query("""
            INSERT INTO vxp_headers(hash, system_id, operation, first_at) VALUES (\(key), \(system), \(operation), \(time))
            ON CONFLICT DO NOTHING RETURNING operation
            """, logger: logger).decode(String.self) {
            return mine
        }
        for try await first in try await client.query("SELECT operation FROM vxp_headers WHERE hash = \(key)", logger: logger).decode(String.self) {
            return first
        }
        return operation
    }

    package func directoryChanges() async throws -> [DirectoryChange] {
        let rows = try await client.query("""
            SELECT DISTINCT ON (code) code, name, parent, deleted, at, seq FROM directory_log ORDER BY code, seq DESC
            """, logger: logger)
        var changes: [DirectoryChange] = []
        for try await c in rows.decode((String, String, String?, Bool, Int64, Int64).self) {
            changes.append(DirectoryChange(code: c.0, name: c.1, parent: c.2, deleted: c.3, at: c.4, version: c.5))
        }
        return changes
    }

    package func registerAgency(_ agency: Agency, mail: String?, for system: String) async throws {
        defer { directoryCache.forget() } // this node's change, before its notification comes back
        let now = Self.now()
        try await transaction { connection in
            var owner: String?
            for try await o in try await connection.query("SELECT system_id FROM system_agencies WHERE agency = \(agency.code) FOR UPDATE", logger: self.logger)
                .decode(String.self) { owner = o }
            if let owner {
                guard owner == system else { throw StoreError.conflict("agency \(agency.code) belongs to another system") }
            } else {
                var exists = false
                for try await _ in try await connection.query("SELECT 1 FROM agencies WHERE code = \(agency.code)", logger: self.logger).decode(Int.self) { exists = true }
                if exists { throw StoreError.conflict("agency \(agency.code) is registered at this hub and not bound to system \(system)") }
            }
            try await Self.logDirectoryChange(code: agency.code, name: agency.name, parent: agency.parent, deleted: false, on: connection, logger: self.logger)
            try await connection.query("""
                INSERT INTO agencies(code, name, parent, mail, relay, created_at) VALUES (\(agency.code), \(agency.name), \(agency.parent), \(mail), false, \(now))
                ON CONFLICT(code) DO UPDATE SET name = excluded.name, parent = excluded.parent, mail = excluded.mail
                """, logger: self.logger)
            try await connection.query("""
                INSERT INTO system_agencies(agency, system_id, created_at) VALUES (\(agency.code), \(system), \(now)) ON CONFLICT DO NOTHING
                """, logger: self.logger)
            try await Self.logAgencyChange(agency, by: system, on: connection, logger: self.logger)
        }
    }

    package func deleteAgency(_ code: String, for system: String) async throws -> Bool {
        defer { directoryCache.forget() } // this node's change, before its notification comes back
        return try await transaction { connection in
            var owner: String?
            for try await o in try await connection.query("SELECT system_id FROM system_agencies WHERE agency = \(code) FOR UPDATE", logger: self.logger)
                .decode(String.self) { owner = o }
            guard let owner else {
                var exists = false
                for try await _ in try await connection.query("SELECT 1 FROM agencies WHERE code = \(code)", logger: self.logger).decode(Int.self) { exists = true }
                if exists { throw StoreError.conflict("agency \(code) is not bound to system \(system)") }
                return false
            }
            guard owner == system else { throw StoreError.conflict("agency \(code) belongs to another system") }
            try await connection.query("DELETE FROM system_agencies WHERE agency = \(code)", logger: self.logger)
            return try await Self.remove(code, by: system, on: connection, logger: self.logger)
        }
    }

    package func directory() async throws -> [(agency: Agency, mail: String?, system: String?, createdAt: Int64)] {
        let rows = try await client.query("""
            SELECT a.code, a.name, a.parent, a.cert_identifier, a.cert_sha256, a.push_url, a.relay, a.mail, s.system_id, a.created_at
            FROM agencies a LEFT JOIN system_agencies s ON s.agency = a.code ORDER BY a.code
            """, logger: logger)
        var result: [(agency: Agency, mail: String?, system: String?, createdAt: Int64)] = []
        for try await c in rows.decode((String, String, String?, String?, String?, String?, Bool, String?, String?, Int64).self) {
            result.append((Self.agency((c.0, c.1, c.2, c.3, c.4, c.5, c.6)), c.7, c.8, c.9))
        }
        return result
    }

    package func directoryVersion() async throws -> String {
        let rows = try await client.query("""
            SELECT (SELECT value FROM meta WHERE key = 'directory_version'), (SELECT COUNT(*) FROM stat_agencies)
            """, logger: logger)
        for try await (version, counted) in rows.decode((Int64, Int64).self) { return "\(version)/\(counted)" }
        return "0/0"
    }

    package func agenciesVersion() async throws -> Int64 {
        if let kept = directoryCache.version() { return kept }
        let ticket = directoryCache.ticket()
        var version: Int64 = 0
        for try await value in try await client.query("SELECT value FROM meta WHERE key = 'directory_version'", logger: logger).decode(Int64.self) {
            version = value
        }
        directoryCache.keep(version: version, ticket: ticket)
        return version
    }

    private func systemAgencies(_ id: String) async throws -> [String] {
        var codes: [String] = []
        for try await code in try await client.query("SELECT agency FROM system_agencies WHERE system_id = \(id) ORDER BY agency", logger: logger)
            .decode(String.self) { codes.append(code) }
        return codes
    }

    /// The key that seals secrets (`secrets.key`, created with mode 0600 when missing; every node shares it).
    func secretBox() throws -> SecretBox {
        if let sealingKey { return sealingKey }
        let box = try SecretBox.loadOrCreate(keyFile: secretsKeyPath)
        sealingKey = box
        return box
    }
}


/// A statement run under a deadline (see `PostgresStore.deadlines`), its rows read within it: a query lost by
/// the driver on a connection the server just closed answers `PostgresStoreError.timeout` instead of never.
struct GuardedClient: Sendable {
    let pool: PostgresClient
    let deadline: Duration
    let deadlines: DeadlineWatch

    @discardableResult
    func query(_ query: PostgresQuery, logger: Logger) async throws -> CollectedRows {
        let pool = pool
        return try await deadlines.run(deadline, expired: { [deadline] in PostgresStoreError.timeout(deadline) }) {
            var rows: [PostgresRow] = []
            for try await row in try await pool.query(query, logger: logger) { rows.append(row) }
            return CollectedRows(rows: rows)
        }
    }
}

/// Rows already read, as the async sequence postgres-nio's `decode` works on.
struct CollectedRows: AsyncSequence, Sendable {
    typealias Element = PostgresRow
    let rows: [PostgresRow]

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: IndexingIterator<[PostgresRow]>
        mutating func next() async throws -> PostgresRow? { base.next() }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: rows.makeIterator()) }
}

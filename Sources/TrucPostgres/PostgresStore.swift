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
    let secretsKeyPath: String
    /// The directory of `secrets.key`: this node's local files.
    nonisolated let localDirectory: String
    var sealingKey: SecretBox?
    /// This node's name in delivery leases (stable across restarts: its own in-flight deliveries are resumed).
    package let node: String
    /// How long a claimed delivery stays this node's before another node may take it over.
    package let leaseSeconds: Int64
    /// The time the store writes (leases, claims, sessions, pauses): the system's clock, or a test's.
    nonisolated let clock: WallClock

    /// Connects (`postgres://user[:password]@host[:port]/database`, TLS off unless `?sslmode=require`), starts
    /// the pool and applies the schema migrations.
    /// Connections a node opens to PostgreSQL at most, by default. Every request that writes holds one until
    /// its commit is durable, so the pool bounds a node's concurrent intakes: with a commit taking a few
    /// milliseconds to reach the disk, 20 (the driver's default) capped status messages near 1,000/s.
    package static let defaultPoolSize = 32

    package init(url: String, secretsKey: String, node: String = ProcessInfo.processInfo.hostName, leaseSeconds: Int64 = 60,
                 poolSize: Int = PostgresStore.defaultPoolSize, clock: WallClock = .system,
                 logger: Logger = Logger(label: "truc.postgres")) async throws {
        self.node = node
        self.clock = clock
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

    nonisolated func now() -> Int64 { Int64(clock.now()) }
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

import Logging
import PostgresNIO

/// The PostgreSQL schema, versioned like the SQLite one (`TrucStore.Migrations`): each step is applied once, in
/// a transaction, under an advisory lock (several nodes may start at once), and recorded in `truc_schema`. A
/// database whose schema is newer than this code is refused: an older node must not write to it.
enum PostgresSchema {
    /// The lock every node takes while migrating (an arbitrary constant: "truc" in ASCII).
    static let migrationLock: Int64 = 0x7472_7563

    static let steps: [[String]] = [
        // 1: the SQLite schema as of its version 13, in PostgreSQL's types; payloads in chunked rows; delivery
        // leases (claimed_by, lease_until) for several nodes.
        [
            """
            CREATE TABLE agencies(
              code TEXT PRIMARY KEY, name TEXT NOT NULL, parent TEXT, cert_identifier TEXT, cert_sha256 TEXT, push_url TEXT,
              relay BOOLEAN NOT NULL DEFAULT false, mail TEXT, created_at BIGINT NOT NULL)
            """,
            "CREATE INDEX agencies_cert_sha256 ON agencies(cert_sha256)",
            "CREATE INDEX agencies_cert_identifier ON agencies(cert_identifier)",
            """
            CREATE TABLE tokens(
              token_hash TEXT PRIMARY KEY, agency TEXT NOT NULL REFERENCES agencies(code) ON DELETE CASCADE, role TEXT NOT NULL DEFAULT 'agency',
              created_at BIGINT NOT NULL)
            """,
            """
            CREATE TABLE messages(
              id TEXT PRIMARY KEY, kind TEXT NOT NULL, sender TEXT NOT NULL, document_id TEXT, idempotency_key TEXT NOT NULL UNIQUE,
              received_at BIGINT NOT NULL, size BIGINT NOT NULL, sha256 TEXT NOT NULL, payload TEXT NOT NULL, verdict TEXT NOT NULL,
              bucket TEXT NOT NULL, business_type INTEGER, status_code TEXT, answers_document_id TEXT, answer TEXT NOT NULL,
              via TEXT NOT NULL DEFAULT '', due_date TEXT)
            """,
            "CREATE INDEX messages_answers ON messages(answers_document_id)",
            "CREATE INDEX messages_document ON messages(document_id)",
            "CREATE INDEX messages_received ON messages(received_at)",
            "CREATE TABLE payload_chunks(message_id TEXT NOT NULL, seq INTEGER NOT NULL, bytes BYTEA NOT NULL, PRIMARY KEY(message_id, seq))",
            """
            CREATE TABLE deliveries(
              id BIGSERIAL PRIMARY KEY, message_id TEXT NOT NULL REFERENCES messages(id), recipient TEXT NOT NULL, kind TEXT NOT NULL,
              state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, delivered_at BIGINT, how TEXT, reason TEXT, updated_at BIGINT NOT NULL,
              target TEXT, next_attempt_at BIGINT, progress TEXT, progress_at BIGINT, claimed_by TEXT, lease_until BIGINT,
              UNIQUE(message_id, recipient))
            """,
            "CREATE INDEX deliveries_inbox ON deliveries(recipient, state, id)",
            "CREATE INDEX deliveries_due ON deliveries(state, next_attempt_at)",
            "CREATE INDEX deliveries_delivered ON deliveries(delivered_at) WHERE delivered_at IS NOT NULL",
            """
            CREATE TABLE daily_sender(
              day TEXT NOT NULL, sender TEXT NOT NULL, business_type INTEGER NOT NULL, bucket TEXT NOT NULL, count BIGINT NOT NULL,
              PRIMARY KEY(day, sender, business_type, bucket))
            """,
            "CREATE INDEX daily_sender_agency ON daily_sender(sender, day, business_type, bucket, count)",
            """
            CREATE TABLE daily_pair(
              day TEXT NOT NULL, sender TEXT NOT NULL, recipient TEXT NOT NULL, business_type INTEGER NOT NULL, bucket TEXT NOT NULL,
              count BIGINT NOT NULL, PRIMARY KEY(day, sender, recipient, business_type, bucket))
            """,
            "CREATE INDEX daily_pair_sender ON daily_pair(sender, day, business_type, bucket, count)",
            "CREATE INDEX daily_pair_recipient ON daily_pair(recipient, sender, day, business_type, bucket, count)",
            """
            CREATE TABLE daily_signer(
              day TEXT NOT NULL, agency TEXT NOT NULL, kind TEXT NOT NULL, certificate TEXT NOT NULL, PRIMARY KEY(day, agency, kind, certificate))
            """,
            "CREATE INDEX daily_signer_agency ON daily_signer(agency, day)",
            """
            CREATE TABLE daily_total(
              day TEXT NOT NULL, business_type INTEGER NOT NULL, bucket TEXT NOT NULL, count BIGINT NOT NULL, PRIMARY KEY(day, business_type, bucket))
            """,
            "CREATE TABLE stat_agencies(code TEXT PRIMARY KEY)",
            "CREATE TABLE systems(id TEXT PRIMARY KEY, name TEXT NOT NULL, secret BYTEA NOT NULL, directory_changes BOOLEAN NOT NULL DEFAULT false, created_at BIGINT NOT NULL)",
            "CREATE TABLE system_agencies(agency TEXT PRIMARY KEY, system_id TEXT NOT NULL, created_at BIGINT NOT NULL)",
            "CREATE INDEX system_agencies_system ON system_agencies(system_id)",
            "CREATE TABLE meta(key TEXT PRIMARY KEY, value BIGINT NOT NULL)",
            "INSERT INTO meta VALUES ('directory_version', 0)",
            """
            CREATE FUNCTION truc_directory_changed() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN UPDATE meta SET value = value + 1 WHERE key = 'directory_version'; RETURN NULL; END $$
            """,
            "CREATE TRIGGER agencies_changed AFTER INSERT OR UPDATE OR DELETE ON agencies FOR EACH ROW EXECUTE FUNCTION truc_directory_changed()",
            "CREATE TABLE paused(code TEXT PRIMARY KEY, since BIGINT NOT NULL)",
            """
            CREATE TABLE refused_keys(key TEXT PRIMARY KEY, first_at BIGINT NOT NULL, sender TEXT NOT NULL, business_type INTEGER NOT NULL,
                                      recipients TEXT NOT NULL, resolved BOOLEAN NOT NULL DEFAULT false)
            """,
            "CREATE TABLE vxp_headers(hash TEXT PRIMARY KEY, system_id TEXT NOT NULL, operation TEXT NOT NULL, first_at BIGINT NOT NULL)",
            """
            CREATE TABLE refusals(id BIGSERIAL PRIMARY KEY, at BIGINT NOT NULL, caller TEXT NOT NULL, sender TEXT, document_id TEXT, kind TEXT,
                                  code TEXT NOT NULL, reasons TEXT NOT NULL, sha256 TEXT NOT NULL, size BIGINT NOT NULL)
            """,
            "CREATE INDEX refusals_at ON refusals(at)",
            "CREATE INDEX refusals_sender ON refusals(sender, at)",
            "CREATE INDEX refusals_caller ON refusals(caller, at)",
            """
            CREATE TABLE directory_log(seq BIGSERIAL PRIMARY KEY, code TEXT NOT NULL, name TEXT NOT NULL, parent TEXT,
                                       deleted BOOLEAN NOT NULL, at BIGINT NOT NULL)
            """,
            "CREATE INDEX directory_log_code ON directory_log(code, seq)",
        ],
        // 2: singleton jobs (one node at a time): who holds each, until when.
        [
            "CREATE TABLE singletons(name TEXT PRIMARY KEY, holder TEXT NOT NULL, until BIGINT NOT NULL)",
        ],
        // 3: dashboard sessions, shared by the nodes (SQLite's version 14).
        [
            "CREATE TABLE dashboard_sessions(id_hash TEXT PRIMARY KEY, csrf TEXT NOT NULL, expires BIGINT NOT NULL)",
        ],
        // 4: payload chunks stored out of line without compression: the documents are mostly base64 of
        // compressed files, and pglz spent more CPU on them than the intake's own work.
        [
            "ALTER TABLE payload_chunks ALTER COLUMN bytes SET STORAGE EXTERNAL",
        ],
        // 5: the counters every intake adds to (the day's total, a busy sender's, a busy pair's) split into
        // shards: concurrent intakes pick different rows instead of queueing on one row lock until each other's
        // commit. Readers already add the rows up (SUM ... GROUP BY).
        [
            "ALTER TABLE daily_sender ADD COLUMN shard SMALLINT NOT NULL DEFAULT 0",
            "ALTER TABLE daily_sender DROP CONSTRAINT daily_sender_pkey, ADD PRIMARY KEY (day, sender, business_type, bucket, shard)",
            "ALTER TABLE daily_total ADD COLUMN shard SMALLINT NOT NULL DEFAULT 0",
            "ALTER TABLE daily_total DROP CONSTRAINT daily_total_pkey, ADD PRIMARY KEY (day, business_type, bucket, shard)",
            "ALTER TABLE daily_pair ADD COLUMN shard SMALLINT NOT NULL DEFAULT 0",
            "ALTER TABLE daily_pair DROP CONSTRAINT daily_pair_pkey, ADD PRIMARY KEY (day, sender, recipient, business_type, bucket, shard)",
        ],
        // 6: when each agency last asked for its inbox (SQLite's version 15).
        [
            "CREATE TABLE agency_pulls(agency TEXT PRIMARY KEY, last_pull BIGINT NOT NULL)",
        ],
        // 7: every change to agencies or tokens is announced at its commit on `truc_directory`: nodes keep both in
        // memory while they listen (`PostgresDirectoryCache`).
        [
            """
            CREATE OR REPLACE FUNCTION truc_directory_changed() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN UPDATE meta SET value = value + 1 WHERE key = 'directory_version'; PERFORM pg_notify('truc_directory', ''); RETURN NULL; END $$
            """,
            """
            CREATE FUNCTION truc_credentials_changed() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN PERFORM pg_notify('truc_directory', ''); RETURN NULL; END $$
            """,
            "CREATE TRIGGER tokens_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON tokens FOR EACH STATEMENT EXECUTE FUNCTION truc_credentials_changed()",
            "CREATE TRIGGER agencies_truncated AFTER TRUNCATE ON agencies FOR EACH STATEMENT EXECUTE FUNCTION truc_credentials_changed()",
        ],
        // 8: a refusal is filed under the agency accountable for it (SQLite's version 16).
        [
            "ALTER TABLE refusals ADD COLUMN agency TEXT",
            "UPDATE refusals SET agency = CASE WHEN caller LIKE 'system %' OR caller LIKE 'peer hub %' THEN COALESCE(sender, caller) ELSE caller END",
            "CREATE INDEX refusals_agency ON refusals(agency, at)",
        ],
        // 9: a dashboard session's last use (SQLite's version 17).
        [
            "ALTER TABLE dashboard_sessions ADD COLUMN last_seen BIGINT",
        ],
        // 10: a refusal's structured findings (SQLite's version 18).
        [
            "ALTER TABLE refusals ADD COLUMN findings TEXT",
        ],
        // 11: the organisation certificates bound to each agency (SQLite's version 19).
        [
            """
            CREATE TABLE agency_seals(agency TEXT NOT NULL REFERENCES agencies(code) ON DELETE CASCADE, identifier TEXT NOT NULL,
                                      position INTEGER NOT NULL, PRIMARY KEY (agency, identifier))
            """,
        ],
        // 12: the validation data of each verdict, kept by SHA-256, and the trust snapshots (SQLite's version 20).
        [
            "CREATE TABLE validation_objects(sha256 TEXT PRIMARY KEY, kind TEXT NOT NULL, der BYTEA NOT NULL, first_seen BIGINT NOT NULL)",
            "CREATE TABLE message_objects(message_id TEXT NOT NULL, sha256 TEXT NOT NULL, PRIMARY KEY (message_id, sha256))",
            "CREATE TABLE trust_snapshots(id TEXT PRIMARY KEY, contents BYTEA NOT NULL, first_seen BIGINT NOT NULL)",
        ],
        // 13: a refused document's verdict and validation data (SQLite's version 21).
        [
            "ALTER TABLE refusals ADD COLUMN verdict TEXT",
            "CREATE TABLE refusal_objects(refusal_id BIGINT NOT NULL, sha256 TEXT NOT NULL, PRIMARY KEY (refusal_id, sha256))",
        ],
        // 14: the evidence log (SQLite's version 22).
        [
            "CREATE TABLE log_events(id BIGSERIAL PRIMARY KEY, entry BYTEA NOT NULL, message_id TEXT, leaf_index BIGINT UNIQUE)",
            "CREATE INDEX log_events_unsequenced ON log_events(id) WHERE leaf_index IS NULL",
            "CREATE INDEX log_events_message ON log_events(message_id) WHERE message_id IS NOT NULL",
            "CREATE TABLE log_nodes(level INTEGER NOT NULL, idx BIGINT NOT NULL, hash BYTEA NOT NULL, PRIMARY KEY (level, idx))",
            "CREATE TABLE log_checkpoints(size BIGINT PRIMARY KEY, root BYTEA NOT NULL, note TEXT NOT NULL, at BIGINT NOT NULL, tsa_token BYTEA, tsa_time BIGINT)",
            "CREATE TABLE log_key(id INTEGER PRIMARY KEY CHECK (id = 1), sealed BYTEA NOT NULL)",
        ],
        // 15: witnesses (SQLite's version 23).
        [
            "CREATE TABLE log_cosignatures(size BIGINT NOT NULL, witness TEXT NOT NULL, line TEXT NOT NULL, at BIGINT NOT NULL, PRIMARY KEY (size, witness))",
            "CREATE TABLE witnessed_logs(origin TEXT PRIMARY KEY, size BIGINT NOT NULL, root BYTEA NOT NULL, note TEXT NOT NULL, at BIGINT NOT NULL)",
            "CREATE TABLE witness_forks(id BIGSERIAL PRIMARY KEY, origin TEXT NOT NULL, at BIGINT NOT NULL, detail TEXT NOT NULL, known TEXT NOT NULL, shown TEXT NOT NULL)",
        ],
        // 16: sequencing without rewriting events. An event waits in the narrow log_pending (queued by the
        // statement that writes it), and the sequencer moves it to log_leaves (leaf index → event id): no wide row
        // is updated, no index of log_events changes after the insert.
        [
            "CREATE TABLE log_pending(event_id BIGINT PRIMARY KEY)",
            "CREATE TABLE log_leaves(leaf BIGINT PRIMARY KEY, event_id BIGINT NOT NULL UNIQUE)",
            "INSERT INTO log_pending(event_id) SELECT id FROM log_events WHERE leaf_index IS NULL",
            "INSERT INTO log_leaves(leaf, event_id) SELECT leaf_index, id FROM log_events WHERE leaf_index IS NOT NULL",
            "DROP INDEX log_events_unsequenced",
            "ALTER TABLE log_events DROP COLUMN leaf_index",
        ],
        // 17: payload retention (SQLite's version 25): the archives recorded, the running totals of what was purged.
        [
            "CREATE TABLE archives(sequence BIGINT PRIMARY KEY, name TEXT NOT NULL, manifest_sha256 TEXT NOT NULL, messages BIGINT NOT NULL, bytes BIGINT NOT NULL, created_at BIGINT NOT NULL)",
            "INSERT INTO meta(key, value) VALUES ('purged_messages', 0), ('purged_bytes', 0) ON CONFLICT DO NOTHING",
        ],
    ]

    /// Applies the missing steps; throws when the database is newer than this code.
    static func migrate(_ client: PostgresClient, logger: Logger) async throws {
        do {
            try await apply(client, logger: logger)
        } catch let error as PostgresTransactionError {
            throw error.closureError ?? error
        }
    }

    private static func apply(_ client: PostgresClient, logger: Logger) async throws {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(migrationLock))", logger: logger)
            try await connection.query("CREATE TABLE IF NOT EXISTS truc_schema(version INTEGER NOT NULL)", logger: logger)
            var current = 0
            for try await version in try await connection.query("SELECT version FROM truc_schema", logger: logger).decode(Int.self) {
                current = version
            }
            guard current <= steps.count else {
                throw PostgresStoreError.newerSchema(database: current, code: steps.count)
            }
            for (index, step) in steps.enumerated() where index >= current {
                for statement in step {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
            }
            if current == 0 {
                try await connection.query("INSERT INTO truc_schema(version) VALUES (\(steps.count))", logger: logger)
            } else if current < steps.count {
                try await connection.query("UPDATE truc_schema SET version = \(steps.count)", logger: logger)
            }
        }
    }
}

extension PostgresStore {
    /// The schema version this code writes.
    package static var schemaVersion: Int { PostgresSchema.steps.count }
}

/// Why the PostgreSQL store cannot be used.
package enum PostgresStoreError: Error, CustomStringConvertible {
    case newerSchema(database: Int, code: Int)
    case badURL(String)
    /// An operation got no answer within its deadline (the server unreachable, or a lost query).
    case timeout(Duration)

    package var description: String {
        switch self {
        case .newerSchema(let database, let code):
            "the database's schema is version \(database), newer than this truc's (\(code)): upgrade truc before starting it on this database"
        case .badURL(let why): why
        case .timeout(let limit): "PostgreSQL gave no answer within \(limit)"
        }
    }
}

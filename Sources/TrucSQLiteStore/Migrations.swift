import TrucSQLite
package import TrucStore

/// Schema versions, applied in order inside transactions; `PRAGMA user_version` records the last one.
enum Migrations {
    static let steps: [String] = [
        """
        CREATE TABLE agencies(
          code TEXT PRIMARY KEY, name TEXT NOT NULL, parent TEXT, cert_identifier TEXT, cert_sha256 TEXT,
          push_url TEXT, created_at INTEGER NOT NULL);
        CREATE TABLE tokens(
          token_hash TEXT PRIMARY KEY, agency TEXT NOT NULL REFERENCES agencies(code) ON DELETE CASCADE, created_at INTEGER NOT NULL);
        CREATE TABLE messages(
          id TEXT PRIMARY KEY, kind TEXT NOT NULL, sender TEXT NOT NULL, document_id TEXT, idempotency_key TEXT NOT NULL UNIQUE,
          received_at INTEGER NOT NULL, size INTEGER NOT NULL, sha256 TEXT NOT NULL, payload TEXT NOT NULL, verdict TEXT NOT NULL,
          bucket TEXT NOT NULL, business_type INTEGER, status_code TEXT, answers_document_id TEXT, answer TEXT NOT NULL);
        CREATE INDEX messages_answers ON messages(answers_document_id);
        CREATE TABLE deliveries(
          id INTEGER PRIMARY KEY AUTOINCREMENT, message_id TEXT NOT NULL REFERENCES messages(id), recipient TEXT NOT NULL,
          kind TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, delivered_at INTEGER, how TEXT,
          reason TEXT, updated_at INTEGER NOT NULL, UNIQUE(message_id, recipient));
        CREATE INDEX deliveries_inbox ON deliveries(recipient, state, id);
        """,
        // 2: push and forward deliveries, relaying peer hubs, the hop list of messages from peer hubs.
        """
        ALTER TABLE deliveries ADD COLUMN target TEXT;
        ALTER TABLE deliveries ADD COLUMN next_attempt_at INTEGER;
        CREATE INDEX deliveries_due ON deliveries(state, next_attempt_at);
        ALTER TABLE agencies ADD COLUMN relay INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE messages ADD COLUMN via TEXT NOT NULL DEFAULT '';
        """,
        // 3: daily signed-ratio counters, kept in the intake transaction (Vietnam days, UTC+7): per sender,
        // and per sender and recipient (the published ratios are "among documents sent to X").
        """
        CREATE TABLE daily_sender(
          day TEXT NOT NULL, sender TEXT NOT NULL, business_type INTEGER NOT NULL, bucket TEXT NOT NULL, count INTEGER NOT NULL,
          PRIMARY KEY(day, sender, business_type, bucket)) WITHOUT ROWID;
        CREATE TABLE daily_pair(
          day TEXT NOT NULL, sender TEXT NOT NULL, recipient TEXT NOT NULL, business_type INTEGER NOT NULL, bucket TEXT NOT NULL,
          count INTEGER NOT NULL, PRIMARY KEY(day, sender, recipient, business_type, bucket)) WITHOUT ROWID;
        CREATE INDEX daily_pair_recipient ON daily_pair(recipient, day);
        """,
        // 4: signing certificates seen per day and sender (for "certificates in use" figures), and sender-first
        // indexes for per-agency reports over long periods.
        """
        CREATE TABLE daily_signer(
          day TEXT NOT NULL, agency TEXT NOT NULL, kind TEXT NOT NULL, certificate TEXT NOT NULL,
          PRIMARY KEY(day, agency, kind, certificate)) WITHOUT ROWID;
        CREATE INDEX daily_signer_agency ON daily_signer(agency, day);
        CREATE INDEX daily_sender_agency ON daily_sender(sender, day);
        CREATE INDEX daily_pair_sender ON daily_pair(sender, day);
        """,
        // 5: the document's DueDate (for timeliness), and documents by DocumentId (to pair them with statuses).
        """
        ALTER TABLE messages ADD COLUMN due_date TEXT;
        CREATE INDEX messages_document ON messages(document_id);
        """,
        // 6: client systems of the national SDK's dialect (VXP): secrets sealed with the data directory's
        // secrets.key, and the agencies each system acts for (one system per agency).
        """
        CREATE TABLE systems(id TEXT PRIMARY KEY, name TEXT NOT NULL, secret BLOB NOT NULL, created_at INTEGER NOT NULL);
        CREATE TABLE system_agencies(agency TEXT PRIMARY KEY, system_id TEXT NOT NULL, created_at INTEGER NOT NULL);
        CREATE INDEX system_agencies_system ON system_agencies(system_id);
        ALTER TABLE agencies ADD COLUMN mail TEXT;
        """,
        // 7: statistics at national scale: whole-hub daily totals, the set of counted agencies, recipient
        // reports by sender, and a directory version (bumped by triggers) so readers can cache the hierarchy.
        """
        CREATE TABLE daily_total(
          day TEXT NOT NULL, business_type INTEGER NOT NULL, bucket TEXT NOT NULL, count INTEGER NOT NULL,
          PRIMARY KEY(day, business_type, bucket)) WITHOUT ROWID;
        INSERT INTO daily_total SELECT day, business_type, bucket, SUM(count) FROM daily_sender GROUP BY 1, 2, 3;
        CREATE TABLE stat_agencies(code TEXT PRIMARY KEY) WITHOUT ROWID;
        INSERT OR IGNORE INTO stat_agencies SELECT DISTINCT sender FROM daily_sender;
        INSERT OR IGNORE INTO stat_agencies SELECT DISTINCT recipient FROM daily_pair;
        DROP INDEX daily_pair_recipient;
        CREATE INDEX daily_pair_recipient ON daily_pair(recipient, sender, day);
        CREATE TABLE meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);
        INSERT INTO meta VALUES ('directory_version', 0);
        CREATE TRIGGER agencies_inserted AFTER INSERT ON agencies BEGIN UPDATE meta SET value = value + 1 WHERE key = 'directory_version'; END;
        CREATE TRIGGER agencies_updated AFTER UPDATE ON agencies BEGIN UPDATE meta SET value = value + 1 WHERE key = 'directory_version'; END;
        CREATE TRIGGER agencies_deleted AFTER DELETE ON agencies BEGIN UPDATE meta SET value = value + 1 WHERE key = 'directory_version'; END;
        """,
        // 8: the operator's view: traffic per minute, deliveries paused per recipient, viewer credentials.
        """
        CREATE INDEX messages_received ON messages(received_at);
        CREATE INDEX deliveries_delivered ON deliveries(delivered_at) WHERE delivered_at IS NOT NULL;
        CREATE TABLE paused(code TEXT PRIMARY KEY, since INTEGER NOT NULL) WITHOUT ROWID;
        ALTER TABLE tokens ADD COLUMN role TEXT NOT NULL DEFAULT 'agency';
        """,
        // 9: covering indexes for per-agency reports (the count in the index: no lookup into the table per row).
        """
        DROP INDEX daily_sender_agency;
        CREATE INDEX daily_sender_agency ON daily_sender(sender, day, business_type, bucket, count);
        DROP INDEX daily_pair_sender;
        CREATE INDEX daily_pair_sender ON daily_pair(sender, day, business_type, bucket, count);
        DROP INDEX daily_pair_recipient;
        CREATE INDEX daily_pair_recipient ON daily_pair(recipient, sender, day, business_type, bucket, count);
        """,
        // 10: payloads up to SQLiteStore.inlineLimit (64 KiB) live in the database, committed with their message (no file
        // and directory fsync per message); larger ones stay files.
        """
        CREATE TABLE payload_blobs(message_id TEXT PRIMARY KEY, bytes BLOB NOT NULL) WITHOUT ROWID;
        """,
        // 11: refused documents counted once per document (sender + DocumentId + business type), not per attempt;
        // SDK-dialect headers remembered with the operation they first authorised; directory changes through the
        // SDK dialect an explicit per-system permission (off by default).
        """
        CREATE TABLE refused_keys(key TEXT PRIMARY KEY, first_at INTEGER NOT NULL, sender TEXT NOT NULL, business_type INTEGER NOT NULL,
                                  recipients TEXT NOT NULL, resolved INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
        CREATE TABLE vxp_headers(hash TEXT PRIMARY KEY, system_id TEXT NOT NULL, operation TEXT NOT NULL, first_at INTEGER NOT NULL) WITHOUT ROWID;
        ALTER TABLE systems ADD COLUMN directory_changes INTEGER NOT NULL DEFAULT 0;
        """,
        // 12: refused messages as records (no payload), for the agency's and the operator's view.
        """
        CREATE TABLE refusals(id INTEGER PRIMARY KEY, at INTEGER NOT NULL, caller TEXT NOT NULL, sender TEXT, document_id TEXT, kind TEXT,
                              code TEXT NOT NULL, reasons TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL);
        CREATE INDEX refusals_at ON refusals(at);
        CREATE INDEX refusals_sender ON refusals(sender, at);
        CREATE INDEX refusals_caller ON refusals(caller, at);
        """,
        // 13: a recipient's progress short of delivery (the SDK's updateStatus processing); the directory's change
        // log (getSynchronizeUnit: versions and deletions), seeded with the agencies registered now.
        """
        ALTER TABLE deliveries ADD COLUMN progress TEXT;
        ALTER TABLE deliveries ADD COLUMN progress_at INTEGER;
        CREATE TABLE directory_log(seq INTEGER PRIMARY KEY AUTOINCREMENT, code TEXT NOT NULL, name TEXT NOT NULL, parent TEXT,
                                   deleted INTEGER NOT NULL, at INTEGER NOT NULL);
        CREATE INDEX directory_log_code ON directory_log(code, seq);
        INSERT INTO directory_log(code, name, parent, deleted, at) SELECT code, name, parent, 0, created_at FROM agencies ORDER BY created_at, code;
        """,
        // 14: dashboard sessions in the store (several nodes behind a load balancer share them).
        """
        CREATE TABLE dashboard_sessions(id_hash TEXT PRIMARY KEY, csrf TEXT NOT NULL, expires INTEGER NOT NULL) WITHOUT ROWID;
        """,
        // 15: when each agency last asked for its inbox (the dashboard's agency page; written at most once a
        // minute per agency and node).
        """
        CREATE TABLE agency_pulls(agency TEXT PRIMARY KEY, last_pull INTEGER NOT NULL) WITHOUT ROWID;
        """,
        // 16: a refusal is filed under the agency accountable for it (the authenticated caller), the claimed
        // sender kept beside it. Older rows: an agency's own calls under that agency; a system's or a peer's
        // under what the message claimed, as before.
        """
        ALTER TABLE refusals ADD COLUMN agency TEXT;
        UPDATE refusals SET agency = CASE WHEN caller LIKE 'system %' OR caller LIKE 'peer hub %' THEN COALESCE(sender, caller) ELSE caller END;
        CREATE INDEX refusals_agency ON refusals(agency, at);
        """,
        // 17: a dashboard session's last use (it ends after an idle time as well as at its expiry).
        """
        ALTER TABLE dashboard_sessions ADD COLUMN last_seen INTEGER;
        """,
        // 18: a refusal's structured findings (location, status, reason codes, detail) beside its reason text.
        """
        ALTER TABLE refusals ADD COLUMN findings TEXT;
        """,
        // 19: the organisation certificates bound to each agency (whose seal counts as its own).
        """
        CREATE TABLE agency_seals(agency TEXT NOT NULL REFERENCES agencies(code) ON DELETE CASCADE, identifier TEXT NOT NULL,
                                  position INTEGER NOT NULL, PRIMARY KEY (agency, identifier)) WITHOUT ROWID;
        """,
        // 20: the validation data each verdict was made from (certificates, CRLs, OCSP responses, time-stamp
        // tokens), kept once by SHA-256 and linked to the messages that used it; the trust snapshots (anchors,
        // intermediates and policy) verdicts name.
        """
        CREATE TABLE validation_objects(sha256 TEXT PRIMARY KEY, kind TEXT NOT NULL, der BLOB NOT NULL, first_seen INTEGER NOT NULL);
        CREATE TABLE message_objects(message_id TEXT NOT NULL, sha256 TEXT NOT NULL, PRIMARY KEY (message_id, sha256)) WITHOUT ROWID;
        CREATE TABLE trust_snapshots(id TEXT PRIMARY KEY, contents BLOB NOT NULL, first_seen INTEGER NOT NULL);
        """,
        // 21: a document refused for its signatures keeps its verdict and the validation data it was made from
        // (for its ETSI report), for as long as the refusal record.
        """
        ALTER TABLE refusals ADD COLUMN verdict TEXT;
        CREATE TABLE refusal_objects(refusal_id INTEGER NOT NULL, sha256 TEXT NOT NULL, PRIMARY KEY (refusal_id, sha256)) WITHOUT ROWID;
        """,
        // 22: the evidence log: events written with what they record (unsequenced), then given their leaf index
        // by the one sequencer; the Merkle tree's perfect subtrees (RFC 9162), level 0 being the leaf hashes.
        """
        CREATE TABLE log_events(id INTEGER PRIMARY KEY AUTOINCREMENT, entry BLOB NOT NULL, message_id TEXT, leaf_index INTEGER UNIQUE);
        CREATE INDEX log_events_unsequenced ON log_events(id) WHERE leaf_index IS NULL;
        CREATE INDEX log_events_message ON log_events(message_id) WHERE message_id IS NOT NULL;
        CREATE TABLE log_nodes(level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL, PRIMARY KEY (level, idx)) WITHOUT ROWID;
        CREATE TABLE log_checkpoints(size INTEGER PRIMARY KEY, root BLOB NOT NULL, note TEXT NOT NULL, at INTEGER NOT NULL, tsa_token BLOB, tsa_time INTEGER);
        CREATE TABLE log_key(id INTEGER PRIMARY KEY CHECK (id = 1), sealed BLOB NOT NULL);
        """,
        // 23: witnesses. The cosignatures this hub's checkpoints gathered (one line per witness and size); as a
        // witness, the latest checkpoint it cosigned of each log it watches, and the forks it saw.
        """
        CREATE TABLE log_cosignatures(size INTEGER NOT NULL, witness TEXT NOT NULL, line TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (size, witness)) WITHOUT ROWID;
        CREATE TABLE witnessed_logs(origin TEXT PRIMARY KEY, size INTEGER NOT NULL, root BLOB NOT NULL, note TEXT NOT NULL, at INTEGER NOT NULL);
        CREATE TABLE witness_forks(id INTEGER PRIMARY KEY AUTOINCREMENT, origin TEXT NOT NULL, at INTEGER NOT NULL, detail TEXT NOT NULL, known TEXT NOT NULL, shown TEXT NOT NULL);
        """,
        // 24: on SQLite an event's leaf index is its id - 1 (one writer; a rolled-back insert gives its id back;
        // events are never deleted), so the sequencer only adds the tree's nodes: no leaf_index column to update,
        // no index of the unsequenced events.
        """
        CREATE TABLE log_events_v24(id INTEGER PRIMARY KEY AUTOINCREMENT, entry BLOB NOT NULL, message_id TEXT);
        INSERT INTO log_events_v24(id, entry, message_id) SELECT id, entry, message_id FROM log_events ORDER BY id;
        DROP TABLE log_events;
        ALTER TABLE log_events_v24 RENAME TO log_events;
        CREATE INDEX log_events_message ON log_events(message_id) WHERE message_id IS NOT NULL;
        """,
        // 25: payload retention: the archives written before payloads were purged (a purged message's `payload` is
        // `archived:<sequence>:<time>`), and the running totals of what was purged.
        """
        CREATE TABLE archives(sequence INTEGER PRIMARY KEY, name TEXT NOT NULL, manifest_sha256 TEXT NOT NULL, messages INTEGER NOT NULL,
                              bytes INTEGER NOT NULL, created_at INTEGER NOT NULL);
        INSERT OR IGNORE INTO meta(key, value) VALUES ('purged_messages', 0), ('purged_bytes', 0);
        """,
        // 26: small payloads in an ordinary (rowid) table. In the WITHOUT ROWID table of version 10 a row keeps at most
        // about 1 KB on its B-tree page and spills the rest onto an overflow page of its own: a 1.7 KB status message
        // took 4.7 KB. Here a row up to about 4 KB stays on a shared page (its id indexed beside it).
        """
        CREATE TABLE payloads(message_id TEXT NOT NULL UNIQUE, bytes BLOB NOT NULL);
        INSERT INTO payloads(message_id, bytes) SELECT message_id, bytes FROM payload_blobs ORDER BY message_id;
        DROP TABLE payload_blobs;
        """,
    ]

    static func apply(to db: Database) throws {
        let current = try db.query("PRAGMA user_version") { Int($0.int(0)) }.first ?? 0
        // A new database gives the pages purged payloads free back to the file system step by step
        // (`PRAGMA incremental_vacuum`); only possible before its first table.
        if current == 0, try db.query("SELECT count(*) FROM sqlite_master") { $0.int(0) }.first == 0 {
            // (The connection is in WAL mode already: the setting takes effect with a VACUUM, instant on an empty file.)
            try db.execute("PRAGMA auto_vacuum = INCREMENTAL")
            try db.execute("VACUUM")
        }
        // A newer truc wrote this database: an older one must not write to it.
        guard current <= steps.count else {
            throw StoreError.invalid("the store's schema is version \(current), newer than this truc's (\(steps.count)): upgrade truc before starting it on this data directory")
        }
        for (index, step) in steps.enumerated() where index >= current {
            try db.transaction {
                try db.execute(step)
                try db.execute("PRAGMA user_version = \(index + 1)")
            }
        }
    }
}

import NIOCore
import PostgresNIO
import TrucCore
import TrucStore
import TrucConcurrency

// The statements every intake runs, of fixed text and prepared once per connection: PostgreSQL parses and
// plans each of them once per connection instead of once per call (measured before: planning alone was a
// quarter of the server's CPU during a load of status messages). Their parameter types are declared, not
// inferred from the first call's values (a NULL first would leave a parameter's type to the server, and a
// later value of another binary type would be refused).

/// A statement whose one parameter is a text (a key, a code, an id).
protocol TextKeyStatement: PostgresPreparedStatement {
    var parameter: String { get }
}

extension TextKeyStatement {
    static var bindingDataTypes: [PostgresDataType] { [.text] }

    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 1)
        bindings.append(parameter)
        return bindings
    }
}

/// The agency and role of an API token (by its SHA-256).
struct CredentialStatement: TextKeyStatement {
    static let name = "truc_credential"
    static let sql = """
        SELECT a.code, a.name, a.parent, a.cert_identifier, a.cert_sha256, a.push_url, a.relay, t.role FROM tokens t
        JOIN agencies a ON a.code = t.agency WHERE t.token_hash = $1
        """
    typealias Row = (String, String, String?, String?, String?, String?, Bool, String)
    let tokenHash: String
    var parameter: String { tokenHash }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}

/// One agency by its code.
struct AgencyStatement: TextKeyStatement {
    static let name = "truc_agency"
    static let sql = "SELECT \(PostgresStore.agencyColumns) FROM agencies WHERE code = $1"
    typealias Row = PostgresStore.AgencyColumns
    let code: String
    var parameter: String { code }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}

/// The accepted message under an idempotency key: its answer, id and SHA-256.
struct PreviousStatement: TextKeyStatement {
    static let name = "truc_previous"
    static let sql = "SELECT answer, id, sha256 FROM messages WHERE idempotency_key = $1"
    typealias Row = (String, String, String)
    let key: String
    var parameter: String { key }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}

/// Inserts a message (unless its idempotency key is taken: then it returns no row and writes nothing), its
/// payload's first chunk and its deliveries, in one statement. The deliveries come as five arrays of one
/// element per recipient, in the order their ids are given; an empty reason or target and a zero due time
/// stand for none.
struct InsertMessageStatement: PostgresPreparedStatement {
    static let name = "truc_insert_message"
    static let sql = """
        WITH m AS (
          INSERT INTO messages(id, kind, sender, document_id, idempotency_key, received_at, size, sha256, payload, verdict, bucket,
            business_type, status_code, answers_document_id, answer, via, due_date)
          VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
          ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, kind, received_at),
        c AS (INSERT INTO payload_chunks(message_id, seq, bytes) SELECT id, 0, $18 FROM m),
        d AS (INSERT INTO deliveries(message_id, recipient, kind, state, attempts, updated_at, reason, target, next_attempt_at)
              SELECT m.id, v.recipient, m.kind, v.state, 0, m.received_at, NULLIF(v.reason, ''), NULLIF(v.target, ''), NULLIF(v.due, 0)
              FROM m CROSS JOIN unnest($19::text[], $20::text[], $21::text[], $22::text[], $23::bigint[])
                WITH ORDINALITY AS v(recipient, state, reason, target, due, n)
              ORDER BY v.n),
        l AS (INSERT INTO log_events(entry, message_id) SELECT $24, id FROM m WHERE octet_length($24) > 0 RETURNING id),
        lp AS (INSERT INTO log_pending(event_id) SELECT id FROM l)
        SELECT id FROM m
        """
    static let bindingDataTypes: [PostgresDataType] = [
        .text, .text, .text, .text, .text, .int8, .int8, .text, .text, .text, .text, .int8, .text, .text, .text, .text, .text,
        .bytea, .textArray, .textArray, .textArray, .textArray, .int8Array, .bytea,
    ]
    typealias Row = String
    let message: IncomingMessage
    /// The whole payload's size.
    let size: Int
    let firstChunk: ByteBuffer

    func makeBindings() -> PostgresBindings {
        let m = message
        var bindings = PostgresBindings(capacity: 24)
        bindings.append(m.id)
        bindings.append(m.kind)
        bindings.append(m.sender)
        bindings.append(m.documentId)
        bindings.append(m.idempotencyKey)
        bindings.append(m.receivedAt)
        bindings.append(Int64(size))
        bindings.append(m.sha256)
        bindings.append(PostgresStore.payloadMarker)
        bindings.append(m.verdictJSON)
        bindings.append(m.bucket)
        bindings.append(m.businessType.map(Int64.init))
        bindings.append(m.statusCode)
        bindings.append(m.answersDocumentId)
        bindings.append(m.answerJSON)
        bindings.append(m.via.joined(separator: ","))
        bindings.append(m.dueDate)
        bindings.append(firstChunk)
        var recipients: [String] = [], states: [String] = [], reasons: [String] = [], targets: [String] = [], dues: [Int64] = []
        for (recipient, reason) in m.unrouted.sorted(by: { $0.key < $1.key }) {
            recipients.append(recipient)
            states.append(DeliveryState.failed.rawValue)
            reasons.append(reason)
            targets.append("")
            dues.append(0)
        }
        for recipient in m.recipients {
            let target = m.targets[recipient]
            recipients.append(recipient)
            states.append((target == nil ? DeliveryState.awaitingPull : .queued).rawValue)
            reasons.append("")
            targets.append(target ?? "")
            dues.append(target == nil ? 0 : m.receivedAt)
        }
        bindings.append(recipients)
        bindings.append(states)
        bindings.append(reasons)
        bindings.append(targets)
        bindings.append(dues)
        // The evidence log's `accepted` event, written with the row (empty: the log is off).
        bindings.append(ByteBuffer(bytes: EvidenceLogSwitch.isOn ? m.logEntry ?? [] : []))
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(String.self) }
}

/// Adds `n` to the counters of one document (sender, whole hub, sender and recipient pairs) on one shard, and
/// records the agencies as counted.
struct CountStatement: PostgresPreparedStatement {
    static let name = "truc_count"
    static let sql = """
        WITH sender_count AS (
          INSERT INTO daily_sender(day, sender, business_type, bucket, shard, count) VALUES ($1, $2, $3, $4, $5, $6)
          ON CONFLICT (day, sender, business_type, bucket, shard) DO UPDATE SET count = daily_sender.count + excluded.count),
        total_count AS (
          INSERT INTO daily_total(day, business_type, bucket, shard, count) VALUES ($1, $3, $4, $5, $6)
          ON CONFLICT (day, business_type, bucket, shard) DO UPDATE SET count = daily_total.count + excluded.count),
        counted AS (
          INSERT INTO stat_agencies(code) SELECT unnest($7::text[]) ON CONFLICT DO NOTHING)
        INSERT INTO daily_pair(day, sender, recipient, business_type, bucket, shard, count)
        SELECT $1, $2, recipient, $3, $4, $5, $6 FROM unnest($8::text[]) AS recipient
        ON CONFLICT (day, sender, recipient, business_type, bucket, shard) DO UPDATE SET count = daily_pair.count + excluded.count
        """
    static let bindingDataTypes: [PostgresDataType] = [.text, .text, .int4, .text, .int2, .int8, .textArray, .textArray]
    typealias Row = ()
    let day: String, sender: String, businessType: Int32, bucket: String, shard: Int16, n: Int64
    let agencies: [String], recipients: [String]

    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 8)
        bindings.append(day)
        bindings.append(sender)
        bindings.append(businessType)
        bindings.append(bucket)
        bindings.append(shard)
        bindings.append(n)
        bindings.append(agencies)
        bindings.append(recipients)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { () }
}

/// A recipient's acknowledgement, in one statement (it was a transaction of four round trips): the delivery's
/// row locked, moved to `target` unless it is final already; the state it has after (no row: no such delivery).
/// Two acknowledgements at once: the second waits for the first's lock and then sees its final state.
struct AcknowledgeStatement: PostgresPreparedStatement {
    static let name = "truc_acknowledge"
    static let sql = """
        WITH current AS (SELECT id, state FROM deliveries WHERE message_id = $1 AND recipient = $2 FOR UPDATE),
        changed AS (
          UPDATE deliveries d SET state = $3, delivered_at = $5, how = 'pull', reason = $4, updated_at = $5
          FROM current WHERE d.id = current.id AND current.state NOT IN ('delivered', 'failed') RETURNING d.id),
        logged AS (INSERT INTO log_events(entry, message_id) SELECT $6, $1 FROM changed WHERE octet_length($6) > 0 RETURNING id),
        queued AS (INSERT INTO log_pending(event_id) SELECT id FROM logged)
        SELECT CASE WHEN state IN ('delivered', 'failed') THEN state ELSE $3 END FROM current
        """
    static let bindingDataTypes: [PostgresDataType] = [.text, .text, .text, .text, .int8, .bytea]
    typealias Row = String
    /// `event`: the evidence log's `acknowledged` event, written when the state changes.
    let messageId: String, recipient: String, target: String, reason: String?, now: Int64, event: [UInt8]

    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 6)
        bindings.append(messageId)
        bindings.append(recipient)
        bindings.append(target)
        bindings.append(reason)
        bindings.append(now)
        bindings.append(ByteBuffer(bytes: event))
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(String.self) }
}

/// One message's row (what `StoredMessage` holds).
struct MessageStatement: TextKeyStatement {
    static let name = "truc_message"
    static let sql = """
        SELECT id, kind, sender, document_id, received_at, size, sha256, payload, verdict, bucket, business_type, answers_document_id
        FROM messages WHERE id = $1
        """
    typealias Row = (String, String, String, String?, Int64, Int64, String, String, String, String, Int?, String?)
    let id: String
    var parameter: String { id }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}

/// A message's payload chunks, in order.
struct PayloadStatement: TextKeyStatement {
    static let name = "truc_payload"
    static let sql = "SELECT bytes FROM payload_chunks WHERE message_id = $1 ORDER BY seq"
    typealias Row = ByteBuffer
    let messageId: String
    var parameter: String { messageId }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(ByteBuffer.self) }
}

extension GuardedClient {
    /// Runs a prepared statement on a connection of the pool under the deadline, its rows collected within it.
    func execute<Statement: PostgresPreparedStatement>(_ statement: Statement, logger: Logger) async throws -> [Statement.Row]
    where Statement.Row: Sendable {
        let pool = pool
        return try await deadlines.run(deadline, expired: { [deadline] in PostgresStoreError.timeout(deadline) }) {
            var rows: [Statement.Row] = []
            for try await row in try await pool.execute(statement, logger: logger) { rows.append(row) }
            return rows
        }
    }
}

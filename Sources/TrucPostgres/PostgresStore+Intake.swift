import Foundation
import NIOCore
import PostgresNIO
import TrucCore
package import TrucStore

// The IntakeStore role on PostgreSQL: a message, its payload (in chunked rows: no node needs a shared
// filesystem, and no value of 64 MiB is built twice), its deliveries and its counters in one transaction,
// committed (synchronous_commit on) before the caller answers 2xx. The unique idempotency key decides between
// nodes that take the same document at once: the loser answers like a duplicate (or a conflict).
extension PostgresStore: IntakeStore {
    /// Rows of payload: 1 MiB each.
    static let chunkSize = 1 << 20
    /// Payloads above this size are checked for a duplicate before they are sent.
    static let precheckAbove = 64 << 10
    /// The `payload` column's value for a payload in `payload_chunks`.
    package static let payloadMarker = "chunks"

    package func accept(_ message: IncomingMessage, payload: [UInt8]) async throws -> AcceptOutcome {
        // A duplicate or a conflict of a large message is answered before its payload is sent to the server; a small
        // one goes straight to the insert, which writes nothing when its key is taken (one round trip less).
        if payload.count > Self.precheckAbove, let previous = try await previous(message.idempotencyKey) {
            return HubStore.outcome(message, previous)
        }
        let insert = Self.insertion(message, payload: payload)
        let outcome: AcceptOutcome?
        if message.kind != "edoc" && payload.count <= Self.chunkSize {
            // A status or a receipt in one chunk: one statement, a transaction of its own (one round trip).
            var inserted = false
            for try await _ in try await client.query(insert, logger: logger).decode(String.self) { inserted = true }
            if inserted && !message.targets.isEmpty { try await notifyDeliveries() }
            outcome = inserted ? .accepted : nil
        } else {
            outcome = try await transaction { connection in
                var inserted = false
                for try await _ in try await connection.query(insert, logger: self.logger).decode(String.self) { inserted = true }
                // Another node took this key first (the insert waited for it to commit): nothing is written here.
                guard inserted else { return nil }
                var seq: Int32 = 1
                var offset = Self.chunkSize
                while offset < payload.count {
                    let end = min(payload.count, offset + Self.chunkSize)
                    let chunk = ByteBuffer(bytes: payload[offset..<end])
                    try await connection.query("INSERT INTO payload_chunks(message_id, seq, bytes) VALUES (\(message.id), \(seq), \(chunk))",
                                               logger: self.logger)
                    seq += 1
                    offset = end
                }
                // Push and forward deliveries: every node's engine wakes when this commits.
                if !message.targets.isEmpty {
                    try await connection.query(PostgresQuery(unsafeSQL: "NOTIFY \(Self.deliveryChannel)"), logger: self.logger)
                }
                // The counters last: their rows are the ones every intake updates, locked until the commit.
                if message.kind == "edoc" { try await Self.countAccepted(message, on: connection, logger: self.logger) }
                return .accepted
            }
        }
        if let outcome { return outcome }
        guard let previous = try await previous(message.idempotencyKey) else {
            throw StoreError.conflict("the idempotency key of message \(message.id) was taken and released meanwhile; send it again")
        }
        return HubStore.outcome(message, previous)
    }

    /// One statement that inserts the message (unless its idempotency key is taken: then it returns no row and
    /// writes nothing), its payload's first chunk and its deliveries.
    static func insertion(_ message: IncomingMessage, payload: [UInt8]) -> PostgresQuery {
        var binds = PostgresBindings()
        func bind(_ value: some PostgresNonThrowingEncodable) -> String {
            binds.append(value)
            return "$\(binds.count)"
        }
        func bind(_ value: (some PostgresNonThrowingEncodable)?) -> String {
            if let value { binds.append(value) } else { binds.appendNull() }
            return "$\(binds.count)"
        }
        let values = [bind(message.id), bind(message.kind), bind(message.sender), bind(message.documentId), bind(message.idempotencyKey),
                      bind(message.receivedAt), bind(Int64(payload.count)), bind(message.sha256), bind(payloadMarker), bind(message.verdictJSON),
                      bind(message.bucket), bind(message.businessType.map(Int64.init)), bind(message.statusCode), bind(message.answersDocumentId),
                      bind(message.answerJSON), bind(message.via.joined(separator: ",")), bind(message.dueDate)]
        let chunk = bind(ByteBuffer(bytes: payload[0..<min(payload.count, chunkSize)]))
        var deliveries: [String] = []
        for (recipient, reason) in message.unrouted.sorted(by: { $0.key < $1.key }) {
            deliveries.append("(\(bind(recipient))::text, \(bind(DeliveryState.failed.rawValue))::text, \(bind(reason))::text, NULL::text, NULL::bigint)")
        }
        for recipient in message.recipients {
            let target = message.targets[recipient]
            let state: DeliveryState = target == nil ? .awaitingPull : .queued
            deliveries.append("(\(bind(recipient))::text, \(bind(state.rawValue))::text, NULL::text, \(bind(target))::text, \(bind(target == nil ? nil : message.receivedAt))::bigint)")
        }
        var sql = """
            WITH m AS (
              INSERT INTO messages(id, kind, sender, document_id, idempotency_key, received_at, size, sha256, payload, verdict, bucket,
                business_type, status_code, answers_document_id, answer, via, due_date)
              VALUES (\(values.joined(separator: ", ")))
              ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, kind, received_at),
            c AS (INSERT INTO payload_chunks(message_id, seq, bytes) SELECT id, 0, \(chunk) FROM m)
            """
        if !deliveries.isEmpty {
            sql += """
                ,
                d AS (INSERT INTO deliveries(message_id, recipient, kind, state, attempts, updated_at, reason, target, next_attempt_at)
                      SELECT m.id, v.recipient, m.kind, v.state, 0, m.received_at, v.reason, v.target, v.due
                      FROM m CROSS JOIN (VALUES \(deliveries.joined(separator: ", "))) AS v(recipient, state, reason, target, due))
                """
        }
        sql += "\nSELECT id FROM m"
        return PostgresQuery(unsafeSQL: sql, binds: binds)
    }

    /// The signed-ratio counters of an accepted document (in its transaction): one entry per distinct document,
    /// on the day of its first arrival; a document refused before (counted invalid then) moves to the bucket of
    /// its accepted copy, on that first day. Counters are added in place (`count = count + n`): exact under
    /// concurrent nodes.
    static func countAccepted(_ message: IncomingMessage, on connection: PostgresConnection, logger: Logger) async throws {
        var countedAt = message.receivedAt
        var refused: (Int64, String, Int, String)?
        for try await row in try await connection.query("""
            UPDATE refused_keys SET resolved = true WHERE key = \(message.idempotencyKey) AND NOT resolved
            RETURNING first_at, sender, business_type, recipients
            """, logger: logger).decode((Int64, String, Int, String).self) { refused = row }
        if let refused {
            try await count(sender: refused.1, recipients: refused.3.split(separator: "\n").map(String.init), businessType: refused.2,
                            bucket: "invalid", at: refused.0, by: -1, on: connection, logger: logger)
            countedAt = refused.0
        }
        try await count(sender: message.sender, recipients: message.recipients, businessType: message.businessType ?? 0, bucket: message.bucket,
                        at: countedAt, on: connection, logger: logger)
        let day = HubStore.vietnamDay(message.receivedAt)
        for signer in message.signers {
            try await connection.query("""
                INSERT INTO daily_signer(day, agency, kind, certificate) VALUES (\(day), \(message.sender), \(signer.kind), \(signer.certificate))
                ON CONFLICT DO NOTHING
                """, logger: logger)
        }
    }

    /// Counter rows per key (schema version 5): an intake adds to one of them, chosen at random.
    static let counterShards = 8

    /// Adds `n` to the counters of one document (sender, whole hub, sender and recipient pairs) and records the
    /// agencies as counted, in one statement (one round trip while the hot rows are locked), on one shard.
    static func count(sender: String, recipients: [String], businessType: Int, bucket: String, at time: Int64, by n: Int64 = 1,
                      on connection: PostgresConnection, logger: Logger) async throws {
        let day = HubStore.vietnamDay(time)
        var distinct: [String] = []
        for recipient in recipients where !distinct.contains(recipient) { distinct.append(recipient) }
        var agencies = [sender]
        for recipient in distinct where recipient != sender { agencies.append(recipient) }
        let shard = Int16.random(in: 0..<Int16(counterShards))
        try await connection.query("""
            WITH sender_count AS (
              INSERT INTO daily_sender(day, sender, business_type, bucket, shard, count)
              VALUES (\(day), \(sender), \(businessType), \(bucket), \(shard), \(n))
              ON CONFLICT (day, sender, business_type, bucket, shard) DO UPDATE SET count = daily_sender.count + excluded.count),
            total_count AS (
              INSERT INTO daily_total(day, business_type, bucket, shard, count) VALUES (\(day), \(businessType), \(bucket), \(shard), \(n))
              ON CONFLICT (day, business_type, bucket, shard) DO UPDATE SET count = daily_total.count + excluded.count),
            counted AS (
              INSERT INTO stat_agencies(code) SELECT unnest(\(agencies)::text[]) ON CONFLICT DO NOTHING)
            INSERT INTO daily_pair(day, sender, recipient, business_type, bucket, shard, count)
            SELECT \(day), \(sender), recipient, \(businessType), \(bucket), \(shard), \(n) FROM unnest(\(distinct)::text[]) AS recipient
            ON CONFLICT (day, sender, recipient, business_type, bucket, shard) DO UPDATE SET count = daily_pair.count + excluded.count
            """, logger: logger)
    }

    /// The accepted message under `key`: its answer, id and SHA-256.
    func previous(_ key: String) async throws -> (answer: String, id: String, sha256: String)? {
        for try await row in try await client.query("SELECT answer, id, sha256 FROM messages WHERE idempotency_key = \(key)", logger: logger)
            .decode((String, String, String).self) {
            return row
        }
        return nil
    }

    package func payload(of messageId: String, at location: String) async throws -> [UInt8] {
        guard location == Self.payloadMarker else { throw StoreError.notFound("payload location \(location) is not in this store") }
        var bytes: [UInt8] = []
        var chunks = 0
        for try await chunk in try await client.query("SELECT bytes FROM payload_chunks WHERE message_id = \(messageId) ORDER BY seq", logger: logger)
            .decode(ByteBuffer.self) {
            bytes.append(contentsOf: chunk.readableBytesView)
            chunks += 1
        }
        guard chunks > 0 else { throw StoreError.notFound("no payload for message \(messageId)") }
        return bytes
    }

    package func message(_ id: String) async throws -> StoredMessage? {
        let rows = try await client.query("""
            SELECT id, kind, sender, document_id, received_at, size, sha256, payload, verdict, bucket, business_type, answers_document_id
            FROM messages WHERE id = \(id)
            """, logger: logger)
        for try await r in rows.decode((String, String, String, String?, Int64, Int64, String, String, String, String, Int?, String?).self) {
            return StoredMessage(id: r.0, kind: r.1, sender: r.2, documentId: r.3, receivedAt: r.4, size: Int(r.5), sha256: r.6, payloadPath: r.7,
                                 verdictJSON: r.8, bucket: r.9, businessType: r.10, answersDocumentId: r.11)
        }
        return nil
    }

    package func recipients(of id: String) async throws -> [String] {
        var result: [String] = []
        for try await recipient in try await client.query("SELECT recipient FROM deliveries WHERE message_id = \(id) ORDER BY id", logger: logger)
            .decode(String.self) { result.append(recipient) }
        return result
    }

    package func findMessages(_ key: String) async throws -> [FoundMessage] {
        let rows = try await client.query("""
            (SELECT id, kind, sender, document_id, received_at, bucket FROM messages WHERE id = \(key)
             UNION ALL SELECT id, kind, sender, document_id, received_at, bucket FROM messages WHERE document_id = \(key) AND id <> \(key))
            ORDER BY 5 LIMIT 50
            """, logger: logger)
        var found: [FoundMessage] = []
        for try await r in rows.decode((String, String, String, String?, Int64, String).self) {
            found.append(FoundMessage(id: r.0, kind: r.1, sender: r.2, documentId: r.3, receivedAt: r.4, bucket: r.5))
        }
        return found
    }
}

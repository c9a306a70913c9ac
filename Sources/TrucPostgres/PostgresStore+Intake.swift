import Foundation
import NIOCore
import PostgresNIO
import TrucCore
package import TrucStore
import TrucVocabulary

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
            return AcceptOutcome.of(message, previous: previous)
        }
        let insert = InsertMessageStatement(message: message, size: payload.count,
                                            firstChunk: ByteBuffer(bytes: payload[0..<min(payload.count, Self.chunkSize)]))
        let outcome: AcceptOutcome?
        if message.kind != "edoc" && payload.count <= Self.chunkSize && message.evidence.isEmpty && message.trustSnapshot == nil {
            // A status or a receipt in one chunk: one statement, a transaction of its own (one round trip), its event
            // of the evidence log included.
            let inserted = !(try await client.execute(insert, logger: logger)).isEmpty
            if inserted && !message.targets.isEmpty { try await notifyDeliveries() }
            outcome = inserted ? .accepted : nil
        } else {
            outcome = try await transaction { connection in
                var inserted = false
                for try await _ in try await connection.execute(insert, logger: self.logger) { inserted = true }
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
                try await Self.recordEvidence(message, on: connection, logger: self.logger)
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
        return AcceptOutcome.of(message, previous: previous)
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
        let day = CivilCalendar.vietnamDay(message.receivedAt)
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
        let day = CivilCalendar.vietnamDay(time)
        var distinct: [String] = []
        for recipient in recipients where !distinct.contains(recipient) { distinct.append(recipient) }
        var agencies = [sender]
        for recipient in distinct where recipient != sender { agencies.append(recipient) }
        let shard = Int16.random(in: 0..<Int16(counterShards))
        _ = try await connection.execute(CountStatement(day: day, sender: sender, businessType: Int32(clamping: businessType), bucket: bucket,
                                                    shard: shard, n: n, agencies: agencies, recipients: distinct), logger: logger)
    }

    /// The accepted message under `key`: its answer, id and SHA-256.
    func previous(_ key: String) async throws -> (answer: String, id: String, sha256: String)? {
        try await client.execute(PreviousStatement(key: key), logger: logger).first
    }

    package func payload(of messageId: String, at location: String) async throws -> [UInt8] {
        guard location == Self.payloadMarker else { throw StoreError.notFound("payload location \(location) is not in this store") }
        let chunks = try await client.execute(PayloadStatement(messageId: messageId), logger: logger)
        guard !chunks.isEmpty else { throw StoreError.notFound("no payload for message \(messageId)") }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(chunks.reduce(0) { $0 + $1.readableBytes })
        for chunk in chunks { bytes.append(contentsOf: chunk.readableBytesView) }
        return bytes
    }

    package func message(_ id: String) async throws -> StoredMessage? {
        guard let r = try await client.execute(MessageStatement(id: id), logger: logger).first else { return nil }
        return StoredMessage(id: r.0, kind: r.1, sender: r.2, documentId: r.3, receivedAt: r.4, size: Int(r.5), sha256: r.6, payloadPath: r.7,
                             verdictJSON: r.8, bucket: r.9, businessType: r.10, answersDocumentId: r.11)
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

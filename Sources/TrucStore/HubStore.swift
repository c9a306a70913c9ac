import EdXML
import Foundation
import TrucCore
import TrucCrypto
import TrucSQLite

/// The hub's durable store: agencies and their credentials, messages (metadata in SQLite, bytes in the
/// database up to `inlineLimit`, else in payload segments) and per-recipient deliveries. SQLite in WAL mode:
/// one writer connection owned by this actor (on its own thread), read-only connections for hot lookups, a
/// background checkpointer and a WAL syncer. A large payload is on disk before the transaction that
/// references it commits, and no message is answered 2xx before its transaction is on disk.
package actor HubStore {
    let db: Database
    package let dataDirectory: String
    private let payloadDirectory: String
    /// Where payloads above `inlineLimit` go.
    private let segments: PayloadSegments
    /// The key that seals client systems' secrets, once read (see `HubStore+Systems`).
    var sealingKey: SecretBox?
    /// Messages waiting for the next group commit, and whether a commit is running.
    private var pending: [(Pending, CheckedContinuation<AcceptOutcome, any Error>)] = []
    private var committing = false
    /// The store's own thread (see `StoreExecutor`). One per store, alive as long as the process.
    private let executor = StoreExecutor(name: "truc-store")
    /// Read-only connections for the lookups every request makes (credentials, agencies, idempotency keys),
    /// so that they do not queue behind the writer's commits on the store's thread.
    package nonisolated let readers: ReadPool
    /// Checkpoints the WAL in the background (the writer's own automatic checkpoint only past 80 MiB of log).
    private let checkpointer: Checkpointer
    /// Syncs the log after group commits, so that the store's thread goes on with the next batch meanwhile.
    private let syncer: WALSyncer
    package nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    deinit {
        executor.stop()
        checkpointer.stop()
        syncer.stop()
    }

    package init(dataDirectory: String) throws {
        try FileManager.default.createDirectory(atPath: dataDirectory + "/payloads", withIntermediateDirectories: true)
        self.dataDirectory = dataDirectory
        self.payloadDirectory = dataDirectory + "/payloads"
        segments = try PayloadSegments(directory: dataDirectory + "/payloads")
        db = try Database(path: dataDirectory + "/truc.sqlite")
        try db.execute("PRAGMA synchronous=FULL")
        // 64 MiB of page cache (the default 2 MiB thrashes on national-scale counter tables).
        try db.execute("PRAGMA cache_size=-65536")
        // Pages read through a memory map, not a read(2) each.
        try db.execute("PRAGMA mmap_size=268435456")
        try Migrations.apply(to: db)
        // A commit does not also copy the WAL back into the database: the checkpointer's thread does that,
        // with its own connection, while the writer goes on.
        // (The writer still checkpoints if the log passes 80 MiB, should the checkpointer fall behind.)
        try db.execute("PRAGMA wal_autocheckpoint=20000")
        readers = try ReadPool(path: dataDirectory + "/truc.sqlite", count: 3)
        checkpointer = try Checkpointer(path: dataDirectory + "/truc.sqlite")
        syncer = WALSyncer(databasePath: dataDirectory + "/truc.sqlite")
    }

    // MARK: Agencies

    package func upsert(_ agency: Agency) throws {
        try logDirectoryChange(code: agency.code, name: agency.name, parent: agency.parent, deleted: false)
        try db.run("""
            INSERT INTO agencies(code, name, parent, cert_identifier, cert_sha256, push_url, relay, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(code) DO UPDATE SET name=excluded.name, parent=excluded.parent, cert_identifier=excluded.cert_identifier,
              cert_sha256=excluded.cert_sha256, push_url=excluded.push_url, relay=excluded.relay
            """, [.text(agency.code), .text(agency.name), opt(agency.parent), opt(agency.certificateIdentifier),
                  opt(agency.certificateSHA256), opt(agency.pushURL), .integer(agency.relay ? 1 : 0), .integer(Self.now())])
    }

    /// The agency with this code, as committed (read-only connection, off the store's thread).
    package nonisolated func agency(_ code: String) throws -> Agency? {
        try readers.read { try Self.agency(code, in: $0) }
    }

    /// The agency with this code, seen by the writer's connection (inside the store's own transactions).
    func writerAgency(_ code: String) throws -> Agency? { try Self.agency(code, in: db) }

    static func agency(_ code: String, in db: Database) throws -> Agency? {
        try db.query("SELECT code, name, parent, cert_identifier, cert_sha256, push_url, relay FROM agencies WHERE code = ?", [.text(code)], agencyRow).first
    }

    package func agencies() throws -> [Agency] {
        try db.query("SELECT code, name, parent, cert_identifier, cert_sha256, push_url, relay FROM agencies ORDER BY code", [], Self.agencyRow)
    }

    @discardableResult
    package func removeAgency(_ code: String) throws -> Bool {
        guard let existing = try writerAgency(code) else { return false }
        try db.run("DELETE FROM tokens WHERE agency = ?", [.text(code)])
        try logDirectoryChange(code: code, name: existing.name, parent: existing.parent, deleted: true)
        return try db.run("DELETE FROM agencies WHERE code = ?", [.text(code)]) > 0
    }

    func logDirectoryChange(code: String, name: String, parent: String?, deleted: Bool) throws {
        try db.run("INSERT INTO directory_log(code, name, parent, deleted, at) VALUES (?, ?, ?, ?, ?)",
                   [.text(code), .text(name), opt(parent), .integer(deleted ? 1 : 0), .integer(Self.now())])
    }

    /// The directory as the SDK synchronises it: each code's latest change (its version is the change's
    /// sequence number), deletions included.
    package func directoryChanges() throws -> [DirectoryChange] {
        try db.query("""
            SELECT l.code, l.name, l.parent, l.deleted, l.at, l.seq FROM directory_log l
            JOIN (SELECT code, MAX(seq) AS seq FROM directory_log GROUP BY code) latest ON latest.seq = l.seq ORDER BY l.code
            """) { row in
            DirectoryChange(code: row.text(0) ?? "", name: row.text(1) ?? "", parent: row.text(2), deleted: row.int(3) != 0, at: row.int(4),
                            version: row.int(5))
        }
    }

    /// A recipient's progress short of delivery (the SDK's `updateStatus processing`). False when no such
    /// delivery waits (delivered, failed or unknown).
    package func markProgress(_ id: String, by agency: String, progress: String) throws -> Bool {
        try db.run("""
            UPDATE deliveries SET progress = ?, progress_at = ?, updated_at = ? WHERE message_id = ? AND recipient = ?
              AND state NOT IN ('delivered', 'failed', 'dead')
            """, [.text(progress), .integer(Self.now()), .integer(Self.now()), .text(id), .text(agency)]) > 0
    }

    /// The latest documents the given agencies sent (newest first).
    package func recentSent(by senders: [String], limit: Int) throws -> [String] {
        guard !senders.isEmpty else { return [] }
        return try db.query("""
            SELECT id FROM messages WHERE kind = 'edoc' AND sender IN (\(Array(repeating: "?", count: senders.count).joined(separator: ",")))
            ORDER BY received_at DESC, id DESC LIMIT ?
            """, senders.map { .text($0) } + [.integer(Int64(limit))]) { $0.text(0) ?? "" }
    }

    /// Issues a new API token for the agency; only its SHA-256 is stored. Returns the token (shown once).
    package func issueToken(for code: String) throws -> String {
        guard try writerAgency(code) != nil else { throw StoreError.notFound("no agency \(code)") }
        var random = [UInt8](repeating: 0, count: 32)
        for i in random.indices { random[i] = UInt8.random(in: 0...255) }
        let token = "truc_" + random.hexString
        try db.run("INSERT INTO tokens(token_hash, agency, created_at) VALUES (?, ?, ?)",
                   [.text(Self.tokenHash(token)), .text(code), .integer(Self.now())])
        return token
    }

    /// The agency a token belongs to.
    package nonisolated func agency(forToken token: String) throws -> Agency? {
        try credential(forToken: token)?.agency
    }

    /// The agency a client certificate authenticates: pinned by fingerprint, else by its identifier.
    package nonisolated func agency(forCertificateSHA256 fingerprint: String, identifiers: [String]) throws -> Agency? {
        try readers.read { db in try Self.agency(forCertificateSHA256: fingerprint, identifiers: identifiers, in: db) }
    }

    static func agency(forCertificateSHA256 fingerprint: String, identifiers: [String], in db: Database) throws -> Agency? {
        if let pinned = try db.query("SELECT code, name, parent, cert_identifier, cert_sha256, push_url, relay FROM agencies WHERE cert_sha256 = ?",
                                     [.text(fingerprint)], Self.agencyRow).first { return pinned }
        for identifier in identifiers {
            let matches = try db.query("SELECT code, name, parent, cert_identifier, cert_sha256, push_url, relay FROM agencies WHERE cert_identifier = ? AND cert_sha256 IS NULL",
                                       [.text(identifier)], Self.agencyRow)
            if matches.count == 1 { return matches[0] }
        }
        return nil
    }

    static func tokenHash(_ token: String) -> String { Digest.sha256(Array(token.utf8)).hexString }

    // MARK: Messages

    /// Payloads up to this size are stored in the database with their message; larger ones in segments.
    package static let inlineLimit = 64 << 10
    /// The `payload` column's value for a payload kept in `payload_blobs`.
    package static let inlineMarker = "inline"

    /// Stores an accepted message and one delivery per recipient, durably; or, when the idempotency key was
    /// seen before, nothing, and returns the first answer.
    ///
    /// Group commit: messages that arrive while a batch is recorded wait and go together into the next
    /// transaction (each in its own savepoint, so one failure fails only its message; one WAL sync for the
    /// batch, see `commitPending`). A payload up to `inlineLimit` is written in that same transaction; a
    /// larger one is appended to a payload segment and synced off the store's thread first (concurrent
    /// intakes share the sync). Either way nothing is acknowledged before it is on disk.
    package nonisolated func accept(_ message: IncomingMessage, payload: [UInt8]) async throws -> AcceptOutcome {
        if payload.count <= Self.inlineLimit {
            // (The transaction checks the idempotency key; a duplicate writes nothing.)
            return try await enqueue(Pending(message: message, path: Self.inlineMarker, size: payload.count, inline: payload))
        }
        // A duplicate or a conflict is answered before its payload is written.
        if let previous = try readers.read({ try Self.previous(message.idempotencyKey, in: $0) }) { return Self.outcome(message, previous) }
        let segments = self.segments
        let location = try await Self.blockingIO { try segments.append(payload) }
        // (Should the transaction fail, the appended bytes stay unreferenced in the segment.)
        return try await enqueue(Pending(message: message, path: location, size: payload.count, inline: nil))
    }

    /// Runs blocking file I/O (write + fsync, reads of payloads) on threads of its own, not on the threads
    /// that parse and verify requests (a custom concurrent queue overcommits: a blocked worker gets a sibling).
    private static let ioQueue = DispatchQueue(label: "truc-store-io", attributes: .concurrent)

    static func blockingIO<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            ioQueue.async {
                do {
                    continuation.resume(returning: try body())
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    struct Pending {
        let message: IncomingMessage
        let path: String
        let size: Int
        let inline: [UInt8]?
    }

    private func enqueue(_ item: Pending) async throws -> AcceptOutcome {
        try await withCheckedThrowingContinuation { continuation in
            pending.append((item, continuation))
            if !committing {
                committing = true
                Task { self.commitPending() }
            }
        }
    }

    /// Records everything pending in one transaction; runs until nothing is pending.
    ///
    /// The transaction commits without its own fsync (`synchronous=NORMAL` for it alone); the callers are
    /// answered by the syncer once the log is on disk, while this thread records the next batch. Every other
    /// write of the store commits with `synchronous=FULL`.
    private func commitPending() {
        while !pending.isEmpty {
            let batch = pending
            pending.removeAll()
            var outcomes: [Result<AcceptOutcome, any Error>] = []
            do {
                try db.run("PRAGMA synchronous=NORMAL")
                defer { _ = try? db.run("PRAGMA synchronous=FULL") }
                try db.run("BEGIN IMMEDIATE")
                for (item, _) in batch {
                    do {
                        try db.run("SAVEPOINT message")
                        let outcome = try record(item)
                        try db.run("RELEASE message")
                        outcomes.append(.success(outcome))
                    } catch {
                        _ = try? db.run("ROLLBACK TO message")
                        _ = try? db.run("RELEASE message")
                        outcomes.append(.failure(error))
                    }
                }
                try db.run("COMMIT")
            } catch {
                try? db.execute("ROLLBACK")
                outcomes = batch.map { _ in .failure(error) }
                for ((_, continuation), outcome) in zip(batch, outcomes) { continuation.resume(with: outcome) }
                continue
            }
            let answers = zip(batch.map(\.1), outcomes).map { ($0, $1) }
            syncer.afterSync { error in
                for (continuation, outcome) in answers {
                    if let error { continuation.resume(throwing: error) } else { continuation.resume(with: outcome) }
                }
            }
        }
        committing = false
    }

    /// One message's rows, inside the batch's transaction.
    private func record(_ item: Pending) throws -> AcceptOutcome {
        let message = item.message
        if let previous = try Self.previous(message.idempotencyKey, in: db) { return Self.outcome(message, previous) }
        try db.run("""
            INSERT INTO messages(id, kind, sender, document_id, idempotency_key, received_at, size, sha256, payload,
              verdict, bucket, business_type, status_code, answers_document_id, answer, via, due_date)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [.text(message.id), .text(message.kind), .text(message.sender), opt(message.documentId), .text(message.idempotencyKey),
                  .integer(message.receivedAt), .integer(Int64(item.size)), .text(message.sha256), .text(item.path),
                  .text(message.verdictJSON), .text(message.bucket), message.businessType.map { .integer(Int64($0)) } ?? .null,
                  opt(message.statusCode), opt(message.answersDocumentId), .text(message.answerJSON),
                  .text(message.via.joined(separator: ",")), opt(message.dueDate)])
        if let inline = item.inline {
            try db.run("INSERT INTO payload_blobs(message_id, bytes) VALUES (?, ?)", [.text(message.id), .blob(inline)])
        }
        if message.kind == "edoc" {
            // One entry per distinct document, on the day of its first arrival: a document refused before
            // (counted invalid then) moves to the bucket of its accepted copy, on that first day.
            var countedAt = message.receivedAt
            if let refused = try db.query("""
                SELECT first_at, sender, business_type, recipients FROM refused_keys WHERE key = ? AND resolved = 0
                """, [.text(message.idempotencyKey)], { ($0.int(0), $0.text(1) ?? "", Int($0.int(2)), $0.text(3) ?? "") }).first {
                let recipients = refused.3.split(separator: "\n").map(String.init)
                try count(sender: refused.1, recipients: recipients, businessType: refused.2, bucket: "invalid", at: refused.0, by: -1)
                try db.run("UPDATE refused_keys SET resolved = 1 WHERE key = ?", [.text(message.idempotencyKey)])
                countedAt = refused.0
            }
            try count(sender: message.sender, recipients: message.recipients, businessType: message.businessType ?? 0,
                      bucket: message.bucket, at: countedAt)
            let day = Self.vietnamDay(message.receivedAt)
            for signer in message.signers {
                try db.run("INSERT OR IGNORE INTO daily_signer(day, agency, kind, certificate) VALUES (?, ?, ?, ?)",
                           [.text(day), .text(message.sender), .text(signer.kind), .text(signer.certificate)])
            }
        }
        for (recipient, reason) in message.unrouted.sorted(by: { $0.key < $1.key }) {
            try db.run("""
                INSERT INTO deliveries(message_id, recipient, kind, state, attempts, updated_at, reason) VALUES (?, ?, ?, ?, 0, ?, ?)
                """, [.text(message.id), .text(recipient), .text(message.kind), .text(DeliveryState.failed.rawValue),
                      .integer(message.receivedAt), .text(reason)])
        }
        for recipient in message.recipients {
            let target = message.targets[recipient]
            let state: DeliveryState = target == nil ? .awaitingPull : .queued
            try db.run("""
                INSERT INTO deliveries(message_id, recipient, kind, state, attempts, updated_at, target, next_attempt_at)
                VALUES (?, ?, ?, ?, 0, ?, ?, ?)
                """, [.text(message.id), .text(recipient), .text(message.kind), .text(state.rawValue),
                      .integer(message.receivedAt), opt(target), target == nil ? .null : .integer(message.receivedAt)])
        }
        return .accepted
    }

    /// The exact bytes of a stored message (from the database or its file).
    /// - Parameter location: `StoredMessage.payloadPath` / `DueDelivery.payloadPath`.
    package nonisolated func payload(of messageId: String, at location: String) async throws -> [UInt8] {
        if location == Self.inlineMarker {
            guard let bytes = try await inlinePayload(messageId) else { throw StoreError.notFound("no payload for message \(messageId)") }
            return bytes
        }
        if location.hasPrefix(PayloadSegments.prefix) {
            let directory = payloadDirectory
            return try await Self.blockingIO { try PayloadSegments.read(location, directory: directory) }
        }
        // (A file of its own: how versions before payload segments stored large payloads.)
        return try await Self.blockingIO { [UInt8](try Data(contentsOf: URL(fileURLWithPath: location))) }
    }

    private func inlinePayload(_ id: String) throws -> [UInt8]? {
        try db.query("SELECT bytes FROM payload_blobs WHERE message_id = ?", [.text(id)]) { $0.blob(0) ?? [] }.first
    }

    static func previousAnswer(_ key: String, in db: Database) throws -> String? {
        try previous(key, in: db)?.answer
    }

    /// The accepted message under `key`: its answer, id and SHA-256.
    static func previous(_ key: String, in db: Database) throws -> (answer: String, id: String, sha256: String)? {
        try db.query("SELECT answer, id, sha256 FROM messages WHERE idempotency_key = ?", [.text(key)]) {
            ($0.text(0) ?? "", $0.text(1) ?? "", $0.text(2) ?? "")
        }.first
    }

    /// A message under an accepted key: the same bytes are a duplicate; other bytes a conflict (the sender
    /// must send an update or a replacement instead), unless they come from a relaying peer.
    static func outcome(_ message: IncomingMessage, _ previous: (answer: String, id: String, sha256: String)) -> AcceptOutcome {
        if previous.sha256 == message.sha256 || message.differentBytesAreDuplicates { return .duplicate(previous.answer) }
        return .conflict(messageId: previous.id, sha256: previous.sha256)
    }

    package func message(_ id: String) throws -> StoredMessage? {
        try db.query("""
            SELECT id, kind, sender, document_id, received_at, size, sha256, payload, verdict, bucket, business_type, answers_document_id
            FROM messages WHERE id = ?
            """, [.text(id)]) { row in
            StoredMessage(id: row.text(0) ?? "", kind: row.text(1) ?? "", sender: row.text(2) ?? "", documentId: row.text(3),
                          receivedAt: row.int(4), size: Int(row.int(5)), sha256: row.text(6) ?? "", payloadPath: row.text(7) ?? "",
                          verdictJSON: row.text(8) ?? "{}", bucket: row.text(9) ?? "",
                          businessType: row.isNull(10) ? nil : Int(row.int(10)), answersDocumentId: row.text(11))
        }.first
    }

    /// Revocations, updates and replacements received for a document (by its DocumentId), oldest first.
    package func documentsActingOn(_ documentId: String) throws -> [LinkedDocument] {
        try db.query("""
            SELECT id, sender, document_id, business_type, received_at FROM messages
            WHERE kind = 'edoc' AND answers_document_id = ? AND business_type IN (1, 2, 3) ORDER BY received_at, id
            """, [.text(documentId)], Self.linkedRow)
    }

    /// The original documents (business type 0) with this DocumentId.
    package func originals(_ documentId: String) throws -> [LinkedDocument] {
        try db.query("""
            SELECT id, sender, document_id, business_type, received_at FROM messages
            WHERE kind = 'edoc' AND document_id = ? AND COALESCE(business_type, 0) = 0 ORDER BY received_at, id
            """, [.text(documentId)], Self.linkedRow)
    }

    static func linkedRow(_ row: Row) -> LinkedDocument {
        LinkedDocument(messageId: row.text(0) ?? "", sender: row.text(1) ?? "", documentId: row.text(2), businessType: Int(row.int(3)),
                       receivedAt: row.int(4))
    }

    package func recipients(of id: String) throws -> [String] {
        try db.query("SELECT recipient FROM deliveries WHERE message_id = ? ORDER BY id", [.text(id)]) { $0.text(0) ?? "" }
    }

    /// What waits for `agency`, oldest first, after the cursor.
    /// - Parameter includeReceipts: with kind `status` (or nil), the hub's delivery receipts too.
    package func inbox(for agency: String, kind: String?, after cursor: Int64, limit: Int, includeReceipts: Bool = true) throws -> [InboxItem] {
        var sql = """
            SELECT d.id, d.message_id, d.kind, m.sender, m.document_id, m.received_at, m.size, m.sha256, m.bucket, m.status_code
            FROM deliveries d JOIN messages m ON m.id = d.message_id
            WHERE d.recipient = ? AND d.state = 'awaiting-pull' AND d.id > ?
            """
        var bindings: [SQLiteValue] = [.text(agency), .integer(cursor)]
        if let kind {
            // Status items are the business status messages and the hub's delivery receipts.
            sql += kind == "status" && includeReceipts ? " AND d.kind IN ('status', 'receipt')" : " AND d.kind = ?"
            if kind != "status" || !includeReceipts { bindings.append(.text(kind)) }
        } else if !includeReceipts {
            sql += " AND d.kind <> 'receipt'"
        }
        sql += " ORDER BY d.id LIMIT ?"
        bindings.append(.integer(Int64(limit)))
        return try db.query(sql, bindings) { row in
            InboxItem(cursor: row.int(0), messageId: row.text(1) ?? "", kind: row.text(2) ?? "", sender: row.text(3) ?? "",
                      documentId: row.text(4), receivedAt: row.int(5), size: Int(row.int(6)), sha256: row.text(7) ?? "",
                      bucket: row.text(8) ?? "", statusCode: row.text(9), recipient: agency)
        }
    }

    /// Marks the recipient's delivery taken (`done`) or refused (`fail`). Idempotent: acknowledging again
    /// with the same outcome changes nothing and succeeds; returns nil when there is no such delivery.
    package func acknowledge(_ id: String, by agency: String, outcome: AckOutcome, reason: String?) throws -> DeliveryState? {
        let current = try db.query("SELECT state FROM deliveries WHERE message_id = ? AND recipient = ?", [.text(id), .text(agency)]) {
            $0.text(0).flatMap(DeliveryState.init(rawValue:))
        }
        guard let found = current.first, let state = found else { return nil }
        let target: DeliveryState = outcome == .done ? .delivered : .failed
        if state == .delivered || state == .failed { return state }
        try db.run("""
            UPDATE deliveries SET state = ?, delivered_at = ?, how = 'pull', reason = ?, updated_at = ? WHERE message_id = ? AND recipient = ?
            """, [.text(target.rawValue), .integer(Self.now()), opt(reason), .integer(Self.now()), .text(id), .text(agency)])
        return target
    }

    package func trace(_ id: String) throws -> [DeliveryTrace] {
        try db.query("""
            SELECT recipient, state, attempts, delivered_at, how, reason, updated_at, progress, progress_at FROM deliveries
            WHERE message_id = ? ORDER BY id
            """, [.text(id)]) { row in
            DeliveryTrace(recipient: row.text(0) ?? "", state: row.text(1) ?? "", attempts: Int(row.int(2)),
                          deliveredAt: row.isNull(3) ? nil : row.int(3), how: row.text(4), reason: row.text(5), updatedAt: row.int(6),
                          progress: row.text(7), progressAt: row.isNull(8) ? nil : row.int(8))
        }
    }

    /// Status messages the hub received that answer this document.
    package func statuses(answering documentId: String) throws -> [StatusTrace] {
        try db.query("""
            SELECT id, sender, status_code, received_at FROM messages WHERE kind = 'status' AND answers_document_id = ? ORDER BY received_at, id
            """, [.text(documentId)]) { row in
            StatusTrace(messageId: row.text(0) ?? "", sender: row.text(1) ?? "", statusCode: row.text(2), receivedAt: row.int(3))
        }
    }

    // MARK: Delivery engine

    /// After a crash or restart: deliveries caught mid-attempt are attempted again (at-least-once on the wire).
    package func recoverInFlight() throws {
        try db.run("UPDATE deliveries SET state = 'queued', next_attempt_at = ? WHERE state = 'sending'", [.integer(Self.now())])
    }

    /// Claims deliveries that are due: marks them `sending` and returns them.
    package func claimDue(now: Int64, limit: Int) throws -> [DueDelivery] {
        try db.transaction {
            let due = try db.query("""
                SELECT d.id, d.message_id, d.recipient, d.target, d.attempts, m.payload, m.via, m.sender, m.kind FROM deliveries d JOIN messages m ON m.id = d.message_id
                WHERE d.state IN ('queued', 'waiting-retry') AND d.next_attempt_at <= ?
                  AND NOT EXISTS (SELECT 1 FROM paused p WHERE p.code = d.recipient)
                ORDER BY d.next_attempt_at, d.id LIMIT ?
                """, [.integer(now), .integer(Int64(limit))]) { row in
                DueDelivery(id: row.int(0), messageId: row.text(1) ?? "", recipient: row.text(2) ?? "", target: row.text(3) ?? "",
                            attempts: Int(row.int(4)), payloadPath: row.text(5) ?? "",
                            via: (row.text(6) ?? "").split(separator: ",").map(String.init), sender: row.text(7) ?? "",
                            kind: row.text(8) ?? "")
            }
            for d in due {
                try db.run("UPDATE deliveries SET state = 'sending', updated_at = ? WHERE id = ?", [.integer(now), .integer(d.id)])
            }
            return due
        }
    }

    /// Records an attempt: delivered, to be retried at `retryAt`, or dead (retryAt nil after a failure).
    package func recordAttempt(_ id: Int64, delivered: Bool, how: String, reason: String?, retryAt: Int64?) throws {
        let now = Self.now()
        if delivered {
            try db.run("""
                UPDATE deliveries SET state = 'delivered', attempts = attempts + 1, delivered_at = ?, how = ?, reason = NULL, updated_at = ? WHERE id = ?
                """, [.integer(now), .text(how), .integer(now), .integer(id)])
        } else {
            let state: DeliveryState = retryAt == nil ? .dead : .waitingRetry
            try db.run("""
                UPDATE deliveries SET state = ?, attempts = attempts + 1, reason = ?, next_attempt_at = ?, updated_at = ? WHERE id = ?
                """, [.text(state.rawValue), opt(reason), retryAt.map { .integer($0) } ?? .null, .integer(now), .integer(id)])
        }
    }

    /// Puts a dead (or failed) push/forward delivery back in the queue, attempts reset. Returns false when
    /// there is no such delivery or it is not dead.
    package func requeue(messageId: String, recipient: String) throws -> Bool {
        try db.run("""
            UPDATE deliveries SET state = 'queued', attempts = 0, next_attempt_at = ?, updated_at = ?
            WHERE message_id = ? AND recipient = ? AND state = 'dead' AND target IS NOT NULL
            """, [.integer(Self.now()), .integer(Self.now()), .text(messageId), .text(recipient)]) > 0
    }

    /// Deliveries in a state (all states when nil), oldest first.
    package func deliveries(state: DeliveryState?, limit: Int = 500) throws -> [QueuedDelivery] {
        var sql = """
            SELECT d.message_id, d.recipient, d.state, d.attempts, d.target, d.next_attempt_at, d.reason, m.sender, m.document_id
            FROM deliveries d JOIN messages m ON m.id = d.message_id
            """
        var bindings: [SQLiteValue] = []
        if let state {
            sql += " WHERE d.state = ?"
            bindings.append(.text(state.rawValue))
        }
        sql += " ORDER BY d.id LIMIT ?"
        bindings.append(.integer(Int64(limit)))
        return try db.query(sql, bindings) { row in
            QueuedDelivery(messageId: row.text(0) ?? "", recipient: row.text(1) ?? "", state: row.text(2) ?? "", attempts: Int(row.int(3)),
                           target: row.text(4), nextAttemptAt: row.isNull(5) ? nil : row.int(5), reason: row.text(6),
                           sender: row.text(7) ?? "", documentId: row.text(8))
        }
    }

    /// Receipts the hub issued for a message (hub ids), by recipient.
    package func receipts(for messageId: String) throws -> [ReceiptTrace] {
        try db.query("""
            SELECT id, received_at, payload FROM messages WHERE kind = 'receipt' AND answers_document_id = ? ORDER BY received_at, id
            """, [.text(messageId)]) { row in
            ReceiptTrace(receiptId: row.text(0) ?? "", issuedAt: row.int(1))
        }
    }

    /// The age in seconds of the oldest message waiting in an inbox (awaiting pull), nil when none waits.
    package func oldestAwaitingPull(now: Int64) throws -> Int64? {
        try db.query("""
            SELECT MIN(m.received_at) FROM deliveries d JOIN messages m ON m.id = d.message_id WHERE d.state = 'awaiting-pull'
            """) { $0.isNull(0) ? nil : now - $0.int(0) }.first ?? nil
    }

    /// Deliveries per state, and the age in seconds of the oldest one still waiting (any state but
    /// delivered, failed and dead).
    package func queueFigures(now: Int64) throws -> ([String: Int], Int64?) {
        var depths: [String: Int] = [:]
        for (state, count) in try db.query("SELECT state, COUNT(*) FROM deliveries GROUP BY state", [], { ($0.text(0) ?? "", Int($0.int(1))) }) {
            depths[state] = count
        }
        let oldest = try db.query("""
            SELECT MIN(m.received_at) FROM deliveries d JOIN messages m ON m.id = d.message_id
            WHERE d.state NOT IN ('delivered', 'failed', 'dead')
            """) { $0.isNull(0) ? nil : $0.int(0) }.first ?? nil
        return (depths, oldest.map { max(0, now - $0) })
    }

    /// True when the store answers a write (readiness).
    package func isWritable() -> Bool {
        (try? db.execute("BEGIN IMMEDIATE; COMMIT")) != nil
    }

    // MARK: Statistics

    private func count(sender: String, recipients: [String], businessType: Int, bucket: String, at time: Int64, by n: Int = 1) throws {
        let day = Self.vietnamDay(time)
        try addCount(day: day, sender: sender, businessType: businessType, bucket: bucket, count: n)
        for recipient in recipients {
            try addPairCount(day: day, sender: sender, recipient: recipient, businessType: businessType, bucket: bucket, count: n)
        }
    }

    func addCount(day: String, sender: String, businessType: Int, bucket: String, count: Int) throws {
        try db.run("""
            INSERT INTO daily_sender(day, sender, business_type, bucket, count) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT DO UPDATE SET count = count + excluded.count
            """, [.text(day), .text(sender), .integer(Int64(businessType)), .text(bucket), .integer(Int64(count))])
        try db.run("""
            INSERT INTO daily_total(day, business_type, bucket, count) VALUES (?, ?, ?, ?)
            ON CONFLICT DO UPDATE SET count = count + excluded.count
            """, [.text(day), .integer(Int64(businessType)), .text(bucket), .integer(Int64(count))])
        try db.run("INSERT OR IGNORE INTO stat_agencies(code) VALUES (?)", [.text(sender)])
    }

    func addPairCount(day: String, sender: String, recipient: String, businessType: Int, bucket: String, count: Int) throws {
        try db.run("INSERT OR IGNORE INTO stat_agencies(code) VALUES (?)", [.text(recipient)])
        try db.run("""
            INSERT INTO daily_pair(day, sender, recipient, business_type, bucket, count) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT DO UPDATE SET count = count + excluded.count
            """, [.text(day), .text(sender), .text(recipient), .integer(Int64(businessType)), .text(bucket), .integer(Int64(count))])
    }

    /// Counts a document the intake refused because a signature is invalid: it is not stored, but the
    /// sender did send it, and the signed-ratio statistics count it in the `invalid` bucket — once per
    /// document (`key`: sender + DocumentId + business type, as the idempotency key), however often it is
    /// re-sent, and not at all when a copy with that key was already accepted. Returns whether it was counted.
    @discardableResult
    package func countRefused(key: String, sender: String, recipients: [String], businessType: Int, at time: Int64) throws -> Bool {
        try db.transaction {
            if try Self.previousAnswer(key, in: db) != nil { return false }
            let recipientList = recipients.joined(separator: "\n")
            guard try db.run("""
                INSERT INTO refused_keys(key, first_at, sender, business_type, recipients) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
                """, [.text(key), .integer(time), .text(sender), .integer(Int64(businessType)), .text(recipientList)]) == 1 else {
                return false
            }
            try count(sender: sender, recipients: recipients, businessType: businessType, bucket: "invalid", at: time)
            return true
        }
    }

    /// Counts per group and bucket within [from, to] (Vietnam days, `yyyy-MM-dd`), for the given senders
    /// (all when nil), business types, and optionally only documents addressed to `recipient`. Aggregated in
    /// SQL from the daily counters; whole-hub reports by day or month read the daily totals.
    package func signedCounts(from: String, to: String, senders: [String]?, businessTypes: [Int], recipient: String?,
                              grouping: CountGrouping = .sender) throws -> [DailyCount] {
        let key: String
        switch grouping {
        case .sender: key = "?, sender"
        case .day: key = "day, ''"
        case .month: key = "substr(day, 1, 7) || '-01', ''"
        }
        var table = "daily_sender"
        var bindings: [SQLiteValue] = grouping == .sender ? [.text(from)] : []
        var conditions = "day BETWEEN ? AND ?"
        if let recipient {
            table = "daily_pair"
            conditions = "recipient = ? AND " + conditions
            bindings.append(.text(recipient))
        } else if senders == nil && grouping != .sender {
            table = "daily_total"
        }
        bindings += [.text(from), .text(to)]
        var sql = "SELECT \(key), bucket, SUM(count) FROM \(table) WHERE \(conditions)"
        if let senders {
            if senders.isEmpty { return [] }
            sql += " AND sender IN (\(Array(repeating: "?", count: senders.count).joined(separator: ",")))"
            bindings += senders.map { .text($0) }
        }
        if !businessTypes.isEmpty {
            sql += " AND business_type IN (\(Array(repeating: "?", count: businessTypes.count).joined(separator: ",")))"
            bindings += businessTypes.map { .integer(Int64($0)) }
        }
        sql += " GROUP BY 1, 2, 3"
        return try db.query(sql, bindings) { row in
            DailyCount(day: row.text(0) ?? "", sender: row.text(1) ?? "", bucket: row.text(2) ?? "", count: Int(row.int(3)))
        }
    }

    /// Changes whenever an agency is added, changed or removed (by any process): what was looked up under an
    /// earlier value may be stale. Read-only connection, off the store's thread.
    package nonisolated func agenciesVersion() throws -> Int64 {
        try readers.read { try Self.agenciesVersion(in: $0) }
    }

    static func agenciesVersion(in db: Database) throws -> Int64 {
        try db.query("SELECT value FROM meta WHERE key = 'directory_version'") { $0.int(0) }.first ?? 0
    }

    /// Changes whenever an agency is added, changed or removed (by any process), and when an agency is
    /// counted for the first time: readers cache the directory under it.
    package func directoryVersion() throws -> String {
        let version = try Self.agenciesVersion(in: db)
        let counted = try db.query("SELECT COUNT(*) FROM stat_agencies") { $0.int(0) }.first ?? 0
        return "\(version)/\(counted)"
    }

    /// Documents sent (by the senders) and received (by the same agencies) per group, in [from, to]; documents
    /// refused for an invalid signature were not exchanged and are left out (they count only in the ratios).
    /// - Parameter byDay: group by day (else by agency).
    package func volume(from: String, to: String, agencies: [String]?, byDay: Bool) throws -> [VolumeRow] {
        func filter(_ column: String) -> (String, [SQLiteValue]) {
            guard let agencies else { return ("", []) }
            if agencies.isEmpty { return (" AND 0", []) }
            return (" AND \(column) IN (\(Array(repeating: "?", count: agencies.count).joined(separator: ",")))", agencies.map { .text($0) })
        }
        let (senderFilter, senderBindings) = filter("sender")
        let (recipientFilter, recipientBindings) = filter("recipient")
        let sentKey = byDay ? "day" : "sender", receivedKey = byDay ? "day" : "recipient"
        var rows: [String: VolumeRow] = [:]
        for (key, n) in try db.query("SELECT \(sentKey), SUM(count) FROM daily_sender WHERE day BETWEEN ? AND ? AND bucket != 'invalid'\(senderFilter) GROUP BY 1",
                                     [.text(from), .text(to)] + senderBindings, { ($0.text(0) ?? "", Int($0.int(1))) }) {
            rows[key, default: VolumeRow(key: key, sent: 0, received: 0)].sent += n
        }
        for (key, n) in try db.query("SELECT \(receivedKey), SUM(count) FROM daily_pair WHERE day BETWEEN ? AND ? AND bucket != 'invalid'\(recipientFilter) GROUP BY 1",
                                     [.text(from), .text(to)] + recipientBindings, { ($0.text(0) ?? "", Int($0.int(1))) }) {
            rows[key, default: VolumeRow(key: key, sent: 0, received: 0)].received += n
        }
        return rows.values.sorted { $0.key < $1.key }
    }

    /// Distinct signing certificates seen on the agencies' accepted documents in [from, to], by kind.
    package func signerCounts(from: String, to: String, agencies: [String]?) throws -> [String: Int] {
        var sql = "SELECT kind, COUNT(DISTINCT certificate) FROM daily_signer WHERE day BETWEEN ? AND ?"
        var bindings: [SQLiteValue] = [.text(from), .text(to)]
        if let agencies {
            if agencies.isEmpty { return [:] }
            sql += " AND agency IN (\(Array(repeating: "?", count: agencies.count).joined(separator: ",")))"
            bindings += agencies.map { .text($0) }
        }
        var result: [String: Int] = [:]
        for (kind, n) in try db.query(sql + " GROUP BY kind", bindings, { ($0.text(0) ?? "", Int($0.int(1))) }) { result[kind] = n }
        return result
    }

    /// Documents received by the agencies in [from, to] (Vietnam days), each with the earliest time of every
    /// status code the recipient sent for it.
    package func receivedDocuments(from: String, to: String, recipients: [String]?) throws -> [TimelinessReport.Document] {
        // Vietnam day boundaries as epoch seconds.
        func start(_ day: String) -> Int64 {
            let p = day.split(separator: "-").compactMap { Int($0) }
            return Int64(CivilCalendar.days(year: p[0], month: p[1], day: p[2])) * 86_400 - 7 * 3600
        }
        var sql = """
            SELECT m.id, m.document_id, m.sender, d.recipient, m.received_at, m.due_date FROM deliveries d JOIN messages m ON m.id = d.message_id
            WHERE m.kind = 'edoc' AND m.document_id IS NOT NULL AND m.received_at >= ? AND m.received_at < ?
            """
        var bindings: [SQLiteValue] = [.integer(start(from)), .integer(start(to) + 86_400)]
        if let recipients {
            if recipients.isEmpty { return [] }
            sql += " AND d.recipient IN (\(Array(repeating: "?", count: recipients.count).joined(separator: ",")))"
            bindings += recipients.map { .text($0) }
        }
        var documents = try db.query(sql + " ORDER BY m.received_at", bindings) { row in
            TimelinessReport.Document(messageId: row.text(0) ?? "", documentId: row.text(1) ?? "", sender: row.text(2) ?? "",
                                      recipient: row.text(3) ?? "", receivedAt: row.int(4), dueDate: row.text(5), statusTimes: [:])
        }
        let statuses = try db.prepare("""
            SELECT status_code, MIN(received_at) FROM messages WHERE kind = 'status' AND answers_document_id = ? AND sender = ? GROUP BY status_code
            """)
        for i in documents.indices {
            try statuses.bind([.text(documents[i].documentId), .text(documents[i].recipient)])
            while let row = try statuses.step() {
                if let code = row.text(0) { documents[i].statusTimes[code] = row.int(1) }
            }
        }
        return documents
    }

    /// Every sender code with counts (for subtree scopes that include agencies of other hubs).
    package func countedAgencies() throws -> [String] {
        try db.query("SELECT code FROM stat_agencies ORDER BY code") { $0.text(0) ?? "" }
    }

    /// `yyyy-MM-dd` of a time in Vietnam (UTC+7, no daylight saving).
    package static func vietnamDay(_ epoch: Int64) -> String { CivilCalendar.vietnamDay(epoch) }

    // MARK: helpers

    static func now() -> Int64 { Int64(Date().timeIntervalSince1970) }

    private func opt(_ s: String?) -> SQLiteValue { s.map { .text($0) } ?? .null }

    static func agencyRow(_ row: Row) -> Agency {
        Agency(code: row.text(0) ?? "", name: row.text(1) ?? "", parent: row.text(2), certificateIdentifier: row.text(3),
               certificateSHA256: row.text(4), pushURL: row.text(5), relay: row.int(6) != 0)
    }
}

package enum StoreError: Error, CustomStringConvertible {
    case notFound(String)
    case conflict(String)
    case invalid(String)
    package var description: String {
        switch self {
        case .notFound(let m), .conflict(let m), .invalid(let m): m
        }
    }
}

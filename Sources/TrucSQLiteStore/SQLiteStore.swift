import Foundation
package import TrucConcurrency
import TrucCore
import TrucCrypto
import TrucSQLite
package import TrucStore
import TrucVocabulary

/// The hub's durable store: agencies and their credentials, messages (metadata in SQLite, bytes in the
/// database up to `inlineLimit`, else in payload segments) and per-recipient deliveries. SQLite in WAL mode:
/// one writer connection owned by this actor (on its own thread), read-only connections for hot lookups, a
/// background checkpointer and a WAL syncer. A large payload is on disk before the transaction that
/// references it commits, and no message is answered 2xx before its transaction is on disk.
package actor SQLiteStore {
    let db: Database
    package let dataDirectory: String
    /// The time the store writes (sessions, pauses, deliveries' updates, tokens' creation): the system's clock, or
    /// a test's. Evidence-log events are dated by the system's clock.
    nonisolated let clock: WallClock
    private let payloadDirectory: String
    /// Where payloads above `inlineLimit` go.
    let segments: PayloadSegments
    /// The key that seals client systems' secrets, once read (see `SQLiteStore+Systems`).
    var sealingKey: SecretBox?
    /// Messages waiting for the next group commit, and whether a commit is running.
    private var pending: [(Pending, CheckedContinuation<AcceptOutcome, any Error>)] = []
    private var committing = false
    /// The store's own thread (see `StoreExecutor`). One per store, alive as long as the process.
    private let executor = StoreExecutor(name: "truc-store")
    /// Read-only connections for the lookups every request makes (credentials, agencies, idempotency keys),
    /// so that they do not queue behind the writer's commits on the store's thread.
    nonisolated let readers: ReadPool
    /// Read-only connections for reports (statistics over a period: up to seconds at national scale), apart
    /// from `readers` so that a long report never delays a request's credential lookup.
    nonisolated let reports: ReadPool
    /// Checkpoints the WAL in the background (the writer's own automatic checkpoint only past 80 MiB of log).
    private let checkpointer: Checkpointer
    /// Syncs the log after group commits, so that the store's thread goes on with the next batch meanwhile.
    let syncer: WALSyncer
    package nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    deinit {
        executor.stop()
        checkpointer.stop()
        syncer.stop()
    }

    package init(dataDirectory: String, clock: WallClock = .system) throws {
        self.clock = clock
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
        reports = try ReadPool(path: dataDirectory + "/truc.sqlite", count: 2)
        checkpointer = try Checkpointer(path: dataDirectory + "/truc.sqlite")
        syncer = WALSyncer(databasePath: dataDirectory + "/truc.sqlite")
    }

    // MARK: Messages

    /// Payloads up to this size are stored in the database with their message; larger ones in segments.
    package static let inlineLimit = 64 << 10
    /// The `payload` column's value for a payload kept in `payloads`.
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
        if let previous = try readers.read({ try Self.previous(message.idempotencyKey, in: $0) }) { return AcceptOutcome.of(message, previous: previous) }
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

    /// The message's validation data and trust snapshot: each object once (by SHA-256), a link per message.
    private func recordEvidence(_ message: IncomingMessage) throws {
        try keepObjects(message.evidence, snapshot: message.trustSnapshot, at: message.receivedAt)
        for object in message.evidence {
            try db.run("INSERT OR IGNORE INTO message_objects(message_id, sha256) VALUES (?, ?)", [.text(message.id), .text(object.sha256)])
        }
    }

    /// Validation objects and a trust snapshot kept once each (by SHA-256, by id), inside the caller's transaction.
    func keepObjects(_ objects: [EvidenceRecord], snapshot: TrustSnapshotRecord?, at time: Int64) throws {
        for object in objects {
            // The common CA's CRL is held once: its bytes are bound only the first time.
            let held = try db.query("SELECT 1 FROM validation_objects WHERE sha256 = ?", [.text(object.sha256)]) { $0.int(0) }.isEmpty == false
            if !held {
                try db.run("INSERT INTO validation_objects(sha256, kind, der, first_seen) VALUES (?, ?, ?, ?)",
                           [.text(object.sha256), .text(object.kind), .blob(object.der), .integer(time)])
            }
        }
        if let snapshot, try db.query("SELECT 1 FROM trust_snapshots WHERE id = ?", [.text(snapshot.id)], { $0.int(0) }).isEmpty {
            try db.run("INSERT INTO trust_snapshots(id, contents, first_seen) VALUES (?, ?, ?)",
                       [.text(snapshot.id), .blob(snapshot.contents), .integer(time)])
        }
    }

    /// One message's rows, inside the batch's transaction.
    private func record(_ item: Pending) throws -> AcceptOutcome {
        let message = item.message
        if let previous = try Self.previous(message.idempotencyKey, in: db) { return AcceptOutcome.of(message, previous: previous) }
        try db.run("""
            INSERT INTO messages(id, kind, sender, document_id, idempotency_key, received_at, size, sha256, payload,
              verdict, bucket, business_type, status_code, answers_document_id, answer, via, due_date)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [.text(message.id), .text(message.kind), .text(message.sender), opt(message.documentId), .text(message.idempotencyKey),
                  .integer(message.receivedAt), .integer(Int64(item.size)), .text(message.sha256), .text(item.path),
                  .text(message.verdictJSON), .text(message.bucket), message.businessType.map { .integer(Int64($0)) } ?? .null,
                  opt(message.statusCode), opt(message.answersDocumentId), .text(StoredAnswer.compact(message.answerJSON, verdict: message.verdictJSON)),
                  .text(message.via.joined(separator: ",")), opt(message.dueDate)])
        if let inline = item.inline {
            try db.run("INSERT INTO payloads(message_id, bytes) VALUES (?, ?)", [.text(message.id), .blob(inline)])
        }
        try recordEvidence(message)
        if let entry = message.logEntry { try insertEvent(entry, message: message.id) }
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
            let day = CivilCalendar.vietnamDay(message.receivedAt)
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
        try db.query("SELECT bytes FROM payloads WHERE message_id = ?", [.text(id)]) { $0.blob(0) ?? [] }.first
    }

    static func previousAnswer(_ key: String, in db: Database) throws -> String? {
        try previous(key, in: db)?.answer
    }

    /// The accepted message under `key`: its answer, id and SHA-256.
    static func previous(_ key: String, in db: Database) throws -> (answer: String, id: String, sha256: String)? {
        try db.query("SELECT answer, id, sha256, verdict FROM messages WHERE idempotency_key = ?", [.text(key)]) {
            (StoredAnswer.expand($0.text(0) ?? "", verdict: $0.text(3) ?? ""), $0.text(1) ?? "", $0.text(2) ?? "")
        }.first
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

    package func recipients(of id: String) throws -> [String] {
        try db.query("SELECT recipient FROM deliveries WHERE message_id = ? ORDER BY id", [.text(id)]) { $0.text(0) ?? "" }
    }

    // MARK: helpers

    nonisolated func now() -> Int64 { Int64(clock.now()) }

    func opt(_ s: String?) -> SQLiteValue { s.map { .text($0) } ?? .null }

    static func agencyRow(_ row: Row) -> Agency {
        Agency(code: row.text(0) ?? "", name: row.text(1) ?? "", parent: row.text(2), certificateIdentifier: row.text(3),
               certificateSHA256: row.text(4), pushURL: row.text(5), relay: row.int(6) != 0)
    }
}

extension SQLiteStore: DirectoryStore, CredentialStore, ClientSystemStore, IntakeStore, InboxStore, DeliveryQueueStore, OperationsStore, RefusalStore, StatisticsStore, SessionStore, SealStore,
    EvidenceStore, EvidenceLogStore, WitnessStore, RetentionStore {}

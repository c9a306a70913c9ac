import ArgumentParser
import Foundation
import Logging
import TrucCrypto
import TrucPostgres
import TrucStore
import TrucSQLiteStore
import TrucCore

/// `truc migrate --from-sqlite DIR --to postgres://…`: copies a hub's SQLite store (messages with their
/// payloads, deliveries, receipts, agencies, tokens, client systems, refusals, counters, the directory's log)
/// into an empty PostgreSQL database in one transaction, then verifies the copy: the row count of every table,
/// and every payload's SHA-256 and size as PostgreSQL itself computes them from the stored chunks, against
/// the message's record (each source payload was checked against the same record while it was read).
///
/// The source is read in one snapshot, so the hub may run during the copy; what it takes after the snapshot
/// is not copied: stop it (or move its traffic) before the copy for a cutover.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Copy a hub's SQLite store into an empty PostgreSQL database and verify the copy (counts and payload SHA-256).")

    @Option(name: .customLong("from-sqlite"), help: "The hub's data directory (holding truc.sqlite and payloads/).") var from: String
    @Option(help: "The PostgreSQL database to fill (must hold no hub yet; env TRUC_DATABASE_URL).") var to: String?
    @Option(help: "Rows read and written per batch (one COPY each).") var batch: Int = 5000

    @OptionGroup var errorOutput: ErrorOutput


    func run() async throws {
        guard let url = to ?? ProcessInfo.processInfo.environment["TRUC_DATABASE_URL"] else {
            throw CommandFailure(.usage, "name the destination with --to postgres://user@host:port/database").report()
        }
        guard (1...100_000).contains(batch) else {
            throw CommandFailure(.usage, "--batch \(batch) is not between 1 and 100000").report()
        }
        let started = Date()
        let source: StoreExport
        do {
            source = try StoreExport(dataDirectory: from)
            if source.schemaVersion > StoreSchema.version {
                throw CommandFailure(.storeTooNew, "the store in \(from) has schema version \(source.schemaVersion), newer than this truc's (\(StoreSchema.version)): use the truc that wrote it")
            }
            if source.schemaVersion < StoreSchema.version { try source.upgrade() }
        } catch let failure as CommandFailure {
            throw failure.report()
        } catch {
            throw CommandFailure(.noStore, "cannot read the store in \(from): \(error)").report()
        }
        var logger = Logger(label: "truc.migrate")
        logger.logLevel = .error
        let destination: PostgresStore
        do {
            destination = try await PostgresStore(url: url, secretsKey: from + "/secrets.key", node: "truc-migrate", logger: logger)
        } catch {
            throw CommandFailure(.storeUnavailable, "cannot open the PostgreSQL database (--to): \(error)").report()
        }
        defer { Task { await destination.shutdown() } }
        let copied: Copied
        do {
            guard try await destination.isEmptyHub() else {
                throw CommandFailure(.destinationNotEmpty, "the PostgreSQL database already holds a hub (agencies, messages or counters): migrate into an empty database")
            }
            copied = try await copy(from: source, to: destination)
        } catch let failure as CommandFailure {
            throw failure.report()
        } catch {
            throw CommandFailure(.migrateFailed, "the copy failed and was rolled back (the database holds nothing of it): \(error)").report()
        }
        let copySeconds = Date().timeIntervalSince(started)
        let verified: Int
        do {
            verified = try await verify(copied, in: destination)
        } catch let failure as CommandFailure {
            throw failure.report()
        } catch {
            throw CommandFailure(.verifyFailed, "the copy was committed but could not be verified: \(error)").report()
        }
        let total = Date().timeIntervalSince(started)
        let rows = copied.counts.values.reduce(0, +)
        print("""
            migrated \(from) to PostgreSQL: \(copied.counts.count) tables, \(rows) rows, \(copied.messages) messages with \(copied.payloadBytes) payload bytes
            copied in \(String(format: "%.1f", copySeconds)) s, verified in \(String(format: "%.1f", total - copySeconds)) s: the row counts of \(copied.counts.count) tables and the SHA-256 of \(verified) payloads match
            every node needs this hub's secrets.key (it seals the client systems' secrets): copy \(from)/secrets.key into each node's data directory
            """)
    }

    /// What was copied: source row counts per table (taken in the snapshot) and the payloads.
    struct Copied {
        var counts: [String: Int64] = [:]
        var messages = 0
        var payloadBytes = 0
        /// Messages whose payloads were archived and purged (copied without bytes).
        var purged = 0
    }

    private func copy(from source: StoreExport, to destination: PostgresStore) async throws -> Copied {
        try source.begin()
        defer { source.end() }
        var copied = Copied()
        let tables = try source.tables()
        for table in tables { copied.counts[table] = try source.count(table) }
        // Keys before the rows that refer to them.
        let first = ["agencies", "tokens", "messages", "deliveries"]
        let ordered = first.filter(tables.contains) + tables.filter { !first.contains($0) }
        let batch = batch
        try await destination.importing { importer in
            let unknown = ordered.filter { !importer.tables.contains($0) }
            guard unknown.isEmpty else {
                throw CommandFailure(.schemaMismatch, "the destination's schema has no table \(unknown.joined(separator: ", ")): this truc cannot copy the store")
            }
            // The schema seeds its own counters row; the store's replaces it.
            try await importer.execute("DELETE FROM meta")
            let indexes = try await importer.deferIndexes(of: ordered)
            for table in ordered {
                let columns = try source.columns(of: table)
                if table == "messages" {
                    try await copyMessages(source: source, columns: columns, batch: batch, importer: importer, into: &copied)
                } else {
                    try await source.rows(of: table, columns: columns, batch: batch) { rows in
                        try await importer.insert(into: table, columns: columns, rows: rows)
                    }
                }
            }
            // A delivery the source hub had in flight is due again (no node holds a lease on it).
            try await importer.execute("""
                UPDATE deliveries SET state = 'queued', next_attempt_at = \(Int64(Date().timeIntervalSince1970)), claimed_by = NULL, lease_until = NULL
                WHERE state = 'sending'
                """)
            // The evidence log: on SQLite leaf i is event id i + 1; here a leaf is a log_leaves row. The copied events
            // the source had sequenced are leaves; the rest are queued and sequenced next, in id order: the same
            // tree, its checkpoints still valid.
            if tables.contains("log_events") {
                try await importer.execute("""
                    INSERT INTO log_leaves(leaf, event_id) SELECT id - 1, id FROM log_events
                    WHERE id <= (SELECT coalesce(max(idx) + 1, 0) FROM log_nodes WHERE level = 0)
                    """)
                try await importer.execute("""
                    INSERT INTO log_pending(event_id) SELECT id FROM log_events WHERE id > (SELECT coalesce(max(idx) + 1, 0) FROM log_nodes WHERE level = 0)
                    """)
            }
            try await importer.advanceSequences()
            try await importer.restoreIndexes(indexes)
        }
        return copied
    }

    /// Messages with their payloads: each payload read from wherever the source keeps it, checked against the
    /// message's recorded SHA-256 and size, and written in chunk rows; the `payload` column says "in chunks".
    private func copyMessages(source: StoreExport, columns: [String], batch: Int, importer: PostgresImporter,
                              into copied: inout Copied) async throws {
        guard let idColumn = columns.firstIndex(of: "id"), let payloadColumn = columns.firstIndex(of: "payload"),
              let shaColumn = columns.firstIndex(of: "sha256"), let sizeColumn = columns.firstIndex(of: "size") else {
            throw CommandFailure(.schemaMismatch, "the source's messages table lacks id, payload, sha256 or size")
        }
        var rows: [[StoreValue]] = []
        var payloads: [(messageId: String, bytes: [UInt8])] = []
        var pendingBytes = 0
        func flush() async throws {
            try await importer.insert(into: "messages", columns: columns, rows: rows)
            try await importer.insertPayloads(payloads)
            rows.removeAll(keepingCapacity: true)
            payloads.removeAll(keepingCapacity: true)
            pendingBytes = 0
        }
        var done = 0
        try await source.rows(of: "messages", columns: columns, batch: batch) { batchRows in
            for var row in batchRows {
                // The SQLite store keeps an answer with a mark where its verdict was (StoredAnswer): whole here.
                if let answerColumn = columns.firstIndex(of: "answer"), let verdictColumn = columns.firstIndex(of: "verdict"),
                   case .text(let answer) = row[answerColumn], case .text(let verdict) = row[verdictColumn] {
                    row[answerColumn] = .text(StoredAnswer.expand(answer, verdict: verdict))
                }
                guard case .text(let id) = row[idColumn], case .text(let location) = row[payloadColumn],
                      case .text(let recorded) = row[shaColumn], case .integer(let size) = row[sizeColumn] else {
                    throw CommandFailure(.sourceDamaged, "a message row lacks its id, payload location, SHA-256 or size")
                }
                if location.hasPrefix(PurgedPayload.prefix) {
                    // Archived and purged: the row says which archive holds it; there are no bytes to copy.
                    rows.append(row)
                    copied.purged += 1
                    if rows.count >= batch { try await flush() }
                    continue
                }
                let bytes: [UInt8]
                do {
                    bytes = try source.payload(of: id, at: location)
                } catch {
                    throw CommandFailure(.sourceDamaged, "the payload of message \(id) cannot be read (\(error)): nothing was copied")
                }
                guard bytes.count == size, Digest.sha256(bytes).hexString == recorded else {
                    throw CommandFailure(.sourceDamaged, "the payload of message \(id) does not match its recorded SHA-256 and size: nothing was copied")
                }
                var imported = row
                imported[payloadColumn] = .text(PostgresStore.payloadMarker)
                rows.append(imported)
                payloads.append((id, bytes))
                pendingBytes += bytes.count
                copied.messages += 1
                copied.payloadBytes += bytes.count
                if rows.count >= batch || pendingBytes >= 16 << 20 { try await flush() }
            }
            done += batchRows.count
            if done % 10_000 < batchRows.count {
                FileHandle.standardError.write(Data("truc migrate: \(done) messages copied\n".utf8))
            }
        }
        if !rows.isEmpty { try await flush() }
    }

    /// Counts every table and hashes every payload as the database holds it; returns the payloads verified.
    private func verify(_ copied: Copied, in destination: PostgresStore) async throws -> Int {
        for (table, expected) in copied.counts.sorted(by: { $0.key < $1.key }) {
            let actual = try await destination.rowCount(table)
            guard actual == expected else {
                throw CommandFailure(.copyMismatch, "table \(table) holds \(actual) rows in PostgreSQL, \(expected) in the source")
            }
        }
        var after = ""
        var verified = 0
        while true {
            let checks = try await destination.payloadChecks(after: after, limit: 1000)
            guard let last = checks.last else { break }
            for check in checks {
                guard check.storedSHA256 == check.recordedSHA256, check.storedSize == check.recordedSize else {
                    throw CommandFailure(.copyMismatch, "the payload of message \(check.messageId) in PostgreSQL (SHA-256 \(check.storedSHA256 ?? "missing"), \(check.storedSize) bytes) differs from its record")
                }
            }
            verified += checks.count
            after = last.messageId
        }
        guard verified == copied.messages else {
            throw CommandFailure(.copyMismatch, "\(verified) payloads verified for \(copied.messages) messages copied")
        }
        return verified
    }
}


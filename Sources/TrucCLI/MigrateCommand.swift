import ArgumentParser
import Foundation
import Logging
import TrucCrypto
import TrucPostgres
import TrucStore
import TrucSQLiteStore

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
            throw CommandFailure(code: "usage", message: "name the destination with --to postgres://user@host:port/database", exitCode: 2).report()
        }
        guard (1...100_000).contains(batch) else {
            throw CommandFailure(code: "usage", message: "--batch \(batch) is not between 1 and 100000", exitCode: 2).report()
        }
        let started = Date()
        let source: StoreExport
        do {
            source = try StoreExport(dataDirectory: from)
            if source.schemaVersion > StoreSchema.version {
                throw CommandFailure(code: "store-too-new", message: "the store in \(from) has schema version \(source.schemaVersion), newer than this truc's (\(StoreSchema.version)): use the truc that wrote it", exitCode: 2)
            }
            if source.schemaVersion < StoreSchema.version { try source.upgrade() }
        } catch let failure as CommandFailure {
            throw failure.report()
        } catch {
            throw CommandFailure(code: "no-store", message: "cannot read the store in \(from): \(error)", exitCode: 2).report()
        }
        var logger = Logger(label: "truc.migrate")
        logger.logLevel = .error
        let destination: PostgresStore
        do {
            destination = try await PostgresStore(url: url, secretsKey: from + "/secrets.key", node: "truc-migrate", logger: logger)
        } catch {
            throw CommandFailure(code: "store-unavailable", message: "cannot open the PostgreSQL database (--to): \(error)", exitCode: 3).report()
        }
        defer { Task { await destination.shutdown() } }
        let copied: Copied
        do {
            guard try await destination.isEmptyHub() else {
                throw CommandFailure(code: "destination-not-empty", message: "the PostgreSQL database already holds a hub (agencies, messages or counters): migrate into an empty database", exitCode: 2)
            }
            copied = try await copy(from: source, to: destination)
        } catch let failure as CommandFailure {
            throw failure.report()
        } catch {
            throw CommandFailure(code: "migrate-failed", message: "the copy failed and was rolled back (the database holds nothing of it): \(error)", exitCode: 3).report()
        }
        let copySeconds = Date().timeIntervalSince(started)
        let verified: Int
        do {
            verified = try await verify(copied, in: destination)
        } catch let failure as CommandFailure {
            throw failure.report()
        } catch {
            throw CommandFailure(code: "verify-failed", message: "the copy was committed but could not be verified: \(error)", exitCode: 3).report()
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
                throw CommandFailure(code: "schema-mismatch", message: "the destination's schema has no table \(unknown.joined(separator: ", ")): this truc cannot copy the store", exitCode: 3)
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
            throw CommandFailure(code: "schema-mismatch", message: "the source's messages table lacks id, payload, sha256 or size", exitCode: 3)
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
                    throw CommandFailure(code: "source-damaged", message: "a message row lacks its id, payload location, SHA-256 or size", exitCode: 1)
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
                    throw CommandFailure(code: "source-damaged", message: "the payload of message \(id) cannot be read (\(error)): nothing was copied", exitCode: 1)
                }
                guard bytes.count == size, Digest.sha256(bytes).hexString == recorded else {
                    throw CommandFailure(code: "source-damaged", message: "the payload of message \(id) does not match its recorded SHA-256 and size: nothing was copied", exitCode: 1)
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
                throw CommandFailure(code: "copy-mismatch", message: "table \(table) holds \(actual) rows in PostgreSQL, \(expected) in the source", exitCode: 1)
            }
        }
        var after = ""
        var verified = 0
        while true {
            let checks = try await destination.payloadChecks(after: after, limit: 1000)
            guard let last = checks.last else { break }
            for check in checks {
                guard check.storedSHA256 == check.recordedSHA256, check.storedSize == check.recordedSize else {
                    throw CommandFailure(code: "copy-mismatch", message: "the payload of message \(check.messageId) in PostgreSQL (SHA-256 \(check.storedSHA256 ?? "missing"), \(check.storedSize) bytes) differs from its record", exitCode: 1)
                }
            }
            verified += checks.count
            after = last.messageId
        }
        guard verified == copied.messages else {
            throw CommandFailure(code: "copy-mismatch", message: "\(verified) payloads verified for \(copied.messages) messages copied", exitCode: 1)
        }
        return verified
    }
}


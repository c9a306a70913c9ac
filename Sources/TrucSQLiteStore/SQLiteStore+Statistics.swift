import Foundation
package import TrucCore
import TrucCrypto
import TrucSQLite
import TrucVocabulary
package import TrucStore

// The StatisticsStore role: signed-ratio counters and the reports built on them.
extension SQLiteStore {

    func count(sender: String, recipients: [String], businessType: Int, bucket: String, at time: Int64, by n: Int = 1) throws {
        let day = CivilCalendar.vietnamDay(time)
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
    package nonisolated func signedCounts(from: String, to: String, senders: [String]?, businessTypes: [Int], recipient: String?,
                                          grouping: CountGrouping = .sender) async throws -> [DailyCount] {
        // A report reads counters for a whole period: on a report connection, off the store's thread (the
        // writer would otherwise hold every intake for as long) and off the threads that serve requests.
        try await Self.blockingIO { [reports] in try reports.read { db in
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
        } }
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
    package nonisolated func volume(from: String, to: String, agencies: [String]?, byDay: Bool) async throws -> [VolumeRow] {
        // A report reads counters for a whole period: on a report connection, off the store's thread (the
        // writer would otherwise hold every intake for as long) and off the threads that serve requests.
        try await Self.blockingIO { [reports] in try reports.read { db in
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
        } }
    }

    /// Distinct signing certificates seen on the agencies' accepted documents in [from, to], by kind.
    package nonisolated func signerCounts(from: String, to: String, agencies: [String]?) async throws -> [String: Int] {
        // A report reads counters for a whole period: on a report connection, off the store's thread (the
        // writer would otherwise hold every intake for as long) and off the threads that serve requests.
        try await Self.blockingIO { [reports] in try reports.read { db in
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
        } }
    }

    /// Documents received by the agencies in [from, to] (Vietnam days), each with the earliest time of every
    /// status code the recipient sent for it.
    package nonisolated func receivedDocuments(from: String, to: String, recipients: [String]?) async throws -> [TimelinessReport.Document] {
        // A report reads counters for a whole period: on a report connection, off the store's thread (the
        // writer would otherwise hold every intake for as long) and off the threads that serve requests.
        try await Self.blockingIO { [reports] in try reports.read { db in
            // Vietnam day boundaries as epoch seconds.
            func start(_ day: String) -> Int64 { CivilCalendar.vietnamDayStart(day) ?? 0 }
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
                SELECT status_code, MIN(received_at) FROM messages s WHERE kind = 'status' AND answers_document_id = ? AND sender = ?
                  AND EXISTS (SELECT 1 FROM deliveries sd WHERE sd.message_id = s.id AND sd.recipient = ?) GROUP BY status_code
                """)
            for i in documents.indices {
                // The recipient's statuses addressed to the document's sender (not to whoever reuses its DocumentId text).
                try statuses.bind([.text(documents[i].documentId), .text(documents[i].recipient), .text(documents[i].sender)])
                while let row = try statuses.step() {
                    if let code = row.text(0) { documents[i].statusTimes[code] = row.int(1) }
                }
            }
            return documents
        } }
    }

    /// Every sender code with counts (for subtree scopes that include agencies of other hubs).
    package func countedAgencies() throws -> [String] {
        try db.query("SELECT code FROM stat_agencies ORDER BY code") { $0.text(0) ?? "" }
    }

    /// `yyyy-MM-dd` of a time in Vietnam (UTC+7, no daylight saving).
}

import Foundation
import PostgresNIO
package import TrucCore
package import TrucStore
import TrucVocabulary

// The StatisticsStore role on PostgreSQL: the signed-ratio counters (kept in the intake transaction, added in
// place so that concurrent nodes lose no update) and the reports built on them.
extension PostgresStore: StatisticsStore {
    @discardableResult
    package func countRefused(key: String, sender: String, recipients: [String], businessType: Int, at time: Int64) async throws -> Bool {
        try await transaction { connection in
            for try await _ in try await connection.query("SELECT 1 FROM messages WHERE idempotency_key = \(key)", logger: self.logger).decode(Int.self) {
                return false // a copy was accepted: the document counts in its bucket
            }
            var inserted = false
            let list = recipients.joined(separator: "\n")
            for try await _ in try await connection.query("""
                INSERT INTO refused_keys(key, first_at, sender, business_type, recipients) VALUES (\(key), \(time), \(sender), \(businessType), \(list))
                ON CONFLICT DO NOTHING RETURNING key
                """, logger: self.logger).decode(String.self) { inserted = true }
            guard inserted else { return false }
            try await Self.count(sender: sender, recipients: recipients, businessType: businessType, bucket: "invalid", at: time,
                                 on: connection, logger: self.logger)
            return true
        }
    }

    package func signedCounts(from: String, to: String, senders: [String]?, businessTypes: [Int], recipient: String?,
                              grouping: CountGrouping) async throws -> [DailyCount] {
        if let senders, senders.isEmpty { return [] }
        var binds = PostgresBindings()
        func bind(_ value: some PostgresEncodable & Sendable) throws -> String {
            try binds.append(value)
            return "$\(binds.count)"
        }
        let key: String
        switch grouping {
        case .sender: key = "\(try bind(from))::text, sender"
        case .day: key = "day, ''"
        case .month: key = "substr(day, 1, 7) || '-01', ''"
        }
        var table = "daily_sender"
        var conditions = "day BETWEEN \(try bind(from)) AND \(try bind(to))"
        if let recipient {
            table = "daily_pair"
            conditions += " AND recipient = \(try bind(recipient))"
        } else if senders == nil && grouping != .sender {
            table = "daily_total"
        }
        if let senders { conditions += " AND sender = ANY(\(try bind(senders)))" }
        if !businessTypes.isEmpty { conditions += " AND business_type = ANY(\(try bind(businessTypes.map(Int64.init))))" }
        let sql = "SELECT \(key), bucket, SUM(count)::bigint FROM \(table) WHERE \(conditions) GROUP BY 1, 2, 3"
        var counts: [DailyCount] = []
        for try await r in try await client.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger).decode((String, String, String, Int64).self) {
            counts.append(DailyCount(day: r.0, sender: r.1, bucket: r.2, count: Int(r.3)))
        }
        return counts
    }

    package func volume(from: String, to: String, agencies: [String]?, byDay: Bool) async throws -> [VolumeRow] {
        if let agencies, agencies.isEmpty { return [] }
        var rows: [String: VolumeRow] = [:]
        let sentKey = byDay ? "day" : "sender", receivedKey = byDay ? "day" : "recipient"
        for (sql, sent) in [("SELECT \(sentKey), SUM(count)::bigint FROM daily_sender WHERE day BETWEEN $1 AND $2 AND bucket <> 'invalid'"
                             + (agencies == nil ? "" : " AND sender = ANY($3)") + " GROUP BY 1", true),
                            ("SELECT \(receivedKey), SUM(count)::bigint FROM daily_pair WHERE day BETWEEN $1 AND $2 AND bucket <> 'invalid'"
                             + (agencies == nil ? "" : " AND recipient = ANY($3)") + " GROUP BY 1", false)] {
            var binds = PostgresBindings()
            binds.append(from)
            binds.append(to)
            if let agencies { binds.append(agencies) }
            for try await (key, n) in try await client.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger).decode((String, Int64).self) {
                if sent { rows[key, default: VolumeRow(key: key, sent: 0, received: 0)].sent += Int(n) } else {
                    rows[key, default: VolumeRow(key: key, sent: 0, received: 0)].received += Int(n)
                }
            }
        }
        return rows.values.sorted { $0.key < $1.key }
    }

    package func signerCounts(from: String, to: String, agencies: [String]?) async throws -> [String: Int] {
        if let agencies, agencies.isEmpty { return [:] }
        var result: [String: Int] = [:]
        for try await (kind, n) in try await client.query("""
            SELECT kind, COUNT(DISTINCT certificate) FROM daily_signer WHERE day BETWEEN \(from) AND \(to)
              AND (\(agencies == nil) OR agency = ANY(\(agencies ?? []))) GROUP BY kind
            """, logger: logger).decode((String, Int64).self) { result[kind] = Int(n) }
        return result
    }

    package func receivedDocuments(from: String, to: String, recipients: [String]?) async throws -> [TimelinessReport.Document] {
        if let recipients, recipients.isEmpty { return [] }
        func start(_ day: String) -> Int64 { CivilCalendar.vietnamDayStart(day) ?? 0 }
        let (lower, upper) = (start(from), start(to) + 86_400)
        var documents: [TimelinessReport.Document] = []
        for try await r in try await client.query("""
            SELECT m.id, m.document_id, m.sender, d.recipient, m.received_at, m.due_date FROM deliveries d JOIN messages m ON m.id = d.message_id
            WHERE m.kind = 'edoc' AND m.document_id IS NOT NULL AND m.received_at >= \(lower) AND m.received_at < \(upper)
              AND (\(recipients == nil) OR d.recipient = ANY(\(recipients ?? [])))
            ORDER BY m.received_at, d.id
            """, logger: logger).decode((String, String, String, String, Int64, String?).self) {
            documents.append(TimelinessReport.Document(messageId: r.0, documentId: r.1, sender: r.2, recipient: r.3, receivedAt: r.4, dueDate: r.5,
                                                       statusTimes: [:]))
        }
        for i in documents.indices {
            for try await (code, first) in try await client.query("""
                SELECT status_code, MIN(received_at) FROM messages WHERE kind = 'status' AND answers_document_id = \(documents[i].documentId)
                  AND sender = \(documents[i].recipient) AND status_code IS NOT NULL
                  AND EXISTS (SELECT 1 FROM deliveries sd WHERE sd.message_id = messages.id AND sd.recipient = \(documents[i].sender))
                GROUP BY status_code
                """, logger: logger).decode((String, Int64).self) { documents[i].statusTimes[code] = first }
        }
        return documents
    }

    package func countedAgencies() async throws -> [String] {
        var codes: [String] = []
        for try await code in try await client.query("SELECT code FROM stat_agencies ORDER BY code", logger: logger).decode(String.self) {
            codes.append(code)
        }
        return codes
    }
}

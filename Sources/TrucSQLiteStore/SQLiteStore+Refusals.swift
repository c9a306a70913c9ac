import Foundation
import TrucSQLite
import TrucVocabulary
package import TrucStore

extension SQLiteStore {
    /// A refusal is a diagnostic record, not a promise to a caller (nothing was accepted): it commits without
    /// its own fsync (`synchronous=NORMAL`; on disk with the next synced commit, so a power cut loses at most
    /// the last few). A flood of refused messages then never queues fsyncs ahead of the messages the hub accepts.
    package func recordRefusal(_ refusal: Refusal) throws {
        try db.run("PRAGMA synchronous=NORMAL")
        defer { _ = try? db.run("PRAGMA synchronous=FULL") }
        let reasons = String(decoding: try JSONEncoder().encode(refusal.reasons), as: UTF8.self)
        let findings = String(decoding: try JSONEncoder().encode(refusal.findings), as: UTF8.self)
        try db.transaction {
            try db.run("""
                INSERT INTO refusals(at, caller, sender, document_id, kind, code, reasons, sha256, size, agency, findings, verdict)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [.integer(refusal.at), .text(refusal.caller), refusal.sender.map { .text($0) } ?? .null,
                      refusal.documentId.map { .text($0) } ?? .null, refusal.kind.map { .text($0) } ?? .null, .text(refusal.code),
                      .text(reasons), .text(refusal.sha256), .integer(Int64(refusal.size)), .text(refusal.agency), .text(findings),
                      refusal.verdictJSON.map { .text($0) } ?? .null])
            let id = try db.query("SELECT last_insert_rowid()") { $0.int(0) }.first ?? 0
            if let entry = refusal.logEntry { try insertEvent(entry, message: nil) }
            guard !refusal.evidence.isEmpty || refusal.trustSnapshot != nil else { return }
            try keepObjects(refusal.evidence, snapshot: refusal.trustSnapshot, at: refusal.at)
            for object in refusal.evidence {
                try db.run("INSERT OR IGNORE INTO refusal_objects(refusal_id, sha256) VALUES (?, ?)", [.integer(id), .text(object.sha256)])
            }
        }
    }

    /// One refusal with its verdict (JSON) and the validation data kept with it; nil when there is no such refusal.
    package nonisolated func refusalVerdict(_ id: Int64) throws -> (refusal: Refusal, verdictJSON: String?, objects: [EvidenceRecord])? {
        try readers.read { db in
            guard var refusal = try db.query("""
                SELECT id, at, caller, sender, document_id, kind, code, reasons, sha256, size, agency, findings, verdict FROM refusals WHERE id = ?
                """, [.integer(id)], { row -> Refusal in
                    var r = Self.refusal(row)
                    r.verdictJSON = row.text(12)
                    return r
                }).first else { return nil }
            let objects = try db.query("""
                SELECT o.sha256, o.kind, o.der FROM refusal_objects r JOIN validation_objects o ON o.sha256 = r.sha256
                WHERE r.refusal_id = ? ORDER BY o.sha256
                """, [.integer(id)]) { EvidenceRecord(sha256: $0.text(0) ?? "", kind: $0.text(1) ?? "", der: $0.blob(2) ?? []) }
            let verdict = refusal.verdictJSON
            refusal.verdictJSON = nil
            return (refusal, verdict, objects)
        }
    }

    /// Refusals in [from, to) (epoch seconds), newest first; only those filed under `agency` when given.
    package func refusals(agency: String?, code: String?, from: Int64, to: Int64, limit: Int) throws -> [Refusal] {
        var sql = "SELECT id, at, caller, sender, document_id, kind, code, reasons, sha256, size, agency, findings FROM refusals WHERE at >= ? AND at < ?"
        var bindings: [SQLiteValue] = [.integer(from), .integer(to)]
        if let agency {
            sql += " AND agency = ?"
            bindings.append(.text(agency))
        }
        if let code {
            sql += " AND code = ?"
            bindings.append(.text(code))
        }
        sql += " ORDER BY at DESC, id DESC LIMIT ?"
        bindings.append(.integer(Int64(limit)))
        return try db.query(sql, bindings) { Self.refusal($0) }
    }

    /// A refusal from a row of (id, at, caller, sender, document_id, kind, code, reasons, sha256, size, agency, findings).
    static func refusal(_ row: Row) -> Refusal {
        var refusal = Refusal(at: row.int(1), caller: row.text(2) ?? "", sender: row.text(3), documentId: row.text(4), kind: row.text(5),
                              code: row.text(6) ?? "",
                              reasons: (try? JSONDecoder().decode([String].self, from: Data((row.text(7) ?? "[]").utf8))) ?? [],
                              sha256: row.text(8) ?? "", size: Int(row.int(9)), agency: row.text(10))
        refusal.findings = Refusal.decodeFindings(row.text(11))
        refusal.id = row.int(0)
        refusal.time = CivilCalendar.vietnamISO(refusal.at)
        return refusal
    }

    package func refusalCounts(from: Int64, to: Int64) throws -> RefusalCounts {
        var byCode: [String: Int] = [:]
        for (code, n) in try db.query("SELECT code, COUNT(*) FROM refusals WHERE at >= ? AND at < ? GROUP BY code",
                                      [.integer(from), .integer(to)], { ($0.text(0) ?? "", Int($0.int(1))) }) {
            byCode[code] = n
        }
        let bySender = try db.query("""
            SELECT agency AS who, COUNT(*) AS n FROM refusals WHERE at >= ? AND at < ?
            GROUP BY who ORDER BY n DESC, who LIMIT 20
            """, [.integer(from), .integer(to)]) { RefusalCounts.SenderCount(sender: $0.text(0) ?? "", count: Int($0.int(1))) }
        return RefusalCounts(total: byCode.values.reduce(0, +), byCode: byCode, bySender: bySender)
    }

    /// Deletes the refusals older than `before`; returns how many.
    @discardableResult
    package func pruneRefusals(before: Int64) throws -> Int {
        try db.transaction {
            try db.run("DELETE FROM refusal_objects WHERE refusal_id IN (SELECT id FROM refusals WHERE at < ?)", [.integer(before)])
            return try db.run("DELETE FROM refusals WHERE at < ?", [.integer(before)])
        }
    }
}

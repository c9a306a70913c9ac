import EdXML
import Foundation
import TrucSQLite
import TrucVocabulary

/// A message the hub refused: what an agency's IT needs to find out why (never the payload).
package struct Refusal: Sendable, Codable, Equatable {
    package var id: Int64 = 0
    /// Seconds since 1970.
    package var at: Int64
    /// ISO 8601 with offset (Vietnam time), for people and scripts.
    package var time: String = ""
    /// Who called: an agency code, `system <id>` (SDK dialect), `peer hub <code>`.
    package var caller: String
    /// `From/OrganId` when the message could be read: what the message *claims*.
    package var sender: String?
    /// The agency the refusal is filed under (what `GET /v1/refusals` and the dashboard list it by): the
    /// authenticated caller's agency, or the claimed sender when the caller may send as it (an SDK system for
    /// its agencies, a peer hub for the agencies behind it); otherwise the caller (`system …`, a peer's code).
    package var agency: String
    package var documentId: String?
    /// edoc or status, when the message could be read.
    package var kind: String?
    /// The error code of the answer (invalid-signature, invalid-message, document-id-conflict, …).
    package var code: String
    /// Why: the signatures' reasons, the validation findings, or the message of the answer.
    package var reasons: [String]
    package var sha256: String
    package var size: Int
    /// The same refusal as structured findings, for programs: where (a signature's location, a validation
    /// path, an attachment, or `message`), its status, its reason codes and a detail.
    package var findings: [Finding] = []
    /// For a document refused for its signatures: the verdict (JSON), and the validation data and trust snapshot
    /// it was made from (kept with the refusal, not listed with it: `refusalVerdict` reads them).
    package var verdictJSON: String?
    package var evidence: [EvidenceRecord] = []
    package var trustSnapshot: TrustSnapshotRecord?
    /// The evidence log's event for this refusal (canonical bytes), written in the same transaction.
    package var logEntry: [UInt8]?

    enum CodingKeys: String, CodingKey {
        case id, at, time, caller, sender, agency, documentId, kind, code, reasons, sha256, size, findings
    }

    package struct Finding: Sendable, Codable, Equatable {
        /// `envelope`, `attachment:<name>`, an XPath-like validation path, or `message` for the whole message.
        package var location: String
        /// `invalid`, `indeterminate`, `error` (a validation finding), or `refused`.
        package var status: String
        /// Stable codes: a signature's reasons (`digest-mismatch`, …), a validation or attachment code, or the
        /// answer's error code.
        package var codes: [String]
        package var detail: String?

        package init(location: String, status: String, codes: [String], detail: String? = nil) {
            self.location = location
            self.status = status
            self.codes = codes
            self.detail = detail
        }
    }

    package init(at: Int64, caller: String, sender: String?, documentId: String?, kind: String?, code: String, reasons: [String],
                 sha256: String, size: Int, agency: String? = nil) {
        self.at = at
        self.caller = caller
        self.sender = sender
        self.agency = agency ?? caller
        self.documentId = documentId
        self.kind = kind
        self.code = code
        self.reasons = reasons
        self.sha256 = sha256
        self.size = size
    }
}

extension Refusal {
    /// The longest text each field keeps: every field but the sizes is what a caller sent (a 10 MiB DocumentId
    /// is possible), and the records are listed on pages. The SHA-256 names the whole message.
    package static let limits = (caller: 128, sender: 64, documentId: 256, kind: 16, code: 64, reason: 1_000, reasons: 20,
                                 location: 256, codes: 10, findings: 20)

    /// This refusal with every caller-chosen field cut to `limits` (a cut text ends with `…[+N bytes]`).
    package func bounded() -> Refusal {
        func cut(_ text: String, _ limit: Int) -> String {
            let utf8 = text.utf8
            guard utf8.count > limit else { return text }
            var end = utf8.index(utf8.startIndex, offsetBy: limit)
            while end > utf8.startIndex, end.samePosition(in: text.unicodeScalars) == nil { end = utf8.index(before: end) }
            return String(text[..<end]) + "…[+\(utf8.count - utf8.distance(from: utf8.startIndex, to: end)) bytes]"
        }
        var copy = self
        copy.caller = cut(caller, Self.limits.caller)
        copy.agency = cut(agency, Self.limits.caller)
        copy.sender = sender.map { cut($0, Self.limits.sender) }
        copy.documentId = documentId.map { cut($0, Self.limits.documentId) }
        copy.kind = kind.map { cut($0, Self.limits.kind) }
        copy.code = cut(code, Self.limits.code)
        copy.reasons = reasons.prefix(Self.limits.reasons).map { cut($0, Self.limits.reason) }
        if reasons.count > Self.limits.reasons { copy.reasons.append("…[+\(reasons.count - Self.limits.reasons) more reasons]") }
        copy.findings = findings.prefix(Self.limits.findings).map { finding in
            Finding(location: cut(finding.location, Self.limits.location), status: cut(finding.status, Self.limits.kind),
                    codes: finding.codes.prefix(Self.limits.codes).map { cut($0, Self.limits.code) },
                    detail: finding.detail.map { cut($0, Self.limits.reason) })
        }
        if findings.count > Self.limits.findings {
            copy.findings.append(Finding(location: "message", status: "truncated", codes: ["more-findings"],
                                         detail: "\(findings.count - Self.limits.findings) more findings are not kept"))
        }
        return copy
    }
}

extension Refusal {
    /// The stored JSON of `findings` (empty for rows written before they were kept).
    package static func decodeFindings(_ json: String?) -> [Finding] {
        guard let json else { return [] }
        return (try? JSONDecoder().decode([Finding].self, from: Data(json.utf8))) ?? []
    }
}

/// Refusals counted by error code and by sender, for the operator's view.
package struct RefusalCounts: Sendable, Codable, Equatable {
    package var total: Int
    package var byCode: [String: Int]
    /// The senders with most refusals (at most 20), most first.
    package var bySender: [SenderCount]

    package init(total: Int, byCode: [String: Int], bySender: [SenderCount]) {
        self.total = total
        self.byCode = byCode
        self.bySender = bySender
    }

    package struct SenderCount: Sendable, Codable, Equatable {
        package var sender: String
        package var count: Int

        package init(sender: String, count: Int) {
            self.sender = sender
            self.count = count
        }
    }
}

extension HubStore {
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

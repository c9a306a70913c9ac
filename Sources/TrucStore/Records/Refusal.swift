import Foundation
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

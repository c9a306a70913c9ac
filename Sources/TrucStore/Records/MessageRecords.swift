/// A message the intake accepted, ready to be stored.
package struct IncomingMessage: Sendable {
    package var id: String
    package var kind: String
    package var sender: String
    package var documentId: String?
    package var idempotencyKey: String
    package var receivedAt: Int64
    package var sha256: String
    package var recipients: [String]
    /// Per recipient: nil to pull, else where to push or forward (an agency endpoint or a peer hub's /v1/messages).
    package var targets: [String: String]
    /// The hubs the message passed before this one (from the `Truc-Via` header).
    package var via: [String]
    /// Valid signatures' signers: (kind, certificate identity), for the certificates-in-use figures.
    package var signers: [Signer] = []
    /// A document's DueDate, `yyyy-MM-dd`.
    package var dueDate: String?
    package var verdictJSON: String
    package var bucket: String
    package var businessType: Int?
    package var statusCode: String?
    /// For a status: the DocumentId it answers.
    package var answersDocumentId: String?
    /// The 202 body, returned again for a duplicate.
    package var answerJSON: String
    /// Other bytes under an accepted key count as a duplicate rather than a conflict: for what peer hubs relay
    /// (each hop may stamp its own trace) and for the hub's own receipts.
    package var differentBytesAreDuplicates = false
    /// Recipients left out because no route reaches them, with the reason: recorded in the trace as failed.
    package var unrouted: [String: String] = [:]
    /// The validation data the verdict was made from, kept once by SHA-256 and linked to the message.
    package var evidence: [EvidenceRecord] = []
    /// The trust snapshot the verdict names, with its contents (kept once per id).
    package var trustSnapshot: TrustSnapshotRecord?
    /// The evidence log's event for this message (canonical bytes), written in the same transaction.
    package var logEntry: [UInt8]?

    package init(id: String, kind: String, sender: String, documentId: String?, idempotencyKey: String, receivedAt: Int64, sha256: String,
                 recipients: [String], targets: [String: String] = [:], via: [String] = [], verdictJSON: String, bucket: String,
                 businessType: Int?, statusCode: String?, answersDocumentId: String?, answerJSON: String) {
        self.id = id
        self.kind = kind
        self.sender = sender
        self.documentId = documentId
        self.idempotencyKey = idempotencyKey
        self.receivedAt = receivedAt
        self.sha256 = sha256
        self.recipients = recipients
        self.targets = targets
        self.via = via
        self.verdictJSON = verdictJSON
        self.bucket = bucket
        self.businessType = businessType
        self.statusCode = statusCode
        self.answersDocumentId = answersDocumentId
        self.answerJSON = answerJSON
    }
}

package enum AcceptOutcome: Sendable, Equatable {
    case accepted
    /// Seen before, the same bytes: the first answer.
    case duplicate(String)
    /// The key (sender + DocumentId + business type) of a message already accepted, with other bytes: the
    /// accepted message's id and SHA-256. Nothing is stored.
    case conflict(messageId: String, sha256: String)
}

package struct StoredMessage: Sendable {
    package var id: String
    package var kind: String
    package var sender: String
    package var documentId: String?
    package var receivedAt: Int64
    package var size: Int
    package var sha256: String
    package var payloadPath: String
    package var verdictJSON: String
    package var bucket: String
    /// 0 new, 1 revoke, 2 update, 3 replace (documents).
    package var businessType: Int?
    /// For a status: the DocumentId it answers; for a revocation, update or replacement: the one it acts on.
    package var answersDocumentId: String?

    package init(id: String, kind: String, sender: String, documentId: String?, receivedAt: Int64, size: Int, sha256: String,
                 payloadPath: String, verdictJSON: String, bucket: String, businessType: Int?, answersDocumentId: String?) {
        self.id = id
        self.kind = kind
        self.sender = sender
        self.documentId = documentId
        self.receivedAt = receivedAt
        self.size = size
        self.sha256 = sha256
        self.payloadPath = payloadPath
        self.verdictJSON = verdictJSON
        self.bucket = bucket
        self.businessType = businessType
        self.answersDocumentId = answersDocumentId
    }
}

/// A document linked to another: a revocation, update or replacement of it, or the original it acts on.
package struct LinkedDocument: Sendable, Codable {
    package var messageId: String
    package var sender: String
    package var documentId: String?
    package var businessType: Int
    package var receivedAt: Int64

    package init(messageId: String, sender: String, documentId: String?, businessType: Int, receivedAt: Int64) {
        self.messageId = messageId
        self.sender = sender
        self.documentId = documentId
        self.businessType = businessType
        self.receivedAt = receivedAt
    }
}

/// The answer to a message as the SQLite store keeps it: the 202 answer embeds the verdict verbatim (`signature`),
/// and the verdict is a column of the same row, so the answer is kept with a mark (U+0001, which JSON text never
/// holds unescaped) where the verdict was. For a signed document that is about 2 KB less per message.
package enum StoredAnswer {
    static let mark: UInt8 = 0x01

    package static func compact(_ answer: String, verdict: String) -> String {
        let a = Array(answer.utf8), v = Array(verdict.utf8)
        guard v.count >= 16, !a.contains(mark), let at = firstIndex(of: v, in: a) else { return answer }
        return String(decoding: a[..<at] + [mark] + a[(at + v.count)...], as: UTF8.self)
    }

    package static func expand(_ stored: String, verdict: String) -> String {
        let a = Array(stored.utf8)
        guard let at = a.firstIndex(of: mark) else { return stored }
        return String(decoding: a[..<at] + Array(verdict.utf8) + a[(at + 1)...], as: UTF8.self)
    }

    /// Where `needle` first occurs in `haystack`, byte for byte.
    static func firstIndex(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard !needle.isEmpty, needle.count <= haystack.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<(start + needle.count)].elementsEqual(needle) { return start }
        }
        return nil
    }
}

extension AcceptOutcome {
    /// A message under an accepted key: the same bytes are a duplicate; other bytes a conflict (the sender
    /// must send an update or a replacement instead), unless they come from a relaying peer.
    package static func of(_ message: IncomingMessage, previous: (answer: String, id: String, sha256: String)) -> AcceptOutcome {
        if previous.sha256 == message.sha256 || message.differentBytesAreDuplicates { return .duplicate(previous.answer) }
        return .conflict(messageId: previous.id, sha256: previous.sha256)
    }
}

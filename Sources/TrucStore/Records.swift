import TrucVocabulary
import Foundation
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

/// A piece of validation data: a certificate, CRL, OCSP response or time-stamp token (DER).
package struct EvidenceRecord: Sendable, Equatable, Codable {
    package var sha256: String
    /// `certificate`, `crl`, `ocsp`, `timestamp`.
    package var kind: String
    package var der: [UInt8]
    package init(sha256: String, kind: String, der: [UInt8]) {
        self.sha256 = sha256
        self.kind = kind
        self.der = der
    }
}

/// A trust snapshot: its id (`sha256:<hex>`) and what it was computed from (JSON: the anchors' and intermediates'
/// DER, the policy lines), so that a verdict can be re-made, or its snapshot id recomputed, years later.
package struct TrustSnapshotRecord: Sendable, Equatable {
    package var id: String
    package var contents: [UInt8]
    package init(id: String, contents: [UInt8]) {
        self.id = id
        self.contents = contents
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

package struct InboxItem: Sendable, Encodable {
    package var cursor: Int64
    package var messageId: String
    package var kind: String
    package var sender: String
    package var documentId: String?
    /// Times in API answers: `…At` in seconds since 1970, and `…Time` the same instant in ISO 8601 with the
    /// Vietnam offset (+07:00).
    package var receivedAt: Int64
    package var size: Int
    package var sha256: String
    package var bucket: String
    package var statusCode: String?
    /// The agency whose inbox holds it.
    package var recipient: String
    package var receivedTime: String { CivilCalendar.vietnamISO(receivedAt) }

    enum CodingKeys: String, CodingKey {
        case cursor, messageId, kind, sender, documentId, receivedAt, size, sha256, bucket, statusCode, recipient, receivedTime
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(cursor, forKey: .cursor)
        try c.encode(messageId, forKey: .messageId)
        try c.encode(kind, forKey: .kind)
        try c.encode(sender, forKey: .sender)
        try c.encodeIfPresent(documentId, forKey: .documentId)
        try c.encode(receivedAt, forKey: .receivedAt)
        try c.encode(receivedTime, forKey: .receivedTime)
        try c.encode(size, forKey: .size)
        try c.encode(sha256, forKey: .sha256)
        // A receipt is signed by the hub, not by an agency: it has no signed-ratio bucket of its own.
        try c.encode(kind == "receipt" ? "hub-signed" : bucket, forKey: .bucket)
        try c.encodeIfPresent(statusCode, forKey: .statusCode)
        try c.encode(recipient, forKey: .recipient)
    }

    package init(cursor: Int64, messageId: String, kind: String, sender: String, documentId: String?, receivedAt: Int64, size: Int, sha256: String, bucket: String, statusCode: String?, recipient: String) {
        self.cursor = cursor
        self.messageId = messageId
        self.kind = kind
        self.sender = sender
        self.documentId = documentId
        self.receivedAt = receivedAt
        self.size = size
        self.sha256 = sha256
        self.bucket = bucket
        self.statusCode = statusCode
        self.recipient = recipient
    }
}

package struct DeliveryTrace: Sendable, Encodable {
    package var recipient: String
    package var state: String
    package var attempts: Int
    package var deliveredAt: Int64?
    package var how: String?
    package var reason: String?
    package var updatedAt: Int64
    /// The recipient's progress short of delivery (`processing`, reported through the SDK), and when.
    package var progress: String? = nil
    package var progressAt: Int64? = nil

    enum CodingKeys: String, CodingKey {
        case recipient, state, attempts, deliveredAt, deliveredTime, how, reason, updatedAt, updatedTime, progress, progressTime
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(recipient, forKey: .recipient)
        try c.encode(state, forKey: .state)
        try c.encode(attempts, forKey: .attempts)
        try c.encodeIfPresent(deliveredAt, forKey: .deliveredAt)
        try c.encodeIfPresent(deliveredAt.map(CivilCalendar.vietnamISO), forKey: .deliveredTime)
        try c.encodeIfPresent(how, forKey: .how)
        try c.encodeIfPresent(reason, forKey: .reason)
        try c.encode(updatedAt, forKey: .updatedAt)
        try c.encode(CivilCalendar.vietnamISO(updatedAt), forKey: .updatedTime)
        try c.encodeIfPresent(progress, forKey: .progress)
        try c.encodeIfPresent(progressAt.map(CivilCalendar.vietnamISO), forKey: .progressTime)
    }

    package init(recipient: String, state: String, attempts: Int, deliveredAt: Int64?, how: String?, reason: String?, updatedAt: Int64, progress: String? = nil, progressAt: Int64? = nil) {
        self.recipient = recipient
        self.state = state
        self.attempts = attempts
        self.deliveredAt = deliveredAt
        self.how = how
        self.reason = reason
        self.updatedAt = updatedAt
        self.progress = progress
        self.progressAt = progressAt
    }
}

/// The latest change of one directory entry (the SDK's getSynchronizeUnit).
package struct DirectoryChange: Sendable, Equatable {
    package var code: String
    package var name: String
    package var parent: String?
    package var deleted: Bool
    package var at: Int64
    /// The change's sequence number: grows with every change of the directory.
    package var version: Int64

    package init(code: String, name: String, parent: String?, deleted: Bool, at: Int64, version: Int64) {
        self.code = code
        self.name = name
        self.parent = parent
        self.deleted = deleted
        self.at = at
        self.version = version
    }
}

package struct StatusTrace: Sendable, Encodable {
    package var messageId: String
    package var sender: String
    package var statusCode: String?
    package var receivedAt: Int64

    enum CodingKeys: String, CodingKey { case messageId, sender, statusCode, receivedAt, receivedTime }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(messageId, forKey: .messageId)
        try c.encode(sender, forKey: .sender)
        try c.encodeIfPresent(statusCode, forKey: .statusCode)
        try c.encode(receivedAt, forKey: .receivedAt)
        try c.encode(CivilCalendar.vietnamISO(receivedAt), forKey: .receivedTime)
    }

    package init(messageId: String, sender: String, statusCode: String?, receivedAt: Int64) {
        self.messageId = messageId
        self.sender = sender
        self.statusCode = statusCode
        self.receivedAt = receivedAt
    }
}

/// A delivery the engine is to attempt now.
package struct DueDelivery: Sendable {
    package var id: Int64
    package var messageId: String
    package var recipient: String
    package var target: String
    package var attempts: Int
    package var payloadPath: String
    package var via: [String]
    package var sender: String
    /// `edoc`, `status` or `receipt`.
    package var kind: String

    package init(id: Int64, messageId: String, recipient: String, target: String, attempts: Int, payloadPath: String, via: [String], sender: String, kind: String) {
        self.id = id
        self.messageId = messageId
        self.recipient = recipient
        self.target = target
        self.attempts = attempts
        self.payloadPath = payloadPath
        self.via = via
        self.sender = sender
        self.kind = kind
    }
}

/// A delivery as operators see it (queues, dead letters).
package struct QueuedDelivery: Sendable, Codable {
    package var messageId: String
    package var recipient: String
    package var state: String
    package var attempts: Int
    package var target: String?
    package var nextAttemptAt: Int64?
    package var reason: String?
    package var sender: String
    package var documentId: String?

    package init(messageId: String, recipient: String, state: String, attempts: Int, target: String?, nextAttemptAt: Int64?, reason: String?, sender: String, documentId: String?) {
        self.messageId = messageId
        self.recipient = recipient
        self.state = state
        self.attempts = attempts
        self.target = target
        self.nextAttemptAt = nextAttemptAt
        self.reason = reason
        self.sender = sender
        self.documentId = documentId
    }
}

package struct ReceiptTrace: Sendable, Encodable {
    package var receiptId: String
    package var issuedAt: Int64
    /// The recipient whose delivery (or refusal) the receipt attests, or `undeliverable` for the one
    /// non-delivery receipt that lists the recipients no route reaches.
    package var recipient: String

    package init(receiptId: String, issuedAt: Int64, recipient: String) {
        self.receiptId = receiptId
        self.issuedAt = issuedAt
        self.recipient = recipient
    }

    /// From the receipt's idempotency key, `receipt|<hub>|<message>|<recipient or undeliverable>`.
    package init(receiptId: String, issuedAt: Int64, key: String) {
        self.init(receiptId: receiptId, issuedAt: issuedAt, recipient: key.split(separator: "|").last.map(String.init) ?? "")
    }

    enum CodingKeys: String, CodingKey { case receiptId, recipient, issuedAt, issuedTime }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(receiptId, forKey: .receiptId)
        try c.encode(recipient, forKey: .recipient)
        try c.encode(issuedAt, forKey: .issuedAt)
        try c.encode(CivilCalendar.vietnamISO(issuedAt), forKey: .issuedTime)
    }
}

package struct DailyCount: Sendable, Equatable {
    package var day: String
    package var sender: String
    package var bucket: String
    package var count: Int

    package init(day: String, sender: String, bucket: String, count: Int) {
        self.day = day
        self.sender = sender
        self.bucket = bucket
        self.count = count
    }
}

/// A signer seen on an accepted message.
package struct Signer: Sendable, Equatable {
    package var kind: String
    /// A stable identity of the certificate (issuer and serial).
    package var certificate: String
    package init(kind: String, certificate: String) {
        self.kind = kind
        self.certificate = certificate
    }
}

/// Documents sent and received, and distinct signing certificates by kind, for one agency or period.
package struct VolumeRow: Sendable, Equatable {
    package var key: String
    package var sent: Int
    package var received: Int

    package init(key: String, sent: Int, received: Int) {
        self.key = key
        self.sent = sent
        self.received = received
    }
}

/// How `signedCounts` groups rows: by sender (the day is then `from`), by day or by month (the sender is
/// then empty, the day is the day or the month's first day).
package enum CountGrouping: Sendable {
    case sender, day, month
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

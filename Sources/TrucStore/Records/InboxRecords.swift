import TrucVocabulary

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

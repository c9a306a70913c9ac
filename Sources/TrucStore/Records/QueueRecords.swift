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

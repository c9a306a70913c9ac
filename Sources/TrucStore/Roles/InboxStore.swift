package import TrucCore

/// What a recipient pulls and acknowledges, and what a sender can trace of its messages.
package protocol InboxStore: Actor {
    func inbox(for agency: String, kind: String?, after cursor: Int64, limit: Int, includeReceipts: Bool) async throws -> [InboxItem]
    func acknowledge(_ id: String, by agency: String, outcome: AckOutcome, reason: String?) async throws -> DeliveryState?
    func markProgress(_ id: String, by agency: String, progress: String) async throws -> Bool
    func recentSent(by senders: [String], limit: Int) async throws -> [String]
    func trace(_ id: String) async throws -> [DeliveryTrace]
    /// Status messages about a document (message `messageId`, sent by `sender` with `documentId`) exchanged
    /// between its sender and one of its recipients: a status that merely names the DocumentId text is not linked.
    func statuses(answering documentId: String, of messageId: String, sender: String) async throws -> [StatusTrace]
    func receipts(for messageId: String) async throws -> [ReceiptTrace]
    /// The originals (business type 0) `sender` sent with this DocumentId: a DocumentId belongs to its sender.
    func originals(_ documentId: String, sender: String) async throws -> [LinkedDocument]
    /// The revocations, updates and replacements `sender` sent for its document with this DocumentId.
    func documentsActingOn(_ documentId: String, sender: String) async throws -> [LinkedDocument]
    /// The originals with this DocumentId by any of `senders`, with their recipients (to judge a status).
    func originalParties(_ documentId: String, senders: [String]) async throws -> [(sender: String, recipients: [String])]
}

extension InboxStore {
    package func inbox(for agency: String, kind: String?, after cursor: Int64, limit: Int) async throws -> [InboxItem] {
        try await inbox(for: agency, kind: kind, after: cursor, limit: limit, includeReceipts: true)
    }

}

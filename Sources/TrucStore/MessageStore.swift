import TrucCore

/// What the hub needs from its store. `HubStore` (SQLite, one node) implements it; the server, delivery
/// engine and dialects depend only on this protocol, so another implementation (PostgreSQL, for several
/// nodes behind one address) can be added without touching them. Every write that answers a client must be
/// durable when it returns.
package protocol MessageStore: Actor {
    // Agencies, credentials, client systems
    func agency(_ code: String) async throws -> Agency?
    func agencies() async throws -> [Agency]
    func upsert(_ agency: Agency) async throws
    @discardableResult func removeAgency(_ code: String) async throws -> Bool
    func issueToken(for code: String) async throws -> String
    func issueViewerToken(for code: String) async throws -> String
    func credential(forToken token: String) async throws -> (agency: Agency, role: String)?
    func agency(forCertificateSHA256 fingerprint: String, identifiers: [String]) async throws -> Agency?
    func system(_ id: String) async throws -> (ClientSystem, secret: [UInt8])?
    func vxpHeaderFirstUse(hash: String, system: String, operation: String, at time: Int64) async throws -> String
    func directoryChanges() async throws -> [DirectoryChange]
    func markProgress(_ id: String, by agency: String, progress: String) async throws -> Bool
    func recentSent(by senders: [String], limit: Int) async throws -> [String]
    func registerAgency(_ agency: Agency, mail: String?, for system: String) async throws
    func deleteAgency(_ code: String, for system: String) async throws -> Bool
    func directory() async throws -> [(agency: Agency, mail: String?, system: String?, createdAt: Int64)]
    func directoryVersion() async throws -> String
    func agenciesVersion() async throws -> Int64
    func countedAgencies() async throws -> [String]

    // Messages
    func accept(_ message: IncomingMessage, payload: [UInt8]) async throws -> AcceptOutcome
    func payload(of messageId: String, at location: String) async throws -> [UInt8]
    func message(_ id: String) async throws -> StoredMessage?
    func recipients(of id: String) async throws -> [String]
    func inbox(for agency: String, kind: String?, after cursor: Int64, limit: Int, includeReceipts: Bool) async throws -> [InboxItem]
    func acknowledge(_ id: String, by agency: String, outcome: AckOutcome, reason: String?) async throws -> DeliveryState?
    func trace(_ id: String) async throws -> [DeliveryTrace]
    func statuses(answering documentId: String) async throws -> [StatusTrace]
    func receipts(for messageId: String) async throws -> [ReceiptTrace]
    func originals(_ documentId: String) async throws -> [LinkedDocument]
    func documentsActingOn(_ documentId: String) async throws -> [LinkedDocument]
    func findMessages(_ key: String) async throws -> [FoundMessage]

    // Delivery engine and operations
    func recoverInFlight() async throws
    func claimDue(now: Int64, limit: Int) async throws -> [DueDelivery]
    func recordAttempt(_ id: Int64, delivered: Bool, how: String, reason: String?, retryAt: Int64?) async throws
    func requeue(messageId: String, recipient: String) async throws -> Bool
    func requeueAll(recipient: String) async throws -> Int
    func pause(_ code: String) async throws
    @discardableResult func resume(_ code: String) async throws -> Bool
    func deliveries(state: DeliveryState?, limit: Int) async throws -> [QueuedDelivery]
    func queueFigures(now: Int64) async throws -> ([String: Int], Int64?)
    func oldestAwaitingPull(now: Int64) async throws -> Int64?
    func operationsView(now: Int64) async throws -> OperationsView
    func isWritable() async -> Bool
    nonisolated func freeDiskBytes() -> Int64?

    // Refusals
    func recordRefusal(_ refusal: Refusal) async throws
    func refusals(sender: String?, code: String?, from: Int64, to: Int64, limit: Int) async throws -> [Refusal]
    func refusalCounts(from: Int64, to: Int64) async throws -> RefusalCounts
    @discardableResult func pruneRefusals(before: Int64) async throws -> Int

    // Statistics
    @discardableResult
    func countRefused(key: String, sender: String, recipients: [String], businessType: Int, at time: Int64) async throws -> Bool
    func signedCounts(from: String, to: String, senders: [String]?, businessTypes: [Int], recipient: String?,
                      grouping: CountGrouping) async throws -> [DailyCount]
    func volume(from: String, to: String, agencies: [String]?, byDay: Bool) async throws -> [VolumeRow]
    func signerCounts(from: String, to: String, agencies: [String]?) async throws -> [String: Int]
    func receivedDocuments(from: String, to: String, recipients: [String]?) async throws -> [TimelinessReport.Document]
}

extension MessageStore {
    package func inbox(for agency: String, kind: String?, after cursor: Int64, limit: Int) async throws -> [InboxItem] {
        try await inbox(for: agency, kind: kind, after: cursor, limit: limit, includeReceipts: true)
    }

    package func deliveries(state: DeliveryState?) async throws -> [QueuedDelivery] {
        try await deliveries(state: state, limit: 500)
    }
}

extension HubStore: MessageStore {}

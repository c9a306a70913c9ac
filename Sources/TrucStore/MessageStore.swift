package import TrucCore
package import TrucConcurrency
import Foundation

/// What the hub needs from its store, split by role so that a reader (and a component) holds one role at a
/// time. `SQLiteStore` (SQLite, one node) implements them all; a component should depend on the roles it uses.
/// Every write that answers a client must be durable when it returns.
package typealias MessageStore = DirectoryStore & IntakeStore & InboxStore & DeliveryQueueStore & OperationsStore
    & RefusalStore & StatisticsStore & SessionStore & SealStore & EvidenceStore & EvidenceLogStore & WitnessStore & RetentionStore

/// Agencies, credentials (tokens, certificates), client systems of the SDK dialect, and the directory they see.
package protocol DirectoryStore: Actor {
    func agency(_ code: String) async throws -> Agency?
    func agencies() async throws -> [Agency]
    func upsert(_ agency: Agency) async throws
    @discardableResult func removeAgency(_ code: String) async throws -> Bool
    func issueToken(for code: String) async throws -> String
    func issueViewerToken(for code: String) async throws -> String
    /// Revokes the agency's API tokens of `role` ("agency" or "viewer"; nil: every role); they stop working at
    /// once. The number revoked; `StoreError.notFound` for an unknown agency.
    func revokeTokens(of code: String, role: String?) async throws -> Int
    func credential(forToken token: String) async throws -> (agency: Agency, role: String)?
    func agency(forCertificateSHA256 fingerprint: String, identifiers: [String]) async throws -> Agency?
    func system(_ id: String) async throws -> (ClientSystem, secret: [UInt8])?
    /// Registers a client system of the SDK dialect (or replaces it); returns its secret (shown once).
    func addSystem(id: String, name: String, agencies: [String], secret: String?, directoryChanges: Bool) async throws -> String
    func systems() async throws -> [ClientSystem]
    @discardableResult func removeSystem(_ id: String) async throws -> Bool
    func vxpHeaderFirstUse(hash: String, system: String, operation: String, at time: Int64) async throws -> String
    func directoryChanges() async throws -> [DirectoryChange]
    func registerAgency(_ agency: Agency, mail: String?, for system: String) async throws
    func deleteAgency(_ code: String, for system: String) async throws -> Bool
    func directory() async throws -> [(agency: Agency, mail: String?, system: String?, createdAt: Int64)]
    func directoryVersion() async throws -> String
    func agenciesVersion() async throws -> Int64
}

/// Taking a message in: stored with its payload and deliveries, once (idempotent), durable on return.
package protocol IntakeStore: Actor {
    func accept(_ message: IncomingMessage, payload: [UInt8]) async throws -> AcceptOutcome
    func payload(of messageId: String, at location: String) async throws -> [UInt8]
    func message(_ id: String) async throws -> StoredMessage?
    func recipients(of id: String) async throws -> [String]
    func findMessages(_ key: String) async throws -> [FoundMessage]
}

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

/// The delivery engine's queue: due deliveries claimed, attempts recorded, retries and pauses.
package protocol DeliveryQueueStore: Actor {
    func recoverInFlight() async throws
    func claimDue(now: Int64, limit: Int) async throws -> [DueDelivery]
    /// Extends the lease on deliveries still being attempted (several nodes); one node needs none.
    func renewLeases(_ ids: [Int64]) async throws
    func recordAttempt(_ id: Int64, delivered: Bool, how: String, reason: String?, retryAt: Int64?) async throws
    func requeue(messageId: String, recipient: String) async throws -> Bool
    func requeueAll(recipient: String) async throws -> Int
    func pause(_ code: String) async throws
    @discardableResult func resume(_ code: String) async throws -> Bool
    /// Raised when deliveries become due on any node (PostgreSQL: `LISTEN/NOTIFY`), so an idle engine can
    /// wait longer between polls; nil when the store has none (the engine polls).
    nonisolated var deliveryWork: WorkSignal? { get }
}

/// What operators watch: queues, the oldest waiting message, the store's health.
package protocol OperationsStore: Actor {
    func deliveries(state: DeliveryState?, limit: Int) async throws -> [QueuedDelivery]
    func queueFigures(now: Int64) async throws -> ([String: Int], Int64?)
    func oldestAwaitingPull(now: Int64) async throws -> Int64?
    /// What the store holds, by message kind and by whether every delivery is final (delivered, failed or dead):
    /// messages, payload bytes, and payload bytes received since `since` — a scan of the messages (callers cache it).
    func storedVolume(receivedSince since: Int64) async throws -> [StoredVolume]
    /// Bytes the store takes on disk (the SQLite files and payload segments, or PostgreSQL's database size) and the
    /// free bytes of the file system that holds them (nil when the store cannot see it: PostgreSQL's server disk).
    func storeDisk() async throws -> (usedBytes: Int64, freeBytes: Int64?)
    func operationsView(now: Int64) async throws -> OperationsView
    /// One agency as its recipient side looks: its deliveries not yet taken by state, the oldest of them,
    /// whether delivery to it is paused, and when it last asked for its inbox.
    func agencyActivity(_ code: String, now: Int64) async throws -> AgencyActivity
    /// Records that `code` asked for its inbox at `time` (callers throttle: a minute's precision is enough).
    func recordPull(by code: String, at time: Int64) async throws
    /// When each agency last asked for its inbox (agencies that never did are absent).
    func lastPulls() async throws -> [String: Int64]
    func isWritable() async -> Bool
    nonisolated func freeDiskBytes() -> Int64?
    /// Claims (or renews) the singleton job `name` for `seconds`: true when this node runs it now. Jobs that
    /// must run on one node of a hub at a time (the VXP upstream poller, pruning) ask before each round; when
    /// the holder dies its claim expires and another node takes the job over. One node (SQLite) always holds.
    func holdsSingleton(_ name: String, seconds: Int64) async throws -> Bool
    /// True when `error` (thrown by this store) means the store cannot be used for now — its server is down,
    /// restarting or failing over, its disk failing or full — rather than that the request was wrong: the
    /// caller answers `503 store-unavailable` (retry later), and nothing was acknowledged.
    nonisolated func isOutage(_ error: any Error) -> Bool
}

/// The validation data kept with the messages (certificates, CRLs, OCSP responses, time-stamp tokens, each once
/// by SHA-256) and the trust snapshots verdicts name: what a verdict was made from, to check or re-make it later.
package protocol EvidenceStore: Actor {
    /// The objects a message's verdict used (kind, SHA-256, DER), in SHA-256 order.
    func validationObjects(of messageId: String) async throws -> [EvidenceRecord]
    func trustSnapshot(_ id: String) async throws -> TrustSnapshotRecord?
    /// What is kept: distinct objects, their bytes, and links to messages.
    func evidenceTotals() async throws -> EvidenceTotals
    /// The ids of the messages received in [from, to) (seconds since 1970), in receipt order, `limit` after the
    /// (receivedAt, id) `cursor` (to re-judge a period page by page).
    func messagesReceived(from: Int64, to: Int64, after cursor: (Int64, String)?, limit: Int) async throws -> [(receivedAt: Int64, id: String)]
}

package struct EvidenceTotals: Sendable, Equatable, Codable {
    package var objects: Int64
    package var bytes: Int64
    package var links: Int64
    package var snapshots: Int64
    package init(objects: Int64, bytes: Int64, links: Int64, snapshots: Int64) {
        self.objects = objects
        self.bytes = bytes
        self.links = links
        self.snapshots = snapshots
    }
}

/// The evidence log (README "Evidence log"): events are written unsequenced in the transaction of what they
/// record; one sequencer at a time gives them contiguous leaf indexes and stores the RFC 9162 tree's perfect
/// subtrees, from which roots and proofs are computed.
package protocol EvidenceLogStore: Actor {
    /// Sequences at most `limit` of the oldest unsequenced events; returns the tree's size after.
    @discardableResult func sequenceLog(limit: Int) async throws -> Int64
    func logSize() async throws -> Int64
    /// The hash of the perfect subtree (level, index); nil when the tree does not have it (yet).
    func logNode(level: Int, index: Int64) async throws -> [UInt8]?
    /// Up to `count` entries from leaf index `from`, in order.
    func logEntries(from: Int64, count: Int) async throws -> [(index: Int64, entry: [UInt8])]
    /// The leaf index of a message's event, once sequenced.
    func logIndex(ofMessage id: String) async throws -> Int64?
    /// The events that name a message (accepted, delivered, acknowledged, dead, requeued), in the order written,
    /// with their leaf index once sequenced.
    func logEvents(ofMessage id: String) async throws -> [(index: Int64?, entry: [UInt8])]
    /// Writes an event that records no stored row (a trust reload).
    func appendLogEvent(_ entry: [UInt8]) async throws
    /// Writes events in one transaction (each naming its message, when it has one): the backfill of a store from
    /// before the log.
    func appendLogEvents(_ events: [(entry: [UInt8], message: String?)]) async throws
    /// Events written and not yet sequenced.
    func unsequencedLogEvents() async throws -> Int64
    /// The seed of the log's Ed25519 signing key: made once (every node of a hub on one database gets the same),
    /// kept sealed with the store's secrets key.
    func logSigningSeed() async throws -> [UInt8]
    /// Keeps a signed checkpoint (once per size: nodes that sign the same tree write the same note).
    func saveCheckpoint(_ checkpoint: StoredCheckpoint) async throws
    /// The latest checkpoint, or the one of `size`.
    func checkpoint(size: Int64?) async throws -> StoredCheckpoint?
    /// Up to `limit` checkpoints of sizes above `after`, smallest first (to check every one).
    func checkpoints(after: Int64, limit: Int) async throws -> [StoredCheckpoint]
    /// Checkpoints without an RFC 3161 time-stamp yet, newest first.
    func checkpointsAwaitingTimeStamp(limit: Int) async throws -> [StoredCheckpoint]
    /// Keeps the time-stamp token of a checkpoint and the time it states.
    func saveCheckpointTimeStamp(size: Int64, token: [UInt8], time: Int64) async throws
    /// Keeps a witness's cosignature line of the checkpoint of `size` (once per witness and size).
    func saveCosignature(size: Int64, witness: String, line: String) async throws
    /// The cosignature lines of the checkpoint of `size`, by witness name.
    func cosignatures(size: Int64) async throws -> [(witness: String, line: String)]
    /// The largest checkpoint size `witness` cosigned.
    func lastCosigned(by witness: String) async throws -> Int64?
}

/// The hub as a witness of other hubs' logs: the latest checkpoint it cosigned of each, and the forks it saw.
package protocol WitnessStore: Actor {
    func witnessed(_ origin: String) async throws -> WitnessedCheckpoint?
    /// Moves the log's witnessed checkpoint from the one of size `from` (nil: none yet) to `to`; false when another
    /// request moved it first (the caller reads it again).
    func advanceWitnessed(_ origin: String, from: Int64?, to checkpoint: WitnessedCheckpoint) async throws -> Bool
    func recordFork(_ fork: WitnessFork) async throws
    func forks(limit: Int) async throws -> [WitnessFork]
    /// The forks kept (the gauge `truc_witness_forks`).
    func forkCount() async throws -> Int64
}

package struct StoredVolume: Sendable, Equatable, Codable {
    package var kind: String
    /// Every delivery of these messages is delivered, failed or dead (or they have none).
    package var final: Bool
    /// Their payloads were archived and purged (`payloadBytes` then counts none: they are no longer stored).
    package var purged = false
    package var messages: Int64
    package var payloadBytes: Int64
    package var recentPayloadBytes: Int64
    /// The messages received since the forecast's window began (purged ones included: their rows stay).
    package var recentMessages: Int64
    package init(kind: String, final: Bool, messages: Int64, payloadBytes: Int64, recentPayloadBytes: Int64, recentMessages: Int64 = 0) {
        self.kind = kind
        self.final = final
        self.messages = messages
        self.payloadBytes = payloadBytes
        self.recentPayloadBytes = recentPayloadBytes
        self.recentMessages = recentMessages
    }
}

package struct WitnessedCheckpoint: Sendable, Equatable {
    package var size: Int64
    package var root: [UInt8]
    package var note: String
    package var at: Int64
    package init(size: Int64, root: [UInt8], note: String, at: Int64) {
        self.size = size
        self.root = root
        self.note = note
        self.at = at
    }
}

/// A log that showed this witness a history inconsistent with the one it cosigned before: both notes kept.
package struct WitnessFork: Sendable, Equatable, Encodable {
    package var origin: String
    package var at: Int64
    package var detail: String
    /// The checkpoint the witness had cosigned, and the one it was shown.
    package var known: String
    package var shown: String
    package init(origin: String, at: Int64, detail: String, known: String, shown: String) {
        self.origin = origin
        self.at = at
        self.detail = detail
        self.known = known
        self.shown = shown
    }
}

package struct StoredCheckpoint: Sendable, Equatable {
    package var size: Int64
    package var root: [UInt8]
    /// The signed note (C2SP signed-note text).
    package var note: String
    package var at: Int64
    /// The RFC 3161 time-stamp token over the note (when a TSA is configured and answered), and its time.
    package var timeStampToken: [UInt8]?
    package var timeStampTime: Int64?
    package init(size: Int64, root: [UInt8], note: String, at: Int64, timeStampToken: [UInt8]? = nil, timeStampTime: Int64? = nil) {
        self.size = size
        self.root = root
        self.note = note
        self.at = at
        self.timeStampToken = timeStampToken
        self.timeStampTime = timeStampTime
    }
}

/// The organisation certificates bound to each agency: a seal counts as the sender's only when its certificate
/// is one of them (or the agency's TLS client certificate identifier). Several per agency, for renewals.
package protocol SealStore: Actor {
    /// The agency's bound seal identifiers, in the order they were bound.
    func seals(of agency: String) async throws -> [String]
    /// Replaces the agency's bound seal identifiers; `StoreError.notFound` for an unknown agency.
    func setSeals(_ identifiers: [String], of agency: String) async throws
}

/// The dashboard's operator sessions, kept in the store so that every node of a hub knows them (a login on one
/// node is valid behind the load balancer on the others, a logout ends it everywhere). Keyed by the SHA-256 of
/// the session id: the database alone gives no usable cookie.
package protocol SessionStore: Actor {
    /// Records a session (and forgets the expired ones).
    func createSession(idHash: String, csrf: String, expires: Int64) async throws
    /// The session's CSRF token while it has not expired and was used within `idleSeconds` (a use moves its
    /// last-seen time, at most once a minute).
    func sessionCSRF(idHash: String, now: Int64, idleSeconds: Int64) async throws -> String?
    func endSession(idHash: String) async throws
    /// Ends every dashboard session (`truc sessions revoke`); returns how many there were.
    func endAllSessions() async throws -> Int
}

extension SessionStore {
    /// The session's CSRF token while it has not expired (no idle limit).
    package func sessionCSRF(idHash: String, now: Int64) async throws -> String? {
        try await sessionCSRF(idHash: idHash, now: now, idleSeconds: .max)
    }
}

/// Documents refused at intake, kept as evidence for their senders and operators.
package protocol RefusalStore: Actor {
    func recordRefusal(_ refusal: Refusal) async throws
    /// One refusal with the verdict and validation data kept with it (a document refused for its signatures).
    func refusalVerdict(_ id: Int64) async throws -> (refusal: Refusal, verdictJSON: String?, objects: [EvidenceRecord])?
    func refusals(agency: String?, code: String?, from: Int64, to: Int64, limit: Int) async throws -> [Refusal]
    func refusalCounts(from: Int64, to: Int64) async throws -> RefusalCounts
    @discardableResult func pruneRefusals(before: Int64) async throws -> Int
}

/// The signed-ratio counters and the reports built on them.
package protocol StatisticsStore: Actor {
    @discardableResult
    func countRefused(key: String, sender: String, recipients: [String], businessType: Int, at time: Int64) async throws -> Bool
    func signedCounts(from: String, to: String, senders: [String]?, businessTypes: [Int], recipient: String?,
                      grouping: CountGrouping) async throws -> [DailyCount]
    func volume(from: String, to: String, agencies: [String]?, byDay: Bool) async throws -> [VolumeRow]
    func signerCounts(from: String, to: String, agencies: [String]?) async throws -> [String: Int]
    func receivedDocuments(from: String, to: String, recipients: [String]?) async throws -> [TimelinessReport.Document]
    func countedAgencies() async throws -> [String]
}

extension InboxStore {
    package func inbox(for agency: String, kind: String?, after cursor: Int64, limit: Int) async throws -> [InboxItem] {
        try await inbox(for: agency, kind: kind, after: cursor, limit: limit, includeReceipts: true)
    }

}

extension OperationsStore {
    package func deliveries(state: DeliveryState?) async throws -> [QueuedDelivery] {
        try await deliveries(state: state, limit: 500)
    }
}

/// Payload retention (README "Retention and archives"): the messages whose payloads may go, the archives that took
/// them, and the purge itself. A payload is purged only after the archive holding it is on disk and recorded.
package protocol RetentionStore: Actor {
    /// Messages not yet purged (receipts excepted: they are kept), received before `receivedBefore`, in receipt
    /// order after `cursor`: with when they became final (nil: a delivery is still pending).
    func purgeCandidates(receivedBefore: Int64, after cursor: (Int64, String)?, limit: Int) async throws -> [PurgeCandidate]
    /// The archive recorded last.
    func lastArchive() async throws -> ArchiveRecord?
    /// The archives recorded, in sequence order after `sequence`.
    func archives(after sequence: Int64, limit: Int) async throws -> [ArchiveRecord]
    /// Records an archive written and synced (its sequence must follow the last one: else `StoreError.conflict`),
    /// with its `archived` event in the evidence log, in one transaction.
    func recordArchive(_ archive: ArchiveRecord) async throws
    /// Purges the payloads of `ids` held by the recorded archive `sequence`, each only if it is still final and
    /// not purged, in one short transaction; answers what was purged. Space the store frees after the transaction
    /// (payload segments) is freed before it returns.
    func purgePayloads(_ ids: [String], archive sequence: Int64) async throws -> PurgeResult
    /// What can be given back only at the end of a round (SQLite: payload segments no message refers to any more,
    /// found with one scan each; PostgreSQL: nothing).
    func finishPurgeRound() async throws
    /// Messages and payload bytes purged so far, archives recorded and their bytes.
    func purgeTotals() async throws -> PurgeTotals
}

/// A message as the purge sees it.
package struct PurgeCandidate: Sendable, Equatable {
    package var id: String
    package var kind: String
    package var sender: String
    package var recipients: [String]
    package var businessType: Int?
    package var receivedAt: Int64
    package var size: Int
    package var sha256: String
    /// When its last delivery reached a final state; nil while one is pending.
    package var finalAt: Int64?

    package init(id: String, kind: String, sender: String, recipients: [String], businessType: Int?, receivedAt: Int64, size: Int,
                 sha256: String, finalAt: Int64?) {
        self.id = id
        self.kind = kind
        self.sender = sender
        self.recipients = recipients
        self.businessType = businessType
        self.receivedAt = receivedAt
        self.size = size
        self.sha256 = sha256
        self.finalAt = finalAt
    }
}

/// An archive file the hub wrote and recorded.
package struct ArchiveRecord: Sendable, Equatable, Codable {
    package var sequence: Int64
    package var name: String
    package var manifestSHA256: String
    package var messages: Int64
    package var bytes: Int64
    package var createdAt: Int64

    package init(sequence: Int64, name: String, manifestSHA256: String, messages: Int64, bytes: Int64, createdAt: Int64) {
        self.sequence = sequence
        self.name = name
        self.manifestSHA256 = manifestSHA256
        self.messages = messages
        self.bytes = bytes
        self.createdAt = createdAt
    }
}

package struct PurgeResult: Sendable, Equatable {
    package var purged: [String]
    package var bytes: Int64
    package init(purged: [String], bytes: Int64) {
        self.purged = purged
        self.bytes = bytes
    }
}

package struct PurgeTotals: Sendable, Equatable, Codable {
    package var messages: Int64
    package var bytes: Int64
    package var archives: Int64
    package var archivedBytes: Int64
    package init(messages: Int64, bytes: Int64, archives: Int64, archivedBytes: Int64) {
        self.messages = messages
        self.bytes = bytes
        self.archives = archives
        self.archivedBytes = archivedBytes
    }
}

/// The `payload` column of a purged message: `archived:<archive sequence>:<purged at>`.
package enum PurgedPayload {
    package static let prefix = "archived:"

    package static func location(archive: Int64, at time: Int64) -> String { "\(prefix)\(archive):\(time)" }

    package static func parse(_ location: String) -> (archive: Int64, at: Int64)? {
        guard location.hasPrefix(prefix) else { return nil }
        let parts = location.dropFirst(prefix.count).split(separator: ":")
        guard parts.count == 2, let archive = Int64(parts[0]), let at = Int64(parts[1]) else { return nil }
        return (archive, at)
    }
}

extension StoredMessage {
    /// The archive that holds the message and when its payload was purged; nil while the hub holds the payload.
    package var purged: (archive: Int64, at: Int64)? { PurgedPayload.parse(payloadPath) }
}

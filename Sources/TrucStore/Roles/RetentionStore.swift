package import TrucCore

/// Payload retention (docs/operating.md "Retention and archives"): the messages whose payloads may go, the archives that took
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

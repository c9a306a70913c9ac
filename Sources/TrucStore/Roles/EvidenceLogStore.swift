package import TrucCore

/// The evidence log (docs/evidence-log.md "Evidence log"): events are written unsequenced in the transaction of what they
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

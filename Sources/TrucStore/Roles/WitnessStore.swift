package import TrucCore

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


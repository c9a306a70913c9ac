package import TrucCore

/// Documents refused at intake, kept as evidence for their senders and operators.
package protocol RefusalStore: Actor {
    func recordRefusal(_ refusal: Refusal) async throws
    /// One refusal with the verdict and validation data kept with it (a document refused for its signatures).
    func refusalVerdict(_ id: Int64) async throws -> (refusal: Refusal, verdictJSON: String?, objects: [EvidenceRecord])?
    func refusals(agency: String?, code: String?, from: Int64, to: Int64, limit: Int) async throws -> [Refusal]
    func refusalCounts(from: Int64, to: Int64) async throws -> RefusalCounts
    @discardableResult func pruneRefusals(before: Int64) async throws -> Int
}

package import TrucCore

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

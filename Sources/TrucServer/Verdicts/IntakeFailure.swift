import EdXML
import Foundation
import Logging
import TrucCore
import TrucCrypto
package import TrucSignatures
import TrucStore
import HTTPTypes

/// A refusal with what is known of the message, for the refusal record and the statistics.
struct IntakeFailure: Error {
    let error: HubError
    var sender: String?
    var documentId: String?
    var kind: String?
    var reasons: [String] = []
    /// The refusal's structured findings; when empty, one finding for the whole message (the answer's code).
    var findings: [Refusal.Finding] = []
    /// The message's SHA-256 when the lane took it already.
    var sha256: String?
    /// For a document refused for its signatures: what the statistics count (once per key).
    var counted: (key: String, sender: String, recipients: [String], businessType: Int)?
    /// For a message refused for its signatures: the verdict, its validation data and trust snapshot.
    var verdictJSON: String?
    var evidence: [EvidenceRecord] = []
    var trustSnapshot: TrustSnapshotRecord?

    init(_ error: HubError, sender: String? = nil, documentId: String? = nil, kind: String? = nil) {
        self.error = error
        self.sender = sender
        self.documentId = documentId
        self.kind = kind
    }
}

/// A recipient the hub left out of an accepted message, and why.
package struct UnroutedRecipient: Codable, Sendable, Equatable {
    package var code: String
    package var reason: String
}

/// A message refused for an invalid signature, with what the statistics need to count it.
struct SignatureRefusal: Error {
    let error: HubError
    let reasons: [String]
    let findings: [Refusal.Finding]
    let isDocument: Bool
    let sender: String
    let recipients: [String]
    let businessType: Int
    /// The document's idempotency key: it is counted once however often it is re-sent.
    let key: String
    /// The verdict, and what it was made from, kept with the refusal (for its ETSI report).
    var verdictJSON: String?
    var evidence: [EvidenceRecord] = []
    var trustSnapshot: TrustSnapshotRecord?
}

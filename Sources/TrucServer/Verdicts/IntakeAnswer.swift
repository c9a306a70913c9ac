import EdXML
import Foundation
import Logging
import TrucCore
import TrucCrypto
package import TrucSignatures
import TrucStore
import HTTPTypes

/// The answer to an accepted message (also returned, with `duplicate: true`, for a re-sent one).
package struct IntakeAnswer: Codable, Sendable {
    package var id: String
    package var kind: String
    package var documentId: String?
    package var recipients: [String]
    package var sha256: String
    package var signature: MessageVerdict
    package var duplicate: Bool
    /// Recipients no route reaches: left out of an accepted message (the others are served).
    package var unroutedRecipients: [UnroutedRecipient]? = nil
}

extension IntakeAnswer {
    /// The verdict of a message without signatures, as `JSONText.encode` writes it (checked by a test).
    static let unsignedVerdictJSON = #"{"bucket":"unsigned","invalid":false,"signatures":[],"signed":"none"}"#

    /// The answer as `JSONText.encode` writes it (sorted keys), assembled around the verdict's JSON, which the
    /// intake has already encoded: JSONEncoder was a visible share of the time per message.
    func json(verdictJSON: String) -> String {
        var out = "{"
        if let documentId { out += "\"documentId\":\(JSONText.string(documentId))," }
        out += "\"duplicate\":\(duplicate),\"id\":\(JSONText.string(id)),\"kind\":\(JSONText.string(kind)),"
        out += "\"recipients\":[\(recipients.map(JSONText.string).joined(separator: ","))],"
        out += "\"sha256\":\(JSONText.string(sha256)),\"signature\":\(verdictJSON)"
        if let unroutedRecipients, !unroutedRecipients.isEmpty {
            out += ",\"unroutedRecipients\":[" + unroutedRecipients.map { "{\"code\":\(JSONText.string($0.code)),\"reason\":\(JSONText.string($0.reason))}" }
                .joined(separator: ",") + "]"
        }
        out += "}"
        return out
    }
}

/// Who sends a message, as the intake sees it: an agency (as itself), a VXP client system (as any agency
/// it acts for), or a peer hub (relaying for any agency).
struct IntakeSender: Sendable {
    /// The caller, for error messages.
    let name: String
    /// The `From/OrganId` values the caller may send as.
    let codes: Set<String>
    let relay: Bool
    /// The peer hub's code when `relay`: it speaks only for the agencies this hub reaches through it.
    let peer: String?

    init(name: String, codes: Set<String>, relay: Bool, peer: String? = nil) {
        self.name = name
        self.codes = codes
        self.relay = relay
        self.peer = relay ? peer : nil
    }

    init(_ caller: Caller) throws {
        guard case .agency(let agency) = caller else {
            throw HubError.forbidden("only an agency's credential sends messages")
        }
        self.init(name: agency.code, codes: [agency.code], relay: agency.relay, peer: agency.code)
    }
}

/// The intake checks, in order: parse, validate, sender, signatures, recipients; then the store.

import EdXML
import Foundation
import TrucCore
import TrucCrypto
import TrucSignatures
import TrucStore

/// The answer to an accepted message (also returned, with `duplicate: true`, for a re-sent one).
package struct IntakeAnswer: Codable, Sendable {
    package var id: String
    package var kind: String
    package var documentId: String?
    package var recipients: [String]
    package var sha256: String
    package var signature: MessageVerdict
    package var duplicate: Bool
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
        out += "\"sha256\":\(JSONText.string(sha256)),\"signature\":\(verdictJSON)}"
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

    init(name: String, codes: Set<String>, relay: Bool) {
        self.name = name
        self.codes = codes
        self.relay = relay
    }

    init(_ caller: Caller) throws {
        guard case .agency(let agency) = caller else {
            throw HubError.forbidden("only an agency's credential sends messages")
        }
        self.init(name: agency.code, codes: [agency.code], relay: agency.relay)
    }
}

/// The intake checks, in order: parse, validate, sender, signatures, recipients; then the store.
struct Intake: Sendable {
    let store: any MessageStore
    let verifier: SignatureVerifier
    let limits: ReadLimits
    let hubCode: String
    let routing: RoutingTable
    let hopLimit: Int
    /// Where parsing and verification run (off the event loops, bounded): small messages in one lane, large
    /// documents (`largeThreshold` bytes and more) in another, at a lower priority, so that a status message
    /// never waits behind a 20 MB document.
    let pool: WorkPool
    var largePool: WorkPool?
    var largeThreshold = 1 << 20
    /// Time one document may take to decode and verify; past it, 422 too-complex.
    var workBudget: Duration = .seconds(20)

    /// - Parameter via: the hubs the message passed before (the `Truc-Via` header of a relaying peer).
    /// - Returns: the answer, whether it was new, and the answer's JSON text (the response body).
    func accept(_ bytes: [UInt8], from agency: IntakeSender, via: [String] = []) async throws -> (IntakeAnswer, AcceptOutcome, String) {
        if via.contains(hubCode) {
            throw HubError(.unprocessableContent, "loop-detected", "the message already passed this hub (\(hubCode)); it is not accepted again")
        }
        if via.count >= hopLimit {
            throw HubError(.unprocessableContent, "hop-limit", "the message passed \(via.count) hubs; the limit is \(hopLimit)")
        }
        let preparation: (message: IncomingMessage, answer: IntakeAnswer)
        do {
            let lane = bytes.count >= largeThreshold ? (largePool ?? pool) : pool
            preparation = try await lane.run { try prepare(bytes, sender: agency) }
        } catch let refusal as SignatureRefusal {
            // Refused, but counted: the statistics measure what agencies send.
            if refusal.isDocument {
                // Once per document: re-sending a refused document does not count it again.
                try await store.countRefused(key: refusal.key, sender: refusal.sender, recipients: refusal.recipients,
                                             businessType: refusal.businessType, at: Int64(Date().timeIntervalSince1970))
            }
            throw refusal.error
        }
        var prepared = preparation
        prepared.message.via = via
        // From a peer hub, only the recipients this hub serves (locally or onwards) are taken; the others
        // are served by the hubs the message came through.
        var handled: [String] = []
        for recipient in prepared.message.recipients {
            switch routing.destination(for: recipient, local: try await store.agency(recipient)) {
            case .pull:
                handled.append(recipient)
            case .push(let url):
                handled.append(recipient)
                prepared.message.targets[recipient] = url
            case .peer(let peer):
                if peer.code == hubCode || via.contains(peer.code) {
                    if agency.relay { continue }
                    throw HubError(.unprocessableContent, "loop-detected", "the route to \(recipient) leads back to \(peer.code), which the message passed")
                }
                handled.append(recipient)
                prepared.message.targets[recipient] = peer.deliveryTarget
            case .unroutable:
                if agency.relay { continue }
                throw HubError(.unprocessableContent, "unknown-recipient", "no agency \(recipient) is registered at this hub, and no route leads to it")
            }
        }
        guard !handled.isEmpty else {
            throw HubError(.unprocessableContent, "unknown-recipient", "none of the message's recipients is served by this hub")
        }
        prepared.message.recipients = handled
        prepared.answer.recipients = handled
        prepared.message.answerJSON = prepared.answer.json(verdictJSON: prepared.message.verdictJSON)
        let outcome = try await store.accept(prepared.message, payload: bytes)
        switch outcome {
        case .accepted:
            return (prepared.answer, outcome, prepared.message.answerJSON)
        case .duplicate(let previous):
            var answer = (try? JSONDecoder().decode(IntakeAnswer.self, from: Data(previous.utf8))) ?? prepared.answer
            answer.duplicate = true
            return (answer, outcome, JSONText.encode(answer))
        }
    }

    /// Everything that needs the parsed message, done synchronously (the parsed tree never crosses an await).
    func prepare(_ bytes: [UInt8], sender agency: IntakeSender) throws -> (message: IncomingMessage, answer: IntakeAnswer) {
        let parsed: ParsedMessage
        do {
            parsed = try EdXMLReader.read(bytes, limits: limits)
        } catch {
            throw HubError(.badRequest, error.code, error.message + (error.line.map { " (line \($0))" } ?? ""))
        }
        let errors = parsed.validate().filter { $0.severity == .error }
        if !errors.isEmpty {
            throw HubError(.unprocessableContent, "invalid-message", "the message has \(errors.count) error finding(s); the first: \(errors[0].code) at \(errors[0].path)",
                           details: ["findings": JSONText.encode(errors)])
        }
        if let refusal = LoopGuard.check(parsed.message, hubCode: hubCode, hopLimit: hopLimit) {
            switch refusal {
            case .alreadyPassed: throw HubError(.unprocessableContent, "loop-detected", "the message's trace already names this hub (\(hubCode))")
            case .tooManyHops(let n): throw HubError(.unprocessableContent, "hop-limit", "the message's trace has \(n) hops; the limit is \(hopLimit)")
            }
        }
        // A peer hub relays for the agencies behind it; an agency sends only as itself.
        guard let sender = parsed.message.sender, agency.codes.contains(sender) || agency.relay else {
            throw HubError(.forbidden, "sender-mismatch",
                           "From/OrganId is \(parsed.message.sender ?? "absent") but the caller is \(agency.name); an agency sends only as itself")
        }
        let now = Int64(Date().timeIntervalSince1970)
        var attachmentLimits = AttachmentLimits.default
        attachmentLimits.deadline = ContinuousClock.now + workBudget
        let (verdict, attachmentFindings) = verifier.verifyReportingAttachments(parsed, at: now, attachmentLimits: attachmentLimits)
        if let first = attachmentFindings.first {
            // An attachment that cannot be decoded hides what it holds (signatures included): refused, never
            // taken as unsigned. A zip bomb or an oversized attachment is work the hub will not do.
            let tooComplex = attachmentFindings.contains { $0.code == .zipBomb || $0.code == .attachmentTooLarge || $0.code == .workBudget }
            throw HubError(.unprocessableContent, tooComplex ? "too-complex" : "invalid-attachment",
                           "an attachment cannot be decoded: \(first.code) at \(first.path): \(first.message)",
                           details: ["findings": JSONText.encode(attachmentFindings)])
        }
        if verdict.signatures.contains(where: { $0.status == .invalid }) {
            var businessType = 0
            if case .document(let d) = parsed.message { businessType = d.business?.docType?.rawValue ?? 0 }
            throw SignatureRefusal(
                error: HubError(.unprocessableContent, "invalid-signature", "a signature of the message is invalid; it is not accepted",
                                details: ["signature": JSONText.encode(verdict)]),
                isDocument: parsed.message.messageType == "edoc", sender: sender, recipients: Addressing.recipients(of: parsed.message),
                businessType: businessType,
                key: Addressing.idempotencyKey(of: parsed.message, sender: sender, sha256: Digest.sha256(bytes).hexString))
        }
        let sha256 = Digest.sha256(bytes).hexString
        let recipients = Addressing.recipients(of: parsed.message)
        guard !recipients.isEmpty else { throw HubError(.unprocessableContent, "no-recipient", "the message names no recipient") }
        let id = MessageID.make()
        var businessType: Int?
        var statusCode: String?
        var answers: String?
        if case .document(let d) = parsed.message {
            businessType = d.business?.docType?.rawValue ?? 0
            // A revocation, update or replacement names the document it acts on: linked in the trace.
            // (Bussiness/DocumentId, else its own DocumentId, which the national samples reuse for the original;
            // ResponseFor keeps its usual meaning, the document this one replies to.)
            if let type = businessType, (1...3).contains(type) {
                answers = [d.business?.documentId, d.header.documentId]
                    .compactMap { $0?.trimmingCharacters(in: .whitespaces) }.first { !$0.isEmpty }
            }
        }
        if case .status(let s) = parsed.message {
            statusCode = s.statusCode?.rawValue
            answers = s.responseFor?.documentId
        }
        let answer = IntakeAnswer(id: id, kind: parsed.message.messageType, documentId: parsed.message.documentId, recipients: recipients,
                                  sha256: sha256, signature: verdict, duplicate: false)
        let message = IncomingMessage(
            id: id, kind: parsed.message.messageType, sender: sender, documentId: parsed.message.documentId,
            idempotencyKey: Addressing.idempotencyKey(of: parsed.message, sender: sender, sha256: sha256), receivedAt: now, sha256: sha256,
            recipients: recipients, verdictJSON: verdict.signatures.isEmpty ? IntakeAnswer.unsignedVerdictJSON : JSONText.encode(verdict), bucket: verdict.bucket.rawValue, businessType: businessType,
            statusCode: statusCode, answersDocumentId: answers, answerJSON: "") // set once the recipients are final
        var withSigners = message
        if case .document(let d) = parsed.message { withSigners.dueDate = d.header.dueDate?.iso }
        withSigners.signers = verdict.signatures.filter { $0.status == .valid }.compactMap { v in
            v.signer.map { Signer(kind: v.kind.rawValue, certificate: "\($0.issuer)|\($0.serial)") }
        }
        return (withSigners, answer)
    }
}

/// A message refused for an invalid signature, with what the statistics need to count it.
struct SignatureRefusal: Error {
    let error: HubError
    let isDocument: Bool
    let sender: String
    let recipients: [String]
    let businessType: Int
    /// The document's idempotency key: it is counted once however often it is re-sent.
    let key: String
}

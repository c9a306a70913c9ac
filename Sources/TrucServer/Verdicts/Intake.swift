import EdXML
import Foundation
import Logging
import TrucCore
import TrucCrypto
package import TrucSignatures
import TrucStore
import HTTPTypes
import TrucConcurrency

struct Intake: Sendable {
    let store: any CredentialStore & DirectoryStore & InboxStore & IntakeStore & RefusalStore & SealStore & StatisticsStore
    /// The trust directory and its verifier (reloadable: each message uses the state current when it arrives).
    let trust: TrustState
    let limits: ReadLimits
    let hubCode: String
    let routing: RoutingTable
    let hopLimit: Int
    /// Where parsing and verification run (off the event loops, bounded): messages under `largeThreshold`
    /// bytes (status messages, documents without attachments) in one lane, anything larger (every document
    /// carrying an attachment, and every PDF or ZIP an attacker can send) in another at a lower priority, so
    /// that a status message never waits behind a 20 MB document or a stream of PDF bombs.
    let pool: WorkPool
    var largePool: WorkPool?
    var largeThreshold = 16 << 10
    /// Refusal records one caller may write (the rest are answered and counted, not each written).
    var throttle = RefusalThrottle()
    /// Recipients one message may name (63 provinces, every ministry and their departments fit well under it).
    var maxRecipients = 1_000
    /// Time one document may take to decode and verify; past it, 422 too-complex.
    var workBudget: Duration = .seconds(20)
    var logger = Logger(label: "truc")
    /// Issues the non-delivery receipts of recipients no route reaches.
    var receipts: ReceiptIssuer?

    /// - Parameter via: the hubs the message passed before (the `Truc-Via` header of a relaying peer).
    /// - Returns: the answer, whether it was new, and the answer's JSON text (the response body).
    /// Every refusal (but `503 busy`, which refuses nothing) is recorded, logged and, for an invalid
    /// signature, counted once per document.
    func accept(_ bytes: [UInt8], from agency: IntakeSender, via: [String] = []) async throws -> (IntakeAnswer, AcceptOutcome, String) {
        do {
            return try await checkedAccept(bytes, from: agency, via: via)
        } catch let failure as IntakeFailure {
            await refuse(failure, bytes: bytes, caller: agency)
            throw failure.error
        } catch let error as HubError where error.status != .serviceUnavailable {
            await refuse(IntakeFailure(error), bytes: bytes, caller: agency)
            throw error
        }
    }

    private func checkedAccept(_ bytes: [UInt8], from agency: IntakeSender, via: [String]) async throws -> (IntakeAnswer, AcceptOutcome, String) {
        // The hop list is a peer's claim, stored and passed on with the message: hub codes only, bounded.
        func isHubCode(_ text: String) -> Bool {
            text.utf8.count <= 64 && text.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || $0 == 0x2E || $0 == 0x2D }
        }
        if let bad = via.first(where: { !isHubCode($0) }) {
            throw HubError(.invalidVia, "Truc-Via names \"\(bad.prefix(64))\"…, which is not a hub code (letters, digits, dots, at most 64 bytes)")
        }
        if via.contains(hubCode) {
            throw HubError(.loopDetected, "the message already passed this hub (\(hubCode)); it is not accepted again")
        }
        if via.count >= hopLimit {
            throw HubError(.hopLimit, "the message passed \(via.count) hubs; the limit is \(hopLimit)")
        }
        let lane = bytes.count >= largeThreshold ? (largePool ?? pool) : pool
        var prepared: (message: IncomingMessage, answer: IntakeAnswer)
        do {
            prepared = try await lane.run { try prepare(bytes, sender: agency) }
        } catch let refused as IntakeFailure {
            // A peer relaying for an agency it does not speak for is refused as such, before anything (an
            // invalid signature included) is filed or counted under that agency's name.
            if let peer = agency.peer, let sender = refused.sender, let error = try await relayRefusal(sender: sender, by: peer) {
                var failure = IntakeFailure(error, sender: sender, documentId: refused.documentId, kind: refused.kind)
                failure.sha256 = refused.sha256
                throw failure
            }
            throw refused
        }
        func failure(_ error: HubError) -> IntakeFailure {
            var failure = IntakeFailure(error, sender: prepared.message.sender, documentId: prepared.message.documentId, kind: prepared.message.kind)
            failure.sha256 = prepared.message.sha256
            return failure
        }
        if let peer = agency.peer, let error = try await relayRefusal(sender: prepared.message.sender, by: peer) {
            throw failure(error)
        }
        // A seal counts for the sender only when its certificate is bound to the sender here.
        let attributed = prepared.answer.signature.attributed(to: try await sealBinding(of: prepared.message.sender))
        if attributed != prepared.answer.signature {
            prepared.answer.signature = attributed
            prepared.message.bucket = attributed.bucket.rawValue
            prepared.message.verdictJSON = JSONText.encode(attributed)
            prepared.message.signers = Self.signers(of: attributed)
        }
        prepared.message.via = via
        // A peer hub may relay a document again with its own trace stamp: that is the same document.
        prepared.message.differentBytesAreDuplicates = agency.relay
        // From a peer hub, only the recipients this hub serves (locally or onwards) are taken; the others
        // are served by the hubs the message came through. From an agency, the recipients no route reaches
        // are left out (and reported); the message is refused only when it reaches no one.
        var handled: [String] = []
        var unrouted: [UnroutedRecipient] = []
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
                    throw failure(HubError(.loopDetected, "the route to \(recipient) leads back to \(peer.code), which the message passed"))
                }
                handled.append(recipient)
                prepared.message.targets[recipient] = peer.deliveryTarget
            case .unroutable:
                if agency.relay { continue }
                unrouted.append(UnroutedRecipient(code: recipient, reason: "unknown-recipient: no agency \(recipient) is registered at this hub, and no route leads to it"))
            }
        }
        guard !handled.isEmpty else {
            let names = unrouted.map(\.code).joined(separator: ", ")
            throw failure(HubError(.unknownRecipient,
                                   unrouted.isEmpty ? "none of the message's recipients is served by this hub"
                                       : "no agency \(names) is registered at this hub, and no route leads to \(unrouted.count == 1 ? "it" : "them")"))
        }
        prepared.message.recipients = handled
        if let error = try await statusRefusal(prepared.message) { throw failure(error) }
        prepared.message.unrouted = Dictionary(unrouted.map { ($0.code, $0.reason) }, uniquingKeysWith: { a, _ in a })
        prepared.answer.recipients = handled
        prepared.answer.unroutedRecipients = unrouted.isEmpty ? nil : unrouted
        prepared.message.answerJSON = prepared.answer.json(verdictJSON: prepared.message.verdictJSON)
        if EvidenceLogSwitch.isOn { prepared.message.logEntry = EvidenceEvents.accepted(prepared.message) }
        let outcome = try await store.accept(prepared.message, payload: bytes)
        switch outcome {
        case .accepted:
            // The sender learns of each recipient left out from the answer, the trace (failed:
            // unknown-recipient) and one signed non-delivery receipt, listing them all, in its status inbox.
            await receipts?.issueNonDelivery(messageId: prepared.message.id, unrouted: unrouted)
            return (prepared.answer, outcome, prepared.message.answerJSON)
        case .duplicate(let previous):
            var answer = (try? JSONDecoder().decode(IntakeAnswer.self, from: Data(previous.utf8))) ?? prepared.answer
            answer.duplicate = true
            return (answer, outcome, JSONText.encode(answer))
        case .conflict(let messageId, let sha256):
            throw failure(HubError(.documentIdConflict,
                                   "a different message with the same sender, DocumentId and business type was accepted as \(messageId) (SHA-256 \(sha256)); to correct it, send an update or a replacement (BussinessDocType 2 or 3) that names it",
                                   details: ["accepted": "{\"id\":\(JSONText.string(messageId)),\"sha256\":\(JSONText.string(sha256))}"]))
        }
    }

    /// A peer hub speaks only for the agencies this hub reaches through it (and for itself): never for an agency
    /// registered here, never for one another route serves. Otherwise a peer's credential (one of many
    /// provincial hubs, or a leaked one) could send as any local agency and sink its signed ratio.
    /// Returns the refusal, or nil when the peer may send as `sender`.
    private func relayRefusal(sender: String, by peer: String) async throws -> HubError? {
        if sender == peer { return nil }
        if let local = try await store.agency(sender), !local.relay {
            return HubError(.senderNotBehindPeer,
                            "From/OrganId is \(sender), an agency registered at this hub; peer hub \(peer) cannot send as it")
        }
        guard case .peer(let route) = routing.destination(for: sender, local: nil), route.code == peer else {
            return HubError(.senderNotBehindPeer,
                            "From/OrganId is \(sender), which this hub does not reach through peer hub \(peer); a peer sends only for the agencies behind it")
        }
        return nil
    }

    /// A status about a document this hub carried is accepted only between that document's sender and one of
    /// its recipients (either way), or from a hub: an agency that never received a document cannot file a
    /// status about it. A document this hub never carried gives nothing to judge by; such a status is
    /// delivered, and linked to nothing. Returns the refusal, or nil.
    private func statusRefusal(_ message: IncomingMessage) async throws -> HubError? {
        guard message.kind == "status", let documentId = message.answersDocumentId else { return nil }
        let parties = try await store.originalParties(documentId, senders: message.recipients + [message.sender])
        if parties.isEmpty { return nil }
        for party in parties {
            if message.recipients.contains(party.sender), party.recipients.contains(message.sender) { return nil }
            if party.sender == message.sender, message.recipients.allSatisfy(party.recipients.contains) { return nil }
        }
        if try await store.agency(message.sender)?.relay == true { return nil }
        let owners = Set(parties.map(\.sender)).sorted().joined(separator: ", ")
        return HubError(.notARecipient,
                        "\(message.sender) was not among the recipients of document \(documentId) from \(owners); only they (or their hub) file statuses about it")
    }

    /// Records the refusal (never the payload), logs it, and counts a document refused for its signatures.
    private func refuse(_ failure: IntakeFailure, bytes: [UInt8], caller: IntakeSender) async {
        let now = Int64(Date().timeIntervalSince1970)
        let reasons = failure.reasons.isEmpty ? [failure.error.message] : failure.reasons
        // Filed under the caller, not under whoever the message claims to come from: an agency posting as G22
        // fills its own list, not G22's. The claimed sender counts only when the caller may send as it.
        var agency = caller.name
        if let claimed = failure.sender {
            if let peer = caller.peer {
                if case .some(.none) = try? await relayRefusal(sender: claimed, by: peer) { agency = claimed }
            } else if caller.codes.contains(claimed) {
                agency = claimed
            }
        }
        var refusal = Refusal(at: now, caller: caller.name, sender: failure.sender, documentId: failure.documentId, kind: failure.kind,
                              code: failure.error.code, reasons: reasons, sha256: failure.sha256 ?? Digest.sha256(bytes).hexString,
                              size: bytes.count, agency: agency)
        refusal.findings = failure.findings.isEmpty
            ? [Refusal.Finding(location: "message", status: "refused", codes: [failure.error.code], detail: failure.error.message)]
            : failure.findings
        refusal = refusal.bounded()
        refusal.verdictJSON = failure.verdictJSON
        refusal.evidence = failure.evidence
        refusal.trustSnapshot = failure.trustSnapshot
        if EvidenceLogSwitch.isOn { refusal.logEntry = EvidenceEvents.refused(refusal) }
        let decision = throttle.decide(caller.name)
        if case .record(let skipped) = decision {
            if skipped > 0 { refusal.reasons.append("(\(skipped) earlier refusals of this caller were answered but not recorded: more than the recording rate)") }
            logger.notice("refused a message", metadata: [
                "caller": "\(refusal.caller)", "agency": "\(refusal.sender ?? "")", "documentId": "\(refusal.documentId ?? "")",
                "code": "\(refusal.code)", "reasons": "\(refusal.reasons.joined(separator: "; ").prefix(600))",
                "unrecorded": "\(skipped)"])
        }
        do {
            if decision != .skip { try await store.recordRefusal(refusal) }
            if let counted = failure.counted {
                // Once per document: re-sending a refused document does not count it again.
                try await store.countRefused(key: counted.key, sender: counted.sender, recipients: counted.recipients,
                                             businessType: counted.businessType, at: now)
            }
        } catch {
            logger.error("cannot record a refusal", metadata: ["error": "\(error)"])
        }
    }

    /// Everything that needs the parsed message, done synchronously (the parsed tree never crosses an await).
    /// The message's SHA-256 is taken here, in the lane, also for a refusal: hashing a 60 MB body on the
    /// threads that answer status messages would delay them.
    func prepare(_ bytes: [UInt8], sender agency: IntakeSender) throws -> (message: IncomingMessage, answer: IntakeAnswer) {
        let sha256 = Digest.sha256(bytes).hexString
        let parsed: ParsedMessage
        do {
            parsed = try EdXMLReader.read(bytes, limits: limits)
        } catch {
            var failure = IntakeFailure(HubError(reading: error.code, error.message + (error.line.map { " (line \($0))" } ?? "")))
            failure.sha256 = sha256
            throw failure
        }
        do {
            return try prepare(parsed, bytes, sha256: sha256, sender: agency)
        } catch var failure as IntakeFailure {
            (failure.sender, failure.documentId, failure.kind) = (parsed.message.sender, parsed.message.documentId, parsed.message.messageType)
            failure.sha256 = sha256
            throw failure
        } catch let error as HubError {
            var failure = IntakeFailure(error, sender: parsed.message.sender, documentId: parsed.message.documentId, kind: parsed.message.messageType)
            failure.sha256 = sha256
            throw failure
        } catch let refusal as SignatureRefusal {
            var failure = IntakeFailure(refusal.error, sender: refusal.sender, documentId: parsed.message.documentId, kind: parsed.message.messageType)
            failure.reasons = refusal.reasons
            failure.findings = refusal.findings
            failure.sha256 = sha256
            failure.verdictJSON = refusal.verdictJSON
            failure.evidence = refusal.evidence
            failure.trustSnapshot = refusal.trustSnapshot
            if refusal.isDocument {
                failure.counted = (refusal.key, refusal.sender, refusal.recipients, refusal.businessType)
            }
            throw failure
        }
    }

    /// The findings of a validation failure, as reasons.
    private func prepare(_ parsed: ParsedMessage, _ bytes: [UInt8], sha256: String, sender agency: IntakeSender) throws -> (message: IncomingMessage, answer: IntakeAnswer) {
        let errors = parsed.validate().filter { $0.severity == .error }
        if !errors.isEmpty {
            var failure = IntakeFailure(HubError(.invalidMessage,
                                                 "the message has \(errors.count) error finding(s); the first: \(errors[0].code) at \(errors[0].path)",
                                                 details: ["findings": JSONText.encode(errors)]))
            failure.reasons = errors.map { "\($0.code): \($0.message) (\($0.path))" }
            failure.findings = errors.map { Refusal.Finding(location: $0.path, status: "error", codes: [$0.code.rawValue], detail: $0.message) }
            throw failure
        }
        if let refusal = LoopGuard.check(traceOrgans: parsed.message.traceOrgans, hubCode: hubCode, hopLimit: hopLimit) {
            switch refusal {
            case .alreadyPassed: throw HubError(.loopDetected, "the message's trace already names this hub (\(hubCode))")
            case .tooManyHops(let n): throw HubError(.hopLimit, "the message's trace has \(n) hops; the limit is \(hopLimit)")
            }
        }
        // A peer hub relays for the agencies behind it; an agency sends only as itself.
        guard let sender = parsed.message.sender, agency.codes.contains(sender) || agency.relay else {
            throw HubError(.senderMismatch,
                           "From/OrganId is \(parsed.message.sender ?? "absent") but the caller is \(agency.name); an agency sends only as itself")
        }
        // Each recipient costs a delivery row and possibly a signed non-delivery receipt: bounded before any
        // signature is verified.
        let recipientCount = Addressing.recipients(of: parsed.message).count
        guard recipientCount <= maxRecipients else {
            throw HubError(.tooManyRecipients,
                           "the message names \(recipientCount) recipients; the limit is \(maxRecipients) (a circular to every province and ministry needs a few hundred)")
        }
        let now = Int64(Date().timeIntervalSince1970)
        var attachmentLimits = AttachmentLimits.default
        attachmentLimits.budget = WorkBudget(workBudget)
        let verifier = trust.verifier // one trust for the verdict and the snapshot it is kept with (a reload may come between)
        let (verdict, attachmentFindings) = verifier.verifyReportingAttachments(parsed, at: now, attachmentLimits: attachmentLimits)
        if let first = attachmentFindings.first {
            // An attachment that cannot be decoded hides what it holds (signatures included): refused, never
            // taken as unsigned. A zip bomb or an oversized attachment is work the hub will not do.
            let tooComplex = attachmentFindings.contains { $0.code == .zipBomb || $0.code == .attachmentTooLarge || $0.code == .workBudget || $0.code == .tooComplex }
            var failure = IntakeFailure(HubError(tooComplex ? .tooComplex : .invalidAttachment,
                                                 "an attachment cannot be decoded: \(first.code) at \(first.path): \(first.message)",
                                                 details: ["findings": JSONText.encode(attachmentFindings)]))
            failure.findings = attachmentFindings.map {
                Refusal.Finding(location: $0.path, status: "undecodable", codes: [$0.code.rawValue], detail: $0.message)
            }
            throw failure
        }
        if verdict.signatures.contains(where: { $0.status == .invalid }) {
            var businessType = 0
            if case .document(let d) = parsed.message { businessType = d.business?.docType?.rawValue ?? 0 }
            let verdictJSON = JSONText.encode(verdict)
            var refusal = SignatureRefusal(
                error: HubError(.invalidSignature, "a signature of the message is invalid; it is not accepted",
                                details: ["signature": verdictJSON]),
                reasons: verdict.signatures.filter { $0.status != .valid }.map { v in
                    "\(v.location): \(v.status.rawValue) [\(v.reasons.map(\.rawValue).joined(separator: ", "))]" + (v.detail.map { " \($0)" } ?? "")
                },
                findings: verdict.signatures.filter { $0.status != .valid }.map { v in
                    Refusal.Finding(location: v.location, status: v.status.rawValue, codes: v.reasons.map(\.rawValue), detail: v.detail)
                },
                isDocument: parsed.message.messageType == "edoc", sender: sender, recipients: Addressing.recipients(of: parsed.message),
                businessType: businessType,
                key: Addressing.idempotencyKey(of: parsed.message, sender: sender, sha256: sha256))
            refusal.verdictJSON = verdictJSON
            refusal.evidence = Self.evidence(of: verdict)
            refusal.trustSnapshot = TrustSnapshotRecord(id: verifier.trustSnapshot, contents: verifier.trustSnapshotContents)
            throw refusal
        }
        let recipients = Addressing.recipients(of: parsed.message)
        guard !recipients.isEmpty else { throw HubError(.noRecipient, "the message names no recipient") }
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
        withSigners.signers = Self.signers(of: verdict)
        // What the verdict was made from, kept with the message (each object once in the store).
        withSigners.evidence = Self.evidence(of: verdict)
        if !verdict.signatures.isEmpty {
            withSigners.trustSnapshot = TrustSnapshotRecord(id: verifier.trustSnapshot, contents: verifier.trustSnapshotContents)
        }
        return (withSigners, answer)
    }

    /// The seal binding of a sender registered here (its bound seal identifiers and its TLS client certificate's
    /// identifier or fingerprint); nil for a sender served by another hub, whose own hub judges its seals.
    private func sealBinding(of sender: String) async throws -> SealBinding? {
        guard let agency = try await store.agency(sender), !agency.relay else { return nil }
        var identifiers = try await store.seals(of: sender)
        if let tls = agency.certificateIdentifier { identifiers.append(tls) }
        if let pinned = agency.certificateSHA256 { identifiers.append("sha256:" + pinned) }
        return SealBinding(identifiers: identifiers)
    }
}

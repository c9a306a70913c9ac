import EdXML
import Foundation
package import TrucCore
import TrucCrypto
package import TrucSignatures
package import TrucStore
package import TrucVocabulary

/// Re-judges the documents a hub received in a period from what it kept — the exact bytes, the validation data
/// stored at receipt, and the trust snapshot of the verdict (or a trust directory the operator names) — with no
/// network, at the time of receipt (the verdict should come out the same) or now (a CA compromise published
/// since, a new algorithm policy). It reports beside the stored verdict; it never changes it, nor the statistics.
package struct Revalidation: Sendable {
    package enum Moment: String, Sendable, CaseIterable, Codable {
        case receipt, now
    }

    package struct SignatureLine: Sendable, Encodable, Equatable {
        package var location: String
        package var status: String
        package var indication: String?
        package var subIndication: String?
        package var reasons: [String]
    }

    package struct Outcome: Sendable, Encodable {
        package var id: String
        package var sender: String
        package var documentId: String?
        package var receivedTime: String
        /// The time the document was re-judged at.
        package var validationTime: String
        package var trustSnapshot: String?
        package var trustSnapshotNow: String?
        package var bucket: String
        package var bucketNow: String?
        package var signatures: [SignatureLine]
        package var signaturesNow: [SignatureLine]
        package var changed: Bool
        /// Why it changed (or why it could not be re-judged).
        package var why: [String]
    }

    /// What a re-validation of a period answers (the CLI's JSON and the operator API alike).
    package struct Report: Sendable, Encodable {
        package let from: String
        package let to: String
        package let at: String
        package let documents: Int
        /// Documents whose verdict changed, or that could not be re-judged.
        package let changed: Int
        package let outcomes: [Outcome]

        package init(range: DayRange, at moment: Moment, outcomes: [Outcome]) {
            from = range.from.description
            to = range.to.description
            at = moment.rawValue
            documents = outcomes.count
            changed = outcomes.filter { $0.changed || $0.bucketNow == nil }.count
            self.outcomes = outcomes
        }
    }

    let store: any CredentialStore & DirectoryStore & EvidenceStore & IntakeStore & SealStore
    let policy: VerificationPolicy
    /// A trust directory to judge under; nil: each verdict's own trust snapshot, as kept.
    let trustDirectory: String?
    let scratch: String

    package init(store: any CredentialStore & DirectoryStore & EvidenceStore & IntakeStore & SealStore, policy: VerificationPolicy, trustDirectory: String?, scratch: String) {
        self.store = store
        self.policy = policy
        self.trustDirectory = trustDirectory
        self.scratch = scratch
    }

    /// The instants [from, to) of a range of Vietnam days (UTC+7), both ends included.
    package static func period(_ range: DayRange) -> (from: Int64, to: Int64) {
        (CivilCalendar.vietnamDayStart(days: range.from.daysSinceEpoch), CivilCalendar.vietnamDayStart(days: range.to.daysSinceEpoch + 1))
    }

    /// At most this many documents per call (the CLI pages through longer periods).
    package static let maxDocuments = 10_000

    package func run(from: Int64, to: Int64, at moment: Moment, limit: Int = Revalidation.maxDocuments) async throws -> [Outcome] {
        var verifiers: [String: SignatureVerifier] = [:]
        var outcomes: [Outcome] = []
        var cursor: (Int64, String)?
        while outcomes.count < limit {
            let page = try await store.messagesReceived(from: from, to: to, after: cursor, limit: min(200, limit - outcomes.count))
            if page.isEmpty { break }
            cursor = page.last.map { ($0.receivedAt, $0.id) }
            for entry in page {
                guard let message = try await store.message(entry.id) else { continue }
                outcomes.append(try await judge(message, at: moment, verifiers: &verifiers))
            }
        }
        return outcomes
    }

    func judge(_ message: StoredMessage, at moment: Moment, verifiers: inout [String: SignatureVerifier]) async throws -> Outcome {
        let decoded = try? JSONDecoder().decode(MessageVerdict.self, from: Data(message.verdictJSON.utf8))
        let stored = decoded ?? MessageVerdict(signatures: [])
        let time = moment == .receipt ? message.receivedAt : Int64(Date().timeIntervalSince1970)
        var outcome = Outcome(id: message.id, sender: message.sender, documentId: message.documentId,
                              receivedTime: CivilCalendar.isoUTC(message.receivedAt), validationTime: CivilCalendar.isoUTC(time),
                              trustSnapshot: stored.trustSnapshot, bucket: message.bucket, signatures: Self.lines(stored),
                              signaturesNow: [], changed: false, why: [])
        // An unreadable stored verdict is said, never compared as if the document had no signature (a receipt the hub
        // issued has no verdict: it is its own signature).
        guard decoded != nil || message.kind == "receipt" else {
            outcome.why = ["the verdict stored at receipt cannot be read"]
            return outcome
        }
        // The trust: the operator's directory, else the snapshot the verdict names, as kept.
        let key = trustDirectory ?? stored.trustSnapshot ?? ""
        var base = verifiers[key]
        if base == nil {
            do {
                if let trustDirectory {
                    base = try SignatureVerifier(directory: trustDirectory, policy: policy)
                } else if let id = stored.trustSnapshot, let snapshot = try await store.trustSnapshot(id) {
                    base = try Self.verifier(snapshot, policy: policy, scratch: scratch)
                }
            } catch {
                outcome.why = ["cannot load the trust to judge under: \(error)"]
                return outcome
            }
            verifiers[key] = base
        }
        guard let base else {
            if stored.signatures.isEmpty {
                outcome.bucketNow = message.bucket
                return outcome
            }
            outcome.why = ["no trust snapshot is kept for this verdict (received before validation data was kept): name a trust directory"]
            return outcome
        }
        let kept = try await store.validationObjects(of: message.id)
        let revocation = KeptRevocation(crls: kept.filter { $0.kind == "crl" }.compactMap { try? CRL(bytes: $0.der) },
                                        ocspResponses: kept.filter { $0.kind == "ocsp" }.map(\.der), at: time)
        let verifier = SignatureVerifier(sharing: base, revocation: revocation)
        if let purged = message.purged {
            outcome.why = ["the payload was archived (archive \(purged.archive)) and purged: re-judge it from the archive (truc archive get --bundle)"]
            return outcome
        }
        let parsed: ParsedMessage
        do {
            parsed = try EdXMLReader.read(try await store.payload(of: message.id, at: message.payloadPath))
        } catch {
            outcome.why = ["the kept bytes cannot be read again: \(error)"]
            return outcome
        }
        var now = verifier.verifyReportingAttachments(parsed, at: time).verdict
        now = now.attributed(to: try await binding(of: message.sender))
        outcome.trustSnapshotNow = now.trustSnapshot
        outcome.bucketNow = now.bucket.rawValue
        outcome.signaturesNow = Self.lines(now)
        if outcome.trustSnapshot != nil, outcome.trustSnapshot != now.trustSnapshot {
            outcome.why.append("judged under another trust: \(now.trustSnapshot ?? "none") (at receipt \(outcome.trustSnapshot ?? "none"))")
        }
        for (index, line) in outcome.signaturesNow.enumerated() {
            let before = index < outcome.signatures.count ? outcome.signatures[index] : nil
            guard before?.status != line.status || before?.indication != line.indication || before?.subIndication != line.subIndication else { continue }
            let detail = now.signatures[index].detail.map { ": \($0)" } ?? ""
            outcome.why.append("\(line.location): \(before.map { "\($0.status) \($0.indication ?? "")" } ?? "absent") → \(line.status) \(line.indication ?? "")"
                               + (line.subIndication.map { "/\($0)" } ?? "") + (line.reasons.isEmpty ? "" : " [\(line.reasons.joined(separator: ", "))]") + detail)
        }
        if outcome.signaturesNow.count < outcome.signatures.count { outcome.why.append("fewer signatures are found now") }
        outcome.changed = outcome.bucketNow != outcome.bucket || outcome.signatures.map(\.status) != outcome.signaturesNow.map(\.status)
            || outcome.signatures.map(\.subIndication) != outcome.signaturesNow.map(\.subIndication)
            || (outcome.signatures.contains { $0.indication != nil } && outcome.signatures.map(\.indication) != outcome.signaturesNow.map(\.indication))
        return outcome
    }

    /// The sender's bound seals (as the intake judges them); nil for a sender served by another hub.
    func binding(of sender: String) async throws -> SealBinding? {
        guard let agency = try await store.agency(sender), !agency.relay else { return nil }
        var identifiers = try await store.seals(of: sender)
        if let tls = agency.certificateIdentifier { identifiers.append(tls) }
        return SealBinding(identifiers: identifiers)
    }

    static func lines(_ verdict: MessageVerdict) -> [SignatureLine] {
        verdict.signatures.map {
            SignatureLine(location: $0.location, status: $0.status.rawValue, indication: $0.etsi?.indication, subIndication: $0.etsi?.subIndication,
                          reasons: $0.reasons.map(\.rawValue))
        }
    }

    /// A verifier of a kept trust snapshot: its anchors and intermediates written to a directory of their own.
    static func verifier(_ snapshot: TrustSnapshotRecord, policy: VerificationPolicy, scratch: String) throws -> SignatureVerifier {
        struct Contents: Decodable {
            let anchors: [String]
            let intermediates: [String]
        }
        let contents = try JSONDecoder().decode(Contents.self, from: Data(snapshot.contents))
        let directory = scratch + "/trust-" + snapshot.id.replacingOccurrences(of: "sha256:", with: "").prefix(32)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (index, der) in (contents.anchors + contents.intermediates).enumerated() {
            guard let bytes = Data(base64Encoded: der) else { continue }
            let pem = "-----BEGIN CERTIFICATE-----\n" + bytes.base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
                + "\n-----END CERTIFICATE-----\n"
            try pem.write(toFile: directory + "/\(index).pem", atomically: true, encoding: .utf8)
        }
        return try SignatureVerifier(directory: directory, policy: policy)
    }
}

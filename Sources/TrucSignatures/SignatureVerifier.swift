import Foundation
package import EdXML
package import TrucCrypto
import TrucXML
import TrucZlib
package import TrucConcurrency

/// Verifies every signature of an edXML message — XMLDSig on the envelope, CMS in attached PDFs (raw or
/// zipped) — against a trust store. One instance serves all threads: the trust store and chain cache are
/// shared; each call works on its own parsed message.
package final class SignatureVerifier: Sendable {
    package let trust: TrustStore
    package let policy: VerificationPolicy
    /// Where revocation answers come from (the trust directory's CRLs unless a network source is given).
    package let revocation: any RevocationSource
    let chains = ChainCache()
    /// The trust a verdict is made under — the anchors and intermediates, and the policy that judges with
    /// them — as one digest: `sha256:<hex>`, the same in every verdict of this verifier (`truc trust` prints it).
    package let trustSnapshot: String

    package init(trust: TrustStore, policy: VerificationPolicy = VerificationPolicy(), revocation: any RevocationSource = OfflineRevocation()) {
        self.trust = trust
        self.policy = policy
        self.revocation = revocation
        trustSnapshot = Self.snapshot(certificatesDigest: trust.certificatesDigest, policy: policy)
        trustSnapshotContents = Self.snapshotContents(id: trustSnapshot, trust: trust, policy: policy)
    }

    /// What the trust snapshot id is computed from, as JSON: the anchors' and intermediates' DER (base64), the
    /// digest over their SHA-256s, and the lines hashed into the id — kept with the verdicts so that anyone can
    /// recompute the id, and a verdict can be re-made under the same trust years later.
    package let trustSnapshotContents: [UInt8]

    static func snapshotContents(id: String, trust: TrustStore, policy: VerificationPolicy) -> [UInt8] {
        struct Contents: Encodable {
            let id: String
            let certificatesDigest: String
            let lines: [String]
            let anchors: [String]
            let intermediates: [String]
        }
        let contents = Contents(id: id, certificatesDigest: trust.certificatesDigest,
                                lines: snapshotLines(certificatesDigest: trust.certificatesDigest, policy: policy),
                                anchors: trust.anchors.map { Data($0.der).base64EncodedString() },
                                intermediates: trust.intermediates.map { Data($0.der).base64EncodedString() })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array((try? encoder.encode(contents)) ?? Data())
    }

    /// The same trust and policy (and trust snapshot) with another revocation source: to re-judge a document
    /// from the data kept with it.
    package init(sharing other: SignatureVerifier, revocation: any RevocationSource) {
        trust = other.trust
        policy = other.policy
        self.revocation = revocation
        trustSnapshot = other.trustSnapshot
        trustSnapshotContents = other.trustSnapshotContents
    }

    /// The verifier of a trust directory: its certificates and CRLs (held to the policy's signing purposes and
    /// revocation requirement) and its trust profile (`trust.json`), read together, so that `truc serve`,
    /// `truc verify` and `truc trust` judge — and name the trust snapshot — alike.
    package convenience init(directory: String, policy: VerificationPolicy, revocation: any RevocationSource = OfflineRevocation()) throws {
        let trust = try TrustStore(directory: directory, requireRevocationData: policy.requireRevocationData,
                                   signingExtendedKeyUsages: policy.signingExtendedKeyUsages)
        var policy = policy
        policy.trustProfile = try TrustProfile.load(directory: directory, anchors: trust.anchors)
        self.init(trust: trust, policy: policy, revocation: revocation)
    }

    /// The snapshot id of `certificatesDigest` judged under `policy`.
    static func snapshot(certificatesDigest: String, policy: VerificationPolicy) -> String {
        let lines = snapshotLines(certificatesDigest: certificatesDigest, policy: policy)
        return "sha256:" + Digest.sha256(Array(lines.joined(separator: "\n").utf8)).hexString
    }

    static func snapshotLines(certificatesDigest: String, policy: VerificationPolicy) -> [String] {
        ["certificates " + certificatesDigest,
                     "signing-eku " + policy.signingExtendedKeyUsages.sorted().joined(separator: ","),
                     "require-revocation \(policy.requireRevocationData)", "refuse-weak \(policy.refuseWeakAlgorithms)",
                     "revocation-unknown \(policy.revocationUnknown.rawValue)"] + policy.algorithms.lines + policy.trustProfile.lines
    }

    func validation() -> SignerValidation {
        SignerValidation(trust: trust, policy: policy, chains: chains, revocation: revocation, deadline: ContinuousClock.now + policy.revocationBudget)
    }

    /// What to verify.
    package enum Scope: Sendable {
        /// Envelope XMLDSig signatures and the PDF signatures of every attachment.
        case all
        /// Only the envelope's XMLDSig signatures (attachments are decoded only if a `cid:` reference needs them).
        case envelope
    }

    /// - Parameter time: the verification time, seconds since 1970 (normally now).
    package func verify(_ parsed: ParsedMessage, at time: Int64, scope: Scope = .all, attachmentLimits: AttachmentLimits = .default) -> MessageVerdict {
        verifyReportingAttachments(parsed, at: time, scope: scope, attachmentLimits: attachmentLimits).verdict
    }

    /// The verdict, and the findings of decoding the attachments (an attachment that cannot be decoded —
    /// bad base64, a broken ZIP, a zip bomb — hides whatever signatures it holds: the caller must not take
    /// such a message as unsigned).
    package func verifyReportingAttachments(_ parsed: ParsedMessage, at time: Int64, scope: Scope = .all,
                                            attachmentLimits: AttachmentLimits = .default) -> (verdict: MessageVerdict, attachmentFindings: [Finding]) {
        var decoded: [DecodedAttachment]?
        var findings: [Finding] = []
        func attachments() -> [DecodedAttachment] {
            if let decoded { return decoded }
            let result: [DecodedAttachment]
            if case .document = parsed.message {
                // ZIP containers' own bytes are kept only when a signature references an attachment (cid:).
                let cid = parsed.envelopeSignatureElements.contains { Self.hasAttachmentReference($0) }
                // Large files inside ZIPs are not kept next to their container: they are inflated into a mapped scratch file.
                (result, findings) = parsed.decodeAttachments(limits: attachmentLimits, retainContent: true, digests: false, retainContainers: cid,
                                                              retainEntriesUpTo: policy.streamPDFsAbove)
            } else {
                result = []
            }
            decoded = result
            return result
        }
        var verdicts: [SignatureVerdict] = []
        let validation = validation()
        let xml = XMLDSigVerifier(validation: validation)
        if parsed.envelopeSignatureElements.count > policy.maxEnvelopeSignatures {
            // Each signature may canonicalise the whole envelope up to maxReferences times: a message with more
            // signatures than any signer makes is work the hub does not do.
            findings.append(Finding(.tooComplex, "envelope", "the envelope carries \(parsed.envelopeSignatureElements.count) signatures; at most \(policy.maxEnvelopeSignatures) are verified"))
            var empty = MessageVerdict(signatures: [])
            empty.trustSnapshot = trustSnapshot
            return (empty, findings)
        }
        func formatted(_ verdict: SignatureVerdict, _ signature: XMLElement) -> SignatureVerdict {
            var verdict = verdict
            verdict.format = XAdES.isXAdES(signature) ? "XAdES" : "XMLDSig"
            return verdict
        }
        for signature in parsed.envelopeSignatureElements {
            verdicts.append(formatted(xml.verify(signature, in: parsed, attachments: { Self.byContentId(attachments()) }, at: time), signature))
            // Signatures nested in its ds:Object (countersignatures) are found and reported too.
            for nested in xml.nestedSignatures(of: signature) {
                verdicts.append(formatted(xml.verify(nested, in: parsed, attachments: { Self.byContentId(attachments()) }, at: time, enclosing: signature), nested))
            }
        }
        if scope == .all {
            let pdf = PDFVerifier(validation: validation, budget: attachmentLimits.budget)
            for file in Self.pdfFiles(attachments()) {
                if attachmentLimits.budgetSpent {
                    findings.append(Finding(.workBudget, file.location, "verifying the signatures took longer than the hub's work budget for one document"))
                    break
                }
                let outcome: PDFVerifier.Outcome
                switch file.content {
                case .bytes(let bytes):
                    outcome = pdf.verify(bytes, location: file.location, at: time)
                case .zipped(let container, let entry):
                    outcome = Self.verifyZipped(entry, in: container, with: pdf, location: file.location, at: time)
                }
                verdicts += outcome.verdicts
                if let problem = outcome.tooComplex {
                    findings.append(Finding(.tooComplex, file.location, problem))
                    break
                }
            }
        }
        for i in verdicts.indices { verdicts[i].etsi = ETSIIndications.judge(verdicts[i], validationTime: time) }
        var verdict = MessageVerdict(signatures: verdicts)
        if !verdicts.isEmpty {
            verdict.trustSnapshot = trustSnapshot
            verdict.validationTime = isoUTC(time)
        }
        return (verdict, findings.filter { $0.severity == .error })
    }

    static func hasAttachmentReference(_ signature: XMLElement) -> Bool {
        signature.children.contains { info in
            info.localName == "SignedInfo" && info.children.contains { $0.localName == "Reference" && ($0.attribute("URI") ?? "").hasPrefix("cid:") }
        }
    }

    static func byContentId(_ attachments: [DecodedAttachment]) -> [String: [UInt8]] {
        var result: [String: [UInt8]] = [:]
        for attachment in attachments {
            guard let id = attachment.contentId, let bytes = attachment.bytes else { continue }
            var key = id.trimmingWhitespace
            if key.lowercased().hasPrefix("cid:") { key = String(key.dropFirst(4)) }
            result[key] = bytes
        }
        return result
    }

    /// A PDF's bytes in memory, or a large file left in its ZIP container.
    enum PDFContent {
        case bytes([UInt8])
        case zipped(container: [UInt8], entry: ZipEntry)
    }

    /// The PDFs among the attachments (raw, or files inside a ZIP), with their verdict location.
    static func pdfFiles(_ attachments: [DecodedAttachment]) -> [(location: String, content: PDFContent)] {
        var files: [(location: String, content: PDFContent)] = []
        for attachment in attachments {
            let name = attachment.name ?? attachment.contentId ?? "attachment-\(attachment.index + 1)"
            if let entries = attachment.entries {
                for entry in entries where entry.sniffedType == ContentSniffer.pdf {
                    let location = entries.count == 1 ? "attachment:\(name)" : "attachment:\(name)/\(entry.name)"
                    if let bytes = entry.bytes {
                        files.append((location, .bytes(bytes)))
                    } else if let zipEntry = entry.entry, let container = attachment.bytes {
                        files.append((location, .zipped(container: container, entry: zipEntry)))
                    }
                }
            } else if attachment.sniffedType == ContentSniffer.pdf, let bytes = attachment.bytes {
                files.append(("attachment:\(name)", .bytes(bytes)))
            }
        }
        return files
    }

    /// A large PDF inside a ZIP: inflated into a scratch file that is read mapped (the page cache holds it, not
    /// the process), and verified exactly as a file in memory is.
    static func verifyZipped(_ entry: ZipEntry, in container: [UInt8], with verifier: PDFVerifier, location: String, at time: Int64) -> PDFVerifier.Outcome {
        do {
            return try ScratchMapping.map(count: entry.uncompressedSize, fill: { write in
                try container.withUnsafeBytes { bytes in try ZipArchive.extract(entry, from: bytes) { try write($0) } }
            }, body: { verifier.verify($0, location: location, at: time) })
        } catch {
            // The entry inflated once already while the attachment was decoded: this fails only on the disk.
            return PDFVerifier.Outcome(verdicts: [SignatureVerdict(location: location, reasons: [.malformedSignature],
                                                                   detail: "the PDF cannot be inflated again: \(error)",
                                                                   refuseWeak: verifier.policy.refuseWeakAlgorithms)])
        }
    }
}

extension String {
    var trimmingWhitespace: String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}

extension SignatureVerifier {
    /// The signatures of one PDF file (for the fuzz targets and tools that hold a PDF rather than a message).
    package func verifyPDF(_ pdf: [UInt8], location: String = "pdf", at time: Int64) -> [SignatureVerdict] {
        PDFVerifier(validation: validation()).verify(pdf, location: location, at: time).verdicts
    }

    /// Why a PDF is too complex to verify (nil: it is not).
    package func pdfTooComplex(_ pdf: [UInt8], at time: Int64, budget: WorkBudget? = nil) -> String? {
        PDFVerifier(validation: validation(), budget: budget).verify(pdf, location: "pdf", at: time).tooComplex
    }

    /// The signatures of one PDF written in chunks of `chunkSize` bytes to a mapped scratch file, as a large
    /// file inside a ZIP is: the verdicts of `verifyPDF`, which the tests and the fuzz target check.
    package func verifyPDFMapped(_ pdf: [UInt8], location: String = "pdf", at time: Int64, chunkSize: Int = 1 << 16) throws -> [SignatureVerdict] {
        let verifier = PDFVerifier(validation: validation())
        let step = max(1, chunkSize)
        return try ScratchMapping.map(count: pdf.count, fill: { write in
            try pdf.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let end = min(raw.count, offset + step)
                    try write(UnsafeRawBufferPointer(rebasing: raw[offset..<end]))
                    offset = end
                }
            }
        }, body: { verifier.verify($0, location: location, at: time).verdicts })
    }

    /// Whether `der` parses as CMS SignedData (the fuzz target for the ASN.1 path).
    package static func parsesAsCMS(_ der: [UInt8]) -> Bool { (try? CMSSignedData(der: der)) != nil }
}

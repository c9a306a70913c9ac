import EdXML
import TrucCrypto
import TrucXML

/// Verifies every signature of an edXML message — XMLDSig on the envelope, CMS in attached PDFs (raw or
/// zipped) — against a trust store. One instance serves all threads: the trust store and chain cache are
/// shared; each call works on its own parsed message.
package final class SignatureVerifier: Sendable {
    package let trust: TrustStore
    package let policy: VerificationPolicy
    /// Where revocation answers come from (the trust directory's CRLs unless a network source is given).
    package let revocation: any RevocationSource
    let chains = ChainCache()

    package init(trust: TrustStore, policy: VerificationPolicy = VerificationPolicy(), revocation: any RevocationSource = OfflineRevocation()) {
        self.trust = trust
        self.policy = policy
        self.revocation = revocation
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
                (result, findings) = parsed.decodeAttachments(limits: attachmentLimits, retainContent: true, digests: false, retainContainers: cid)
            } else {
                result = []
            }
            decoded = result
            return result
        }
        var verdicts: [SignatureVerdict] = []
        let validation = validation()
        let xml = XMLDSigVerifier(validation: validation)
        for signature in parsed.envelopeSignatureElements {
            verdicts.append(xml.verify(signature, in: parsed, attachments: { Self.byContentId(attachments()) }, at: time))
            // Signatures nested in its ds:Object (countersignatures) are found and reported too.
            for nested in xml.nestedSignatures(of: signature) {
                verdicts.append(xml.verify(nested, in: parsed, attachments: { Self.byContentId(attachments()) }, at: time, enclosing: signature))
            }
        }
        if scope == .all {
            let pdf = PDFVerifier(validation: validation)
            for file in Self.pdfFiles(attachments()) {
                if attachmentLimits.budgetSpent {
                    findings.append(Finding(.workBudget, file.location, "verifying the signatures took longer than the hub's work budget for one document"))
                    break
                }
                verdicts += pdf.verify(file.bytes, location: file.location, at: time)
            }
        }
        return (MessageVerdict(signatures: verdicts), findings.filter { $0.severity == .error })
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

    /// The PDFs among the attachments (raw, or files inside a ZIP), with their verdict location.
    static func pdfFiles(_ attachments: [DecodedAttachment]) -> [(location: String, bytes: [UInt8])] {
        var files: [(location: String, bytes: [UInt8])] = []
        for attachment in attachments {
            let name = attachment.name ?? attachment.contentId ?? "attachment-\(attachment.index + 1)"
            if let entries = attachment.entries {
                for entry in entries where entry.sniffedType == ContentSniffer.pdf {
                    let location = entries.count == 1 ? "attachment:\(name)" : "attachment:\(name)/\(entry.name)"
                    if let bytes = entry.bytes { files.append((location, bytes)) }
                }
            } else if attachment.sniffedType == ContentSniffer.pdf, let bytes = attachment.bytes {
                files.append(("attachment:\(name)", bytes))
            }
        }
        return files
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
        PDFVerifier(validation: validation()).verify(pdf, location: location, at: time)
    }

    /// Whether `der` parses as CMS SignedData (the fuzz target for the ASN.1 path).
    package static func parsesAsCMS(_ der: [UInt8]) -> Bool { (try? CMSSignedData(der: der)) != nil }
}

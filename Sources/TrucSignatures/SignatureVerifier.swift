import EdXML
import TrucCrypto
import TrucXML

/// Verifies every signature of an edXML message — XMLDSig on the envelope, CMS in attached PDFs (raw or
/// zipped) — against a trust store. One instance serves all threads: the trust store and chain cache are
/// shared; each call works on its own parsed message.
package final class SignatureVerifier: Sendable {
    package let trust: TrustStore
    package let policy: VerificationPolicy
    private let chains = ChainCache()

    package init(trust: TrustStore, policy: VerificationPolicy = VerificationPolicy()) {
        self.trust = trust
        self.policy = policy
    }

    /// - Parameter time: the verification time, seconds since 1970 (normally now).
    package func verify(_ parsed: ParsedMessage, at time: Int64, attachmentLimits: AttachmentLimits = .default) -> MessageVerdict {
        var verdicts: [SignatureVerdict] = []
        var byContentId: [String: [UInt8]] = [:]
        var files: [(location: String, bytes: [UInt8])] = []
        if case .document = parsed.message {
            let (decoded, _) = parsed.decodeAttachments(limits: attachmentLimits, retainContent: true)
            for attachment in decoded {
                if let id = attachment.contentId, let bytes = attachment.bytes {
                    var key = id.trimmingWhitespace
                    if key.lowercased().hasPrefix("cid:") { key = String(key.dropFirst(4)) }
                    byContentId[key] = bytes
                }
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
        }
        let xml = XMLDSigVerifier(trust: trust, policy: policy, chains: chains)
        for signature in parsed.envelopeSignatureElements {
            verdicts.append(xml.verify(signature, in: parsed, attachments: byContentId, at: time))
        }
        let pdf = PDFVerifier(trust: trust, policy: policy, chains: chains)
        for file in files {
            verdicts += pdf.verify(file.bytes, location: file.location, at: time)
        }
        return MessageVerdict(signatures: verdicts)
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

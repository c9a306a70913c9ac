import Foundation
/// Whose signature: a person with authority, or the organisation (its seal).
package enum SignerKind: String, Sendable, Codable {
    case personal, organisation, unknown
}

/// The outcome of one signature.
package enum SignatureStatus: String, Sendable, Codable {
    case valid, invalid, indeterminate
}

/// Why a signature is not (fully) valid. Stable codes: they reach statistics, HTTP bodies and the CLI.
package struct SignatureReason: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    package let rawValue: String
    package init(rawValue: String) { self.rawValue = rawValue }
    package init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
    package func encode(to encoder: any Encoder) throws { var c = encoder.singleValueContainer(); try c.encode(rawValue) }
    package var description: String { rawValue }

    /// A signed reference (or a PDF's signed byte ranges) no longer has the digest that was signed.
    package static let digestMismatch = SignatureReason(rawValue: "digest-mismatch")
    /// The signature value does not verify with the signer's key.
    package static let signatureMismatch = SignatureReason(rawValue: "signature-mismatch")
    /// No chain to a configured trust anchor.
    package static let untrustedChain = SignatureReason(rawValue: "untrusted-chain")
    package static let revoked = SignatureReason(rawValue: "revoked")
    /// The signer certificate was not valid at the verification time.
    package static let expired = SignatureReason(rawValue: "expired")
    /// The signer certificate's key usage does not allow signing.
    package static let keyUsage = SignatureReason(rawValue: "key-usage")
    /// An algorithm or transform outside the accepted profile: cannot be decided.
    package static let unsupportedAlgorithm = SignatureReason(rawValue: "unsupported-algorithm")
    /// An algorithm past its sunset in the algorithm policy (SHA-1, MD5, RSA under 2048 bits) with no proof
    /// that the signature existed before: `indeterminate`, or `invalid` when the operator refuses SHA-1.
    package static let weakAlgorithm = SignatureReason(rawValue: "weak-algorithm")
    /// The signature's structure is wrong (missing parts, duplicate IDs, or it does not cover what Truc reads).
    package static let malformedSignature = SignatureReason(rawValue: "malformed-signature")
    /// A reference to something outside the message (nothing is ever fetched).
    package static let referenceNotAllowed = SignatureReason(rawValue: "reference-not-allowed")
    /// A PDF signature whose byte range is malformed, or a file changed after its last signature.
    package static let byteRangeIncomplete = SignatureReason(rawValue: "byte-range-incomplete")
    /// XAdES: the signed SigningCertificate(V2) digest is not the digest of the certificate that made the signature.
    package static let signingCertificateMismatch = SignatureReason(rawValue: "signing-certificate-mismatch")
    /// Revocation could not be checked while the policy requires it.
    package static let revocationUnknown = SignatureReason(rawValue: "revocation-unknown")

    /// A valid organisation seal whose certificate is not one the directory binds to the sending agency: it is
    /// another organisation's seal, and does not count as the sender's (docs/statistics.md "Signed-ratio definition").
    package static let signerNotSender = SignatureReason(rawValue: "signer-not-sender")
    /// A valid organisation seal of a sender that has no certificate bound to it yet: not counted as its seal.
    package static let signerUnbound = SignatureReason(rawValue: "signer-unbound")

    /// Reasons that leave the outcome undecided rather than wrong.
    var isIndeterminate: Bool { self == .unsupportedAlgorithm || self == .revocationUnknown || self == .weakAlgorithm }
    /// Reasons about whose signature it is, not whether it holds: the signature stays valid, it does not count
    /// for the sender.
    package var isAttribution: Bool { self == .signerNotSender || self == .signerUnbound }
}

/// The signer, as the certificate names it.
package struct SignerDescription: Sendable, Codable, Equatable {
    package var subject: String
    package var commonName: String?
    /// `CCCD:…`, `CMND:…`, `MST:…` ... from the subject's UID or serialNumber.
    package var identifier: String?
    package var issuer: String
    package var serial: String
    /// Every identifier the certificate names (UID, serialNumber, organizationIdentifier), for binding seals.
    package var identifiers: [String]?
    /// SHA-256 (hex) of the certificate.
    package var sha256: String?
    /// The certificate's validity (ISO 8601 UTC).
    package var notBefore: String?
    package var notAfter: String?
}

/// The verdict on one signature.
package struct SignatureVerdict: Sendable, Codable, Equatable {
    /// `envelope` or `attachment:<AttachmentName>` (for a ZIP with several files, `attachment:<name>/<file>`).
    package var location: String
    package var kind: SignerKind
    package var status: SignatureStatus
    package var reasons: [SignatureReason]
    package var signer: SignerDescription?
    /// e.g. `rsa-sha256`, `ecdsa-sha256`, `sha256WithRSAEncryption`.
    package var algorithm: String?
    /// ISO 8601 (UTC), when the signature carries one.
    package var signingTime: String?
    /// OpenSSL's or Truc's explanation of the first problem, for operators.
    package var detail: String?
    /// The signature's RFC 3161 time-stamp, when it carries one.
    package var timestamp: TimestampReport?
    /// The revocation answer for the signer certificate and where it came from.
    package var revocation: RevocationReport?
    /// Events that do not change the verdict, e.g. a certificate expired or revoked after the time-stamp.
    package var notes: [String]?
    /// The trust anchor the signer's path reached (with two national roots: which one), when it reached one.
    package var anchor: AnchorReport?
    /// The signature's format as read: `PAdES` (SubFilter ETSI.CAdES.detached), `PKCS7` (adbe.pkcs7.detached and
    /// the like), `XAdES` (signed QualifyingProperties), `XMLDSig`.
    package var format: String?
    /// The earliest time a time-stamp that holds proves the signature existed, and which time-stamp.
    package var proven: ProofOfExistence?
    /// The EN 319 102-1 indication, sub-indication, best signature time and level (set with the message verdict).
    package var etsi: ETSIStatus?
    /// The validation objects the verdict was made from, by SHA-256: the path, the revocation data, the time-stamps.
    package var objects: ValidationObjectsReport?
    /// The same objects as DER (not part of the verdict's JSON: the hub keeps them beside the document).
    package var evidence: [EvidenceObject] = []

    enum CodingKeys: String, CodingKey {
        case location, kind, status, reasons, signer, algorithm, signingTime, detail, timestamp, revocation, notes, anchor, format, proven, etsi, objects
    }

    init(location: String, kind: SignerKind = .unknown, reasons: [SignatureReason], signer: SignerDescription? = nil,
         algorithm: String? = nil, signingTime: String? = nil, detail: String? = nil, refuseWeak: Bool, failUnknownRevocation: Bool = false) {
        self.location = location
        self.kind = kind
        self.reasons = reasons
        self.signer = signer
        self.algorithm = algorithm
        self.signingTime = signingTime
        self.detail = detail
        let failing = reasons.filter { !$0.isAttribution }
        if failing.contains(where: { !$0.isIndeterminate || ($0 == .revocationUnknown && failUnknownRevocation) || ($0 == .weakAlgorithm && refuseWeak) }) {
            status = .invalid
        } else if !failing.isEmpty {
            status = .indeterminate
        } else {
            status = .valid
        }
    }
}

/// Which kinds of valid signature a message carries.
package enum SignedClass: String, Sendable, Codable {
    case both, organisation, personal, none
}

/// The statistics bucket of a message (first match wins; see docs/statistics.md "Signed-ratio definition").
package enum SignatureBucket: String, Sendable, Codable {
    case invalid, indeterminate, both, organisation, personal, unsigned
}

/// The verdict on a whole message.
package struct MessageVerdict: Sendable, Codable, Equatable {
    package var signatures: [SignatureVerdict]
    package var signed: SignedClass
    /// True when any signature is invalid or indeterminate.
    package var invalid: Bool
    package var bucket: SignatureBucket
    /// The trust the signatures were judged under (`SignatureVerifier.trustSnapshot`); nil with no signature.
    package var trustSnapshot: String?
    /// When the signatures were judged (ISO 8601 UTC): the ETSI validation time.
    package var validationTime: String?

    package init(signatures: [SignatureVerdict]) {
        self.signatures = signatures
        let valid = signatures.filter { $0.status == .valid }
        // Another organisation's seal (or a seal not yet bound to the sender) is valid but not the sender's.
        let counting = valid.filter { !$0.reasons.contains(where: \.isAttribution) }
        let personal = counting.contains { $0.kind == .personal }
        let organisation = counting.contains { $0.kind == .organisation }
        signed = personal && organisation ? .both : organisation ? .organisation : personal ? .personal : .none
        invalid = signatures.contains { $0.status != .valid }
        if signatures.contains(where: { $0.status == .invalid }) {
            bucket = .invalid
        } else if signatures.contains(where: { $0.status == .indeterminate }) {
            bucket = .indeterminate
        } else if signatures.isEmpty {
            bucket = .unsigned
        } else {
            switch signed {
            case .both: bucket = .both
            case .organisation: bucket = .organisation
            case .personal: bucket = .personal
            // Valid signatures whose signer is neither personal nor organisation: who signed is undecided.
            // Only seals of others: the sender signed nothing.
            case .none: bucket = counting.isEmpty ? .unsigned : .indeterminate
            }
        }
    }
}

/// The organisation certificates bound to a sending agency in the directory: its seal identifiers (several, for
/// renewals) and the identifier of its TLS client certificate. A bound value is an identifier the certificate
/// names (`MST:0100100001`, an `organizationIdentifier`), compared without case, or `sha256:<hex>` of one
/// certificate.
package struct SealBinding: Sendable, Equatable {
    package var identifiers: [String]

    package init(identifiers: [String]) {
        self.identifiers = identifiers
    }

    /// At most this many bound values per agency (renewals, several seals).
    package static let maxIdentifiers = 20

    /// The values an operator binds, checked and normalised (trimmed; `sha256:` followed by 64 hex digits,
    /// lower case); the problem otherwise, for the error answer.
    package static func normalised(_ values: [String]) -> Result<[String], SealBindingError> {
        guard values.count <= maxIdentifiers else { return .failure(SealBindingError("at most \(maxIdentifiers) seals per agency; \(values.count) given")) }
        var result: [String] = []
        for raw in values {
            let value = raw.trimmingCharacters(in: .whitespaces)
            guard !value.isEmpty, value.utf8.count <= 256, !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                return .failure(SealBindingError("a seal is a certificate identifier (MST:…, an organizationIdentifier) or sha256:<hex>, 1 to 256 characters, no control characters"))
            }
            if value.lowercased().hasPrefix("sha256:") {
                let hex = value.dropFirst(7).lowercased()
                guard hex.count == 64, hex.allSatisfy(\.isHexDigit) else {
                    return .failure(SealBindingError("\(value.prefix(80)) is not sha256: followed by the 64 hex digits of a certificate's SHA-256"))
                }
                result.append("sha256:" + hex)
            } else {
                result.append(value)
            }
        }
        var seen = Set<String>()
        return .success(result.filter { seen.insert($0.uppercased()).inserted })
    }

    /// True when `signer` is one of the bound certificates.
    package func binds(_ signer: SignerDescription) -> Bool {
        let named = Set(((signer.identifiers ?? []) + [signer.identifier].compactMap { $0 }).map { $0.uppercased() })
        return identifiers.contains { bound in
            let upper = bound.uppercased()
            if upper.hasPrefix("SHA256:") { return signer.sha256.map { "SHA256:" + $0.uppercased() == upper } ?? false }
            return named.contains(upper)
        }
    }
}

package struct SealBindingError: Error, CustomStringConvertible {
    package let description: String
    init(_ description: String) { self.description = description }
}

extension MessageVerdict {
    /// The verdict as the sender's: each valid organisation seal whose certificate the binding does not name
    /// carries `signer-not-sender` (`signer-unbound` when the sender has no bound certificate) and no longer
    /// counts in the bucket. Nil binding: the sender is not judged here (it is served by another hub).
    package func attributed(to binding: SealBinding?) -> MessageVerdict {
        guard let binding else { return self }
        var signatures = signatures
        for i in signatures.indices where signatures[i].status == .valid && signatures[i].kind == .organisation {
            guard let signer = signatures[i].signer, !binding.binds(signer) else { continue }
            signatures[i].reasons.append(binding.identifiers.isEmpty ? .signerUnbound : .signerNotSender)
        }
        var attributed = MessageVerdict(signatures: signatures)
        attributed.trustSnapshot = trustSnapshot
        attributed.validationTime = validationTime
        return attributed
    }
}

/// The validation objects of one signature, by SHA-256 (hex) of their DER.
package struct ValidationObjectsReport: Sendable, Codable, Equatable {
    /// The certification path: the signer first, the trust anchor last (as far as it was built).
    package var chain: [String]
    /// The revocation data that answered for each certificate of the path.
    package var revocation: [RevocationUse]
    /// The time-stamp tokens that prove the signature's time: its signature time-stamp, the document time-stamps over it.
    package var timestamps: [TimestampUse]

    package struct TimestampUse: Sendable, Codable, Equatable {
        /// `signature` (a signature time-stamp, XAdES-T included) or `document` (a PAdES document time-stamp).
        package var kind: String
        package var sha256: String
        /// The time the token states (genTime), ISO 8601 UTC.
        package var time: String?
    }

    package struct RevocationUse: Sendable, Codable, Equatable {
        /// SHA-256 of the certificate asked about.
        package var certificate: String
        /// `crl` or `ocsp`.
        package var kind: String
        package var sha256: String
        /// The time the token states (genTime), ISO 8601 UTC.
        package var time: String?
    }

    package init(chain: [String] = [], revocation: [RevocationUse] = [], timestamps: [TimestampUse] = []) {
        self.chain = chain
        self.revocation = revocation
        self.timestamps = timestamps
    }
}

/// The trust anchor a signer's path reached: its subject and SHA-256, and how many certificates the path has
/// (the signer and the anchor included).
package struct AnchorReport: Sendable, Codable, Equatable {
    package var subject: String
    package var sha256: String
    package var path: Int
    /// The anchor's role in the trust profile (`public`, `government`, …), when it has one.
    package var role: String?
}

import TrucConcurrency
import SwiftASN1
import TrucCrypto
#if canImport(Glibc)
import Glibc
#endif

struct PDFVerifier {
    let validation: SignerValidation
    /// When the document's work budget is spent (the PDF reader checks it inside its loops).
    var budget: WorkBudget?
    var trust: TrustStore { validation.trust }
    var policy: VerificationPolicy { validation.policy }
    var chains: ChainCache { validation.chains }

    static let documentTimeStamp = "ETSI.RFC3161"

    /// The verdicts, or why the file is more work than one document may cost (`PDFSyntaxError.tooComplex`).
    struct Outcome {
        var verdicts: [SignatureVerdict] = []
        var tooComplex: String?
    }

    func verify(_ pdf: [UInt8], location: String, at time: Int64) -> Outcome {
        pdf.withUnsafeBufferPointer { verify($0, location: location, at: time) }
    }

    func verify(_ bytes: UnsafeBufferPointer<UInt8>, location: String, at time: Int64) -> Outcome {
        let fields = PDFSignatureScanner.scan(bytes, limit: policy.maxSignaturesPerFile)
        guard fields.contains(where: { $0.subFilter != Self.documentTimeStamp }) else { return Outcome() }
        let pdf = InMemoryPDF(bytes: bytes, fields: fields, file: PDFFile(bytes, budget: PDFBudget(budget: budget)))
        do {
            return Outcome(verdicts: try verify(pdf, location: location, at: time))
        } catch let error as PDFSyntaxError where error.tooComplex {
            return Outcome(tooComplex: error.description)
        } catch {
            return Outcome(tooComplex: "\(error)")
        }
    }

    private func verify(_ evidence: InMemoryPDF, location: String, at time: Int64) throws -> [SignatureVerdict] {
        let fields = evidence.fields
        // PAdES document time-stamps (ETSI.RFC3161) are not signatures: a valid one proves that everything
        // it covers — the signatures before it and their validation data — existed at its time.
        var stamps: [(end: Int, checked: TimeStampToken.Checked)] = []
        for (index, field) in fields.enumerated() where field.subFilter == Self.documentTimeStamp {
            guard field.rangeProblem == nil, let token = field.contents else { continue }
            stamps.append((field.signedEnd, TimeStampToken.check(token, imprint: { evidence.digest(index, $0) }, trust: trust, chains: chains)))
        }
        // A time-stamp proves its time only while its TSA certificate is still valid, or when a later document
        // time-stamp that covers it was made before that certificate expired and itself still proves (PAdES-LTA
        // renewal, EN 319 102-1 §5.6.2.5). A renewal after the expiry rescues nothing.
        var goodUntil: [String: (until: Int64, why: String)] = [:]
        func lapse(_ checked: TimeStampToken.Checked) -> (until: Int64, why: String)? {
            let key = "\(checked.time ?? 0) \(checked.tsa?.issuer ?? "") \(checked.tsa?.serialHex ?? "")"
            if let known = goodUntil[key] { return known }
            let found = validation.tsaGoodUntil(checked)
            goodUntil[key] = found
            return found
        }
        func holds(_ checked: TimeStampToken.Checked, coveredUpTo end: Int, depth: Int = 0) -> Bool {
            guard let (until, _) = lapse(checked) else { return false }
            if until >= time { return true }
            guard depth < 8 else { return false }
            return stamps.contains { later in
                later.end > end && later.checked.valid && (later.checked.time ?? .max) <= until
                    && holds(later.checked, coveredUpTo: later.end, depth: depth + 1)
            }
        }
        func expiredWithoutRenewal(_ checked: TimeStampToken.Checked) -> String {
            "time-stamp of \(checked.tsa?.subject ?? "its TSA") proves nothing now: \(lapse(checked)?.why ?? "its TSA lapsed") "
                + "and no later time-stamp made before that renews it"
        }
        let stored = try evidence.validationData()
        let storedCertificates = stored.certificates.compactMap { try? chains.certificate(der: $0) }
        let storedCRLs = stored.crls.compactMap { try? CRL(bytes: $0) }
        let signatureFields = fields.enumerated().filter { $0.element.subFilter != Self.documentTimeStamp }
        let verdicts = try signatureFields.map { index, field in
            var reasons: [SignatureReason] = []
            var detail = field.rangeProblem
            var notes: [String] = []
            // What the later revisions changed in what this signature signed (each signature judged on its own:
            // a later signature, valid or not, never vouches for a change made before it).
            if field.rangeProblem != nil {
                reasons.append(.byteRangeIncomplete)
            } else if let change = try evidence.modifications(after: field) {
                switch change {
                case .changed(let problem):
                    reasons.append(.byteRangeIncomplete)
                    detail = "the document was changed after this signature: \(problem)"
                case .permitted(let level):
                    notes.append(level == .signatures ? "signed again after this signature (new signatures and validation data only)"
                                                      : "validation data added after this signature (DSS, document time-stamps, document information, XMP metadata)")
                }
            }
            guard let der = field.contents else {
                return SignatureVerdict(location: location, reasons: reasons + [.malformedSignature], detail: detail,
                                        refuseWeak: policy.refuseWeakAlgorithms)
            }
            let cms: CMSSignedData
            do {
                cms = try CMSSignedData(der: der)
            } catch {
                return SignatureVerdict(location: location, reasons: reasons + [.malformedSignature], detail: detail ?? "\(error)",
                                        refuseWeak: policy.refuseWeakAlgorithms)
            }
            if let sub = field.subFilter, !["adbe.pkcs7.detached", "ETSI.CAdES.detached", "adbe.pkcs7.sha1"].contains(sub) {
                reasons.append(.unsupportedAlgorithm)
                detail = detail ?? "SubFilter \(sub) is not supported"
            }
            let signerInfo = cms.signer
            guard let digestAlgorithm = CMSAlgorithms.digest(signerInfo.digestAlgorithm),
                  let (algorithmName, signatureDigest, padding) = CMSAlgorithms.signature(signerInfo.signatureAlgorithm, digest: digestAlgorithm,
                                                                                         parameters: signerInfo.signatureParameters) else {
                return SignatureVerdict(location: location, reasons: reasons + [.unsupportedAlgorithm],
                                        detail: detail ?? "CMS algorithm \(signerInfo.signatureAlgorithm) / \(signerInfo.digestAlgorithm) is not supported",
                                        refuseWeak: policy.refuseWeakAlgorithms)
            }
            if digestAlgorithm == .sha1 || signatureDigest == .sha1 || field.subFilter == "adbe.pkcs7.sha1" { reasons.append(.weakAlgorithm) }

            // The content digest: the byte ranges, or for adbe.pkcs7.sha1 the encapsulated SHA-1 of them.
            var digestMatches = true
            var signedContent: [UInt8]?
            let contentDigest: [UInt8]
            if let encapsulated = cms.encapsulatedContent, !encapsulated.isEmpty {
                digestMatches = evidence.digest(index, .sha1) == encapsulated
                signedContent = encapsulated
                contentDigest = encapsulated.withUnsafeBytes { Digest.hash(digestAlgorithm, $0) }
            } else {
                contentDigest = evidence.digest(index, digestAlgorithm)
            }
            if signerInfo.signedAttributes != nil {
                digestMatches = digestMatches && signerInfo.messageDigest == contentDigest
                if signerInfo.contentType != cms.encapsulatedContentType {
                    reasons.append(.malformedSignature)
                    detail = detail ?? "the signed content-type attribute does not match the content"
                }
            }
            if !digestMatches {
                reasons.append(.digestMismatch)
                detail = detail ?? "the signed byte ranges changed after signing"
            }
            // The signer: the carried certificate whose key verifies the signature (parsed once per process).
            let certificates = cms.certificates.compactMap { try? chains.certificate(der: $0) }
            let signedBytes = signerInfo.signedAttributes ?? signedContent
            var signer: Certificate?
            if let signedBytes {
                signer = signedBytes.withUnsafeBytes { data in
                    certificates.first { $0.publicKey?.verify(signature: signerInfo.signature, data: data, digest: signatureDigest, padding: padding) == true }
                }
            } else {
                // No signed attributes over detached content: the signature is over the ranges themselves.
                let joined = evidence.joinedRanges(index)
                signer = certificates.first { certificate in
                    guard let key = certificate.publicKey else { return false }
                    return joined.withUnsafeBytes { key.verify(signature: signerInfo.signature, data: $0, digest: signatureDigest, padding: padding) }
                }
            }
            guard let signer else {
                let named = CMSAlgorithms.named(certificates, serial: signerInfo.issuerSerial)
                return SignatureVerdict(location: location, kind: named.map { SignerClassifier.kind(of: $0, policy: policy) } ?? .unknown,
                                        reasons: reasons + [named == nil ? .untrustedChain : .signatureMismatch],
                                        signer: named.map(SignerClassifier.describe), algorithm: algorithmName,
                                        signingTime: signerInfo.signingTime.map(isoUTC),
                                        detail: detail ?? (named == nil ? "the CMS does not carry its signer's certificate"
                                                                         : "the CMS signature does not verify with the signer's key"),
                                        refuseWeak: policy.refuseWeakAlgorithms)
            }
            // A signature time-stamp proves the signature value existed at its time (validation in the past); so
            // does a later document time-stamp over the revision that holds the signature.
            let stamp = signerInfo.timeStampToken.map { TimeStampToken.check($0, stamped: signerInfo.signature, trust: trust, chains: chains) }
            let covering = stamps.filter { $0.end > field.signedEnd }
            let documentProof = covering.filter { holds($0.checked, coveredUpTo: $0.end) }
                .min { ($0.checked.time ?? .max) < ($1.checked.time ?? .max) }?.checked
            var provenAt = stamp.map { holds($0, coveredUpTo: field.signedEnd) } == true ? stamp?.time : nil
            var usedDocumentStamp = false
            if let proof = documentProof?.time, provenAt.map({ proof < $0 }) ?? true {
                provenAt = proof
                usedDocumentStamp = true
            }
            let embedded = EmbeddedRevocation(crls: (cms.crls + signerInfo.archivedCRLs).compactMap { try? CRL(bytes: $0) } + storedCRLs,
                                              ocspResponses: cms.ocspResponses + signerInfo.archivedOCSP + stored.ocspResponses)
            let sha1 = reasons.contains(.weakAlgorithm)
            reasons.removeAll { $0 == .weakAlgorithm }
            let judged = validation.validate(signer, untrusted: certificates + storedCertificates, at: time, provenAt: provenAt, embedded: embedded,
                                             algorithms: sha1 ? [AlgorithmPolicy.Use(algorithm: "sha1", place: "the signature uses sha1")] : [])
            reasons += judged.reasons
            notes += judged.notes
            if let stamp, !stamp.valid { notes.append("the signature time-stamp proves nothing: \(stamp.problem ?? "it cannot be read")") }
            if let stamp, stamp.valid, !holds(stamp, coveredUpTo: field.signedEnd) { notes.append("the signature " + expiredWithoutRenewal(stamp)) }
            for broken in covering where !broken.checked.valid {
                notes.append("a document time-stamp proves nothing: \(broken.checked.problem ?? "it cannot be read")")
            }
            for lapsed in covering where lapsed.checked.valid && !holds(lapsed.checked, coveredUpTo: lapsed.end) {
                notes.append("a document " + expiredWithoutRenewal(lapsed.checked))
            }
            if usedDocumentStamp, let proof = documentProof {
                notes.append("the signature is proven to exist at \(isoUTC(proof.time ?? 0)) by a document time-stamp" + (proof.tsa.map { " of \($0.subject)" } ?? ""))
            }
            var verdict = SignatureVerdict(location: location, kind: SignerClassifier.kind(of: signer, policy: policy), reasons: reasons,
                                           signer: SignerClassifier.describe(signer), algorithm: algorithmName,
                                           signingTime: signerInfo.signingTime.map(isoUTC), detail: detail ?? judged.detail,
                                           refuseWeak: policy.refuseWeakAlgorithms, failUnknownRevocation: policy.revocationUnknown == .invalid)
            verdict.timestamp = usedDocumentStamp ? documentProof?.report : stamp?.report
            verdict.proven = provenAt.map { ProofOfExistence(time: isoUTC($0), proof: usedDocumentStamp ? "document-time-stamp" : "signature-time-stamp") }
            // The time-stamps that prove something about this signature: its own, and the document time-stamps over it.
            let proofs = ([stamp].compactMap { $0 }.map { ("signature", $0) } + covering.map { ("document", $0.checked) })
                .filter { $0.1.valid && !$0.1.token.isEmpty }
            verdict.objects = judged.objects
            let tokens = proofs.map { EvidenceObject(.timestamp, $0.1.token) }
            verdict.objects?.timestamps = zip(proofs, tokens).map { .init(kind: $0.0.0, sha256: $0.1.sha256, time: $0.0.1.time.map(isoUTC)) }
            verdict.evidence = judged.evidence + tokens
            verdict.revocation = judged.revocation
            verdict.anchor = judged.anchor
            verdict.notes = notes.isEmpty ? nil : notes
            return verdict
        }
        return zip(signatureFields, verdicts).map { field, verdict in
            var verdict = verdict
            verdict.format = field.element.subFilter == "ETSI.CAdES.detached" ? "PAdES" : "PKCS7"
            return verdict
        }
    }
}

/// A PDF's bytes (valid for the call that made it), its signature fields and its parsed structure.
struct InMemoryPDF {
    let bytes: UnsafeBufferPointer<UInt8>
    let fields: [PDFSignatureField]
    let file: PDFFile

    enum Change {
        case permitted(PDFModifications.Level)
        case changed(String)
    }

    func ranges(_ index: Int, _ body: (UnsafeRawBufferPointer) -> Void) {
        let raw = UnsafeRawBufferPointer(bytes)
        let r = fields[index].byteRange
        body(UnsafeRawBufferPointer(rebasing: raw[r[0]..<(r[0] + r[1])]))
        body(UnsafeRawBufferPointer(rebasing: raw[r[2]..<(r[2] + r[3])]))
    }

    func digest(_ index: Int, _ algorithm: DigestAlgorithm) -> [UInt8] {
        let digest = Digest(algorithm)
        ranges(index) { digest.update($0) }
        return digest.finalize()
    }

    func joinedRanges(_ index: Int) -> [UInt8] {
        var joined: [UInt8] = []
        ranges(index) { joined.append(contentsOf: $0) }
        return joined
    }

    /// Nil when nothing but white space follows the field's signed revision; otherwise what the later revisions
    /// did to what it signed. Throws only when the file is too complex to tell.
    func modifications(after field: PDFSignatureField) throws -> Change? {
        guard !PDFSignatureScanner.coversNewestRevision(bytes, signedEnd: field.signedEnd) else { return nil }
        do {
            let level = PDFModifications.docMDP(file, signedEnd: field.signedEnd, byteRange: field.byteRange)
            let result = try PDFModifications.analyse(file, signedEnd: field.signedEnd, permitSignatures: level.map { $0 >= 2 } ?? true)
            return result.problem.map { .changed($0) } ?? .permitted(result.level)
        } catch let error as PDFSyntaxError where error.tooComplex {
            throw error
        } catch {
            return .changed("the revisions after it cannot be read (\(error))")
        }
    }

    /// The Document Security Store of the newest revision.
    func validationData() throws -> PDFValidationData {
        let data = try PDFValidationData.read(file)
        try file.budget.checkTime()
        return data
    }
}

/// CMS algorithm identifiers Truc accepts.
enum CMSAlgorithms {
    static func digest(_ oid: String) -> DigestAlgorithm? {
        switch oid {
        case "1.3.14.3.2.26": .sha1
        case "2.16.840.1.101.3.4.2.1": .sha256
        case "2.16.840.1.101.3.4.2.2": .sha384
        case "2.16.840.1.101.3.4.2.3": .sha512
        default: nil
        }
    }

    /// (readable name, digest the signature is computed with, padding); nil: unsupported.
    static func signature(_ oid: String, digest: DigestAlgorithm, parameters: [UInt8]? = nil) -> (String, DigestAlgorithm, SignaturePadding)? {
        func name(_ key: String, _ d: DigestAlgorithm) -> String { "\(key)-\(d.name.lowercased())" }
        switch oid {
        case "1.2.840.113549.1.1.1": return (name("rsa", digest), digest, .pkcs1)
        case "1.2.840.113549.1.1.5": return (name("rsa", .sha1), .sha1, .pkcs1)
        case "1.2.840.113549.1.1.11": return (name("rsa", .sha256), .sha256, .pkcs1)
        case "1.2.840.113549.1.1.12": return (name("rsa", .sha384), .sha384, .pkcs1)
        case "1.2.840.113549.1.1.13": return (name("rsa", .sha512), .sha512, .pkcs1)
        case "1.2.840.113549.1.1.10":
            guard let (hash, mgf1, salt) = pssParameters(parameters) else { return nil }
            return (name("rsa-pss", hash), hash, .pss(mgf1: mgf1, saltLength: salt))
        case "1.2.840.10045.2.1": return (name("ecdsa", digest), digest, .pkcs1)
        case "1.2.840.10045.4.3.2": return (name("ecdsa", .sha256), .sha256, .pkcs1)
        case "1.2.840.10045.4.3.3": return (name("ecdsa", .sha384), .sha384, .pkcs1)
        case "1.2.840.10045.4.3.4": return (name("ecdsa", .sha512), .sha512, .pkcs1)
        default: return nil
        }
    }

    /// RSASSA-PSS-params (RFC 4055): [0] hashAlgorithm (default SHA-1), [1] maskGenAlgorithm (MGF1 with a hash,
    /// default SHA-1), [2] saltLength (default 20), [3] trailerField (must be 1). Nil when malformed or unknown.
    static func pssParameters(_ der: [UInt8]?) -> (DigestAlgorithm, DigestAlgorithm, Int)? {
        var hash = DigestAlgorithm.sha1, mgf1 = DigestAlgorithm.sha1, salt = 20
        guard let der else { return (hash, mgf1, salt) }
        do {
            let fields = try CMSSignedData.children(try DER.parse(der))
            for field in fields where field.identifier.tagClass == .contextSpecific {
                guard let inner = try CMSSignedData.children(field).first else { return nil }
                switch field.identifier.tagNumber {
                case 0:
                    guard let d = digest(try CMSSignedData.oid(try CMSSignedData.children(inner).first.orThrow("no hash"))) else { return nil }
                    hash = d
                case 1:
                    let parts = try CMSSignedData.children(inner)
                    guard parts.count == 2, try CMSSignedData.oid(parts[0]) == "1.2.840.113549.1.1.8",
                          let d = digest(try CMSSignedData.oid(try CMSSignedData.children(parts[1]).first.orThrow("no MGF1 hash"))) else { return nil }
                    mgf1 = d
                case 2:
                    let value = try Int(derEncoded: inner)
                    guard value >= 0, value <= 512 else { return nil }
                    salt = value
                case 3:
                    guard try Int(derEncoded: inner) == 1 else { return nil }
                default:
                    return nil
                }
            }
        } catch {
            return nil
        }
        return (hash, mgf1, salt)
    }

    /// The certificate the SignerInfo names by serial number (for reporting when the signature fails).
    static func named(_ certificates: [Certificate], serial: [UInt8]?) -> Certificate? {
        guard let serial else { return certificates.first }
        var bytes = serial[...]
        while bytes.count > 1, bytes.first == 0 { bytes = bytes.dropFirst() }
        let hex = bytes.map { String($0, radix: 16, uppercase: true) }.map { $0.count == 1 ? "0" + $0 : $0 }.joined()
        return certificates.first { $0.serialHex == hex || $0.serialHex == hex.drop(while: { $0 == "0" }) } ?? certificates.first
    }
}

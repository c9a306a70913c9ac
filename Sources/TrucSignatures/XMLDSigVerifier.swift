import EdXML
import TrucCrypto
import TrucXML

/// Verifies the XMLDSig signatures of an edXML envelope: one strict profile on libxml2's C14N and OpenSSL
/// (see docs/signatures.md "Signatures" for why not libxmlsec1). Secure validation: same-document and attachment
/// references only, nothing fetched, limited references and transforms, unique IDs, and the signature must
/// cover the `edXMLEnvelope` that Truc reads.
struct XMLDSigVerifier {
    let validation: SignerValidation
    var trust: TrustStore { validation.trust }
    var policy: VerificationPolicy { validation.policy }
    var chains: ChainCache { validation.chains }

    struct Failure: Error {
        let reason: SignatureReason
        let detail: String
    }

    /// - Parameter enclosing: for a signature nested in another's `ds:Object` (a countersignature), the
    ///   signature it sits in: covering that signature's value counts as covering the envelope, which the
    ///   enclosing signature covers.
    func verify(_ signature: XMLElement, in parsed: ParsedMessage, attachments: () -> [String: [UInt8]], at time: Int64,
                enclosing: XMLElement? = nil) -> SignatureVerdict {
        let location = enclosing == nil ? "envelope" : "envelope/nested"
        var reasons: [SignatureReason] = []
        var algorithm: String?
        var detail: String?
        do {
            let (method, signedInfo, canonicalSignedInfo) = try signedInfo(of: signature, in: parsed)
            algorithm = method.name
            if method.digest == .sha1 { reasons.append(.weakAlgorithm) }

            // The references are checked against the profile first (cheap), then the signature value against the
            // key (SignedInfo is small): the references — each a canonicalisation of up to the whole envelope — are
            // digested only for a signature that verifies, and only until the first mismatch.
            let plans = try planReferences(signedInfo, in: parsed, weak: &reasons)
            // The certificates carried in KeyInfo: one of them made the signature, the others are untrusted intermediates.
            let certificates = try keyInfoCertificates(signature)
            guard let value = child(signature, "SignatureValue").flatMap({ decodeBase64($0.text) }), !value.isEmpty else {
                throw Failure(reason: .malformedSignature, detail: "no SignatureValue")
            }
            let signatureBytes = method.key == .ecdsa ? (PublicKey.ecdsaDER(fromRaw: value) ?? []) : value
            let signer = canonicalSignedInfo.withUnsafeBytes { data in
                certificates.first { $0.publicKey?.verify(signature: signatureBytes, data: data, digest: method.digest,
                                                         padding: method.key == .rsaPSS ? .pss(mgf1: method.digest, saltLength: method.digest.size) : .pkcs1) == true }
            }
            guard let signer else {
                let reported = certificates.first
                return SignatureVerdict(location: location, kind: reported.map { SignerClassifier.kind(of: $0, policy: policy) } ?? .unknown,
                                        reasons: reasons + [.signatureMismatch],
                                        signer: reported.map(SignerClassifier.describe), algorithm: algorithm,
                                        detail: "the signature value does not verify with the certificate in KeyInfo", refuseWeak: policy.refuseWeakAlgorithms)
            }
            let references = try digestReferences(plans, signature: signature, in: parsed, attachments: attachments, enclosing: enclosing)
            if let digestFailure = references.digestFailure {
                reasons.append(digestFailure)
                detail = references.detail
            } else if !references.coversEnvelope {
                reasons.append(.malformedSignature)
                detail = detail ?? "the signature does not cover the edXMLEnvelope that is read (signature wrapping)"
            }
            if let failure = XAdES.check(signature, signer: signer, signedIds: references.signedIds) {
                reasons.append(failure.reason)
                detail = detail ?? failure.detail
            }
            // SHA-1 in the signature (its method or a reference's digest) is judged with the path, at the proven time.
            let sha1 = reasons.contains(.weakAlgorithm)
            reasons.removeAll { $0 == .weakAlgorithm }
            // XAdES-T: a SignatureTimeStamp over the SignatureValue proves the signature existed at its time.
            let stamp = XAdES.signatureTimeStamp(signature).map { token in
                TimeStampToken.check(token, stamped: (try? canonicalSignatureValue(of: signature, in: parsed)) ?? [], trust: trust, chains: chains)
            }
            // Without archive time-stamps on the envelope, a time-stamp proves its time while its TSA certificate is valid.
            let lapse = stamp.flatMap { validation.tsaGoodUntil($0) }
            let lapsed = lapse.map { $0.until < time } ?? false
            let provenAt = stamp?.valid == true && !lapsed ? stamp?.time : nil
            let judged = validation.validate(signer, untrusted: certificates, at: time, provenAt: provenAt,
                                             algorithms: sha1 ? [AlgorithmPolicy.Use(algorithm: "sha1", place: "the signature uses sha1")] : [])
            reasons += judged.reasons
            detail = detail ?? judged.detail
            var verdict = SignatureVerdict(location: location, kind: SignerClassifier.kind(of: signer, policy: policy), reasons: reasons,
                                           signer: SignerClassifier.describe(signer), algorithm: algorithm, detail: detail,
                                           refuseWeak: policy.refuseWeakAlgorithms, failUnknownRevocation: policy.revocationUnknown == .invalid)
            verdict.revocation = judged.revocation
            verdict.anchor = judged.anchor
            var notes = judged.notes
            if let stamp, !stamp.valid { notes.append("the signature time-stamp proves nothing: \(stamp.problem ?? "it cannot be read")") }
            if lapsed, let stamp {
                notes.append("the signature time-stamp of \(stamp.tsa?.subject ?? "its TSA") proves nothing now: \(lapse?.why ?? "its TSA lapsed")")
            }
            verdict.timestamp = stamp?.report
            verdict.proven = provenAt.map { ProofOfExistence(time: isoUTC($0), proof: "signature-time-stamp") }
            verdict.objects = judged.objects
            verdict.evidence = judged.evidence
            if let stamp, stamp.valid, !stamp.token.isEmpty {
                let token = EvidenceObject(.timestamp, stamp.token)
                verdict.objects?.timestamps = [.init(kind: "signature", sha256: token.sha256, time: stamp.time.map(isoUTC))]
                verdict.evidence.append(token)
            }
            verdict.notes = notes.isEmpty ? nil : notes
            return verdict
        } catch let failure as Failure {
            return SignatureVerdict(location: location, reasons: reasons + [failure.reason], algorithm: algorithm, detail: failure.detail,
                                    refuseWeak: policy.refuseWeakAlgorithms)
        } catch {
            return SignatureVerdict(location: location, reasons: reasons + [.malformedSignature], algorithm: algorithm,
                                    detail: "\(error)", refuseWeak: policy.refuseWeakAlgorithms)
        }
    }

    /// The `ds:SignatureValue` element canonicalised as XAdES says a SignatureTimeStamp's imprint is computed
    /// (Canonical XML 1.0, inclusive, unless the time-stamp names another method).
    func canonicalSignatureValue(of signature: XMLElement, in parsed: ParsedMessage) throws -> [UInt8] {
        guard let value = child(signature, "SignatureValue") else { throw Failure(reason: .malformedSignature, detail: "no SignatureValue") }
        let method = XAdES.signatureTimeStampCanonicalization(signature).flatMap { XMLDSigProfile.canonicalization($0, inclusivePrefixes: []) }
            ?? .inclusive(withComments: false)
        var canonical: [UInt8] = []
        try parsed.document.canonicalize(method, subtree: value, includeComments: method.withComments) { canonical.append(contentsOf: $0) }
        return canonical
    }

    // MARK: SignedInfo

    func signedInfo(of signature: XMLElement, in parsed: ParsedMessage) throws -> ((name: String, key: XMLDSigProfile.KeyType, digest: DigestAlgorithm), XMLElement, [UInt8]) {
        let infos = signature.children.filter { isDS($0, "SignedInfo") }
        guard infos.count == 1, let signedInfo = infos.first else { throw Failure(reason: .malformedSignature, detail: "a Signature needs exactly one SignedInfo") }
        guard let c14nElement = child(signedInfo, "CanonicalizationMethod"), let c14nURI = c14nElement.attribute("Algorithm") else {
            throw Failure(reason: .malformedSignature, detail: "SignedInfo has no CanonicalizationMethod")
        }
        guard let c14n = XMLDSigProfile.canonicalization(c14nURI, inclusivePrefixes: prefixList(c14nElement)) else {
            throw Failure(reason: .unsupportedAlgorithm, detail: "canonicalization \(c14nURI) is not supported")
        }
        guard let methodURI = child(signedInfo, "SignatureMethod")?.attribute("Algorithm") else {
            throw Failure(reason: .malformedSignature, detail: "SignedInfo has no SignatureMethod")
        }
        guard let method = XMLDSigProfile.signature(methodURI) else {
            throw Failure(reason: .unsupportedAlgorithm, detail: "signature method \(methodURI) is not supported")
        }
        var canonical: [UInt8] = []
        try parsed.document.canonicalize(c14n, subtree: signedInfo, includeComments: c14n.withComments) { canonical.append(contentsOf: $0) }
        return (method, signedInfo, canonical)
    }

    // MARK: References

    struct ReferenceResult {
        var coversEnvelope = false
        /// The `Id`s of the elements the same-document references resolved to.
        var signedIds: Set<String> = []
        var digestFailure: SignatureReason?
        var detail: String?
    }

    /// One reference, checked against the profile and ready to digest.
    struct ReferencePlan {
        let uri: String
        let digest: DigestAlgorithm
        let expected: [UInt8]
        let enveloped: Bool
        let subtracted: [XMLElement]
        let c14n: C14NMethod
    }

    func planReferences(_ signedInfo: XMLElement, in parsed: ParsedMessage, weak: inout [SignatureReason]) throws -> [ReferencePlan] {
        let references = signedInfo.children.filter { isDS($0, "Reference") }
        guard !references.isEmpty else { throw Failure(reason: .malformedSignature, detail: "SignedInfo has no Reference") }
        guard references.count <= policy.maxReferences else {
            throw Failure(reason: .malformedSignature, detail: "more than \(policy.maxReferences) references")
        }
        var plans: [ReferencePlan] = []
        for reference in references {
            guard let uri = reference.attribute("URI") else {
                throw Failure(reason: .malformedSignature, detail: "a Reference without URI (the signed object is undefined)")
            }
            guard let digestURI = child(reference, "DigestMethod")?.attribute("Algorithm") else {
                throw Failure(reason: .malformedSignature, detail: "a Reference without DigestMethod")
            }
            guard let digest = XMLDSigProfile.digest(digestURI) else {
                throw Failure(reason: .unsupportedAlgorithm, detail: "digest \(digestURI) is not supported")
            }
            if digest == .sha1, !weak.contains(.weakAlgorithm) { weak.append(.weakAlgorithm) }
            guard let expected = child(reference, "DigestValue").flatMap({ decodeBase64($0.text) }) else {
                throw Failure(reason: .malformedSignature, detail: "a Reference without a base64 DigestValue")
            }
            let transforms = child(reference, "Transforms")?.children.filter { isDS($0, "Transform") } ?? []
            guard transforms.count <= policy.maxTransforms else {
                throw Failure(reason: .malformedSignature, detail: "more than \(policy.maxTransforms) transforms")
            }
            var enveloped = false
            var subtracted: [XMLElement] = []
            var c14n: C14NMethod = .inclusive(withComments: false)
            for transform in transforms {
                let algorithm = transform.attribute("Algorithm") ?? ""
                if algorithm == XMLDSigProfile.envelopedSignature {
                    enveloped = true
                } else if algorithm == XMLDSigProfile.xpathFilter2 {
                    subtracted += try filter2(transform, in: parsed)
                } else if let method = XMLDSigProfile.canonicalization(algorithm, inclusivePrefixes: prefixList(transform)) {
                    c14n = method
                } else {
                    throw Failure(reason: .unsupportedAlgorithm, detail: "transform \(algorithm) is not allowed (only enveloped-signature, XPath Filter 2.0 subtract and C14N)")
                }
            }
            if uri.hasPrefix("cid:"), !transforms.isEmpty {
                throw Failure(reason: .unsupportedAlgorithm, detail: "an attachment reference takes no transform")
            } else if !(uri.isEmpty || uri.hasPrefix("#") || uri.hasPrefix("cid:")) {
                throw Failure(reason: .referenceNotAllowed, detail: "reference \(uri) points outside the message; nothing is fetched")
            }
            plans.append(ReferencePlan(uri: uri, digest: digest, expected: expected, enveloped: enveloped,
                                       subtracted: subtracted, c14n: c14n))
        }
        return plans
    }

    func digestReferences(_ plans: [ReferencePlan], signature: XMLElement, in parsed: ParsedMessage,
                          attachments: () -> [String: [UInt8]], enclosing: XMLElement? = nil) throws -> ReferenceResult {
        var result = ReferenceResult()
        var ids: [String: [XMLElement]]?
        for plan in plans {
            let (uri, digest, expected, enveloped, subtracted, c14n) = (plan.uri, plan.digest, plan.expected, plan.enveloped, plan.subtracted, plan.c14n)
            let actual: [UInt8]
            if uri.hasPrefix("cid:") {
                guard let bytes = attachments()[String(uri.dropFirst(4))] else {
                    throw Failure(reason: .malformedSignature, detail: "reference \(uri) names no attachment of this message")
                }
                actual = bytes.withUnsafeBytes { Digest.hash(digest, $0) }
            } else if uri.isEmpty || uri.hasPrefix("#") {
                var subtree: XMLElement?
                if uri.hasPrefix("#") {
                    let id = String(uri.dropFirst())
                    if ids == nil { ids = parsed.document.idIndex() }
                    let matches = ids?[id] ?? []
                    guard matches.count == 1, let element = matches.first else {
                        throw Failure(reason: .malformedSignature, detail: matches.isEmpty ? "no element has Id \(id)" : "Id \(id) is not unique in the document")
                    }
                    subtree = element
                    result.signedIds.insert(id)
                }
                let d = Digest(digest)
                try parsed.document.canonicalize(c14n, subtree: subtree, excludingAll: (enveloped ? [signature] : []) + subtracted, includeComments: false) {
                    d.update($0)
                }
                actual = d.finalize()
                if let subtree {
                    // Covered when the referenced element is the envelope Truc reads, or contains it; for a
                    // countersignature, when it is the enclosing signature or that signature's value.
                    if parsed.envelope.isDescendant(of: subtree) { result.coversEnvelope = true }
                    if let enclosing, let value = child(enclosing, "SignatureValue"), value.isDescendant(of: subtree), subtree.isDescendant(of: enclosing) {
                        result.coversEnvelope = true
                    }
                } else {
                    result.coversEnvelope = true
                }
            } else {
                throw Failure(reason: .referenceNotAllowed, detail: "reference \(uri) points outside the message; nothing is fetched")
            }
            if actual != expected {
                // the first mismatch decides: no more canonicalisations for a signature already broken
                result.digestFailure = .digestMismatch
                result.detail = "the content of reference \"\(uri)\" changed after signing"
                break
            }
        }
        return result
    }

    /// XPath Filter 2.0 (`subtract` only): the elements to leave out of the reference. Only signatures may
    /// be subtracted — a filter that removes anything else would leave part of the envelope unsigned.
    func filter2(_ transform: XMLElement, in parsed: ParsedMessage) throws -> [XMLElement] {
        let filters = transform.children.filter { $0.namespaceURI == XMLDSigProfile.filter2 && $0.localName == "XPath" }
        guard !filters.isEmpty, filters.count <= 4 else {
            throw Failure(reason: .malformedSignature, detail: "an XPath Filter 2.0 transform needs one to four XPath elements")
        }
        var selected: [XMLElement] = []
        for filter in filters {
            let operation = filter.attribute("Filter") ?? ""
            guard operation == "subtract" else {
                throw Failure(reason: .unsupportedAlgorithm, detail: "XPath Filter 2.0 \"\(operation)\" is not supported (only subtract)")
            }
            do {
                selected += try parsed.document.selectElements(filter.text, namespacesOf: filter)
            } catch {
                throw Failure(reason: .malformedSignature, detail: "XPath Filter 2.0: \(error.message)")
            }
        }
        guard selected.count <= 64 else { throw Failure(reason: .malformedSignature, detail: "an XPath filter that removes more than 64 elements") }
        // Only real signatures may be subtracted: a ds:Signature where the profile puts signatures (the envelope's
        // header, or a countersignature in one's ds:Object) with its SignedInfo and SignatureValue — and what is
        // inside one. Any other element named ds:Signature is content an attacker wrapped after signing.
        let real = parsed.envelopeSignatureElements.flatMap { [$0] + nestedSignatures(of: $0) }.filter(isWellFormedSignature)
        func isReal(_ element: XMLElement) -> Bool { real.contains { $0.isSame(element) } }
        if let other = selected.first(where: { element in !isReal(element) && !ancestors(element).contains(where: isReal) }) {
            throw Failure(reason: .malformedSignature,
                          detail: isDS(other, "Signature")
                              ? "the XPath filter removes a <ds:Signature> that is not a signature of the envelope (line \(other.line)): content wrapped after signing"
                              : "the XPath filter removes <\(other.localName)> from the signed content (only signatures may be subtracted)")
        }
        return selected
    }

    /// A ds:Signature with its SignedInfo and SignatureValue.
    func isWellFormedSignature(_ element: XMLElement) -> Bool {
        let children = element.children
        return isDS(element, "Signature") && children.contains { isDS($0, "SignedInfo") } && children.contains { isDS($0, "SignatureValue") }
    }

    func ancestors(_ element: XMLElement) -> [XMLElement] {
        var result: [XMLElement] = []
        var current = element.parent
        while let c = current, result.count < 256 {
            result.append(c)
            current = c.parent
        }
        return result
    }

    /// Signatures inside the `ds:Object`s of `signature` (XAdES countersignatures, or any signature a signer
    /// nested there), at most `limit`, without descending into the nested ones.
    func nestedSignatures(of signature: XMLElement, limit: Int = 8) -> [XMLElement] {
        var found: [XMLElement] = []
        var queue = signature.children.filter { isDS($0, "Object") }
        var visited = 0
        while !queue.isEmpty, found.count < limit, visited < 10_000 {
            let element = queue.removeFirst()
            visited += 1
            if isDS(element, "Signature") { found.append(element); continue }
            queue += element.children
        }
        return found
    }

    // MARK: KeyInfo

    func keyInfoCertificates(_ signature: XMLElement) throws -> [Certificate] {
        guard let keyInfo = child(signature, "KeyInfo") else {
            throw Failure(reason: .untrustedChain, detail: "no KeyInfo: the signer cannot be identified")
        }
        var certificates: [Certificate] = []
        for data in keyInfo.children where isDS(data, "X509Data") {
            for element in data.children where isDS(element, "X509Certificate") {
                guard let der = decodeBase64(element.text), let certificate = try? chains.certificate(der: der) else {
                    throw Failure(reason: .malformedSignature, detail: "an X509Certificate that is not a certificate")
                }
                certificates.append(certificate)
            }
        }
        guard !certificates.isEmpty else { throw Failure(reason: .untrustedChain, detail: "KeyInfo carries no X509Certificate") }
        return certificates
    }

    func isDS(_ element: XMLElement, _ name: String) -> Bool {
        element.namespaceURI == XMLDSigProfile.ds && element.localName == name
    }

    func child(_ element: XMLElement, _ name: String) -> XMLElement? {
        element.children.first { isDS($0, name) }
    }

    func prefixList(_ element: XMLElement) -> [String] {
        guard let list = element.children.first(where: { $0.localName == "InclusiveNamespaces" })?.attribute("PrefixList") else { return [] }
        return list.split(separator: " ").map(String.init)
    }
}

import TrucCrypto
import TrucXML

/// XAdES-BES/EPES (ETSI EN 319 132-1) on an envelope signature: when the signature carries
/// `QualifyingProperties/SignedProperties`, those properties must be signed (a Reference resolves to them),
/// and the certificate digest of `SigningCertificate` (XAdES 1.3.2) or `SigningCertificateV2` must be that
/// of the certificate whose key verified the signature — else someone swapped the certificate a signer
/// committed to (`signing-certificate-mismatch`).
enum XAdES {
    static let namespaces: Set<String> = ["http://uri.etsi.org/01903/v1.3.2#", "http://uri.etsi.org/01903/v1.4.1#"]

    struct Failure {
        let reason: SignatureReason
        let detail: String
    }

    /// True when the signature carries XAdES QualifyingProperties with SignedProperties.
    static func isXAdES(_ signature: XMLElement) -> Bool {
        signature.children.contains { object in
            object.localName == "Object" && object.namespaceURI == XMLDSigProfile.ds && object.children.contains { qualifying in
                qualifying.localName == "QualifyingProperties" && qualifying.namespaceURI.map(namespaces.contains) == true
                    && qualifying.children.contains { $0.localName == "SignedProperties" }
            }
        }
    }

    static func check(_ signature: XMLElement, signer: Certificate, signedIds: Set<String>) -> Failure? {
        let ds = XMLDSigProfile.ds
        func isX(_ e: XMLElement, _ name: String) -> Bool { e.localName == name && e.namespaceURI.map(namespaces.contains) == true }
        let qualifying = signature.children.filter { $0.localName == "Object" && $0.namespaceURI == ds }
            .flatMap { $0.children.filter { isX($0, "QualifyingProperties") } }
        guard let signedProperties = qualifying.flatMap({ $0.children.filter { isX($0, "SignedProperties") } }).first else { return nil }
        guard let id = signedProperties.attribute("Id"), signedIds.contains(id) else {
            return Failure(reason: .malformedSignature, detail: "the XAdES SignedProperties are not covered by a Reference of the signature")
        }
        let certificates = signedProperties.children.filter { isX($0, "SignedSignatureProperties") }
            .flatMap { $0.children.filter { isX($0, "SigningCertificate") || isX($0, "SigningCertificateV2") } }
            .flatMap { $0.children.filter { isX($0, "Cert") } }
        guard !certificates.isEmpty else { return nil }
        for cert in certificates.prefix(16) {
            guard let digest = cert.children.first(where: { isX($0, "CertDigest") }),
                  let method = digest.children.first(where: { $0.localName == "DigestMethod" && $0.namespaceURI == ds })?.attribute("Algorithm"),
                  let value = digest.children.first(where: { $0.localName == "DigestValue" && $0.namespaceURI == ds }).flatMap({ decodeBase64($0.text) }) else {
                return Failure(reason: .malformedSignature, detail: "a XAdES SigningCertificate without a readable CertDigest")
            }
            guard let algorithm = XMLDSigProfile.digest(method) else {
                return Failure(reason: .unsupportedAlgorithm, detail: "the XAdES certificate digest \(method) is not supported")
            }
            if signer.der.withUnsafeBytes({ Digest.hash(algorithm, $0) }) == value { return nil }
        }
        return Failure(reason: .signingCertificateMismatch,
                       detail: "the XAdES SigningCertificate names another certificate than the one whose key made the signature")
    }

    /// The first `SignatureTimeStamp` in the signature's `UnsignedSignatureProperties` (XAdES-T): its
    /// `EncapsulatedTimeStamp`, a DER RFC 3161 token.
    static func signatureTimeStamp(_ signature: XMLElement) -> [UInt8]? {
        signatureTimeStampElement(signature).flatMap { stamp in
            stamp.children.first { $0.localName == "EncapsulatedTimeStamp" && $0.namespaceURI.map(namespaces.contains) == true }
        }.flatMap { decodeBase64($0.text) }
    }

    /// The canonicalisation the SignatureTimeStamp names for its input (nil: the default, C14N 1.0).
    static func signatureTimeStampCanonicalization(_ signature: XMLElement) -> String? {
        signatureTimeStampElement(signature)?.children.first { $0.localName == "CanonicalizationMethod" && $0.namespaceURI == XMLDSigProfile.ds }?
            .attribute("Algorithm")
    }

    private static func signatureTimeStampElement(_ signature: XMLElement) -> XMLElement? {
        func isX(_ e: XMLElement, _ name: String) -> Bool { e.localName == name && e.namespaceURI.map(namespaces.contains) == true }
        return signature.children.filter { $0.localName == "Object" && $0.namespaceURI == XMLDSigProfile.ds }
            .flatMap { $0.children.filter { isX($0, "QualifyingProperties") } }
            .flatMap { $0.children.filter { isX($0, "UnsignedProperties") } }
            .flatMap { $0.children.filter { isX($0, "UnsignedSignatureProperties") } }
            .flatMap { $0.children.filter { isX($0, "SignatureTimeStamp") } }
            .first
    }
}

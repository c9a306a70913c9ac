import COpenSSL

/// What a CMS SignedData (a PDF signature's `/Contents`) says about its first signer.
package struct CMSVerification: Sendable {
    package let signer: Certificate?
    /// Every certificate the CMS carries (untrusted intermediates).
    package let certificates: [Certificate]
    package let digestAlgorithm: DigestAlgorithm?
    /// e.g. `sha256WithRSAEncryption`, `ecdsa-with-SHA256`.
    package let signatureAlgorithm: String
    /// The signed `signingTime` attribute, seconds since 1970.
    package let signingTime: Int64?
    /// The digest of the signed content equals the signed `messageDigest` attribute (or, for the legacy
    /// adbe.pkcs7.sha1 form, the encapsulated SHA-1 equals that of the content).
    package let digestMatches: Bool
    /// The signature verifies with the signer's public key.
    package let signatureMatches: Bool
    /// The SHA-1 digest algorithm was used.
    package var isWeak: Bool { digestAlgorithm == .sha1 || signatureAlgorithm.lowercased().contains("sha1") }
}

package enum CMS {
    /// Verifies the first signer of a DER CMS SignedData over detached content given as byte ranges
    /// (`content` is called once and feeds every range to the digest). For the legacy form whose
    /// encapsulated content is the SHA-1 of the ranges (adbe.pkcs7.sha1), that digest is checked too.
    /// Throws only when the CMS cannot be parsed or has no signer.
    package static func verify(der: [UInt8], content: (Digest) -> Void) throws(CryptoError) -> CMSVerification {
        defer { clearOpenSSLErrors() }
        let parsed: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var p: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_CMS_ContentInfo(nil, &p, buffer.count)
        }
        guard let cms = parsed else { throw CryptoError.openssl("the signature is not a CMS structure") }
        defer { CMS_ContentInfo_free(cms) }
        guard OBJ_obj2nid(CMS_get0_type(cms)) == NID_pkcs7_signed else { throw CryptoError("the CMS is not SignedData") }

        var certificates: [Certificate] = []
        if let stack = CMS_get1_certs(cms) {
            for i in 0..<truc_sk_X509_num(stack) {
                if let x = truc_sk_X509_value(stack, i), X509_up_ref(x) == 1 { certificates.append(Certificate(taking: x)) }
            }
            truc_sk_X509_pop_free(stack)
        }
        guard let infos = CMS_get0_SignerInfos(cms), truc_sk_CMS_SignerInfo_num(infos) > 0,
              let si = truc_sk_CMS_SignerInfo_value(infos, 0) else { throw CryptoError("the CMS has no signer") }
        _ = CMS_set1_signers_certs(cms, nil, 0) // finds each signer's certificate among those carried

        var publicKey: OpaquePointer?
        var signerX509: OpaquePointer?
        var digestAlgor: UnsafeMutablePointer<X509_ALGOR>?, signatureAlgor: UnsafeMutablePointer<X509_ALGOR>?
        CMS_SignerInfo_get0_algs(si, &publicKey, &signerX509, &digestAlgor, &signatureAlgor)
        let signer = certificates.first { c in signerX509.map { X509_cmp($0, c.x509) == 0 } ?? false }
        let digestNID = algorithmNID(digestAlgor)
        let digest = DigestAlgorithm(nid: digestNID)
        let signatureName = String(cString: OBJ_nid2ln(algorithmNID(signatureAlgor)) ?? OBJ_nid2ln(NID_undef))

        // The content the signature is about: the byte ranges, or for adbe.pkcs7.sha1 the encapsulated digest.
        var digestMatches = false
        let encapsulated = CMS_get0_content(cms)?.pointee.map { octetBytes(UnsafePointer($0)) }
        if let digest {
            let d = Digest(digest)
            var signed: [UInt8]
            if let encapsulated, !encapsulated.isEmpty {
                let sha1 = Digest(.sha1)
                content(sha1)
                let rangesMatch = sha1.finalize() == encapsulated
                d.update(encapsulated)
                signed = d.finalize()
                digestMatches = rangesMatch
            } else {
                content(d)
                signed = d.finalize()
                digestMatches = true
            }
            if CMS_signed_get_attr_count(si) > 0 {
                let attribute = CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(NID_pkcs9_messageDigest), -3, V_ASN1_OCTET_STRING)
                let messageDigest = attribute.map { octetBytes($0.assumingMemoryBound(to: ASN1_STRING.self)) } ?? []
                digestMatches = digestMatches && messageDigest == signed
            }
        }

        var signatureMatches = false
        if signer != nil {
            if CMS_signed_get_attr_count(si) > 0 {
                signatureMatches = CMS_SignerInfo_verify(si) == 1
            } else if let encapsulated, let bio = BIO_new_mem_buf(encapsulated, Int32(encapsulated.count)) {
                signatureMatches = CMS_SignerInfo_verify_content(si, bio) == 1
                BIO_free(bio)
            }
        }
        return CMSVerification(signer: signer, certificates: certificates, digestAlgorithm: digest, signatureAlgorithm: signatureName,
                               signingTime: signingTime(si), digestMatches: digestMatches, signatureMatches: signatureMatches)
    }

    static func algorithmNID(_ algor: UnsafeMutablePointer<X509_ALGOR>?) -> Int32 {
        guard let algor else { return NID_undef }
        var object: OpaquePointer?
        X509_ALGOR_get0(&object, nil, nil, algor)
        return OBJ_obj2nid(object)
    }

    static func octetBytes(_ string: UnsafePointer<ASN1_STRING>?) -> [UInt8] {
        guard let string, let data = ASN1_STRING_get0_data(string) else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: Int(ASN1_STRING_length(string))))
    }

    static func signingTime(_ si: OpaquePointer) -> Int64? {
        let object = OBJ_nid2obj(NID_pkcs9_signingTime)
        for type in [V_ASN1_UTCTIME, V_ASN1_GENERALIZEDTIME] {
            if let raw = CMS_signed_get0_data_by_OBJ(si, object, -3, type) {
                let time = Certificate.epoch(raw.assumingMemoryBound(to: ASN1_TIME.self))
                if time != 0 { return time }
            }
        }
        return nil
    }
}

extension DigestAlgorithm {
    init?(nid: Int32) {
        switch nid {
        case NID_sha1: self = .sha1
        case NID_sha256: self = .sha256
        case NID_sha384: self = .sha384
        case NID_sha512: self = .sha512
        default: return nil
        }
    }
}

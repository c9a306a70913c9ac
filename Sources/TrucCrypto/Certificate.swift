import COpenSSL

/// An X.509 certificate. Owns its `X509*`. Immutable after parsing; OpenSSL allows concurrent read-only use,
/// hence `@unchecked Sendable`.
package final class Certificate: @unchecked Sendable, Hashable, CustomStringConvertible {
    let x509: OpaquePointer
    /// DER encoding (identity for hashing and caching).
    package let der: [UInt8]
    /// SHA-256 of the DER, hex: how verdicts, reports and the kept validation data name the certificate.
    package let sha256: String

    init(taking x509: OpaquePointer) {
        self.x509 = x509
        var p: UnsafeMutablePointer<UInt8>?
        let n = i2d_X509(x509, &p)
        der = n > 0 && p != nil ? Array(UnsafeBufferPointer(start: p, count: Int(n))) : []
        truc_openssl_free(p)
        sha256 = Digest.sha256(der).hexString
    }

    /// Parses one DER certificate.
    package convenience init(der: [UInt8]) throws(CryptoError) {
        let parsed: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var p: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_X509(nil, &p, buffer.count)
        }
        guard let parsed else { throw CryptoError.openssl("not a DER X.509 certificate") }
        self.init(taking: parsed)
    }

    deinit { X509_free(x509) }

    /// Every certificate in a PEM text.
    package static func fromPEM(_ pem: [UInt8]) throws(CryptoError) -> [Certificate] {
        var result: [Certificate] = []
        try withMemoryBIO(pem) { (bio) throws(CryptoError) in
            while let x = PEM_read_bio_X509(bio, nil, nil, nil) { result.append(Certificate(taking: x)) }
        }
        clearOpenSSLErrors() // PEM_read ends with "no start line"
        if result.isEmpty { throw CryptoError("no PEM certificate found") }
        return result
    }

    package static func == (a: Certificate, b: Certificate) -> Bool { a.der == b.der }
    package func hash(into hasher: inout Hasher) { hasher.combine(der) }

    /// The subject as `CN=..., O=..., C=VN` (RFC 2253 order, UTF-8).
    package var subject: String { Certificate.name(X509_get_subject_name(x509)) }
    package var issuer: String { Certificate.name(X509_get_issuer_name(x509)) }
    package var commonName: String? { Certificate.entries(X509_get_subject_name(x509), nid: NID_commonName).first }

    /// The identifier Vietnamese CAs put in `UID` (0.9.2342.19200300.100.1.1) or `serialNumber`
    /// (2.5.4.5) of the subject, e.g. `CCCD:001080000001` or `MST:0100100001`.
    package var identifiers: [String] {
        let name = X509_get_subject_name(x509)
        return Certificate.entries(name, nid: NID_userId) + Certificate.entries(name, nid: NID_serialNumber)
    }

    /// `organizationIdentifier` (2.5.4.97) values of the subject (ETSI EN 319 412-1: `VATVN-…`, `NTRVN-…`).
    package var organizationIdentifiers: [String] { Certificate.entries(X509_get_subject_name(x509), nid: NID_organizationIdentifier) }

    /// OCSP responder URLs from the Authority Information Access extension.
    package var ocspURLs: [String] {
        guard let stack = X509_get1_ocsp(x509) else { return [] }
        defer { X509_email_free(stack) }
        return (0..<truc_sk_string_num(stack)).compactMap { truc_sk_string_value(stack, $0).map { String(cString: $0) } }
    }

    /// The caIssuers URIs of the Authority Information Access extension: where the issuer's certificate is published.
    package var caIssuersURLs: [String] {
        guard let aia = truc_aia(x509) else { return [] }
        defer { truc_aia_free(aia) }
        return (0..<min(truc_aia_count(aia), 8)).compactMap { i -> String? in
            var length: Int32 = 0
            guard let bytes = truc_aia_ca_issuer(aia, i, &length) else { return nil }
            return String(decoding: UnsafeBufferPointer(start: bytes, count: Int(length)), as: UTF8.self)
        }
    }

    /// The URIs of the CRL distribution points (full names).
    package var crlDistributionURLs: [String] { Self.uris(truc_crl_dps(x509)) }

    /// The URIs where delta CRLs for this certificate are published (freshestCRL, RFC 5280 §4.2.1.15).
    package var freshestCRLURLs: [String] { Self.uris(truc_freshest_crl_dps(x509)) }

    private static func uris(_ points: OpaquePointer?) -> [String] {
        guard let dps = points else { return [] }
        defer { truc_crl_dps_free(dps) }
        var urls: [String] = []
        var index: Int32 = 0
        while urls.count < 8, let uri = truc_crl_dp_uri(dps, index) {
            if let data = ASN1_STRING_get0_data(uri) {
                urls.append(String(decoding: UnsafeBufferPointer(start: data, count: Int(ASN1_STRING_length(uri))), as: UTF8.self))
            }
            index += 1
        }
        return urls
    }

    /// True when the certificate may sign time-stamps: an extended key usage that includes id-kp-timeStamping.
    package var allowsTimeStamping: Bool {
        truc_has_eku(x509) != 0 && X509_get_extended_key_usage(x509) & UInt32(XKU_TIMESTAMP) != 0
    }

    /// True when the certificate may sign OCSP responses for its issuer (id-kp-OCSPSigning).
    package var allowsOCSPSigning: Bool {
        truc_has_eku(x509) != 0 && X509_get_extended_key_usage(x509) & UInt32(XKU_OCSP_SIGN) != 0
    }

    /// True when `self` issued `certificate` (names match and the signature verifies).
    package func issued(_ certificate: Certificate) -> Bool {
        defer { clearOpenSSLErrors() }
        return X509_check_issued(x509, certificate.x509) == X509_V_OK && X509_verify(certificate.x509, X509_get0_pubkey(x509)) == 1
    }

    /// Serial number, uppercase hex.
    package var serialHex: String {
        guard let bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x509), nil) else { return "" }
        defer { BN_free(bn) }
        guard let hex = BN_bn2hex(bn) else { return "" }
        defer { truc_openssl_free(hex) }
        return String(cString: hex)
    }

    /// True for a CA certificate (basicConstraints cA, as OpenSSL judges it).
    package var isCA: Bool { X509_check_ca(x509) > 0 }

    package var isSelfSigned: Bool { X509_check_issued(x509, x509) == X509_V_OK }

    /// True when the key usage allows signing documents (digitalSignature or nonRepudiation), or the
    /// certificate has no key usage extension.
    package var allowsDocumentSigning: Bool {
        let usage = X509_get_key_usage(x509)
        return usage == UInt32.max || usage & UInt32(KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION) != 0
    }

    /// The extendedKeyUsage purposes (dotted OIDs), or nil when the certificate has no such extension
    /// (then any purpose its key usage allows).
    package var extendedKeyUsageOIDs: [String]? {
        guard let raw = X509_get_ext_d2i(x509, NID_ext_key_usage, nil, nil) else { return nil }
        let usages = OpaquePointer(raw)
        defer { truc_eku_free(usages) }
        return (0..<truc_eku_count(usages)).map { Certificate.oid(truc_eku_oid(usages, $0)) }
    }

    /// The hash of the issuer's signature on this certificate (`sha1`, `sha256`, `md5`, …), or nil when
    /// the algorithm names none (EdDSA) or is unknown.
    package var signatureHash: String? {
        var digest: Int32 = 0, key: Int32 = 0
        guard OBJ_find_sigid_algs(X509_get_signature_nid(x509), &digest, &key) == 1, digest != NID_undef,
              let name = OBJ_nid2sn(digest) else { return nil }
        return String(String(cString: name).lowercased().filter { $0 != "-" })
    }

    /// Certificate policy OIDs (dotted).
    package var policyOIDs: [String] {
        guard let raw = X509_get_ext_d2i(x509, NID_certificate_policies, nil, nil) else { return [] }
        let policies = OpaquePointer(raw)
        defer { truc_policies_free(policies) }
        return (0..<truc_policies_count(policies)).map { Certificate.oid(truc_policy_oid(policies, $0)) }
    }

    /// Validity, seconds since 1970.
    package var notBefore: Int64 { Certificate.epoch(X509_get0_notBefore(x509)) }
    package var notAfter: Int64 { Certificate.epoch(X509_get0_notAfter(x509)) }

    package var publicKey: PublicKey? {
        guard let key = X509_get_pubkey(x509) else { return nil }
        return PublicKey(taking: key)
    }

    package var description: String { subject }

    static func oid(_ object: OpaquePointer?) -> String {
        var buffer = [CChar](repeating: 0, count: 128)
        let n = OBJ_obj2txt(&buffer, Int32(buffer.count), object, 1)
        return n > 0 ? buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) } : ""
    }

    static func epoch(_ time: UnsafePointer<ASN1_TIME>?) -> Int64 {
        guard let time else { return 0 }
        var tm = tm()
        guard ASN1_TIME_to_tm(time, &tm) == 1 else { return 0 }
        return Int64(timegm(&tm))
    }

    static func name(_ name: OpaquePointer?) -> String {
        guard let name, let bio = BIO_new(BIO_s_mem()) else { return "" }
        defer { BIO_free(bio) }
        let flags = truc_xn_flags_rfc2253_utf8()
        X509_NAME_print_ex(bio, name, 0, flags)
        var p: UnsafeMutablePointer<CChar>?
        let n = truc_bio_get_mem_data(bio, &p)
        guard n > 0, let p else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: p, count: n), as: UTF8.self)
    }

    static func entries(_ name: OpaquePointer?, nid: Int32) -> [String] {
        guard let name else { return [] }
        var result: [String] = []
        var index: Int32 = -1
        while true {
            index = X509_NAME_get_index_by_NID(name, nid, index)
            if index < 0 { break }
            guard let entry = X509_NAME_get_entry(name, index), let data = X509_NAME_ENTRY_get_data(entry) else { continue }
            var utf8: UnsafeMutablePointer<UInt8>?
            let n = ASN1_STRING_to_UTF8(&utf8, data)
            if n >= 0, let utf8 {
                result.append(String(decoding: UnsafeBufferPointer(start: utf8, count: Int(n)), as: UTF8.self))
                truc_openssl_free(utf8)
            }
        }
        return result
    }
}

/// A memory BIO over `bytes` for the duration of `body`.
func withMemoryBIO<R>(_ bytes: [UInt8], _ body: (OpaquePointer) throws(CryptoError) -> R) throws(CryptoError) -> R {
    let result: Result<R, CryptoError> = bytes.withUnsafeBytes { raw in
        guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else {
            return .failure(CryptoError("cannot allocate a memory BIO"))
        }
        defer { BIO_free(bio) }
        do throws(CryptoError) { return .success(try body(bio)) } catch { return .failure(error) }
    }
    return try result.get()
}

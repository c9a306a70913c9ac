import COpenSSL

/// Makes keys, certificates and CRLs with OpenSSL: the per-installation PKI that `truc serve` creates
/// when it is given no PKI (a root CA, the hub's TLS certificate, demo agency certificates). Nothing here is
/// used to verify anything; verification only reads what these produce, like any other PEM.
package enum CertificateIssuer {
    /// What a certificate is for: its extensions.
    package enum Profile: Sendable {
        case rootCA
        /// The hub's TLS server certificate (also its client certificate towards peer hubs, and the key that signs receipts).
        case server(dnsNames: [String], ipAddresses: [String])
        /// An agency's or a person's signing certificate (also usable as a TLS client certificate).
        case signer
    }

    /// A new RSA key pair, returned as an unencrypted PKCS#8 PEM private key.
    package static func rsaKeyPEM(bits: Int32 = 2048) throws(CryptoError) -> [UInt8] {
        let key = try generateRSA(bits: bits)
        defer { EVP_PKEY_free(key) }
        return try toPEM { PEM_write_bio_PrivateKey($0, key, nil, nil, 0, nil, nil) }
    }

    /// Issues a certificate for the public key of `subjectKeyPEM`, signed by `issuerKeyPEM` (the same key for
    /// a self-signed root). `subject` is a list of (short name, value) pairs such as ("CN", "…"), ("UID", "MST:…").
    package static func issue(subject: [(String, String)], subjectKeyPEM: [UInt8], profile: Profile, days: Int,
                              issuerCertificatePEM: [UInt8]?, issuerKeyPEM: [UInt8]) throws(CryptoError) -> [UInt8] {
        let subjectKey = try readKey(subjectKeyPEM)
        defer { EVP_PKEY_free(subjectKey) }
        let issuerKey = try readKey(issuerKeyPEM)
        defer { EVP_PKEY_free(issuerKey) }
        var issuer: OpaquePointer?
        if let issuerCertificatePEM {
            issuer = try withMemoryBIO(issuerCertificatePEM) { bio in PEM_read_bio_X509(bio, nil, nil, nil) }
            guard issuer != nil else { throw CryptoError.openssl("not a PEM certificate (issuer)") }
        }
        defer { if let issuer { X509_free(issuer) } }
        guard let x509 = X509_new() else { throw CryptoError("cannot allocate a certificate") }
        defer { X509_free(x509) }
        guard X509_set_version(x509, 2) == 1 else { throw CryptoError.openssl("cannot set the version") }
        try setRandomSerial(x509)
        guard X509_gmtime_adj(X509_getm_notBefore(x509), -300) != nil,
              X509_time_adj_ex(X509_getm_notAfter(x509), Int32(days), 0, nil) != nil else {
            throw CryptoError.openssl("cannot set the validity")
        }
        guard let name = X509_NAME_new() else { throw CryptoError("cannot allocate a name") }
        defer { X509_NAME_free(name) }
        for (field, value) in subject {
            let ok = value.withCString { text in
                X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8, UnsafeRawPointer(text).assumingMemoryBound(to: UInt8.self), -1, -1, 0)
            }
            guard ok == 1 else { throw CryptoError.openssl("cannot add \(field) to the subject") }
        }
        guard X509_set_subject_name(x509, name) == 1,
              X509_set_issuer_name(x509, issuer.map { X509_get_subject_name($0) } ?? name) == 1,
              X509_set_pubkey(x509, subjectKey) == 1 else { throw CryptoError.openssl("cannot set the names or the key") }

        var ctx = X509V3_CTX()
        X509V3_set_ctx(&ctx, issuer ?? x509, x509, nil, nil, 0)
        var extensions: [(Int32, String)] = [(NID_subject_key_identifier, "hash")]
        switch profile {
        case .rootCA:
            extensions += [(NID_basic_constraints, "critical,CA:TRUE"), (NID_key_usage, "critical,keyCertSign,cRLSign")]
        case .server(let dnsNames, let ipAddresses):
            let names = dnsNames.map { "DNS:\($0)" } + ipAddresses.map { "IP:\($0)" }
            extensions += [(NID_basic_constraints, "critical,CA:FALSE"), (NID_key_usage, "critical,digitalSignature,keyEncipherment"),
                           (NID_ext_key_usage, "serverAuth,clientAuth"), (NID_subject_alt_name, names.joined(separator: ","))]
        case .signer:
            extensions += [(NID_basic_constraints, "critical,CA:FALSE"), (NID_key_usage, "critical,digitalSignature,nonRepudiation"),
                           (NID_ext_key_usage, "clientAuth,emailProtection")]
        }
        if issuer != nil { extensions.append((NID_authority_key_identifier, "keyid:always")) }
        for (nid, value) in extensions {
            guard let ext = X509V3_EXT_conf_nid(nil, &ctx, nid, value) else { throw CryptoError.openssl("cannot make extension \(value)") }
            defer { X509_EXTENSION_free(ext) }
            guard X509_add_ext(x509, ext, -1) == 1 else { throw CryptoError.openssl("cannot add extension \(value)") }
        }
        guard X509_sign(x509, issuerKey, EVP_sha256()) > 0 else { throw CryptoError.openssl("cannot sign the certificate") }
        return try toPEM { PEM_write_bio_X509($0, x509) }
    }

    /// An empty CRL of `issuerCertificatePEM`, valid for `days` (a trust directory then has revocation data
    /// for that CA; revoking is the operator's business with their own CA tools).
    package static func emptyCRL(issuerCertificatePEM: [UInt8], issuerKeyPEM: [UInt8], days: Int) throws(CryptoError) -> [UInt8] {
        let issuerKey = try readKey(issuerKeyPEM)
        defer { EVP_PKEY_free(issuerKey) }
        let issuer: OpaquePointer? = try withMemoryBIO(issuerCertificatePEM) { bio in PEM_read_bio_X509(bio, nil, nil, nil) }
        guard let issuer else { throw CryptoError.openssl("not a PEM certificate (issuer)") }
        defer { X509_free(issuer) }
        guard let crl = X509_CRL_new() else { throw CryptoError("cannot allocate a CRL") }
        defer { X509_CRL_free(crl) }
        guard let last = ASN1_TIME_new() else { throw CryptoError("cannot allocate a time") }
        defer { ASN1_TIME_free(last) }
        guard let next = ASN1_TIME_new() else { throw CryptoError("cannot allocate a time") }
        defer { ASN1_TIME_free(next) }
        guard X509_CRL_set_version(crl, 1) == 1, X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer)) == 1,
              X509_gmtime_adj(last, -300) != nil, X509_time_adj_ex(next, Int32(days), 0, nil) != nil,
              X509_CRL_set1_lastUpdate(crl, last) == 1, X509_CRL_set1_nextUpdate(crl, next) == 1,
              X509_CRL_sort(crl) == 1, X509_CRL_sign(crl, issuerKey, EVP_sha256()) > 0 else {
            throw CryptoError.openssl("cannot make the CRL")
        }
        return try toPEM { PEM_write_bio_X509_CRL($0, crl) }
    }

    // MARK: helpers

    private static func generateRSA(bits: Int32) throws(CryptoError) -> OpaquePointer {
        guard let ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, nil) else { throw CryptoError.openssl("cannot make a key context") }
        defer { EVP_PKEY_CTX_free(ctx) }
        var key: OpaquePointer?
        guard EVP_PKEY_keygen_init(ctx) == 1, EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, bits) == 1, EVP_PKEY_keygen(ctx, &key) == 1, let key else {
            throw CryptoError.openssl("cannot generate an RSA key")
        }
        return key
    }

    private static func readKey(_ pem: [UInt8]) throws(CryptoError) -> OpaquePointer {
        let key: OpaquePointer? = try withMemoryBIO(pem) { bio in PEM_read_bio_PrivateKey(bio, nil, nil, nil) }
        guard let key else { throw CryptoError.openssl("not a PEM private key") }
        return key
    }

    private static func setRandomSerial(_ x509: OpaquePointer) throws(CryptoError) {
        guard let bn = BN_new() else { throw CryptoError("cannot allocate a number") }
        defer { BN_free(bn) }
        guard BN_rand(bn, 127, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) == 1,
              BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x509)) != nil else { throw CryptoError.openssl("cannot make a serial number") }
    }

    private static func toPEM(_ write: (OpaquePointer) -> Int32) throws(CryptoError) -> [UInt8] {
        guard let bio = BIO_new(BIO_s_mem()) else { throw CryptoError("cannot allocate a buffer") }
        defer { BIO_free(bio) }
        guard write(bio) == 1 else { throw CryptoError.openssl("cannot write PEM") }
        var pointer: UnsafeMutablePointer<CChar>?
        let count = truc_bio_get_mem_data(bio, &pointer)
        guard count > 0, let pointer else { throw CryptoError("empty PEM") }
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }
}

import COpenSSL

/// A private key for the hub's own signatures (delivery receipts). Owns its `EVP_PKEY*`; OpenSSL allows
/// concurrent signing with one key, hence `@unchecked Sendable`.
package final class PrivateKey: @unchecked Sendable {
    let key: OpaquePointer

    /// Reads a PEM private key (unencrypted).
    package init(pem: [UInt8]) throws(CryptoError) {
        let parsed: OpaquePointer? = try withMemoryBIO(pem) { bio in PEM_read_bio_PrivateKey(bio, nil, nil, nil) }
        guard let parsed else { throw CryptoError.openssl("not a PEM private key") }
        key = parsed
    }

    deinit { EVP_PKEY_free(key) }

    package var isRSA: Bool { EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA }

    /// Whether this is the private key of `certificate`'s public key.
    package func matches(_ certificate: Certificate) -> Bool {
        defer { clearOpenSSLErrors() }
        return X509_check_private_key(certificate.x509, key) == 1
    }

    /// Whether the key is an elliptic-curve key (ECDSA).
    package var isEC: Bool { EVP_PKEY_get_base_id(key) == EVP_PKEY_EC }

    /// RSA PKCS#1 v1.5 (or ECDSA, DER) signature of `data`; with `pss`, RSASSA-PSS with a salt as long as the digest
    /// and MGF1 with the same digest (TLS 1.3's rsa_pss_rsae_*).
    package func sign(_ data: [UInt8], digest: DigestAlgorithm, pss: Bool = false) throws(CryptoError) -> [UInt8] {
        guard let ctx = EVP_MD_CTX_new() else { throw CryptoError("cannot allocate a digest context") }
        defer { EVP_MD_CTX_free(ctx) }
        var pctx: OpaquePointer?
        guard EVP_DigestSignInit(ctx, &pctx, digest.md, nil, key) == 1 else { throw CryptoError.openssl("cannot start signing") }
        if pss {
            guard isRSA, let pctx, EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1,
                  EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1 else {
                throw CryptoError.openssl("cannot sign with RSASSA-PSS")
            }
        }
        var length = 0
        let ok: Bool = data.withUnsafeBufferPointer { input in
            EVP_DigestSign(ctx, nil, &length, input.baseAddress, input.count) == 1
        }
        guard ok else { throw CryptoError.openssl("cannot size the signature") }
        var signature = [UInt8](repeating: 0, count: length)
        let signed: Bool = data.withUnsafeBufferPointer { input in
            signature.withUnsafeMutableBufferPointer { out in
                EVP_DigestSign(ctx, out.baseAddress, &length, input.baseAddress, input.count) == 1
            }
        }
        guard signed else { throw CryptoError.openssl("signing failed") }
        return Array(signature.prefix(length))
    }
}

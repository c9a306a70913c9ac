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

    /// RSA PKCS#1 v1.5 (or ECDSA, DER) signature of `data`.
    package func sign(_ data: [UInt8], digest: DigestAlgorithm) throws(CryptoError) -> [UInt8] {
        guard let ctx = EVP_MD_CTX_new() else { throw CryptoError("cannot allocate a digest context") }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestSignInit(ctx, nil, digest.md, nil, key) == 1 else { throw CryptoError.openssl("cannot start signing") }
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

import COpenSSL

/// An Ed25519 signing key (RFC 8032), for the evidence log's signed checkpoints. Owns its `EVP_PKEY*`; OpenSSL
/// signs concurrently with one key, hence `@unchecked Sendable`.
package final class Ed25519Key: @unchecked Sendable {
    let key: OpaquePointer
    /// The 32-byte public key.
    package let publicKey: [UInt8]

    /// The key of a 32-byte seed (the RFC 8032 private key).
    package init(seed: [UInt8]) throws(CryptoError) {
        guard seed.count == 32 else { throw CryptoError("an Ed25519 seed is 32 bytes, not \(seed.count)") }
        defer { clearOpenSSLErrors() }
        guard let made = seed.withUnsafeBufferPointer({ EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nil, $0.baseAddress, 32) }) else {
            throw CryptoError.openssl("cannot make an Ed25519 key")
        }
        key = made
        var length = 32
        var raw = [UInt8](repeating: 0, count: 32)
        guard EVP_PKEY_get_raw_public_key(made, &raw, &length) == 1, length == 32 else {
            EVP_PKEY_free(made)
            throw CryptoError.openssl("cannot read the Ed25519 public key")
        }
        publicKey = raw
    }

    deinit { EVP_PKEY_free(key) }

    /// A new random seed (OpenSSL's CSPRNG).
    package static func newSeed() throws -> [UInt8] { try secureRandomBytes(32) }

    /// The 64-byte Ed25519 signature of `message`.
    package func sign(_ message: [UInt8]) throws(CryptoError) -> [UInt8] {
        guard let ctx = EVP_MD_CTX_new() else { throw CryptoError("cannot allocate a digest context") }
        defer { EVP_MD_CTX_free(ctx); clearOpenSSLErrors() }
        guard EVP_DigestSignInit(ctx, nil, nil, nil, key) == 1 else { throw CryptoError.openssl("cannot start signing") }
        var signature = [UInt8](repeating: 0, count: 64)
        var length = 64
        let ok = message.withUnsafeBufferPointer { input in EVP_DigestSign(ctx, &signature, &length, input.baseAddress, input.count) == 1 }
        guard ok, length == 64 else { throw CryptoError.openssl("Ed25519 signing failed") }
        return signature
    }

    /// True when `signature` is `publicKey`'s Ed25519 signature of `message`.
    package static func verify(publicKey: [UInt8], signature: [UInt8], message: [UInt8]) -> Bool {
        guard publicKey.count == 32, signature.count == 64 else { return false }
        defer { clearOpenSSLErrors() }
        guard let key = publicKey.withUnsafeBufferPointer({ EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nil, $0.baseAddress, 32) }) else { return false }
        defer { EVP_PKEY_free(key) }
        guard let ctx = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestVerifyInit(ctx, nil, nil, nil, key) == 1 else { return false }
        return message.withUnsafeBufferPointer { input in
            EVP_DigestVerify(ctx, signature, 64, input.baseAddress, input.count) == 1
        }
    }
}

import COpenSSL

/// HMAC (RFC 2104) and random bytes, from OpenSSL.
package enum HMAC {
    /// HMAC-SHA256 of `message` keyed with `key`.
    package static func sha256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        key.withUnsafeBufferPointer { k in
            message.withUnsafeBufferPointer { m in
                _ = COpenSSL.HMAC(EVP_sha256(), k.baseAddress, Int32(k.count), m.baseAddress, m.count, &out, &length)
            }
        }
        return out
    }

    /// Compares two byte strings in time that depends only on their lengths.
    package static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for i in a.indices { diff |= a[i] ^ b[i] }
        return diff == 0
    }
}

/// Cryptographically strong random bytes.
package func secureRandomBytes(_ count: Int) throws -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: count)
    guard RAND_bytes(&bytes, Int32(count)) == 1 else { throw CryptoError.openssl("RAND_bytes") }
    return bytes
}

/// Secrets at rest: AES-256-GCM under a 32-byte key kept outside the database (the store's `secrets.key`).
/// A sealed value is `0x01 ‖ nonce(12) ‖ ciphertext ‖ tag(16)`; opening checks the tag.
package struct SecretBox: Sendable {
    private let key: [UInt8]

    package init(key: [UInt8]) throws {
        guard key.count == 32 else { throw CryptoError("a secret-box key is 32 bytes, not \(key.count)") }
        self.key = key
    }

    package func seal(_ plaintext: [UInt8]) throws -> [UInt8] {
        let nonce = try secureRandomBytes(12)
        guard let ctx = EVP_CIPHER_CTX_new() else { throw CryptoError.openssl("EVP_CIPHER_CTX_new") }
        defer { EVP_CIPHER_CTX_free(ctx) }
        var out = [UInt8](repeating: 0, count: plaintext.count + 16)
        var length: Int32 = 0, total = 0
        guard EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nil, key, nonce) == 1 else { throw CryptoError.openssl("AES-GCM init") }
        if !plaintext.isEmpty {
            guard EVP_EncryptUpdate(ctx, &out, &length, plaintext, Int32(plaintext.count)) == 1 else { throw CryptoError.openssl("AES-GCM") }
            total = Int(length)
        }
        let finished = out.withUnsafeMutableBufferPointer { EVP_EncryptFinal_ex(ctx, $0.baseAddress! + total, &length) }
        guard finished == 1 else { throw CryptoError.openssl("AES-GCM final") }
        total += Int(length)
        var tag = [UInt8](repeating: 0, count: 16)
        guard EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, &tag) == 1 else { throw CryptoError.openssl("AES-GCM tag") }
        return [1] + nonce + out.prefix(total) + tag
    }

    package func open(_ sealed: [UInt8]) throws -> [UInt8] {
        guard sealed.count >= 29, sealed[0] == 1 else { throw CryptoError("not a sealed secret") }
        let nonce = Array(sealed[1..<13]), body = Array(sealed[13..<(sealed.count - 16)]), tag = Array(sealed.suffix(16))
        guard let ctx = EVP_CIPHER_CTX_new() else { throw CryptoError.openssl("EVP_CIPHER_CTX_new") }
        defer { EVP_CIPHER_CTX_free(ctx) }
        var out = [UInt8](repeating: 0, count: body.count + 16)
        var length: Int32 = 0, total = 0
        guard EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nil, key, nonce) == 1 else { throw CryptoError.openssl("AES-GCM init") }
        if !body.isEmpty {
            guard EVP_DecryptUpdate(ctx, &out, &length, body, Int32(body.count)) == 1 else { throw CryptoError.openssl("AES-GCM") }
            total = Int(length)
        }
        var tagCopy = tag
        guard EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, &tagCopy) == 1 else { throw CryptoError.openssl("AES-GCM tag") }
        let finished = out.withUnsafeMutableBufferPointer { EVP_DecryptFinal_ex(ctx, $0.baseAddress! + total, &length) }
        clearOpenSSLErrors()
        guard finished == 1 else { throw CryptoError("the sealed secret does not open with this key (wrong secrets.key, or altered)") }
        total += Int(length)
        return Array(out.prefix(total))
    }
}

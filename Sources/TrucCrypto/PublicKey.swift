import COpenSSL

/// A public key. Owns its `EVP_PKEY*`; read-only after creation (`@unchecked Sendable` for that reason).
package final class PublicKey: @unchecked Sendable {
    let key: OpaquePointer

    init(taking key: OpaquePointer) { self.key = key }
    deinit { EVP_PKEY_free(key) }

    /// Size of the key in bits.
    package var bits: Int { Int(EVP_PKEY_get_bits(key)) }
    /// True for an RSA key (PKCS#1 or PSS).
    package var isRSA: Bool { EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA || EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA_PSS }

    /// Verifies an RSA PKCS#1 v1.5, RSASSA-PSS or ECDSA (DER-encoded) signature over `data`. False means the
    /// signature does not match; nothing throws.
    package func verify(signature: [UInt8], data: UnsafeRawBufferPointer, digest: DigestAlgorithm, padding: SignaturePadding = .pkcs1) -> Bool {
        guard let ctx = EVP_MD_CTX_new() else { return false }
        defer {
            EVP_MD_CTX_free(ctx)
            clearOpenSSLErrors()
        }
        var pctx: OpaquePointer?
        guard EVP_DigestVerifyInit(ctx, &pctx, digest.md, nil, key) == 1 else { return false }
        if case .pss(let mgf1, let saltLength) = padding {
            guard EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA || EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA_PSS,
                  EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1,
                  EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, mgf1.md) == 1,
                  EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, Int32(saltLength)) == 1 else { return false }
        }
        return signature.withUnsafeBufferPointer { sig in
            EVP_DigestVerify(ctx, sig.baseAddress, sig.count, data.baseAddress?.assumingMemoryBound(to: UInt8.self), data.count) == 1
        }
    }

    /// Converts an XMLDSig ECDSA value (r || s, each half the length) to the DER form OpenSSL verifies.
    package static func ecdsaDER(fromRaw raw: [UInt8]) -> [UInt8]? {
        guard raw.count >= 2, raw.count % 2 == 0, let sig = ECDSA_SIG_new() else { return nil }
        defer { ECDSA_SIG_free(sig) }
        let half = raw.count / 2
        let r = raw.withUnsafeBufferPointer { BN_bin2bn($0.baseAddress, Int32(half), nil) }
        let s = raw.withUnsafeBufferPointer { BN_bin2bn($0.baseAddress! + half, Int32(half), nil) }
        guard let r, let s, ECDSA_SIG_set0(sig, r, s) == 1 else { return nil }
        var p: UnsafeMutablePointer<UInt8>?
        let n = i2d_ECDSA_SIG(sig, &p)
        guard n > 0, let p else { return nil }
        defer { truc_openssl_free(p) }
        return Array(UnsafeBufferPointer(start: p, count: Int(n)))
    }
}

/// How an RSA signature is padded.
package enum SignaturePadding: Sendable, Equatable {
    /// PKCS#1 v1.5 (and anything that is not RSA).
    case pkcs1
    /// RSASSA-PSS with MGF1 over `mgf1` and a salt of `saltLength` bytes.
    case pss(mgf1: DigestAlgorithm, saltLength: Int)
}

import COpenSSL

/// A certificate revocation list (RFC 5280). Owns its `X509_CRL*`; read-only after parsing (OpenSSL's
/// lookups sort the entries once, under its own lock), hence `@unchecked Sendable`.
package final class CRL: @unchecked Sendable {
    let crl: OpaquePointer
    /// DER encoding (what is cached on disk).
    package let der: [UInt8]

    /// Parses a CRL, PEM or DER.
    package init(bytes: [UInt8]) throws(CryptoError) {
        let pem: OpaquePointer? = try withMemoryBIO(bytes) { bio in PEM_read_bio_X509_CRL(bio, nil, nil, nil) }
        let parsed: OpaquePointer? = pem ?? bytes.withUnsafeBufferPointer { buffer in
            var p: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_X509_CRL(nil, &p, buffer.count)
        }
        clearOpenSSLErrors()
        guard let parsed else { throw CryptoError.openssl("not a CRL (PEM or DER)") }
        crl = parsed
        var p: UnsafeMutablePointer<UInt8>?
        let n = i2d_X509_CRL(parsed, &p)
        der = n > 0 && p != nil ? Array(UnsafeBufferPointer(start: p, count: Int(n))) : []
        truc_openssl_free(p)
    }

    deinit { X509_CRL_free(crl) }

    package var issuer: String { Certificate.name(X509_CRL_get_issuer(crl)) }
    /// Seconds since 1970.
    package var thisUpdate: Int64 { Certificate.epoch(X509_CRL_get0_lastUpdate(crl)) }
    /// Seconds since 1970; nil when the CRL names no next update.
    package var nextUpdate: Int64? {
        guard let next = X509_CRL_get0_nextUpdate(crl) else { return nil }
        return Certificate.epoch(next)
    }

    /// True when the CRL may be used at `now`: issued (within `leeway` seconds) and not past its nextUpdate.
    package func isCurrent(at now: Int64, leeway: Int64 = 300) -> Bool {
        thisUpdate <= now + leeway && (nextUpdate.map { now <= $0 } ?? true)
    }

    /// True when `issuer` issued this CRL: its subject is the CRL's issuer name and its key verifies the
    /// CRL's signature.
    package func isSigned(by issuer: Certificate) -> Bool {
        defer { clearOpenSSLErrors() }
        guard X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer.x509)) == 0,
              let key = X509_get0_pubkey(issuer.x509) else { return false }
        return X509_CRL_verify(crl, key) == 1
    }

    /// True when the CRL is about certificates of `issuer` (by name; the signature is checked by `isSigned`).
    package func names(issuer: Certificate) -> Bool {
        X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer.x509)) == 0
    }

    /// The CRL entry for `certificate`, if it is listed: when it was revoked and why (RFC 5280 reason name).
    /// A delta CRL (deltaCRLIndicator): only the changes since a base CRL.
    package var isDelta: Bool { truc_crl_is_delta(crl) != 0 }

    /// Why this CRL is no evidence that `certificate` is *not* revoked — a delta CRL, or an
    /// issuingDistributionPoint whose scope leaves the certificate out (RFC 5280 §5.2.5, §6.3.3) — or nil when it
    /// is. (A revocation it lists stays a revocation.)
    package func scopeProblem(for certificate: Certificate) -> String? {
        if isDelta { return "it is a delta CRL (the changes since a base CRL), not a complete list" }
        guard let idp = truc_crl_idp(crl) else { return nil }
        defer { truc_idp_free(idp) }
        let flags = truc_idp_flags(idp)
        if flags & 1 != 0, certificate.isCA { return "its scope is end-entity certificates only" }
        if flags & 2 != 0, !certificate.isCA { return "its scope is CA certificates only" }
        if flags & 4 != 0 { return "it covers only some revocation reasons" }
        if flags & 8 != 0 { return "it is an indirect CRL" }
        if flags & 16 != 0 { return "its scope is attribute certificates only" }
        let points = (0..<truc_idp_uri_count(idp)).compactMap { i -> String? in
            var length: Int32 = 0
            guard let bytes = truc_idp_uri(idp, i, &length) else { return nil }
            return String(decoding: UnsafeBufferPointer(start: bytes, count: Int(length)), as: UTF8.self)
        }
        let written = certificate.crlDistributionURLs
        if !points.isEmpty, !written.isEmpty, Set(points).isDisjoint(with: written) {
            return "its distribution point (\(points.joined(separator: ", "))) is not the certificate's (\(written.joined(separator: ", ")))"
        }
        return nil
    }

    package func entry(for certificate: Certificate) -> (revokedAt: Int64, reason: String?)? {
        defer { clearOpenSSLErrors() }
        var revoked: OpaquePointer?
        guard X509_CRL_get0_by_cert(crl, &revoked, certificate.x509) == 1, let revoked else { return nil }
        let at = Certificate.epoch(X509_REVOKED_get0_revocationDate(revoked))
        var reason: String?
        if let raw = X509_REVOKED_get_ext_d2i(revoked, NID_crl_reason, nil, nil) {
            let enumerated = raw.assumingMemoryBound(to: ASN1_ENUMERATED.self)
            reason = RevocationReason.name(Int(ASN1_ENUMERATED_get(enumerated)))
            ASN1_ENUMERATED_free(enumerated)
        }
        // removeFromCRL (8) is used by delta CRLs to un-revoke: not a revocation.
        if reason == "removeFromCRL" { return nil }
        return (at, reason)
    }
}

/// RFC 5280 CRLReason names.
package enum RevocationReason {
    package static func name(_ code: Int) -> String? {
        switch code {
        case 0: "unspecified"
        case 1: "keyCompromise"
        case 2: "cACompromise"
        case 3: "affiliationChanged"
        case 4: "superseded"
        case 5: "cessationOfOperation"
        case 6: "certificateHold"
        case 8: "removeFromCRL"
        case 9: "privilegeWithdrawn"
        case 10: "aACompromise"
        default: nil
        }
    }
}

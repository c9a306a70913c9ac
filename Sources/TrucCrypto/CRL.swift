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
        sha256 = Digest.sha256(der).hexString
    }

    /// SHA-256 of the DER, hex (computed once: a national CA's CRL runs to megabytes).
    package let sha256: String

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

    /// A delta CRL (deltaCRLIndicator): only the changes since a base CRL.
    package var isDelta: Bool { truc_crl_is_delta(crl) != 0 }
    /// The CRL's number (cRLNumber); nil when absent.
    package var number: CRLNumber? { CRLNumber(owning: truc_crl_number(crl)) }
    /// For a delta CRL, the number of the complete CRL it applies to (deltaCRLIndicator's BaseCRLNumber).
    package var baseNumber: CRLNumber? { CRLNumber(owning: truc_crl_base_number(crl)) }

    /// Why this CRL is no evidence that `certificate` is *not* revoked — a delta CRL, or an
    /// issuingDistributionPoint whose scope leaves the certificate out (RFC 5280 §5.2.5, §6.3.3) — or nil when it
    /// is. (A revocation it lists stays a revocation.)
    package func scopeProblem(for certificate: Certificate) -> String? {
        if isDelta { return "it is a delta CRL (the changes since a base CRL), not a complete list" }
        return pointProblem(for: certificate)
    }

    /// The issuingDistributionPoint's verdict on `certificate`: nil when its scope covers it.
    func pointProblem(for certificate: Certificate) -> String? {
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

    /// True when this complete CRL is one `delta` applies to (RFC 5280 §5.2.4): the same issuer and the same
    /// scope (issuingDistributionPoint, byte for byte), its number at least the delta's BaseCRLNumber and below
    /// the delta's own number. (Both signatures are the caller's to check.)
    package func isBase(of delta: CRL) -> Bool {
        guard !isDelta, delta.isDelta, X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_CRL_get_issuer(delta.crl)) == 0,
              let own = number, let wanted = delta.baseNumber, let deltaNumber = delta.number,
              wanted <= own, own < deltaNumber else { return false }
        return extensionValue(NID_issuing_distribution_point) == delta.extensionValue(NID_issuing_distribution_point)
    }

    private func extensionValue(_ nid: Int32) -> [UInt8]? {
        var length: Int32 = 0
        guard let bytes = truc_crl_ext_value(crl, nid, &length) else { return nil }
        return Array(UnsafeBufferPointer(start: bytes, count: Int(length)))
    }

    /// How `certificate` is listed: revoked (when, why), removed from the CRL (a delta CRL lifting a hold), or
    /// not at all (nil).
    package func listing(for certificate: Certificate) -> CRLListing? {
        defer { clearOpenSSLErrors() }
        var revoked: OpaquePointer?
        let found = X509_CRL_get0_by_cert(crl, &revoked, certificate.x509)
        if found == 2 { return .removed } // OpenSSL's answer for an entry with reason removeFromCRL
        guard found == 1, let revoked else { return nil }
        let at = Certificate.epoch(X509_REVOKED_get0_revocationDate(revoked))
        var reason: String?
        if let raw = X509_REVOKED_get_ext_d2i(revoked, NID_crl_reason, nil, nil) {
            let enumerated = raw.assumingMemoryBound(to: ASN1_ENUMERATED.self)
            reason = RevocationReason.name(Int(ASN1_ENUMERATED_get(enumerated)))
            ASN1_ENUMERATED_free(enumerated)
        }
        // removeFromCRL (8) is used by delta CRLs to un-revoke: not a revocation.
        return reason == "removeFromCRL" ? .removed : .revoked(at: at, reason: reason)
    }

    /// The CRL entry for `certificate`, if it is listed as revoked: when it was revoked and why (RFC 5280 reason name).
    package func entry(for certificate: Certificate) -> (revokedAt: Int64, reason: String?)? {
        if case .revoked(let at, let reason)? = listing(for: certificate) { return (at, reason) }
        return nil
    }
}

/// How a CRL lists a certificate.
package enum CRLListing: Sendable, Equatable {
    case revoked(at: Int64, reason: String?)
    /// removeFromCRL: a delta CRL says a hold listed in its base is lifted.
    case removed
}

/// A CRL number (cRLNumber, BaseCRLNumber): a non-negative integer of up to 20 octets, compared by value.
package struct CRLNumber: Comparable, Sendable, CustomStringConvertible {
    /// Big-endian magnitude without leading zeros.
    let magnitude: [UInt8]

    /// Takes ownership of `integer` (frees it); nil for nil, a negative number or more than 20 octets.
    init?(owning integer: UnsafeMutablePointer<ASN1_INTEGER>?) {
        guard let integer else { return nil }
        defer { ASN1_INTEGER_free(integer) }
        guard ASN1_STRING_type(integer) == V_ASN1_INTEGER, let bn = ASN1_INTEGER_to_BN(integer, nil) else { return nil }
        defer { BN_free(bn) }
        var bytes = [UInt8](repeating: 0, count: Int((BN_num_bits(bn) + 7) / 8))
        guard bytes.count <= 20 else { return nil }
        let written = bytes.withUnsafeMutableBufferPointer { BN_bn2bin(bn, $0.baseAddress) }
        magnitude = Array(bytes.prefix(Int(written)))
    }

    package static func < (a: CRLNumber, b: CRLNumber) -> Bool {
        a.magnitude.count != b.magnitude.count ? a.magnitude.count < b.magnitude.count : a.magnitude.lexicographicallyPrecedes(b.magnitude)
    }

    package var description: String {
        if magnitude.count > 8 { return "0x" + magnitude.map { byte in String(byte, radix: 16).count == 1 ? "0" + String(byte, radix: 16) : String(byte, radix: 16) }.joined() }
        var value: UInt64 = 0
        for byte in magnitude { value = value << 8 | UInt64(byte) }
        return String(value)
    }
}

/// A CRL as evidence about certificates: a complete CRL alone, or a delta CRL read over a complete CRL it applies
/// to (RFC 5280 §5.2.4, §6.3.3): the delta's entries first (its removeFromCRL lifts a hold of the base), then the
/// base's; the freshness is the delta's (a base past its nextUpdate serves with a current delta).
package struct CRLEvidence: Sendable {
    /// The list whose dates count: the complete CRL, or the delta.
    package let crl: CRL
    /// The complete CRL a delta is read over.
    package let base: CRL?

    package init(crl: CRL, base: CRL?) {
        self.crl = crl
        self.base = base
    }

    package var thisUpdate: Int64 { crl.thisUpdate }
    package var nextUpdate: Int64? { crl.nextUpdate }
    package func isCurrent(at now: Int64) -> Bool { crl.isCurrent(at: now) }

    /// The revocation of `certificate` this evidence shows, if any.
    package func revocation(of certificate: Certificate) -> (revokedAt: Int64, reason: String?)? {
        switch crl.listing(for: certificate) {
        case .revoked(let at, let reason)?: return (at, reason)
        case .removed?: return nil
        case nil: return base?.entry(for: certificate)
        }
    }

    /// Why this is no evidence that `certificate` is *not* revoked, or nil when it is.
    package func scopeProblem(for certificate: Certificate) -> String? {
        if let base { return base.pointProblem(for: certificate) }
        if crl.isDelta {
            return "it is a delta CRL (the changes since a base CRL), not a complete list, and no complete CRL it applies to"
                + (crl.baseNumber.map { " (number \($0) or later)" } ?? "") + " is at hand"
        }
        return crl.pointProblem(for: certificate)
    }

    /// How a source names this evidence: "" for a complete CRL, " (delta N over base M)" for a delta.
    package var label: String {
        guard crl.isDelta else { return "" }
        return " (delta \(crl.number.map(String.init(describing:)) ?? "?")" + (base.map { " over base \($0.number.map(String.init(describing:)) ?? "?")" } ?? "") + ")"
    }

    /// Each CRL of `crls` as evidence: each delta over the newest complete CRL among `crls` it applies to (alone
    /// when there is none: then only its revocations count), and the complete CRLs no delta is read over (a base
    /// speaks only through its delta, which is newer: a hold the delta lifts is lifted). The caller keeps only CRLs
    /// whose issuer's key verifies them.
    package static func assemble(_ crls: [CRL]) -> [CRLEvidence] {
        let deltas = crls.filter(\.isDelta).map { crl in
            let base = crls.filter { $0.isBase(of: crl) }.max { lhs, rhs in
                guard let l = lhs.number, let r = rhs.number else { return false }
                return l == r ? lhs.thisUpdate < rhs.thisUpdate : l < r
            }
            return CRLEvidence(crl: crl, base: base)
        }
        let complete = crls.filter { crl in !crl.isDelta && !deltas.contains { $0.base === crl } }
        return complete.map { CRLEvidence(crl: $0, base: nil) } + deltas
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

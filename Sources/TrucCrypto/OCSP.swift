import COpenSSL

/// What an OCSP responder (RFC 6960) said about one certificate, after its response was checked.
package struct OCSPAnswer: Sendable, Equatable {
    package enum Status: String, Sendable { case good, revoked, unknown }
    package let status: Status
    /// Seconds since 1970, when revoked.
    package let revokedAt: Int64?
    package let reason: String?
    package let thisUpdate: Int64
    /// nil when the responder gives none (then the answer is as fresh as the configured freshness).
    package let nextUpdate: Int64?
}

/// An OCSP request for one certificate, with a nonce, and the checks of the response to it.
package final class OCSPRequest: @unchecked Sendable {
    private let request: OpaquePointer
    private let id: OpaquePointer
    /// DER bytes to POST (`application/ocsp-request`).
    package let der: [UInt8]

    package init(certificate: Certificate, issuer: Certificate, nonce: Bool = true) throws(CryptoError) {
        defer { clearOpenSSLErrors() }
        guard let request = OCSP_REQUEST_new() else { throw CryptoError("cannot allocate an OCSP request") }
        guard let id = OCSP_cert_to_id(nil, certificate.x509, issuer.x509), let copy = OCSP_CERTID_dup(id) else {
            OCSP_REQUEST_free(request)
            throw CryptoError.openssl("cannot make an OCSP certificate id")
        }
        guard OCSP_request_add0_id(request, copy) != nil else {
            OCSP_CERTID_free(copy)
            OCSP_CERTID_free(id)
            OCSP_REQUEST_free(request)
            throw CryptoError.openssl("cannot add the certificate id to the OCSP request")
        }
        if nonce { OCSP_request_add1_nonce(request, nil, -1) }
        self.request = request
        self.id = id
        var p: UnsafeMutablePointer<UInt8>?
        let n = i2d_OCSP_REQUEST(request, &p)
        der = n > 0 && p != nil ? Array(UnsafeBufferPointer(start: p, count: Int(n))) : []
        truc_openssl_free(p)
    }

    deinit {
        OCSP_REQUEST_free(request)
        OCSP_CERTID_free(id)
    }

    /// Checks a response to this request: status `successful`, a basic response whose signature verifies and
    /// whose signer is the issuer or a responder it delegated (`id-kp-OCSPSigning`, chaining to `trust`),
    /// the nonce echoed (a responder that ignores it is tolerated; a different one is refused), and a
    /// single response for this certificate that is current at `now` (`thisUpdate` not in the future,
    /// `nextUpdate` not past, with `leeway` seconds).
    package func check(response der: [UInt8], issuer: Certificate, trust: TrustStore, now: Int64, leeway: Int64 = 300) throws(CryptoError) -> OCSPAnswer {
        try OCSPRequest.check(response: der, id: id, request: request, issuer: issuer, trust: trust, now: now, leeway: leeway)
    }

    /// Checks a response that was not fetched for a request (embedded in a document): as `check`, without
    /// the nonce; `now` is the time the answer must be current at (`nil`: any time — the caller decides).
    package static func check(embedded der: [UInt8], certificate: Certificate, issuer: Certificate, trust: TrustStore) throws(CryptoError) -> OCSPAnswer {
        defer { clearOpenSSLErrors() }
        guard let id = OCSP_cert_to_id(nil, certificate.x509, issuer.x509) else { throw CryptoError.openssl("cannot make an OCSP certificate id") }
        defer { OCSP_CERTID_free(id) }
        return try check(response: der, id: id, request: nil, issuer: issuer, trust: trust, now: nil, leeway: 300)
    }

    private static func check(response der: [UInt8], id: OpaquePointer, request: OpaquePointer?, issuer: Certificate, trust: TrustStore,
                              now: Int64?, leeway: Int64) throws(CryptoError) -> OCSPAnswer {
        defer { clearOpenSSLErrors() }
        let parsed: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var p: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_OCSP_RESPONSE(nil, &p, buffer.count)
        }
        guard let response = parsed else { throw CryptoError("the OCSP response is not DER") }
        defer { OCSP_RESPONSE_free(response) }
        let status = OCSP_response_status(response)
        guard status == OCSP_RESPONSE_STATUS_SUCCESSFUL else {
            throw CryptoError("the OCSP responder answered \(String(cString: OCSP_response_status_str(Int(status))))")
        }
        guard let basic = OCSP_response_get1_basic(response) else { throw CryptoError("the OCSP response is not a basic response") }
        defer { OCSP_BASICRESP_free(basic) }
        if let request, OCSP_check_nonce(request, basic) == 0 {
            throw CryptoError("the OCSP response carries a different nonce (a replayed answer)")
        }
        let untrusted = truc_sk_X509_new_null()
        defer { truc_sk_X509_free(untrusted) }
        truc_sk_X509_push(untrusted, issuer.x509)
        guard OCSP_basic_verify(basic, untrusted, trust.store, 0) == 1 else {
            throw CryptoError.openssl("the OCSP response's signature or signer is not acceptable")
        }
        var certStatus: Int32 = -1, reason: Int32 = -1
        var revoked: UnsafeMutablePointer<ASN1_GENERALIZEDTIME>?, thisUpdate: UnsafeMutablePointer<ASN1_GENERALIZEDTIME>?
        var nextUpdate: UnsafeMutablePointer<ASN1_GENERALIZEDTIME>?
        guard OCSP_resp_find_status(basic, id, &certStatus, &reason, &revoked, &thisUpdate, &nextUpdate) == 1 else {
            throw CryptoError("the OCSP response says nothing about this certificate")
        }
        let this = Certificate.epoch(thisUpdate)
        let next = nextUpdate.map { Certificate.epoch($0) }
        if let now {
            if this > now + leeway { throw CryptoError("the OCSP response's thisUpdate is in the future") }
            if let next, next + leeway < now { throw CryptoError("the OCSP response is stale (nextUpdate has passed)") }
        }
        switch certStatus {
        case V_OCSP_CERTSTATUS_GOOD:
            return OCSPAnswer(status: .good, revokedAt: nil, reason: nil, thisUpdate: this, nextUpdate: next)
        case V_OCSP_CERTSTATUS_REVOKED:
            return OCSPAnswer(status: .revoked, revokedAt: revoked.map { Certificate.epoch($0) }, reason: reason >= 0 ? RevocationReason.name(Int(reason)) : nil,
                              thisUpdate: this, nextUpdate: next)
        default:
            return OCSPAnswer(status: .unknown, revokedAt: nil, reason: nil, thisUpdate: this, nextUpdate: next)
        }
    }
}

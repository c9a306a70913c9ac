import TrucCrypto

/// Judges a signer certificate as EN 319 102-1 does, simplified: the path (chain to an anchor, validity, key
/// usage) at the verification time, revocation of every certificate of the path from the configured
/// sources, and — when a valid time-stamp proves the signature existed at an earlier time — validation at
/// that time: a certificate that expired, or was revoked, *after* the proven time does not make the
/// signature invalid (the event is reported in `notes`); revoked *before* it stays `revoked`.
struct SignerValidation {
    let trust: TrustStore
    let policy: VerificationPolicy
    let chains: ChainCache
    let revocation: any RevocationSource
    let deadline: ContinuousClock.Instant

    struct Outcome {
        var reasons: [SignatureReason] = []
        var detail: String?
        var revocation: RevocationReport?
        var notes: [String] = []
        /// The trust anchor the signer's path reached (which national root), when it reached one.
        var anchor: AnchorReport?
        /// The path and the revocation data that answered, by SHA-256, and as DER.
        var objects = ValidationObjectsReport()
        var evidence: [EvidenceObject] = []
    }

    /// - Parameter algorithms: the algorithms the signature itself uses past a sunset (its digest); the path's
    ///   certificates are added here. Judged against the algorithm policy at the proven time (else `now`).
    /// Until when a valid time-stamp's TSA certificate stays good: its expiry, or its revocation if earlier
    /// (asked from the same sources as a signer's; whatever the reason, a revoked TSA key may have stamped any
    /// time). A time-stamp proves its time only while this holds, or while a later proof covers it.
    func tsaGoodUntil(_ stamp: TimeStampToken.Checked) -> (until: Int64, why: String)? {
        guard stamp.valid, let tsa = stamp.tsa else { return nil }
        var until = (tsa.notAfter, "its certificate expired \(isoUTC(tsa.notAfter))")
        if let issuer = stamp.tsaIssuer, !tsa.isSelfSigned {
            let status = revocation.status(of: tsa, issuer: issuer, embedded: .none, trust: trust, deadline: deadline)
            if case .revoked(let at, let reason) = status.state, at < until.0 {
                until = (at, "its certificate was revoked \(isoUTC(at))" + (reason.map { " (\($0))" } ?? "") + (status.source.map { " per \($0)" } ?? ""))
            }
        }
        return until
    }

    func validate(_ signer: Certificate, untrusted: [Certificate], at now: Int64, provenAt: Int64?,
                  embedded: EmbeddedRevocation = .none, algorithms: [AlgorithmPolicy.Use] = []) -> Outcome {
        var outcome = Outcome()
        var untrusted = untrusted
        var path = chains.path(signer, untrusted: untrusted, at: now, trust: trust)
        // An intermediate the document does not carry, published at the caIssuers address of the last certificate
        // of the partial path (when the operator allows fetching it): at most 3 levels, each a candidate only.
        var fetched = 0
        while path.problems.contains(.untrusted), fetched < 3, let top = path.chain.last ?? Optional(signer) {
            let more = revocation.issuers(of: top, deadline: deadline).filter { !untrusted.contains($0) }
            guard !more.isEmpty else { break }
            untrusted += more
            fetched += 1
            path = chains.path(signer, untrusted: untrusted, at: now, trust: trust)
            if !path.problems.contains(.untrusted) {
                outcome.notes.append("the issuer certificate \(more.map(\.subject).joined(separator: ", ")) was fetched from \(top.caIssuersURLs.first ?? "its caIssuers address")")
            }
        }
        if path.problems.contains(.expired), let provenAt {
            let then = chains.path(signer, untrusted: untrusted, at: provenAt, trust: trust)
            if !then.problems.contains(.expired) {
                outcome.notes.append("the certificate expired \(isoUTC(signer.notAfter)), after the time-stamp proves the signature existed (\(isoUTC(provenAt)))")
                path = then
            }
        }
        let chain = path.chain.isEmpty ? [signer] : path.chain
        outcome.objects.chain = chain.map(\.sha256)
        outcome.evidence = chain.map { EvidenceObject(.certificate, $0.der, sha256: $0.sha256) }
        outcome.reasons = path.problems.map { SignatureReason(rawValue: $0.rawValue) }
        outcome.detail = path.detail
        let judged = policy.algorithms.judge(algorithms + AlgorithmPolicy.uses(in: path.chain.isEmpty ? [signer] : path.chain), provenAt: provenAt ?? now)
        outcome.notes += judged.notes
        if !judged.failing.isEmpty {
            outcome.reasons.append(.weakAlgorithm)
            outcome.detail = outcome.detail ?? judged.failing.joined(separator: "; ")
        }
        // Revocation is asked only for a path that reaches an anchor (no URL of an unknown CA is fetched).
        guard !path.problems.contains(.untrusted), path.chain.count >= 2 else { return outcome }
        if let top = path.chain.last {
            let sha256 = top.sha256
            let profile = policy.trustProfile.anchor(sha256)
            outcome.anchor = AnchorReport(subject: top.subject, sha256: sha256, path: path.chain.count, role: profile?.role)
            if let required = profile?.policies, !required.isEmpty, Set(required).isDisjoint(with: signer.policyOIDs) {
                outcome.reasons.append(.untrustedChain)
                outcome.detail = outcome.detail ?? "the anchor \(top.subject) (\(profile?.role ?? "")) requires a signer certificate policy of \(required.joined(separator: ", ")); the signer has \(signer.policyOIDs.isEmpty ? "none" : signer.policyOIDs.joined(separator: ", "))"
                return outcome
            }
        }

        var embedded = embedded
        embedded.provenAt = provenAt
        var unknown: [String] = []
        for index in 0..<(path.chain.count - 1) {
            let certificate = path.chain[index], issuer = path.chain[index + 1]
            if certificate.isSelfSigned { break }
            let status = revocation.status(of: certificate, issuer: issuer, embedded: embedded, trust: trust, deadline: deadline)
            let who = index == 0 ? "the signer certificate" : "the CA certificate \(certificate.subject)"
            for object in status.evidence {
                outcome.objects.revocation.append(.init(certificate: outcome.objects.chain[index], kind: object.kind.rawValue, sha256: object.sha256))
                outcome.evidence.append(object)
            }
            switch status.state {
            case .good:
                if index == 0 { outcome.revocation = RevocationReport(status: "good", source: status.source) }
            case .revoked(let at, let reason):
                if index == 0 { outcome.revocation = RevocationReport(status: "revoked", source: status.source, revokedAt: isoUTC(at), reason: reason) }
                let event = "\(who) was revoked \(isoUTC(at))" + (reason.map { " (\($0))" } ?? "") + (status.source.map { " per \($0)" } ?? "")
                    + (status.detail.map { " (\($0))" } ?? "")
                if let provenAt, at > provenAt {
                    outcome.notes.append(event + ", after the time-stamp proves the signature existed (\(isoUTC(provenAt)))")
                } else {
                    if !outcome.reasons.contains(.revoked) { outcome.reasons.insert(.revoked, at: 0) }
                    outcome.detail = event
                }
            case .unknown:
                if index == 0 { outcome.revocation = RevocationReport(status: "unknown", source: status.source) }
                unknown.append("\(who): " + (status.detail ?? "no revocation source answered"))
            case .noSource:
                if index == 0 { outcome.revocation = RevocationReport(status: "none") }
                if policy.requireRevocationData || trust.requireRevocationData {
                    unknown.append("\(who): no CRL for its issuer and no revocation pointer, while the policy requires revocation data")
                }
            }
        }
        if !unknown.isEmpty, !outcome.reasons.contains(.revoked) {
            if policy.revocationUnknown == .accept {
                outcome.notes.append("revocation could not be decided and is accepted by policy: " + unknown.joined(separator: "; "))
            } else {
                outcome.reasons.append(.revocationUnknown)
                outcome.detail = outcome.detail ?? unknown.joined(separator: "; ")
            }
        }
        return outcome
    }
}

import Foundation
package import TrucCrypto

/// Where revocation answers may come from.
package enum RevocationMode: String, Sendable, CaseIterable, Codable {
    /// OCSP from the certificate's AIA first, then CRLs (fetched from its distribution points, and the trust
    /// directory's files).
    case preferOCSP = "prefer-ocsp"
    /// CRLs only: fetched from the distribution points, and the trust directory's files.
    case crlOnly = "crl-only"
    /// The trust directory's CRL files only (nothing fetched).
    case offline
}

/// What a revocation source knows about one certificate.
package struct RevocationStatus: Sendable, Equatable {
    package enum State: Sendable, Equatable {
        case good
        case revoked(at: Int64, reason: String?)
        /// Sources exist (a CRL file for the issuer, OCSP or CRL URLs) but none gave a usable answer in time.
        case unknown
        /// Nothing to ask: no CRL for the issuer, and no revocation pointer in the certificate (or offline).
        case noSource
    }

    package var state: State
    /// Where the answer came from: `ocsp http://…`, `crl http://…`, `file <issuer>`, `embedded …`.
    package var source: String?
    /// Why there is no answer (for operators), or notes about the answer.
    package var detail: String?
    /// The data the answer was read from: the OCSP response, or the CRL (a delta and its base).
    package var evidence: [EvidenceObject]

    package init(_ state: State, source: String? = nil, detail: String? = nil, evidence: [EvidenceObject] = []) {
        self.state = state
        self.source = source
        self.detail = detail
        self.evidence = evidence
    }
}

/// A piece of validation data a verdict was made from, as DER: what the ETSI report lists (by its SHA-256) and
/// what the hub keeps beside the document.
package struct EvidenceObject: Sendable, Equatable, Hashable {
    package enum Kind: String, Sendable, Codable {
        case certificate, crl, ocsp, timestamp
    }
    package let kind: Kind
    package let der: [UInt8]
    /// SHA-256 of the DER, hex (given when the object knows it already, else computed once here).
    package let sha256: String
    package init(_ kind: Kind, _ der: [UInt8], sha256: String? = nil) {
        self.kind = kind
        self.der = der
        self.sha256 = sha256 ?? Digest.sha256(der).hexString
    }

    /// The CRLs of `evidence` (a delta and the base it is read over).
    package static func crl(_ evidence: CRLEvidence) -> [EvidenceObject] {
        [EvidenceObject(.crl, evidence.crl.der, sha256: evidence.crl.sha256)] + (evidence.base.map { [EvidenceObject(.crl, $0.der, sha256: $0.sha256)] } ?? [])
    }
}

/// Revocation data carried inside the signed document (CMS `crls`, adbe-revocationInfoArchival, PDF DSS).
/// It counts when it is current now, when it was issued after the time a time-stamp proves the signature
/// existed (`provenAt`: then it shows the certificate was not revoked at that time), or when it was the
/// current data *at* that time (thisUpdate ≤ provenAt ≤ nextUpdate: the freshness EN 319 102-1 asks of
/// revocation data at the best signature time, as the CRL's own period states it).
package struct EmbeddedRevocation: Sendable {
    package var crls: [CRL] = []
    package var ocspResponses: [[UInt8]] = []
    package var provenAt: Int64?
    package init(crls: [CRL] = [], ocspResponses: [[UInt8]] = [], provenAt: Int64? = nil) {
        self.crls = crls
        self.ocspResponses = ocspResponses
        self.provenAt = provenAt
    }
    package static let none = EmbeddedRevocation()

    /// Every answer of the embedded data about `certificate` (problems of unusable data appended). A revocation
    /// counts whatever the age of the data that shows it (a revocation is final); "good" only when current or
    /// issued after the time a time-stamp proves.
    package func answers(for certificate: Certificate, issuer: Certificate, trust: TrustStore, now: Int64, problems: inout [String]) -> [RevocationStatus] {
        var answers: [RevocationStatus] = []
        for der in ocspResponses {
            guard let answer = try? OCSPRequest.check(embedded: der, certificate: certificate, issuer: issuer, trust: trust) else { continue }
            let current = answer.thisUpdate <= now + 300 && (answer.nextUpdate ?? answer.thisUpdate + 86_400) >= now
            let afterProof = provenAt.map { proof in
                answer.thisUpdate >= proof || (answer.thisUpdate <= proof && (answer.nextUpdate.map { proof <= $0 } ?? false))
            } ?? false
            switch answer.status {
            case .revoked:
                answers.append(RevocationStatus(.revoked(at: answer.revokedAt ?? answer.thisUpdate, reason: answer.reason), source: "embedded ocsp",
                                                evidence: [EvidenceObject(.ocsp, der)]))
            case .good where current || afterProof:
                answers.append(RevocationStatus(.good, source: "embedded ocsp (\(isoUTC(answer.thisUpdate)))", evidence: [EvidenceObject(.ocsp, der)]))
            default:
                problems.append("an embedded OCSP response is neither current, nor current at the time-stamp, nor issued after it")
            }
        }
        for evidence in CRLEvidence.assemble(crls.filter { $0.names(issuer: issuer) && $0.isSigned(by: issuer) }) {
            let source = "embedded crl \(evidence.crl.issuer)\(evidence.label)"
            if let entry = evidence.revocation(of: certificate) {
                answers.append(RevocationStatus(.revoked(at: entry.revokedAt, reason: entry.reason), source: source, evidence: EvidenceObject.crl(evidence)))
            } else if let scope = evidence.scopeProblem(for: certificate) {
                problems.append("an embedded CRL of \(issuer.subject) is no evidence about this certificate: \(scope)")
            } else if evidence.isCurrent(at: now) || provenAt.map({ proof in
                evidence.thisUpdate >= proof || (evidence.thisUpdate <= proof && (evidence.nextUpdate.map { proof <= $0 } ?? false))
            }) == true {
                answers.append(RevocationStatus(.good, source: "\(source) (\(isoUTC(evidence.thisUpdate)))", evidence: EvidenceObject.crl(evidence)))
            } else {
                problems.append("an embedded CRL of \(issuer.subject) is neither current, nor current at the time-stamp, nor issued after it")
            }
        }
        return answers
    }
}

/// Answers "is this certificate revoked?" for the certificates of a validated chain (never for anything
/// that does not chain to a configured anchor). Implementations must be safe to call from many threads and
/// must return by `deadline` (a slow CA must not stall intake).
package protocol RevocationSource: Sendable {
    func status(of certificate: Certificate, issuer: Certificate, embedded: EmbeddedRevocation, trust: TrustStore,
                deadline: ContinuousClock.Instant) -> RevocationStatus
    /// Issuer certificates published at `certificate`'s caIssuers addresses, when the operator lets the hub fetch
    /// them (off by default): candidates only, a path must still reach a configured anchor.
    func issuers(of certificate: Certificate, deadline: ContinuousClock.Instant) -> [Certificate]
}

extension RevocationSource {
    package func issuers(of certificate: Certificate, deadline: ContinuousClock.Instant) -> [Certificate] { [] }
}

/// The sources that need no network: CRLs in the document, then the trust directory's CRL files. A CRL
/// counts only when the issuer's key verifies it and it is current (a stale CRL is no answer).
package struct OfflineRevocation: RevocationSource {
    package init() {}

    package func status(of certificate: Certificate, issuer: Certificate, embedded: EmbeddedRevocation, trust: TrustStore,
                        deadline: ContinuousClock.Instant) -> RevocationStatus {
        let now = Int64(Date().timeIntervalSince1970)
        var problems: [String] = []
        let answers = Self.answers(certificate, issuer: issuer, embedded: embedded, trust: trust, now: now, problems: &problems)
        if let combined = RevocationStatus.combine(answers) { return combined }
        return problems.isEmpty ? RevocationStatus(.noSource) : RevocationStatus(.unknown, detail: problems.joined(separator: "; "))
    }

    /// The answers of what needs no network: the trust directory's CRL files and the document's embedded data.
    package static func answers(_ certificate: Certificate, issuer: Certificate, embedded: EmbeddedRevocation, trust: TrustStore, now: Int64,
                                problems: inout [String]) -> [RevocationStatus] {
        answers(from: trust.crls, certificate: certificate, issuer: issuer, now: now, source: "file", problems: &problems)
            + embedded.answers(for: certificate, issuer: issuer, trust: trust, now: now, problems: &problems)
    }

    /// The answers of the correctly signed CRLs of `issuer` among `crls`: a revocation whatever the CRL's age (a
    /// revocation is final), "good" only from a current CRL; problems of the others.
    package static func answers(from crls: [CRL], certificate: Certificate, issuer: Certificate, now: Int64, source: String,
                                problems: inout [String]) -> [RevocationStatus] {
        var answers: [RevocationStatus] = []
        var signed: [CRL] = []
        for crl in crls where crl.names(issuer: issuer) {
            if crl.isSigned(by: issuer) { signed.append(crl) } else { problems.append("a CRL named for \(issuer.subject) (\(source)) is not signed by it") }
        }
        for evidence in CRLEvidence.assemble(signed) {
            let named = "\(source) \(evidence.crl.issuer)\(evidence.label)"
            if let entry = evidence.revocation(of: certificate), evidence.thisUpdate <= now + 300 {
                answers.append(RevocationStatus(.revoked(at: entry.revokedAt, reason: entry.reason), source: named, evidence: EvidenceObject.crl(evidence)))
                continue
            }
            if let next = evidence.nextUpdate, next < now {
                problems.append("the CRL\(evidence.label) of \(issuer.subject) (\(source)) is stale: its nextUpdate \(isoUTC(next)) has passed")
                continue
            }
            if evidence.thisUpdate > now + 300 {
                problems.append("the CRL\(evidence.label) of \(issuer.subject) (\(source)) is not yet valid")
                continue
            }
            if let scope = evidence.scopeProblem(for: certificate) {
                problems.append("a CRL of \(issuer.subject) (\(source)) is no evidence about this certificate: \(scope)")
                continue
            }
            answers.append(RevocationStatus(.good, source: named, evidence: EvidenceObject.crl(evidence)))
        }
        return answers
    }
}

extension RevocationStatus {
    /// Every source is evidence: a revocation in any of them wins over "good" from the others (the earliest
    /// revocation, its source named, and the sources that said good in its detail); else the first "good".
    /// Nil when no source answered.
    package static func combine(_ answers: [RevocationStatus]) -> RevocationStatus? {
        let revocations = answers.compactMap { answer -> (Int64, RevocationStatus)? in
            if case .revoked(let at, _) = answer.state { (at, answer) } else { nil }
        }
        if var revoked = revocations.min(by: { $0.0 < $1.0 })?.1 {
            let good = answers.filter { $0.state == .good }.compactMap(\.source)
            if !good.isEmpty { revoked.detail = "revoked per \(revoked.source ?? "a source"), while \(good.joined(separator: ", ")) answered good" }
            return revoked
        }
        return answers.first { $0.state == .good }
    }
}

/// What the verdict reports about revocation of the signer certificate.
package struct RevocationReport: Sendable, Codable, Equatable {
    /// `good`, `revoked`, `unknown` or `none` (nothing to ask, and the policy does not require it).
    package var status: String
    /// Where the answer came from (`ocsp http://…`, `crl http://…`, `file CN=…`, `embedded crl CN=…`).
    package var source: String?
    package var revokedAt: String?
    package var reason: String?
}

/// The RFC 3161 time-stamp of a signature, as the verdict reports it.
package struct TimestampReport: Sendable, Codable, Equatable {
    /// The time the token proves (genTime), ISO 8601 UTC.
    package var time: String
    /// The TSA certificate's subject.
    package var tsa: String?
    /// False when the token does not verify (then it proves nothing).
    package var valid: Bool
    package var detail: String?
}

/// Revocation from what the hub kept, and nothing else (no network): the CRLs and OCSP responses stored with a
/// message at receipt, the trust directory's CRL files and the document's own data, all judged at the time `at`
/// the document is re-judged (its receipt, or now). `truc revalidate` and the operator's re-validation use it.
package struct KeptRevocation: RevocationSource {
    let crls: [CRL]
    let ocspResponses: [[UInt8]]
    let at: Int64

    package init(crls: [CRL], ocspResponses: [[UInt8]], at: Int64) {
        self.crls = crls
        self.ocspResponses = ocspResponses
        self.at = at
    }

    package func status(of certificate: Certificate, issuer: Certificate, embedded: EmbeddedRevocation, trust: TrustStore,
                        deadline: ContinuousClock.Instant) -> RevocationStatus {
        var problems: [String] = []
        var answers = OfflineRevocation.answers(from: crls, certificate: certificate, issuer: issuer, now: at, source: "kept", problems: &problems)
        let withKept = EmbeddedRevocation(crls: embedded.crls, ocspResponses: embedded.ocspResponses + ocspResponses, provenAt: embedded.provenAt)
        answers += OfflineRevocation.answers(certificate, issuer: issuer, embedded: withKept, trust: trust, now: at, problems: &problems)
        if let combined = RevocationStatus.combine(answers) { return combined }
        return problems.isEmpty ? RevocationStatus(.noSource) : RevocationStatus(.unknown, detail: problems.joined(separator: "; "))
    }
}

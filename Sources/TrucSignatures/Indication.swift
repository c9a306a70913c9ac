import EdXML
import TrucVocabulary

/// A signature's result in the terms of ETSI EN 319 102-1 (the validation procedure) and TS 119 102-2 (the
/// report): the main indication, the sub-indication, the best signature time and the format and level the
/// signature reached. Derived from Truc's verdict by one table (`ETSIIndications.table`, printed in docs/signatures.md);
/// Truc's `status` and the signed-ratio buckets are unchanged by it.
package struct ETSIStatus: Sendable, Codable, Equatable {
    /// `TOTAL-PASSED`, `TOTAL-FAILED` or `INDETERMINATE`.
    package var indication: String
    /// EN 319 102-1 sub-indication (`HASH_FAILURE`, `REVOKED_NO_POE`, …); nil with TOTAL-PASSED.
    package var subIndication: String?
    /// The earliest proof that the signature existed: a time-stamp's time, else the validation time.
    package var bestSignatureTime: ProofOfExistence
    /// The format and level as reached (the naming of the EU DSS library): `PAdES-BASELINE-B|T|LT|LTA`,
    /// `PKCS7-B|T|LT|LTA` (a PDF signature with SubFilter adbe.pkcs7.detached), `XAdES-BASELINE-B|T`, `XMLDSig`.
    package var level: String?

    package init(indication: String, subIndication: String?, bestSignatureTime: ProofOfExistence, level: String?) {
        self.indication = indication
        self.subIndication = subIndication
        self.bestSignatureTime = bestSignatureTime
        self.level = level
    }
}

/// A proof of existence: when, and what proves it.
package struct ProofOfExistence: Sendable, Codable, Equatable {
    /// ISO 8601 UTC.
    package var time: String
    /// `signature-time-stamp`, `document-time-stamp` or `validation` (no earlier proof: the validation time).
    package var proof: String

    package init(time: String, proof: String) {
        self.time = time
        self.proof = proof
    }
}

package enum ETSIIndications {
    package static let totalPassed = "TOTAL-PASSED", totalFailed = "TOTAL-FAILED", indeterminate = "INDETERMINATE"

    /// One row of the mapping: Truc's reason, the condition that refines it, and the EN 319 102-1 result.
    package struct Row: Sendable {
        package let reason: String
        package let when: String
        package let indication: String
        package let subIndication: String
    }

    /// The mapping, first matching row wins (a signature with several reasons takes the earliest row of any).
    /// A valid signature is TOTAL-PASSED; `signer-not-sender` and `signer-unbound` say whose seal it is, not
    /// whether it holds, and leave it TOTAL-PASSED.
    package static let table: [Row] = [
        Row(reason: "digest-mismatch", when: "", indication: totalFailed, subIndication: "HASH_FAILURE"),
        Row(reason: "signature-mismatch", when: "", indication: totalFailed, subIndication: "SIG_CRYPTO_FAILURE"),
        Row(reason: "malformed-signature", when: "", indication: totalFailed, subIndication: "FORMAT_FAILURE"),
        Row(reason: "byte-range-incomplete", when: "", indication: totalFailed, subIndication: "FORMAT_FAILURE"),
        Row(reason: "reference-not-allowed", when: "", indication: totalFailed, subIndication: "FORMAT_FAILURE"),
        Row(reason: "revoked", when: "the signer certificate; a time-stamp proves the signature after the revocation",
            indication: totalFailed, subIndication: "REVOKED"),
        Row(reason: "revoked", when: "the signer certificate; no proof the signature existed before the revocation",
            indication: indeterminate, subIndication: "REVOKED_NO_POE"),
        Row(reason: "revoked", when: "a CA certificate of the path", indication: indeterminate, subIndication: "REVOKED_CA_NO_POE"),
        Row(reason: "expired", when: "the signer certificate is not yet valid at the best signature time",
            indication: totalFailed, subIndication: "NOT_YET_VALID"),
        Row(reason: "expired", when: "a time-stamp proves the signature after the signer certificate expired",
            indication: totalFailed, subIndication: "EXPIRED"),
        Row(reason: "expired", when: "no proof the signature existed while the path was valid", indication: indeterminate,
            subIndication: "OUT_OF_BOUNDS_NO_POE"),
        Row(reason: "untrusted-chain", when: "the signer certificate is not in the signature", indication: indeterminate,
            subIndication: "NO_SIGNING_CERTIFICATE_FOUND"),
        Row(reason: "untrusted-chain", when: "a path reaches an anchor whose required certificate policy the signer lacks",
            indication: indeterminate, subIndication: "CHAIN_CONSTRAINTS_FAILURE"),
        Row(reason: "untrusted-chain", when: "no path to a trust anchor", indication: indeterminate, subIndication: "NO_CERTIFICATE_CHAIN_FOUND"),
        Row(reason: "key-usage", when: "", indication: indeterminate, subIndication: "CHAIN_CONSTRAINTS_FAILURE"),
        Row(reason: "signing-certificate-mismatch", when: "", indication: indeterminate, subIndication: "NO_SIGNING_CERTIFICATE_FOUND"),
        Row(reason: "weak-algorithm", when: "", indication: indeterminate, subIndication: "CRYPTO_CONSTRAINTS_FAILURE_NO_POE"),
        Row(reason: "unsupported-algorithm", when: "", indication: indeterminate, subIndication: "CRYPTO_CONSTRAINTS_FAILURE"),
        Row(reason: "revocation-unknown", when: "", indication: indeterminate, subIndication: "TRY_LATER"),
    ]

    /// The EN 319 102-1 result of `verdict`, validated at `validationTime` (seconds since 1970).
    package static func judge(_ verdict: SignatureVerdict, validationTime: Int64) -> ETSIStatus {
        let best = verdict.proven ?? ProofOfExistence(time: isoUTC(validationTime), proof: "validation")
        let level = level(of: verdict)
        guard verdict.status != .valid else {
            return ETSIStatus(indication: totalPassed, subIndication: nil, bestSignatureTime: best, level: level)
        }
        let reasons = Set(verdict.reasons.map(\.rawValue))
        let row = table.indices.first { reasons.contains(table[$0].reason) && applies(table[$0], to: verdict, best: best) }
            .map { table[$0] }
        return ETSIStatus(indication: row?.indication ?? indeterminate, subIndication: row?.subIndication ?? "SIG_CONSTRAINTS_FAILURE",
                          bestSignatureTime: best, level: level)
    }

    /// Whether the condition of a row holds for `verdict` (the conditions of one reason are exclusive and
    /// exhaustive: the last row of each reason applies when the earlier ones do not).
    static func applies(_ row: Row, to verdict: SignatureVerdict, best: ProofOfExistence) -> Bool {
        let proven = verdict.proven.flatMap { CivilCalendar.parseISOUTC($0.time) }
        switch (row.reason, row.subIndication) {
        case ("revoked", "REVOKED"):
            guard verdict.revocation?.status == "revoked", let proven, let at = verdict.revocation?.revokedAt.flatMap(CivilCalendar.parseISOUTC) else { return false }
            return proven >= at
        case ("revoked", "REVOKED_NO_POE"):
            return verdict.revocation?.status == "revoked"
        case ("expired", "NOT_YET_VALID"):
            guard let notBefore = verdict.signer?.notBefore.flatMap(CivilCalendar.parseISOUTC), let time = CivilCalendar.parseISOUTC(best.time) else { return false }
            return time < notBefore
        case ("expired", "EXPIRED"):
            guard let proven, let notAfter = verdict.signer?.notAfter.flatMap(CivilCalendar.parseISOUTC) else { return false }
            return proven > notAfter
        case ("untrusted-chain", "NO_SIGNING_CERTIFICATE_FOUND"):
            return verdict.signer == nil
        case ("untrusted-chain", "CHAIN_CONSTRAINTS_FAILURE"):
            return verdict.anchor != nil
        default:
            return true
        }
    }

    /// The format and the level the signature reached: B with the signature alone, T with a time-stamp that
    /// proves its time, LT when the revocation answer came from validation data in the document, LTA when a
    /// document time-stamp covering that data proves it.
    static func level(of verdict: SignatureVerdict) -> String? {
        guard let format = verdict.format else { return nil }
        let family: String
        switch format {
        case "PAdES": family = "PAdES-BASELINE-"
        case "PKCS7": family = "PKCS7-"
        case "XAdES": family = "XAdES-BASELINE-"
        default: return format
        }
        let embedded = verdict.revocation?.source?.hasPrefix("embedded") == true
        switch verdict.proven?.proof {
        case "document-time-stamp"? where embedded: return family + "LTA"
        case _ where embedded && verdict.proven != nil: return family + "LT"
        case .some: return family + "T"
        case nil: return family + "B"
        }
    }
}


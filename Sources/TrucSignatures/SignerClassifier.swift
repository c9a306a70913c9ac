import TrucCrypto

/// Vietnamese CA practice: a personal certificate carries an identity number (`CMND:`, `CCCD:`, `HC:`),
/// an organisation certificate a tax or budget code (`MST:`, `MNS:`), in the subject's UID or
/// serialNumber. Otherwise the configured certificate-policy OIDs decide.
enum SignerClassifier {
    static let personalPrefixes = ["CMND:", "CCCD:", "HC:"]
    static let organisationPrefixes = ["MST:", "MNS:"]

    static func kind(of certificate: Certificate, policy: VerificationPolicy) -> SignerKind {
        for identifier in certificate.identifiers {
            let upper = identifier.uppercased()
            if personalPrefixes.contains(where: { upper.hasPrefix($0) }) { return .personal }
            if organisationPrefixes.contains(where: { upper.hasPrefix($0) }) { return .organisation }
        }
        for oid in certificate.policyOIDs {
            if let kind = policy.policyKinds[oid] { return kind }
        }
        return .unknown
    }

    static func describe(_ certificate: Certificate) -> SignerDescription {
        let identifier = certificate.identifiers.first { id in
            let upper = id.uppercased()
            return (personalPrefixes + organisationPrefixes).contains { upper.hasPrefix($0) }
        } ?? certificate.identifiers.first
        return SignerDescription(subject: certificate.subject, commonName: certificate.commonName, identifier: identifier,
                                 issuer: certificate.issuer, serial: certificate.serialHex)
    }
}

/// `2026-11-22T02:14:03Z`.
func isoUTC(_ epoch: Int64) -> String {
    let days = Int(epoch >= 0 ? epoch / 86_400 : (epoch - 86_399) / 86_400)
    let secs = Int(epoch) - days * 86_400
    // Civil date from days since 1970 (H. Hinnant).
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
    func p(_ n: Int, _ w: Int = 2) -> String { let s = String(n); return String(repeating: "0", count: max(0, w - s.count)) + s }
    return "\(p(y, 4))-\(p(m))-\(p(d))T\(p(secs / 3600)):\(p(secs % 3600 / 60)):\(p(secs % 60))Z"
}

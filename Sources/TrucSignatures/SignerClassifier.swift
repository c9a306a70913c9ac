import EdXML
import TrucCrypto
import TrucVocabulary

/// Vietnamese CA practice: a personal certificate carries an identity number (`CMND:`, `CCCD:`, `HC:`, `BHXH:`),
/// an organisation certificate a tax or budget code (`MST:`, `MNS:`), in the subject's UID or
/// serialNumber; an eIDAS-style `organizationIdentifier` (2.5.4.97: `VATVN-…`, `NTRVN-…`) names an
/// organisation. Otherwise the configured certificate-policy OIDs decide.
enum SignerClassifier {
    /// Identity card (CMND), citizen identity (CCCD), passport (HC), social insurance number (BHXH).
    static let personalPrefixes = ["CMND:", "CCCD:", "HC:", "BHXH:"]
    static let organisationPrefixes = ["MST:", "MNS:"]

    static func kind(of certificate: Certificate, policy: VerificationPolicy) -> SignerKind {
        for identifier in certificate.identifiers {
            let upper = identifier.uppercased()
            if personalPrefixes.contains(where: { upper.hasPrefix($0) }) { return .personal }
            if organisationPrefixes.contains(where: { upper.hasPrefix($0) }) { return .organisation }
        }
        if !certificate.organizationIdentifiers.isEmpty { return .organisation }
        for oid in certificate.policyOIDs {
            if let kind = policy.policyKinds[oid] { return kind }
        }
        return .unknown
    }

    static func describe(_ certificate: Certificate) -> SignerDescription {
        let identifier = certificate.identifiers.first { id in
            let upper = id.uppercased()
            return (personalPrefixes + organisationPrefixes).contains { upper.hasPrefix($0) }
        } ?? certificate.identifiers.first ?? certificate.organizationIdentifiers.first
        return SignerDescription(subject: certificate.subject, commonName: certificate.commonName, identifier: identifier,
                                 issuer: certificate.issuer, serial: certificate.serialHex,
                                 identifiers: certificate.identifiers + certificate.organizationIdentifiers,
                                 sha256: certificate.sha256,
                                 notBefore: isoUTC(certificate.notBefore), notAfter: isoUTC(certificate.notAfter))
    }
}

/// `2026-11-22T02:14:03Z`.
package func isoUTC(_ epoch: Int64) -> String { CivilCalendar.isoUTC(epoch) }

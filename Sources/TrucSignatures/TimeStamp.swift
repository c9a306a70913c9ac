import SwiftASN1
import TrucCrypto

/// An RFC 3161 time-stamp token (a CMS SignedData over a TSTInfo) checked against the data it stamps:
/// the message imprint is the digest of that data, the signed attributes carry the digest of the TSTInfo,
/// the TSA's signature verifies, and the TSA certificate allows time-stamping (`id-kp-timeStamping`) and
/// chains to a trust anchor at the time it states.
struct TimeStampToken {
    static let tstInfoOID = "1.2.840.113549.1.9.16.1.4"

    struct Checked {
        /// genTime, seconds since 1970 (also when the token fails: it is reported, and proves nothing).
        var time: Int64?
        var tsa: Certificate?
        /// The TSA certificate's issuer on the path that was built (to ask its revocation).
        var tsaIssuer: Certificate?
        var problem: String?
        /// The token as carried (DER), the evidence a verdict keeps.
        var token: [UInt8] = []
        var valid: Bool { problem == nil && time != nil }

        var report: TimestampReport? {
            guard let time else { return nil }
            return TimestampReport(time: isoUTC(time), tsa: tsa?.subject, valid: valid, detail: problem)
        }
    }

    /// Checks `token` (DER ContentInfo) as a time-stamp over `stamped` (for a CAdES signature time-stamp:
    /// the signature value).
    static func check(_ token: [UInt8], stamped: [UInt8], trust: TrustStore, chains: ChainCache) -> Checked {
        check(token, imprint: { algorithm in stamped.withUnsafeBytes { Digest.hash(algorithm, $0) } }, trust: trust, chains: chains)
    }

    /// Checks `token` as a time-stamp over data whose digest `imprint` computes with the token's algorithm (for
    /// a PAdES document time-stamp: the byte ranges of the file).
    static func check(_ token: [UInt8], imprint: (DigestAlgorithm) -> [UInt8], trust: TrustStore, chains: ChainCache) -> Checked {
        var result = Checked()
        result.token = token
        let cms: CMSSignedData
        do { cms = try CMSSignedData(der: token) } catch {
            result.problem = "the time-stamp token is not a CMS SignedData: \(error)"
            return result
        }
        guard cms.encapsulatedContentType == tstInfoOID, let tstInfo = cms.encapsulatedContent else {
            result.problem = "the time-stamp token does not hold a TSTInfo"
            return result
        }
        let info: (imprintAlgorithm: String, imprint: [UInt8], genTime: Int64)
        do { info = try parseTSTInfo(tstInfo) } catch {
            result.problem = "the TSTInfo cannot be read: \(error)"
            return result
        }
        result.time = info.genTime
        guard let imprintDigest = CMSAlgorithms.digest(info.imprintAlgorithm) else {
            result.problem = "the time-stamp's imprint algorithm \(info.imprintAlgorithm) is not supported"
            return result
        }
        if imprint(imprintDigest) != info.imprint {
            result.problem = "the time-stamp's imprint is not the digest of the data it claims to stamp"
            return result
        }
        let signer = cms.signer
        guard let digest = CMSAlgorithms.digest(signer.digestAlgorithm),
              let (_, signatureDigest, padding) = CMSAlgorithms.signature(signer.signatureAlgorithm, digest: digest, parameters: signer.signatureParameters) else {
            result.problem = "the time-stamp's algorithm \(signer.signatureAlgorithm) is not supported"
            return result
        }
        guard let signedAttributes = signer.signedAttributes,
              signer.messageDigest == tstInfo.withUnsafeBytes({ Digest.hash(digest, $0) }),
              signer.contentType == tstInfoOID else {
            result.problem = "the time-stamp's signed attributes do not cover its TSTInfo"
            return result
        }
        // The TSA certificate: carried in the token, or configured in the trust directory.
        let candidates = cms.certificates.compactMap { try? chains.certificate(der: $0) } + trust.intermediates + trust.anchors
        let tsa = signedAttributes.withUnsafeBytes { data in
            candidates.first { $0.publicKey?.verify(signature: signer.signature, data: data, digest: signatureDigest, padding: padding) == true }
        }
        guard let tsa else {
            result.problem = "the time-stamp's signature does not verify with any certificate it carries or the trust directory holds"
            return result
        }
        result.tsa = tsa
        guard tsa.allowsTimeStamping else {
            result.problem = "the certificate that signed the time-stamp is not a TSA certificate (no id-kp-timeStamping)"
            return result
        }
        let path = chains.path(tsa, untrusted: candidates, at: info.genTime, trust: trust, documentSigning: false)
        if path.chain.count >= 2 { result.tsaIssuer = path.chain[1] }
        if !path.isValid {
            result.problem = "the TSA certificate is not acceptable at the time it states: \(path.problems.map(\.rawValue).joined(separator: ", "))"
                + (path.detail.map { " (\($0))" } ?? "")
        }
        return result
    }

    /// TSTInfo ::= SEQUENCE { version, policy, messageImprint SEQUENCE { AlgorithmIdentifier, OCTET STRING },
    /// serialNumber, genTime GeneralizedTime, ... }
    static func parseTSTInfo(_ der: [UInt8]) throws -> (imprintAlgorithm: String, imprint: [UInt8], genTime: Int64) {
        let root = try DER.parse(der)
        let fields = try CMSSignedData.children(root)
        guard fields.count >= 5 else { throw CMSSignedData.Malformed(description: "TSTInfo is too short") }
        let imprint = try CMSSignedData.children(fields[2])
        guard imprint.count == 2, let algorithm = try CMSSignedData.children(imprint[0]).first else {
            throw CMSSignedData.Malformed(description: "a malformed messageImprint")
        }
        guard fields[4].identifier == .generalizedTime, let time = CMSSignedData.time(fields[4]) else {
            throw CMSSignedData.Malformed(description: "genTime is not a GeneralizedTime")
        }
        return (try CMSSignedData.oid(algorithm), try CMSSignedData.octets(imprint[1]), time)
    }
}

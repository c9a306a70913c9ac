import EdXML
import SwiftASN1
import TrucVocabulary

/// The parts of a CMS SignedData (RFC 5652) that verifying a PDF signature needs, read with swift-asn1.
///
/// Parsing the structure here, instead of with OpenSSL's `d2i_CMS_ContentInfo`, lets the embedded
/// certificates come from the verifier's certificate cache: OpenSSL 3.0 re-decodes every embedded
/// certificate on each parse (about 0.19 ms each, measured), and the same agencies sign document after
/// document. Every cryptographic check is still OpenSSL's (`PublicKey.verify`, `Digest`).
struct CMSSignedData {
    struct SignerInfo {
        var issuerSerial: [UInt8]?
        var digestAlgorithm: String
        /// The signed attributes re-tagged as the SET OF that the signature covers, when present.
        var signedAttributes: [UInt8]?
        var messageDigest: [UInt8]?
        var contentType: String?
        var signingTime: Int64?
        var signatureAlgorithm: String
        /// The DER parameters of the signature algorithm (RSASSA-PSS-params), when present.
        var signatureParameters: [UInt8]?
        var signature: [UInt8]
        /// The RFC 3161 token of the unsigned `id-aa-signatureTimeStampToken` attribute (a ContentInfo, DER).
        var timeStampToken: [UInt8]?
        /// Revocation data of the signed `adbe-revocationInfoArchival` attribute (CRLs and OCSP responses, DER).
        var archivedCRLs: [[UInt8]] = []
        var archivedOCSP: [[UInt8]] = []
    }

    struct Malformed: Error, CustomStringConvertible {
        let description: String
    }

    var certificates: [[UInt8]] = []
    /// RevocationInfoChoices: CRLs (DER) and OCSP responses (`id-ri-ocsp-response`) carried in the SignedData.
    var crls: [[UInt8]] = []
    var ocspResponses: [[UInt8]] = []
    var encapsulatedContentType: String
    var encapsulatedContent: [UInt8]?
    var signer: SignerInfo

    static let signedDataOID = "1.2.840.113549.1.7.2"

    init(der: [UInt8]) throws {
        let root = try BER.parse(der)
        let contentInfo = try Self.children(root)
        guard contentInfo.count >= 2, try Self.oid(contentInfo[0]) == Self.signedDataOID else {
            throw Malformed(description: "the signature is not a CMS SignedData")
        }
        let explicit = try Self.children(contentInfo[1])
        guard let signedDataNode = explicit.first else { throw Malformed(description: "empty SignedData") }
        let signedData = try Self.children(signedDataNode)
        guard signedData.count >= 4 else { throw Malformed(description: "SignedData is too short") }
        // version, digestAlgorithms, encapContentInfo, [0] certificates?, [1] crls?, signerInfos
        let encap = try Self.children(signedData[2])
        guard let typeNode = encap.first else { throw Malformed(description: "no encapsulated content type") }
        encapsulatedContentType = try Self.oid(typeNode)
        if encap.count > 1, let octets = try Self.children(encap[1]).first {
            encapsulatedContent = try Self.octets(octets)
        }
        var signerInfosNode: ASN1Node?
        for node in signedData.dropFirst(3) {
            if node.identifier.tagClass == .contextSpecific && node.identifier.tagNumber == 0 {
                certificates = try Self.children(node).filter { $0.identifier == .sequence }.map { Array($0.encodedBytes) }
            } else if node.identifier.tagClass == .contextSpecific && node.identifier.tagNumber == 1 {
                for choice in try Self.children(node) {
                    if choice.identifier == .sequence {
                        crls.append(Array(choice.encodedBytes))
                    } else if choice.identifier.tagClass == .contextSpecific && choice.identifier.tagNumber == 1 {
                        // OtherRevocationInfoFormat { otherRevInfoFormat OID, otherRevInfo }
                        let parts = try Self.children(choice)
                        if parts.count == 2, try Self.oid(parts[0]) == "1.3.6.1.5.5.7.16.2" { ocspResponses.append(Array(parts[1].encodedBytes)) }
                    }
                }
            } else if node.identifier == .set {
                signerInfosNode = node
            }
        }
        guard let signerInfosNode, let first = try Self.children(signerInfosNode).first else {
            throw Malformed(description: "the CMS has no signer")
        }
        signer = try Self.signerInfo(first)
    }

    static func signerInfo(_ node: ASN1Node) throws -> SignerInfo {
        let fields = try children(node)
        guard fields.count >= 5 else { throw Malformed(description: "SignerInfo is too short") }
        var i = 1
        let sid = fields[i]
        var issuerSerial: [UInt8]?
        if sid.identifier == .sequence, let serial = try children(sid).last, case .primitive(let bytes) = serial.content {
            issuerSerial = Array(bytes)
        }
        i += 1
        let digestAlgorithm = try oid(try children(fields[i]).first.orThrow("no digest algorithm"))
        i += 1
        var info = SignerInfo(issuerSerial: issuerSerial, digestAlgorithm: digestAlgorithm, signatureAlgorithm: "", signature: [])
        if fields[i].identifier.tagClass == .contextSpecific && fields[i].identifier.tagNumber == 0 {
            var attributes = Array(fields[i].encodedBytes)
            attributes[0] = 0x31 // [0] IMPLICIT SET OF -> SET OF, as signed (RFC 5652 5.4)
            info.signedAttributes = attributes
            for attribute in try children(fields[i]) {
                let parts = try children(attribute)
                guard parts.count == 2, let value = try children(parts[1]).first else { continue }
                switch try oid(parts[0]) {
                case "1.2.840.113549.1.9.4": info.messageDigest = try octets(value)
                case "1.2.840.113549.1.9.3": info.contentType = try oid(value)
                case "1.2.840.113549.1.9.5": info.signingTime = time(value)
                case "1.2.840.113583.1.1.8":
                    // RevocationInfoArchival ::= SEQUENCE { crl [0] EXPLICIT SEQUENCE OF CRL, ocsp [1] EXPLICIT SEQUENCE OF OCSPResponse, ... }
                    for tagged in try children(value) where tagged.identifier.tagClass == .contextSpecific {
                        guard let list = try children(tagged).first else { continue }
                        let items = try children(list).map { Array($0.encodedBytes) }
                        if tagged.identifier.tagNumber == 0 { info.archivedCRLs += items } else if tagged.identifier.tagNumber == 1 { info.archivedOCSP += items }
                    }
                default: break
                }
            }
            i += 1
        }
        guard i + 1 < fields.count else { throw Malformed(description: "SignerInfo has no signature") }
        let algorithm = try children(fields[i])
        info.signatureAlgorithm = try oid(try algorithm.first.orThrow("no signature algorithm"))
        if algorithm.count > 1, algorithm[1].identifier != .null { info.signatureParameters = Array(algorithm[1].encodedBytes) }
        info.signature = try octets(fields[i + 1])
        if i + 2 < fields.count, fields[i + 2].identifier.tagClass == .contextSpecific, fields[i + 2].identifier.tagNumber == 1 {
            for attribute in try children(fields[i + 2]) {
                let parts = try children(attribute)
                guard parts.count == 2, try oid(parts[0]) == "1.2.840.113549.1.9.16.2.14", let token = try children(parts[1]).first else { continue }
                info.timeStampToken = Array(token.encodedBytes)
            }
        }
        return info
    }

    static func children(_ node: ASN1Node) throws -> [ASN1Node] {
        guard case .constructed(let nodes) = node.content else { throw Malformed(description: "expected a constructed ASN.1 value") }
        return Array(nodes)
    }

    static func oid(_ node: ASN1Node) throws -> String {
        try ASN1ObjectIdentifier(derEncoded: node).description
    }

    static func octets(_ node: ASN1Node) throws -> [UInt8] {
        switch node.content {
        case .primitive(let bytes): return Array(bytes)
        case .constructed(let parts): return try parts.flatMap { try octets($0) } // BER constructed OCTET STRING
        }
    }

    /// UTCTime (YYMMDDHHMMSSZ) or GeneralizedTime (YYYYMMDDHHMMSSZ) to seconds since 1970.
    static func time(_ node: ASN1Node) -> Int64? {
        guard case .primitive(let bytes) = node.content else { return nil }
        let text = Array(bytes)
        let digits: [Int] = text.prefix { $0 >= 0x30 && $0 <= 0x39 }.map { Int($0 - 0x30) }
        func number(_ at: Int, _ n: Int) -> Int { digits[at..<(at + n)].reduce(0) { $0 * 10 + $1 } }
        var year: Int, rest: Int
        if node.identifier == .utcTime, digits.count >= 12 {
            year = number(0, 2)
            year += year < 50 ? 2000 : 1900
            rest = 2
        } else if node.identifier == .generalizedTime, digits.count >= 14 {
            year = number(0, 4)
            rest = 4
        } else {
            return nil
        }
        let (month, day, hour, minute, second) = (number(rest, 2), number(rest + 2, 2), number(rest + 4, 2), number(rest + 6, 2), number(rest + 8, 2))
        let days = CivilCalendar.days(year: year, month: month, day: day)
        return Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
    }
}

extension Optional {
    func orThrow(_ message: String) throws -> Wrapped {
        guard let self else { throw CMSSignedData.Malformed(description: message) }
        return self
    }
}

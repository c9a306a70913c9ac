import SwiftASN1
package import TrucCrypto

/// The client side of RFC 3161, for time-stamping the evidence log's checkpoints: the request (SHA-256 imprint,
/// a nonce, the TSA's certificate asked for) and the token out of the answer, checked before it is kept.
package enum TimeStampQuery {
    /// TimeStampReq ::= SEQUENCE { version 1, messageImprint SEQUENCE { AlgorithmIdentifier sha256, OCTET STRING },
    /// nonce INTEGER, certReq TRUE } (DER).
    package static func request(sha256 digest: [UInt8], nonce: [UInt8]) -> [UInt8] {
        precondition(digest.count == 32 && !nonce.isEmpty && nonce.count < 64)
        let algorithm: [UInt8] = [0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00]
        let imprint = tlv(0x30, algorithm + tlv(0x04, digest))
        // A positive INTEGER: a leading zero when the first byte has its high bit set.
        let nonceValue = nonce.first.map { $0 & 0x80 != 0 } == true ? [0] + nonce : nonce
        return tlv(0x30, [0x02, 0x01, 0x01] + imprint + tlv(0x02, nonceValue) + [0x01, 0x01, 0xFF])
    }

    static func tlv(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] {
        precondition(content.count < 0x10000)
        let length: [UInt8] = content.count < 0x80 ? [UInt8(content.count)]
            : content.count < 0x100 ? [0x81, UInt8(content.count)] : [0x82, UInt8(content.count >> 8), UInt8(content.count & 0xFF)]
        return [tag] + length + content
    }

    package struct Refused: Error, CustomStringConvertible {
        package let description: String
    }

    /// The TimeStampToken of a TimeStampResp whose status is granted (0) or grantedWithMods (1).
    package static func token(fromResponse der: [UInt8]) throws -> [UInt8] {
        let root: ASN1Node
        do { root = try DER.parse(der) } catch { throw Refused(description: "the TSA's answer is not DER: \(error)") }
        let fields = try CMSSignedData.children(root)
        guard let statusInfo = fields.first, let status = try CMSSignedData.children(statusInfo).first,
              case .primitive(let value) = status.content, value.count == 1 else {
            throw Refused(description: "the TSA's answer has no readable status")
        }
        guard value.first == 0 || value.first == 1 else { throw Refused(description: "the TSA refused the request (status \(value.first ?? 0))") }
        guard fields.count >= 2 else { throw Refused(description: "the TSA granted the request but sent no token") }
        return Array(fields[1].encodedBytes)
    }

    /// Checks `token` as a time-stamp of `data` (imprint, signature, a TSA certificate with id-kp-timeStamping that
    /// chains to `trust` at the stamped time): its time, or why it proves nothing.
    package static func check(_ token: [UInt8], over data: [UInt8], trust: TrustStore) -> (time: Int64?, tsa: String?, problem: String?) {
        let checked = TimeStampToken.check(token, stamped: data, trust: trust, chains: ChainCache())
        return (checked.valid ? checked.time : nil, checked.tsa?.subject, checked.problem ?? (checked.time == nil ? "no time" : nil))
    }
}

import TrucCrypto
import TrucXML

/// The XMLDSig algorithms Truc accepts, by URI. Anything else is `unsupported-algorithm`.
enum XMLDSigProfile {
    static let ds = "http://www.w3.org/2000/09/xmldsig#"
    static let envelopedSignature = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
    /// XPath Filter 2.0 (the transform's URI and the namespace of its XPath elements).
    static let xpathFilter2 = "http://www.w3.org/2002/06/xmldsig-filter2"
    static let filter2 = "http://www.w3.org/2002/06/xmldsig-filter2"

    static func canonicalization(_ uri: String, inclusivePrefixes: [String] = []) -> C14NMethod? {
        switch uri {
        case "http://www.w3.org/TR/2001/REC-xml-c14n-20010315": .inclusive(withComments: false)
        case "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments": .inclusive(withComments: true)
        case "http://www.w3.org/2006/12/xml-c14n11": .inclusive11(withComments: false)
        case "http://www.w3.org/2006/12/xml-c14n11#WithComments": .inclusive11(withComments: true)
        case "http://www.w3.org/2001/10/xml-exc-c14n#": .exclusive(withComments: false, inclusivePrefixes: inclusivePrefixes)
        case "http://www.w3.org/2001/10/xml-exc-c14n#WithComments": .exclusive(withComments: true, inclusivePrefixes: inclusivePrefixes)
        default: nil
        }
    }

    static func digest(_ uri: String) -> DigestAlgorithm? {
        switch uri {
        case "http://www.w3.org/2000/09/xmldsig#sha1": .sha1
        case "http://www.w3.org/2001/04/xmlenc#sha256": .sha256
        case "http://www.w3.org/2001/04/xmldsig-more#sha384": .sha384
        case "http://www.w3.org/2001/04/xmlenc#sha512": .sha512
        default: nil
        }
    }

    enum KeyType { case rsa, rsaPSS, ecdsa }

    /// (name, key type, digest) of a SignatureMethod.
    static func signature(_ uri: String) -> (name: String, key: KeyType, digest: DigestAlgorithm)? {
        switch uri {
        case "http://www.w3.org/2000/09/xmldsig#rsa-sha1": ("rsa-sha1", .rsa, .sha1)
        case "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256": ("rsa-sha256", .rsa, .sha256)
        case "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384": ("rsa-sha384", .rsa, .sha384)
        case "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512": ("rsa-sha512", .rsa, .sha512)
        // RFC 9231 RSASSA-PSS without parameters: MGF1 with the same hash, a salt as long as the hash.
        case "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1": ("rsa-pss-sha256", .rsaPSS, .sha256)
        case "http://www.w3.org/2007/05/xmldsig-more#sha384-rsa-MGF1": ("rsa-pss-sha384", .rsaPSS, .sha384)
        case "http://www.w3.org/2007/05/xmldsig-more#sha512-rsa-MGF1": ("rsa-pss-sha512", .rsaPSS, .sha512)
        case "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256": ("ecdsa-sha256", .ecdsa, .sha256)
        case "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384": ("ecdsa-sha384", .ecdsa, .sha384)
        case "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512": ("ecdsa-sha512", .ecdsa, .sha512)
        default: nil
        }
    }
}

/// Base64 as XMLDSig writes it (line breaks allowed).
func decodeBase64(_ text: String) -> [UInt8]? {
    var table = [Int16](repeating: -1, count: 256)
    for (i, c) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() { table[Int(c)] = Int16(i) }
    var out: [UInt8] = []
    var acc: UInt32 = 0, bits = 0, padding = 0
    for b in text.utf8 {
        if b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { continue }
        if b == UInt8(ascii: "=") { padding += 1; continue }
        let v = table[Int(b)]
        guard v >= 0, padding == 0 else { return nil }
        acc = acc << 6 | UInt32(v)
        bits += 6
        if bits >= 8 {
            bits -= 8
            out.append(UInt8(truncatingIfNeeded: acc >> UInt32(bits)))
        }
    }
    return padding <= 2 ? out : nil
}

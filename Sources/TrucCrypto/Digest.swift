import COpenSSL

/// A message-digest algorithm OpenSSL provides.
package struct DigestAlgorithm: Hashable, Sendable, CustomStringConvertible {
    package let name: String
    package let size: Int
    private init(_ name: String, _ size: Int) {
        self.name = name
        self.size = size
    }

    package static let sha1 = DigestAlgorithm("SHA1", 20)
    package static let sha256 = DigestAlgorithm("SHA256", 32)
    package static let sha384 = DigestAlgorithm("SHA384", 48)
    package static let sha512 = DigestAlgorithm("SHA512", 64)

    package var description: String { name }

    /// The EVP_MD, fetched once per algorithm (OpenSSL 3 lookups are not free).
    var md: OpaquePointer {
        switch name {
        case "SHA1": FetchedDigests.shared.sha1
        case "SHA384": FetchedDigests.shared.sha384
        case "SHA512": FetchedDigests.shared.sha512
        default: FetchedDigests.shared.sha256
        }
    }
}

/// Pre-fetched EVP_MD objects. They are immutable after the fetch and OpenSSL allows them to be used
/// from any thread, hence `@unchecked Sendable`.
private final class FetchedDigests: @unchecked Sendable {
    static let shared = FetchedDigests()
    let sha1: OpaquePointer, sha256: OpaquePointer, sha384: OpaquePointer, sha512: OpaquePointer
    private init() {
        sha1 = EVP_MD_fetch(nil, "SHA1", nil)!
        sha256 = EVP_MD_fetch(nil, "SHA256", nil)!
        sha384 = EVP_MD_fetch(nil, "SHA384", nil)!
        sha512 = EVP_MD_fetch(nil, "SHA512", nil)!
    }
}

/// An incremental digest. Owns its EVP_MD_CTX; not shared between tasks.
package final class Digest {
    private let ctx: OpaquePointer
    package let algorithm: DigestAlgorithm

    package init(_ algorithm: DigestAlgorithm) {
        self.algorithm = algorithm
        ctx = EVP_MD_CTX_new()!
        EVP_DigestInit_ex2(ctx, algorithm.md, nil)
    }

    deinit { EVP_MD_CTX_free(ctx) }

    package func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        EVP_DigestUpdate(ctx, base, bytes.count)
    }

    package func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { update($0) } }

    /// The digest value; the object can be used again afterwards (it restarts).
    package func finalize() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        EVP_DigestFinal_ex(ctx, &out, &length)
        EVP_DigestInit_ex2(ctx, algorithm.md, nil)
        return Array(out.prefix(Int(length)))
    }

    /// One-shot digest.
    package static func hash(_ algorithm: DigestAlgorithm, _ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        let d = Digest(algorithm)
        d.update(bytes)
        return d.finalize()
    }

    package static func sha256(_ bytes: [UInt8]) -> [UInt8] { bytes.withUnsafeBytes { hash(.sha256, $0) } }
}

extension Array where Element == UInt8 {
    /// The bytes of hexadecimal text (either case, an even number of digits); nil for anything else.
    package init?(hex text: String) {
        let chars = Array<UInt8>(text.utf8)
        guard chars.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 2)
        var i = 0
        while i < chars.count {
            guard let hi = nibble(chars[i]), let lo = nibble(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        self = out
    }

    /// Lowercase hexadecimal.
    package var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(count * 2)
        for b in self {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

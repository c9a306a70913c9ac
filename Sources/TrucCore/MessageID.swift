import Foundation

/// The hub's message ids: UUIDs of version 7 (RFC 9562), a millisecond timestamp then random bits, in the
/// usual lowercase text form. Ids made later sort later, so the store's indexes keyed by message id grow at
/// their end instead of touching a random page per message (measured: far fewer pages written per commit).
package enum MessageID {
    /// A new id for `milliseconds` since 1970 (the current time by default).
    package static func make(milliseconds: UInt64 = UInt64(max(0, clockMilliseconds())),
                             using generator: inout some RandomNumberGenerator) -> String {
        var bytes = [UInt8](repeating: 0, count: 16)
        for i in 0..<6 { bytes[i] = UInt8(truncatingIfNeeded: milliseconds >> (40 - 8 * UInt64(i))) }
        let random = (generator.next() as UInt64, generator.next() as UInt64)
        for i in 6..<16 {
            let word = i < 14 ? random.0 : random.1
            bytes[i] = UInt8(truncatingIfNeeded: word >> (8 * UInt64(i % 8)))
        }
        bytes[6] = 0x70 | (bytes[6] & 0x0F)  // version 7
        bytes[8] = 0x80 | (bytes[8] & 0x3F)  // variant 10
        let hex = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(36)
        for (i, byte) in bytes.enumerated() {
            if i == 4 || i == 6 || i == 8 || i == 10 { text.append(UInt8(ascii: "-")) }
            text.append(hex[Int(byte >> 4)])
            text.append(hex[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    package static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        return make(using: &generator)
    }

    static func clockMilliseconds() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}

/// Base64 (RFC 4648 standard alphabet) decoding that streams over chunks, tolerates line breaks and other
/// white space anywhere (senders wrap at 64 or 76 columns, or not at all), and reports the first bad byte.
///
/// Written here rather than taken from a library because the payload arrives as slices of the source
/// bytes (see `XMLDocument.parse(detachTextOf:)`): decoding them where they lie, into one output buffer,
/// is what keeps a 20 MB message near one copy in memory. Foundation's decoder needs the text joined first.
package struct Base64Decoder {
    package struct Failure: Error, Equatable {
        package let message: String
    }

    private static let invalid: UInt8 = 0xFF
    private static let space: UInt8 = 0xFE
    private static let padding: UInt8 = 0xFD

    private static let table: [UInt8] = {
        var t = [UInt8](repeating: invalid, count: 256)
        for (i, c) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() { t[Int(c)] = UInt8(i) }
        for c in [0x20, 0x09, 0x0A, 0x0D] { t[c] = space }
        t[Int(UInt8(ascii: "="))] = padding
        return t
    }()

    private var quad: UInt32 = 0
    private var quadCount = 0
    private var paddingSeen = 0
    /// A padded group closed the data: only white space may follow.
    private var ended = false
    private var consumed = 0
    package private(set) var failure: Failure?

    package init() {}

    /// Upper bound of the decoded size of `encodedLength` bytes of text.
    package static func maxDecodedLength(_ encodedLength: Int) -> Int { (encodedLength / 4 + 1) * 3 }

    /// Decodes `chunk`, writing to `out` (which must have room: see `maxDecodedLength`). Returns the number
    /// of bytes written. After a failure, further input is ignored.
    package mutating func feed(_ chunk: UnsafeRawBufferPointer, into out: UnsafeMutablePointer<UInt8>) -> Int {
        guard failure == nil, let input = chunk.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return 0 }
        let n = chunk.count
        var written = 0
        var i = 0
        Base64Decoder.table.withUnsafeBufferPointer { table in
            while i < n {
                // Fast path: four alphabet characters in a row, on a quad boundary.
                if quadCount == 0 && !ended {
                    while i + 4 <= n {
                        let a = table[Int(input[i])], b = table[Int(input[i + 1])], c = table[Int(input[i + 2])], d = table[Int(input[i + 3])]
                        if (a | b | c | d) & 0xC0 != 0 { break }
                        let v = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                        out[written] = UInt8(truncatingIfNeeded: v >> 16)
                        out[written + 1] = UInt8(truncatingIfNeeded: v >> 8)
                        out[written + 2] = UInt8(truncatingIfNeeded: v)
                        written += 3
                        i += 4
                    }
                    if i >= n { break }
                }
                // Slow path: one character at a time (white space, padding, chunk boundaries).
                let byte = input[i]
                let value = table[Int(byte)]
                if value == Base64Decoder.space {
                    i += 1
                    continue
                }
                if value == Base64Decoder.invalid {
                    failure = Failure(message: "byte 0x\(String(byte, radix: 16)) at offset \(consumed + i) is not base64")
                    return
                }
                if ended {
                    failure = Failure(message: "data after the final padding at offset \(consumed + i)")
                    return
                }
                if value == Base64Decoder.padding {
                    if quadCount < 2 {
                        failure = Failure(message: "misplaced padding '=' at offset \(consumed + i)")
                        return
                    }
                    paddingSeen += 1
                    quadCount += 1
                    if quadCount == 4 { written += flushPadded(into: out + written) }
                    i += 1
                    continue
                }
                if paddingSeen > 0 {
                    failure = Failure(message: "data after padding at offset \(consumed + i)")
                    return
                }
                quad = quad << 6 | UInt32(value)
                quadCount += 1
                if quadCount == 4 {
                    out[written] = UInt8(truncatingIfNeeded: quad >> 16)
                    out[written + 1] = UInt8(truncatingIfNeeded: quad >> 8)
                    out[written + 2] = UInt8(truncatingIfNeeded: quad)
                    written += 3
                    quad = 0
                    quadCount = 0
                }
                i += 1
            }
        }
        consumed += n
        return written
    }

    /// Padding completes a quad: `xx==` gives one byte, `xxx=` two.
    private mutating func flushPadded(into out: UnsafeMutablePointer<UInt8>) -> Int {
        let data = 4 - paddingSeen
        let bits = quad << UInt32(6 * paddingSeen)
        var n = 0
        if data >= 2 { out[0] = UInt8(truncatingIfNeeded: bits >> 16); n = 1 }
        if data >= 3 { out[1] = UInt8(truncatingIfNeeded: bits >> 8); n = 2 }
        quad = 0
        quadCount = 0
        if paddingSeen > 0 { ended = true }
        paddingSeen = 0
        return n
    }

    /// Ends the input. Unpadded final groups of 2 or 3 characters are accepted; a lone character is not.
    package mutating func finish(into out: UnsafeMutablePointer<UInt8>) -> Int {
        guard failure == nil else { return 0 }
        if paddingSeen > 0 {
            failure = Failure(message: "incomplete padding at the end")
            return 0
        }
        switch quadCount {
        case 0: return 0
        case 1:
            failure = Failure(message: "a single base64 character is left over at the end")
            return 0
        default:
            paddingSeen = 4 - quadCount
            return flushPadded(into: out)
        }
    }
}

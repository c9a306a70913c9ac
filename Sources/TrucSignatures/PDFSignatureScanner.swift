import SwiftASN1
import TrucCrypto
#if canImport(Glibc)
import Glibc
#endif

/// One signature dictionary found in a PDF: its byte range and the CMS bytes in the range's hole.
struct PDFSignatureField {
    let byteRange: [Int]
    let contents: [UInt8]?
    let subFilter: String?
    /// Why the range cannot be trusted, if it cannot.
    var rangeProblem: String?

    var signedEnd: Int { byteRange.count == 4 ? byteRange[2] + byteRange[3] : 0 }
}

/// Finds and checks the signatures of a PDF without a full PDF parser: every `/ByteRange [a b c d]`, with
/// bounds checks on everything read from the file. A range must start at 0, leave exactly one hole that
/// holds the hex `/Contents`, and end at the end of a revision (`%%EOF`). The newest revision must be
/// covered: bytes after the end of the last signed revision make every signature `byte-range-incomplete`.
enum PDFSignatureScanner {
    static func scan(_ pdf: [UInt8], limit: Int) -> [PDFSignatureField] {
        pdf.withUnsafeBufferPointer { scan($0, limit: limit) }
    }

    static func scan(_ p: UnsafeBufferPointer<UInt8>, limit: Int) -> [PDFSignatureField] {
        var fields: [PDFSignatureField] = []
        var dictionaries = 0
        let needle = byteRangeNeedle
        var i = 0
        // One pass: every `/ByteRange` (a signature field) and every `/Type /Sig` (a signature dictionary).
        while i + 1 < p.count {
            // memchr to the next '/', far faster than a byte loop over binary streams
            guard let found = memchr(p.baseAddress! + i, 0x2F, p.count - i) else { break }
            i = UnsafeRawPointer(found).assumingMemoryBound(to: UInt8.self) - p.baseAddress!
            if let (isSignature, next) = signatureType(p, at: i) {
                if isSignature { dictionaries += 1 }
                i = next
                continue
            }
            guard fields.count < limit, matches(p, at: i, needle) else { i += 1; continue }
            i += needle.count
            guard let (range, after) = parseIntArray(p, at: i), range.count == 4 else {
                // A signature whose range cannot be read cannot be checked: a broken signature, never "unsigned".
                fields.append(PDFSignatureField(byteRange: [], contents: nil, subFilter: subFilter(p, around: i),
                                                rangeProblem: "the /ByteRange of a signature cannot be read"))
                continue
            }
            fields.append(field(range: range, subFilter: subFilter(p, around: i), in: p))
            i = after
        }
        // A signature dictionary (/Type /Sig) whose /ByteRange was removed is a broken signature too.
        if dictionaries > fields.count, fields.count < limit {
            fields.append(PDFSignatureField(byteRange: [], contents: nil, subFilter: nil,
                                            rangeProblem: "a signature dictionary (/Type /Sig) has no /ByteRange"))
        }
        return fields
    }

    /// A signature field from its `/ByteRange` values, checked against the file: the hole must be exactly a hex
    /// string of DER, and the signed range must end a revision.
    static func field(range: [Int], subFilter: String?, in p: UnsafeBufferPointer<UInt8>) -> PDFSignatureField {
        var field = PDFSignatureField(byteRange: range, contents: nil, subFilter: subFilter)
        let (a, b, c, d) = (range[0], range[1], range[2], range[3])
        if a != 0 || b <= 0 || c <= b || d < 0 || c + d > p.count {
            field.rangeProblem = "the byte range [\(a) \(b) \(c) \(d)] does not start at 0, overlaps, or runs past the file"
        } else if p[b] != UInt8(ascii: "<") || p[c - 1] != UInt8(ascii: ">") {
            field.rangeProblem = "the hole of the byte range is not exactly the /Contents string"
        } else if let der = hexDER(p, from: b + 1, to: c - 1) {
            field = PDFSignatureField(byteRange: range, contents: der, subFilter: subFilter)
            if !endsRevision(p, at: c + d) {
                field.rangeProblem = "the signed range does not end at the end of a revision (%%EOF)"
            }
        } else {
            field.rangeProblem = "/Contents is not hex-encoded DER"
        }
        return field
    }

    static let byteRangeNeedle = Array("/ByteRange".utf8)
    static let subFilterNeedle = Array("/SubFilter".utf8)
    static let typeNeedle = Array("/Type".utf8)
    static let sigNeedle = Array("/Sig".utf8)

    /// At a `/Type` key: whether its value is the name `/Sig` (not `/SigFieldLock` …), and where the value
    /// starts. Nil when no `/Type` is at `i`.
    static func signatureType(_ p: UnsafeBufferPointer<UInt8>, at i: Int) -> (isSignature: Bool, next: Int)? {
        guard matches(p, at: i, typeNeedle) else { return nil }
        var j = i + typeNeedle.count
        while j < p.count, PDFParser.isWhite(p[j]) { j += 1 }
        guard matches(p, at: j, sigNeedle) else { return (false, j) }
        let end = j + sigNeedle.count
        // the name ends there: a delimiter or white space follows
        return (end >= p.count || PDFParser.isWhite(p[end]) || PDFParser.isDelimiter(p[end]), j)
    }

    /// The name after a `/SubFilter` key at `i` (nil when the value is not a name).
    static func subFilterName(_ p: UnsafeBufferPointer<UInt8>, at i: Int) -> String? {
        var j = i + subFilterNeedle.count
        while j < p.count, p[j] == 0x20 || p[j] == 0x0A || p[j] == 0x0D { j += 1 }
        guard j < p.count, p[j] == UInt8(ascii: "/") else { return nil }
        var k = j + 1
        while k < p.count, k - j < 64, !(p[k] == 0x20 || p[k] == 0x2F || p[k] == 0x3E || p[k] == 0x0A || p[k] == 0x0D) { k += 1 }
        return String(decoding: p[(j + 1)..<k], as: UTF8.self)
    }

    static func matches(_ p: UnsafeBufferPointer<UInt8>, at i: Int, _ needle: [UInt8]) -> Bool {
        guard i + needle.count <= p.count else { return false }
        for k in 0..<needle.count where p[i + k] != needle[k] { return false }
        return true
    }

    /// True when the bytes after `end` (the end of the last signed revision) are only line ends.
    static func coversNewestRevision(_ pdf: UnsafeBufferPointer<UInt8>, signedEnd: Int) -> Bool {
        guard signedEnd >= 0, signedEnd <= pdf.count else { return false }
        return pdf[signedEnd...].allSatisfy { $0 == 0x0A || $0 == 0x0D || $0 == 0x20 || $0 == 0x00 }
    }

    static func endsRevision(_ p: UnsafeBufferPointer<UInt8>, at end: Int) -> Bool {
        var e = end
        var eol = 0
        while e > 0, p[e - 1] == 0x0A || p[e - 1] == 0x0D, eol < 2 { e -= 1; eol += 1 }
        let eof = Array("%%EOF".utf8)
        return e >= eof.count && Array(p[(e - eof.count)..<e]) == eof
    }

    static func parseIntArray(_ p: UnsafeBufferPointer<UInt8>, at start: Int) -> ([Int], Int)? {
        var i = start
        func skipSpace() { while i < p.count, p[i] == 0x20 || p[i] == 0x0A || p[i] == 0x0D || p[i] == 0x09 { i += 1 } }
        skipSpace()
        guard i < p.count, p[i] == UInt8(ascii: "[") else { return nil }
        i += 1
        var values: [Int] = []
        while values.count < 8 {
            skipSpace()
            guard i < p.count else { return nil }
            if p[i] == UInt8(ascii: "]") { return (values, i + 1) }
            var v = 0, digits = 0
            while i < p.count, p[i] >= 0x30, p[i] <= 0x39, digits < 12 {
                v = v * 10 + Int(p[i] - 0x30)
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            values.append(v)
        }
        return nil
    }

    /// `/SubFilter /name` within the signature dictionary (searched a little around the range).
    static func subFilter(_ p: UnsafeBufferPointer<UInt8>, around at: Int) -> String? {
        let needle = subFilterNeedle
        let lower = max(0, at - 2048), upper = min(p.count - needle.count, at + 2048)
        guard lower < upper else { return nil }
        var i = lower
        while i < upper {
            if p[i] == needle[0], matches(p, at: i, needle) { return subFilterName(p, at: i) }
            i += 1
        }
        return nil
    }

    /// Hex (PDF pads with zeros) to the DER object it holds, cut at the DER length.
    /// Hex digit values; 0xFE white space, 0xFF anything else.
    static let hexValues: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for c in 0x30...0x39 { table[c] = UInt8(c - 0x30) }
        for c in 0x41...0x46 { table[c] = UInt8(c - 0x41 + 10) }
        for c in 0x61...0x66 { table[c] = UInt8(c - 0x61 + 10) }
        for c in [0x20, 0x0A, 0x0D, 0x09] { table[c] = 0xFE }
        return table
    }()

    static func hexDER(_ p: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> [UInt8]? {
        guard from >= 0, to > from, to <= p.count, (to - from) <= 4 << 20 else { return nil }
        var valid = true
        var bytes = [UInt8](unsafeUninitializedCapacity: (to - from) / 2 + 1) { out, count in
            count = 0
            hexValues.withUnsafeBufferPointer { table in
                var high: UInt8 = 0, haveHigh = false
                for i in from..<to {
                    let v = table[Int(p[i])]
                    if v < 16 {
                        if haveHigh { out[count] = high << 4 | v; count += 1; haveHigh = false } else { high = v; haveHigh = true }
                    } else if v == 0xFF {
                        valid = false
                        return
                    }
                }
            }
        }
        guard valid else { return nil }
        // DER: SEQUENCE with a definite length.
        guard bytes.count >= 2, bytes[0] == 0x30 else { return nil }
        var length = Int(bytes[1]), header = 2
        if bytes[1] & 0x80 != 0 {
            let n = Int(bytes[1] & 0x7F)
            guard n >= 1, n <= 4, bytes.count >= 2 + n else { return nil }
            length = bytes[2..<(2 + n)].reduce(0) { $0 << 8 | Int($1) }
            header = 2 + n
        }
        guard header + length <= bytes.count else { return nil }
        bytes.removeLast(bytes.count - header - length)
        return bytes
    }
}

/// Verifies every signature of one PDF, read one way whatever its size (held in memory, or a large file
/// inflated from its ZIP into a mapped scratch file).

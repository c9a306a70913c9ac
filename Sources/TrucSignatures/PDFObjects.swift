#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

import TrucZlib

/// A PDF object value (ISO 32000-1 §7.3), as far as long-term validation needs it. Strings and names keep
/// their raw bytes (two objects are compared as they are written, after tokenising).
indirect enum PDFValue: Equatable {
    case null
    case bool(Bool)
    case number(String)
    case name(String)
    case string([UInt8])
    case array([PDFValue])
    case dictionary([String: PDFValue])
    case reference(Int, Int)

    var dictionary: [String: PDFValue]? { if case .dictionary(let d) = self { d } else { nil } }
    var array: [PDFValue]? { if case .array(let a) = self { a } else { nil } }
    var name: String? { if case .name(let n) = self { n } else { nil } }
    var integer: Int? { if case .number(let n) = self { Int(n) } else { nil } }
    var reference: Int? { if case .reference(let n, _) = self { n } else { nil } }
}

/// One indirect object: its value and, for a stream, where its raw (still encoded) data lies in the file.
struct PDFObject {
    var number: Int
    var generation: Int = 0
    var value: PDFValue
    var stream: Range<Int>?
    /// Where the object ends in the file (after `endobj`).
    var end: Int
}

/// Why a PDF cannot be read. `tooComplex`: the file declares more work than one document may cost
/// (objects, sections, inflated bytes, time) — refused as too complex rather than judged.
struct PDFSyntaxError: Error, CustomStringConvertible {
    let description: String
    var tooComplex = false
    init(_ description: String) { self.description = description }
    static func tooComplex(_ description: String) -> PDFSyntaxError {
        var error = PDFSyntaxError(description)
        error.tooComplex = true
        return error
    }
}

/// Arithmetic on numbers a file declares: nil instead of a trap when the result does not fit.
enum Checked {
    static func add(_ a: Int, _ b: Int) -> Int? {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? nil : sum
    }

    static func multiply(_ a: Int, _ b: Int) -> Int? {
        let (product, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? nil : product
    }

    /// `start..<start + count` when both are non-negative and the end fits and is at most `limit`.
    static func range(_ start: Int, count: Int, within limit: Int) -> Range<Int>? {
        guard start >= 0, count >= 0, let end = add(start, count), end <= limit else { return nil }
        return start..<end
    }
}

/// A bounds-checked PDF tokenizer and object parser over a byte buffer. Nothing here trusts a length or an
/// offset read from the file: every read is checked, nesting and sizes are limited, so hostile input ends in
/// `PDFSyntaxError`, never a trap or an endless loop.
struct PDFParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var position: Int
    static let maxDepth = 32
    static let maxItems = 100_000

    /// A position outside the buffer (an offset a file declares) reads as the end of the file.
    init(_ bytes: UnsafeBufferPointer<UInt8>, at position: Int) {
        self.bytes = bytes
        self.position = position >= 0 && position <= bytes.count ? position : bytes.count
    }

    static func isWhite(_ c: UInt8) -> Bool { c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 || c == 0x0C || c == 0x00 }
    /// `( ) < > [ ] { } / %` (a switch: this runs for every byte of every token).
    static func isDelimiter(_ c: UInt8) -> Bool {
        switch c {
        case 0x28, 0x29, 0x3C, 0x3E, 0x5B, 0x5D, 0x7B, 0x7D, 0x2F, 0x25: true
        default: false
        }
    }

    mutating func skipWhite() {
        while position < bytes.count {
            let c = bytes[position]
            if Self.isWhite(c) {
                position += 1
            } else if c == UInt8(ascii: "%") {
                while position < bytes.count, bytes[position] != 0x0A, bytes[position] != 0x0D { position += 1 }
            } else {
                return
            }
        }
    }

    /// A regular token (number or keyword) at the position, without consuming it when `peek`.
    mutating func word(peek: Bool = false) -> String? {
        skipWhite()
        var end = position
        while end < bytes.count, !Self.isWhite(bytes[end]), !Self.isDelimiter(bytes[end]), end - position < 64 { end += 1 }
        guard end > position else { return nil }
        let text = String(decoding: bytes[position..<end], as: UTF8.self)
        if !peek { position = end }
        return text
    }

    /// An unsigned integer token (nil, and the position unchanged, when the next token is not one that fits).
    mutating func unsignedInteger() -> Int? {
        skipWhite()
        var i = position, value = 0
        while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 {
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times.addingReportingOverflow(Int(bytes[i] - 0x30))
            guard !o1, !o2 else { return nil }
            value = sum
            i += 1
        }
        guard i > position, i == bytes.count || Self.isWhite(bytes[i]) || Self.isDelimiter(bytes[i]) else { return nil }
        position = i
        return value
    }

    /// Whether the next token is the one-byte keyword `byte` (after white space; not consumed but for the space).
    mutating func isKeyword(_ byte: UInt8) -> Bool {
        skipWhite()
        guard position < bytes.count, bytes[position] == byte else { return false }
        return position + 1 == bytes.count || Self.isWhite(bytes[position + 1]) || Self.isDelimiter(bytes[position + 1])
    }

    mutating func expect(_ keyword: String) throws {
        guard word() == keyword else { throw PDFSyntaxError("expected '\(keyword)' at \(position)") }
    }

    static func isNumber(_ s: String) -> Bool {
        var digits = 0
        for (i, c) in s.utf8.enumerated() {
            if c >= 0x30, c <= 0x39 { digits += 1 } else if (c == 0x2B || c == 0x2D) && i == 0 { continue } else if c == 0x2E { continue } else { return false }
        }
        return digits > 0
    }

    mutating func value(depth: Int = 0) throws -> PDFValue {
        guard depth < Self.maxDepth else { throw PDFSyntaxError("objects nested too deeply") }
        skipWhite()
        guard position < bytes.count else { throw PDFSyntaxError("the file ends inside an object") }
        let c = bytes[position]
        switch c {
        case UInt8(ascii: "/"):
            position += 1
            var end = position
            while end < bytes.count, !Self.isWhite(bytes[end]), !Self.isDelimiter(bytes[end]), end - position < 256 { end += 1 }
            defer { position = end }
            return .name(String(decoding: bytes[position..<end], as: UTF8.self))
        case UInt8(ascii: "<"):
            if position + 1 < bytes.count, bytes[position + 1] == UInt8(ascii: "<") {
                position += 2
                var dictionary: [String: PDFValue] = [:]
                while true {
                    skipWhite()
                    guard position + 1 < bytes.count else { throw PDFSyntaxError("an unterminated dictionary") }
                    if bytes[position] == UInt8(ascii: ">"), bytes[position + 1] == UInt8(ascii: ">") { position += 2; return .dictionary(dictionary) }
                    guard case .name(let key) = try value(depth: depth + 1) else { throw PDFSyntaxError("a dictionary key that is not a name") }
                    dictionary[key] = try value(depth: depth + 1)
                    guard dictionary.count < Self.maxItems else { throw PDFSyntaxError("a dictionary too large") }
                }
            }
            position += 1
            // memchr to the closing '>' (a signature's /Contents is tens of kilobytes of hex); kept as written
            guard position < bytes.count, let base = bytes.baseAddress,
                  let found = memchr(base + position, Int32(UInt8(ascii: ">")), bytes.count - position) else {
                throw PDFSyntaxError("an unterminated hex string")
            }
            let end = UnsafeRawPointer(found).assumingMemoryBound(to: UInt8.self) - base
            defer { position = end + 1 }
            return .string(Array(bytes[position..<end]))
        case UInt8(ascii: "("):
            var level = 0, end = position
            repeat {
                guard end < bytes.count else { throw PDFSyntaxError("an unterminated string") }
                switch bytes[end] {
                case UInt8(ascii: "\\"): end += 1
                case UInt8(ascii: "("): level += 1
                case UInt8(ascii: ")"): level -= 1
                default: break
                }
                end += 1
            } while level > 0
            defer { position = end }
            return .string(Array(bytes[(position + 1)..<(end - 1)]))
        case UInt8(ascii: "["):
            position += 1
            var items: [PDFValue] = []
            while true {
                skipWhite()
                guard position < bytes.count else { throw PDFSyntaxError("an unterminated array") }
                if bytes[position] == UInt8(ascii: "]") { position += 1; return .array(items) }
                items.append(try value(depth: depth + 1))
                guard items.count < Self.maxItems else { throw PDFSyntaxError("an array too large") }
            }
        default:
            // `n g R` read without building strings (most values of a page tree are references)
            let start = position
            if let number = unsignedInteger(), let generation = unsignedInteger(), isKeyword(0x52) {
                position += 1
                return .reference(number, generation)
            }
            position = start
            guard let token = word() else { throw PDFSyntaxError("an unexpected byte at \(position)") }
            switch token {
            case "true": return .bool(true)
            case "false": return .bool(false)
            case "null": return .null
            default:
                guard Self.isNumber(token) else { throw PDFSyntaxError("an unexpected keyword '\(token)'") }
                // `n g R`: look ahead without consuming unless it is a reference
                let saved = position
                if let number = Int(token), number >= 0, let generation = word().flatMap({ Int($0) }), generation >= 0, word() == "R" {
                    return .reference(number, generation)
                }
                position = saved
                return .number(token)
            }
        }
    }

    /// `n g obj <value> [stream … endstream] endobj` at the position. A stream's extent comes from its
    /// direct `/Length` when that ends at `endstream`, else from the first `endstream` after the data.
    mutating func indirectObject() throws -> PDFObject {
        guard let number = word().flatMap({ Int($0) }), number >= 0, let generation = word().flatMap({ Int($0) }), generation >= 0 else {
            throw PDFSyntaxError("expected an object number at \(position)")
        }
        try expect("obj")
        let value = try value()
        var stream: Range<Int>?
        if value.dictionary != nil, word(peek: true) == "stream" {
            _ = word()
            if position < bytes.count, bytes[position] == 0x0D { position += 1 }
            if position < bytes.count, bytes[position] == 0x0A { position += 1 }
            let start = position
            if let length = value.dictionary?["Length"]?.integer, let range = Checked.range(start, count: length, within: bytes.count),
               let after = Self.keyword("endstream", in: bytes, near: range.upperBound) {
                stream = range
                position = after
            } else {
                guard let at = Self.find(Array("endstream".utf8), in: bytes, from: start) else { throw PDFSyntaxError("a stream without endstream") }
                var end = at
                if end > start, bytes[end - 1] == 0x0A { end -= 1 }
                if end > start, bytes[end - 1] == 0x0D { end -= 1 }
                stream = start..<end
                position = at + 9
            }
        }
        try expect("endobj")
        return PDFObject(number: number, generation: generation, value: value, stream: stream, end: position)
    }

    /// The position after `keyword` when it follows `at` after white space only.
    static func keyword(_ keyword: String, in bytes: UnsafeBufferPointer<UInt8>, near at: Int) -> Int? {
        guard at >= 0 else { return nil }
        var i = at
        while i < bytes.count, isWhite(bytes[i]) { i += 1 }
        let k = Array(keyword.utf8)
        guard i + k.count <= bytes.count, Array(bytes[i..<(i + k.count)]) == k else { return nil }
        return i + k.count
    }

    static func find(_ needle: [UInt8], in bytes: UnsafeBufferPointer<UInt8>, from: Int, to: Int? = nil) -> Int? {
        let end = min(to ?? bytes.count, bytes.count)
        guard from >= 0, end - from >= needle.count, let base = bytes.baseAddress else { return nil }
        // memchr to each candidate first byte (memmem is not exported by the Glibc module)
        var i = from
        while i + needle.count <= end {
            guard let hit = memchr(base + i, Int32(needle[0]), end - needle.count + 1 - i) else { return nil }
            i = UnsafeRawPointer(hit).assumingMemoryBound(to: UInt8.self) - base
            var k = 1
            while k < needle.count, bytes[i + k] == needle[k] { k += 1 }
            if k == needle.count { return i }
            i += 1
        }
        return nil
    }

    /// The last occurrence of `needle` that starts before `before`.
    static func findLast(_ needle: [UInt8], in bytes: UnsafeBufferPointer<UInt8>, before: Int) -> Int? {
        guard !needle.isEmpty else { return nil }
        var i = min(before, bytes.count - needle.count)
        while i >= 0 {
            if bytes[i] == needle[0], Array(bytes[i..<(i + needle.count)]) == needle { return i }
            i -= 1
        }
        return nil
    }
}


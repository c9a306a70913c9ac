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
    var value: PDFValue
    var stream: Range<Int>?
    /// Where the object ends in the file (after `endobj`).
    var end: Int
}

struct PDFSyntaxError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A bounds-checked PDF tokenizer and object parser over a byte buffer. Nothing here trusts a length or an
/// offset read from the file: every read is checked, nesting and sizes are limited, so hostile input ends in
/// `PDFSyntaxError`, never a trap or an endless loop.
struct PDFParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var position: Int
    static let maxDepth = 32
    static let maxItems = 100_000

    init(_ bytes: UnsafeBufferPointer<UInt8>, at position: Int) {
        self.bytes = bytes
        self.position = position
    }

    static func isWhite(_ c: UInt8) -> Bool { c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 || c == 0x0C || c == 0x00 }
    static func isDelimiter(_ c: UInt8) -> Bool { "()<>[]{}/%".utf8.contains(c) }

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
            var end = position
            while end < bytes.count, bytes[end] != UInt8(ascii: ">") { end += 1 }
            guard end < bytes.count else { throw PDFSyntaxError("an unterminated hex string") }
            defer { position = end + 1 }
            return .string(Array(bytes[position..<end]).filter { !Self.isWhite($0) })
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
        guard let number = word().flatMap({ Int($0) }), number >= 0, word().flatMap({ Int($0) }) != nil else {
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
            if let length = value.dictionary?["Length"]?.integer, length >= 0, start + length <= bytes.count,
               Self.keyword("endstream", in: bytes, near: start + length) != nil {
                stream = start..<(start + length)
                position = Self.keyword("endstream", in: bytes, near: start + length)!
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
        return PDFObject(number: number, value: value, stream: stream, end: position)
    }

    /// The position after `keyword` when it follows `at` after white space only.
    static func keyword(_ keyword: String, in bytes: UnsafeBufferPointer<UInt8>, near at: Int) -> Int? {
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
        var i = min(before, bytes.count - needle.count)
        while i >= 0 {
            if bytes[i] == needle[0], Array(bytes[i..<(i + needle.count)]) == needle { return i }
            i -= 1
        }
        return nil
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The objects of one revision of a PDF, found through its cross-reference data (tables or streams, following
/// `/Prev`), including objects compressed in object streams. Limits: 64 revisions, 4 million objects,
/// 16 MiB per decoded stream.
struct PDFRevision {
    let bytes: UnsafeBufferPointer<UInt8>
    /// The newest trailer (for an xref stream, its dictionary).
    private(set) var trailer: [String: PDFValue] = [:]
    /// Object number → offset in the file, or (object stream number, index).
    private(set) var offsets: [Int: Int] = [:]
    private(set) var compressed: [Int: (stream: Int, index: Int)] = [:]
    static let maxStream = 16 << 20

    /// The revision whose `startxref` is the last one before `end`.
    init(_ bytes: UnsafeBufferPointer<UInt8>, endingAt end: Int) throws {
        self.bytes = bytes
        guard let at = PDFParser.findLast(Array("startxref".utf8), in: bytes, before: end) else { throw PDFSyntaxError("no startxref") }
        var parser = PDFParser(bytes, at: at + 9)
        guard var next = parser.word().flatMap({ Int($0) }) else { throw PDFSyntaxError("startxref has no offset") }
        var seen: Set<Int> = []
        var first = true
        while seen.count < 64, next >= 0, next < bytes.count, seen.insert(next).inserted {
            let dictionary = try section(at: next)
            if first { trailer = dictionary; first = false }
            guard let previous = dictionary["Prev"]?.integer else { break }
            next = previous
        }
    }

    /// Reads one cross-reference section (table or stream) and returns its trailer dictionary. Entries already
    /// known (from a newer section) win.
    private mutating func section(at offset: Int) throws -> [String: PDFValue] {
        var parser = PDFParser(bytes, at: offset)
        if parser.word(peek: true) == "xref" {
            _ = parser.word()
            while let token = parser.word(peek: true), token != "trailer" {
                _ = parser.word()
                guard let start = Int(token), let count = parser.word().flatMap({ Int($0) }),
                      start >= 0, count >= 0, count <= 4_000_000 else { throw PDFSyntaxError("a malformed xref subsection") }
                for i in 0..<count {
                    guard let field = parser.word().flatMap({ Int($0) }), parser.word() != nil, let kind = parser.word() else {
                        throw PDFSyntaxError("a truncated xref table")
                    }
                    if kind == "n", offsets[start + i] == nil, compressed[start + i] == nil { offsets[start + i] = field }
                }
            }
            try parser.expect("trailer")
            guard let dictionary = try parser.value().dictionary else { throw PDFSyntaxError("the trailer is not a dictionary") }
            return dictionary
        }
        let object = try parser.indirectObject()
        guard let dictionary = object.value.dictionary, dictionary["Type"]?.name == "XRef", let widths = dictionary["W"]?.array?.compactMap(\.integer),
              widths.count == 3, widths.allSatisfy({ $0 >= 0 && $0 <= 8 }), let size = dictionary["Size"]?.integer else {
            throw PDFSyntaxError("startxref points at neither an xref table nor an xref stream")
        }
        let data = try streamData(object)
        var index = dictionary["Index"]?.array?.compactMap(\.integer) ?? [0, size]
        if index.count % 2 != 0 { index.removeLast() }
        let row = widths.reduce(0, +)
        guard row > 0 else { throw PDFSyntaxError("an xref stream with empty rows") }
        var at = 0
        for pair in stride(from: 0, to: index.count, by: 2) {
            let (start, count) = (index[pair], index[pair + 1])
            guard start >= 0, count >= 0, count <= 4_000_000 else { throw PDFSyntaxError("a malformed xref stream index") }
            for i in 0..<count {
                guard at + row <= data.count else { throw PDFSyntaxError("a truncated xref stream") }
                func field(_ n: Int, from: Int) -> Int { data[from..<(from + widths[n])].reduce(0) { $0 << 8 | Int($1) } }
                let type = widths[0] == 0 ? 1 : field(0, from: at)
                let second = field(1, from: at + widths[0]), third = field(2, from: at + widths[0] + widths[1])
                let number = start + i
                if offsets[number] == nil, compressed[number] == nil {
                    if type == 1 { offsets[number] = second } else if type == 2 { compressed[number] = (second, third) }
                }
                at += row
            }
        }
        return dictionary
    }

    /// Whether the revision defines object `number`.
    func defines(_ number: Int) -> Bool { offsets[number] != nil || compressed[number] != nil }

    /// The numbers of the object streams this revision uses.
    var objectStreams: Set<Int> { Set(compressed.values.map(\.stream)) }

    func object(_ number: Int) throws -> PDFObject {
        if let offset = offsets[number] {
            var parser = PDFParser(bytes, at: offset)
            let object = try parser.indirectObject()
            guard object.number == number else { throw PDFSyntaxError("the xref entry of object \(number) points at object \(object.number)") }
            return object
        }
        guard let (streamNumber, index) = compressed[number], offsets[streamNumber] != nil else {
            throw PDFSyntaxError("object \(number) is not defined")
        }
        let container = try object(streamNumber)
        let data = try streamData(container)
        guard let n = container.value.dictionary?["N"]?.integer, let first = container.value.dictionary?["First"]?.integer,
              index >= 0, index < n, first >= 0, first <= data.count else { throw PDFSyntaxError("a malformed object stream") }
        return try data.withUnsafeBufferPointer { buffer in
            var header = PDFParser(buffer, at: 0)
            var found: Int?
            for i in 0...index {
                guard let objectNumber = header.word().flatMap({ Int($0) }), let offset = header.word().flatMap({ Int($0) }) else {
                    throw PDFSyntaxError("a truncated object stream header")
                }
                if i == index, objectNumber == number { found = offset }
            }
            guard let found, first + found < buffer.count else { throw PDFSyntaxError("object \(number) is not where its object stream says") }
            var parser = PDFParser(buffer, at: first + found)
            return PDFObject(number: number, value: try parser.value(), stream: nil, end: 0)
        }
    }

    /// A value with references followed (one level).
    func resolve(_ value: PDFValue?) throws -> PDFValue? {
        guard let value else { return nil }
        if case .reference(let n, _) = value { return try object(n).value }
        return value
    }

    /// The decoded data of a stream object: no filter, or FlateDecode (with the PNG predictors of xref streams).
    func streamData(_ object: PDFObject) throws -> [UInt8] {
        guard let range = object.stream, let dictionary = object.value.dictionary else { throw PDFSyntaxError("object \(object.number) is not a stream") }
        guard range.count <= Self.maxStream else { throw PDFSyntaxError("a stream larger than \(Self.maxStream) bytes") }
        let raw = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[range])
        let filters = dictionary["Filter"].map { $0.array ?? [$0] } ?? []
        switch filters.compactMap(\.name) {
        case []: return Array(raw)
        case ["FlateDecode"]:
            var data: [UInt8]
            do { data = try Zlib.inflate(raw, limit: Self.maxStream) } catch { throw PDFSyntaxError("a FlateDecode stream that does not inflate: \(error)") }
            let parameters = (dictionary["DecodeParms"].map { $0.array?.first ?? $0 })?.dictionary
            if let predictor = parameters?["Predictor"]?.integer, predictor >= 10 {
                data = try Self.unpredict(data, columns: parameters?["Columns"]?.integer ?? 1)
            } else if let predictor = parameters?["Predictor"]?.integer, predictor > 1 {
                throw PDFSyntaxError("TIFF predictor \(predictor) is not supported")
            }
            return data
        case let other: throw PDFSyntaxError("stream filter \(other) is not supported")
        }
    }

    /// PNG predictors (RFC 2083 §6): each row starts with its filter type.
    static func unpredict(_ data: [UInt8], columns: Int) throws -> [UInt8] {
        guard columns > 0, columns <= 1 << 16 else { throw PDFSyntaxError("a malformed predictor /Columns") }
        var output: [UInt8] = []
        output.reserveCapacity(data.count)
        var previous = [UInt8](repeating: 0, count: columns)
        var at = 0
        while at + columns + 1 <= data.count {
            let type = data[at]
            var row = Array(data[(at + 1)...(at + columns)])
            for i in 0..<columns {
                let left = i > 0 ? Int(row[i - 1]) : 0, up = Int(previous[i]), upLeft = i > 0 ? Int(previous[i - 1]) : 0
                let add: Int
                switch type {
                case 0: add = 0
                case 1: add = left
                case 2: add = up
                case 3: add = (left + up) / 2
                case 4:
                    let p = left + up - upLeft
                    let (pa, pb, pc) = (abs(p - left), abs(p - up), abs(p - upLeft))
                    add = pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft
                default: throw PDFSyntaxError("PNG predictor type \(type)")
                }
                row[i] = UInt8(truncatingIfNeeded: Int(row[i]) + add)
            }
            output += row
            previous = row
            at += columns + 1
        }
        return output
    }
}

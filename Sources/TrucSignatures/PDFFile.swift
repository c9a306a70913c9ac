import TrucConcurrency
import TrucZlib
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a cross-reference entry puts an object.
enum PDFXrefEntry: Hashable {
    case offset(Int, generation: Int)
    case compressed(stream: Int, index: Int)
    /// A free entry: the object number is unused from this revision on (older entries do not count).
    case free
}

/// One cross-reference section (a table with its trailer, or an xref stream), read once per file.
struct PDFXrefSection {
    var entries: [Int: PDFXrefEntry] = [:]
    var trailer: [String: PDFValue] = [:]
}

/// A PDF file held in memory (or mapped): its cross-reference sections and decoded object streams, read at
/// most once each and shared by every revision compared. Every offset, count and length the file declares is
/// checked before use, and the work is charged to `budget` where it is done.
final class PDFFile {
    let bytes: UnsafeBufferPointer<UInt8>
    let budget: PDFBudget
    private var sections: [Int: PDFXrefSection] = [:]
    /// Objects read at an offset (each parsed once, whichever revision or role asks).
    private var objects: [PDFXrefEntry: PDFObject] = [:]
    /// Decoded object streams by their container's location: the data and where each object starts.
    private var objectStreams: [PDFXrefEntry: (data: [UInt8], first: Int, offsets: [(number: Int, offset: Int)])] = [:]
    /// Object streams that could not be read, and why: asked again (a DSS naming hundreds of objects in one broken
    /// container), the answer is the same error, not another inflation.
    private var brokenObjectStreams: [PDFXrefEntry: PDFSyntaxError] = [:]

    init(_ bytes: UnsafeBufferPointer<UInt8>, budget: PDFBudget = PDFBudget()) {
        self.bytes = bytes
        self.budget = budget
    }

    /// The revision whose `startxref` is the last one before `end`.
    func revision(endingAt end: Int) throws -> PDFRevision {
        guard let at = PDFParser.findLast(Array("startxref".utf8), in: bytes, before: end) else { throw PDFSyntaxError("no startxref") }
        var parser = PDFParser(bytes, at: at + 9)
        guard var next = parser.word().flatMap({ Int($0) }) else { throw PDFSyntaxError("startxref has no offset") }
        var chain: [Int] = []
        var seen: Set<Int> = []
        while next >= 0, next < bytes.count, seen.insert(next).inserted {
            guard chain.count < 64 else { throw PDFSyntaxError.tooComplex("more than 64 revisions") }
            let section = try section(at: next)
            chain.append(next)
            // a hybrid file's table names the xref stream that holds its compressed objects
            if let hidden = section.trailer["XRefStm"]?.integer, hidden >= 0, hidden < bytes.count, seen.insert(hidden).inserted {
                _ = try self.section(at: hidden)
                chain.append(hidden)
            }
            guard let previous = section.trailer["Prev"]?.integer else { break }
            next = previous
        }
        guard let newest = chain.first else { throw PDFSyntaxError("startxref points outside the file") }
        return PDFRevision(file: self, chain: chain, trailer: sections[newest]?.trailer ?? [:])
    }

    func section(_ offset: Int) -> PDFXrefSection? { sections[offset] }

    private func section(at offset: Int) throws -> PDFXrefSection {
        if let known = sections[offset] { return known }
        guard sections.count < budget.limits.maxSections else {
            throw PDFSyntaxError.tooComplex("more than \(budget.limits.maxSections) cross-reference sections")
        }
        var parser = PDFParser(bytes, at: offset)
        let section = parser.word(peek: true) == "xref" ? try table(&parser) : try stream(&parser)
        sections[offset] = section
        return section
    }

    /// A classic cross-reference table and its trailer.
    private func table(_ parser: inout PDFParser) throws -> PDFXrefSection {
        var section = PDFXrefSection()
        _ = parser.word()
        while let token = parser.word(peek: true), token != "trailer" {
            _ = parser.word()
            guard let start = Int(token), let count = parser.word().flatMap({ Int($0) }), start >= 0, count >= 0,
                  Checked.add(start, count) != nil else { throw PDFSyntaxError("a malformed xref subsection") }
            // each entry takes at least 18 bytes: a count the rest of the file cannot hold is a lie
            guard count <= (bytes.count - parser.position) / 18 + 1 else { throw PDFSyntaxError("an xref subsection longer than the file") }
            try budget.spendEntries(count)
            section.entries.reserveCapacity(section.entries.count + count)
            for i in 0..<count {
                guard let field = parser.unsignedInteger(), let generation = parser.unsignedInteger() else {
                    throw PDFSyntaxError("a truncated xref table")
                }
                let number = start + i
                let inUse = parser.isKeyword(UInt8(ascii: "n"))
                guard inUse || parser.isKeyword(UInt8(ascii: "f")) else { throw PDFSyntaxError("an xref entry that is neither n nor f") }
                parser.position += 1
                guard section.entries[number] == nil else { continue }
                section.entries[number] = inUse ? .offset(field, generation: generation) : .free
            }
        }
        try parser.expect("trailer")
        guard let dictionary = try parser.value().dictionary else { throw PDFSyntaxError("the trailer is not a dictionary") }
        section.trailer = dictionary
        return section
    }

    /// A cross-reference stream (PDF 1.5).
    private func stream(_ parser: inout PDFParser) throws -> PDFXrefSection {
        let object = try parser.indirectObject()
        try budget.spendObject()
        guard let dictionary = object.value.dictionary, dictionary["Type"]?.name == "XRef", let widths = dictionary["W"]?.array?.compactMap(\.integer),
              widths.count == 3, widths.allSatisfy({ $0 >= 0 && $0 <= 8 }), let size = dictionary["Size"]?.integer, size >= 0 else {
            throw PDFSyntaxError("startxref points at neither an xref table nor an xref stream")
        }
        let data = try streamData(object)
        var index = dictionary["Index"]?.array?.map { $0.integer ?? -1 } ?? [0, size]
        if index.count % 2 != 0 { index.removeLast() }
        let row = widths.reduce(0, +)
        guard row > 0 else { throw PDFSyntaxError("an xref stream with empty rows") }
        var section = PDFXrefSection(trailer: dictionary)
        var at = 0
        for pair in stride(from: 0, to: index.count, by: 2) {
            let (start, count) = (index[pair], index[pair + 1])
            guard start >= 0, count >= 0, Checked.add(start, count) != nil else { throw PDFSyntaxError("a malformed xref stream index") }
            // the rows must be in the data: a declared count the stream does not hold is refused before any work
            guard count <= (data.count - at) / row else { throw PDFSyntaxError("a truncated xref stream") }
            try budget.spendEntries(count)
            for i in 0..<count {
                func field(_ n: Int, from: Int) -> Int { data[from..<(from + widths[n])].reduce(0) { $0 << 8 | Int($1) } }
                let type = widths[0] == 0 ? 1 : field(0, from: at)
                let second = field(1, from: at + widths[0]), third = field(2, from: at + widths[0] + widths[1])
                let number = start + i
                if section.entries[number] == nil {
                    switch type {
                    case 0: section.entries[number] = .free
                    case 1: section.entries[number] = .offset(second, generation: widths[2] == 0 ? 0 : third)
                    case 2: section.entries[number] = .compressed(stream: second, index: third)
                    default: break // reserved types are ignored (ISO 32000-1 §7.5.8.3): the number stays undefined here
                    }
                }
                at += row
            }
        }
        return section
    }

    /// The object an entry locates, checked to be object `number` (of `generation` for an offset entry).
    func object(_ number: Int, at entry: PDFXrefEntry, resolving revision: PDFRevision) throws -> PDFObject {
        // only objects at an offset: a compressed entry names its container by number, which a later
        // revision may redefine (the decoded containers are cached by their own offset instead)
        guard case .offset = entry else { return try read(number, at: entry, resolving: revision) }
        if let known = objects[entry], known.number == number { return known }
        let object = try read(number, at: entry, resolving: revision)
        objects[entry] = object
        return object
    }

    /// Remembers an object read where `entry` puts it (the reader of the bytes after a signature reads them in order).
    func remember(_ object: PDFObject, at entry: PDFXrefEntry) {
        if objects[entry] == nil { objects[entry] = object }
    }

    private func read(_ number: Int, at entry: PDFXrefEntry, resolving revision: PDFRevision) throws -> PDFObject {
        try budget.spendObject()
        switch entry {
        case .free:
            throw PDFSyntaxError("object \(number) is free")
        case .offset(let offset, let generation):
            guard offset >= 0, offset < bytes.count else { throw PDFSyntaxError("the xref entry of object \(number) points outside the file") }
            var parser = PDFParser(bytes, at: offset)
            let object = try parser.indirectObject()
            guard object.number == number, object.generation == generation else {
                throw PDFSyntaxError("the xref entry of object \(number) \(generation) points at object \(object.number) \(object.generation)")
            }
            return object
        case .compressed(let streamNumber, let index):
            guard streamNumber != number, let containerEntry = revision.entry(streamNumber), case .offset = containerEntry else {
                throw PDFSyntaxError("object \(number) is in object stream \(streamNumber), which is not an uncompressed object")
            }
            let stream = try objectStream(streamNumber, at: containerEntry, revision: revision)
            guard index >= 0, index < stream.offsets.count, stream.offsets[index].number == number,
                  let start = Checked.add(stream.first, stream.offsets[index].offset), start < stream.data.count else {
                throw PDFSyntaxError("object \(number) is not where object stream \(streamNumber) says")
            }
            return try stream.data.withUnsafeBufferPointer { buffer in
                var parser = PDFParser(buffer, at: start)
                return PDFObject(number: number, value: try parser.value(), stream: nil, end: 0)
            }
        }
    }

    /// An object stream, decoded and its header read once per file (by where its container lies).
    private func objectStream(_ number: Int, at entry: PDFXrefEntry, revision: PDFRevision) throws -> (data: [UInt8], first: Int, offsets: [(number: Int, offset: Int)]) {
        if let known = objectStreams[entry] { return known }
        if let broken = brokenObjectStreams[entry] { throw broken }
        do {
            let decoded = try readObjectStream(number, at: entry, revision: revision)
            objectStreams[entry] = decoded
            return decoded
        } catch let error as PDFSyntaxError where !error.tooComplex {
            brokenObjectStreams[entry] = error
            throw error
        }
    }

    private func readObjectStream(_ number: Int, at entry: PDFXrefEntry, revision: PDFRevision) throws -> (data: [UInt8], first: Int, offsets: [(number: Int, offset: Int)]) {
        let container = try object(number, at: entry, resolving: revision)
        let data = try streamData(container)
        guard let n = container.value.dictionary?["N"]?.integer, let first = container.value.dictionary?["First"]?.integer,
              n >= 0, n <= data.count / 2, first >= 0, first <= data.count else { throw PDFSyntaxError("a malformed object stream") }
        var offsets: [(number: Int, offset: Int)] = []
        offsets.reserveCapacity(n)
        try data.withUnsafeBufferPointer { buffer in
            var header = PDFParser(buffer, at: 0)
            for _ in 0..<n {
                guard let objectNumber = header.word().flatMap({ Int($0) }), let offset = header.word().flatMap({ Int($0) }),
                      objectNumber >= 0, offset >= 0 else { throw PDFSyntaxError("a truncated object stream header") }
                offsets.append((objectNumber, offset))
            }
        }
        return (data, first, offsets)
    }

    /// The raw (still encoded) bytes of a stream object.
    func rawStream(_ object: PDFObject) -> UnsafeBufferPointer<UInt8>? {
        guard let range = object.stream, range.lowerBound >= 0, range.upperBound <= bytes.count else { return nil }
        return UnsafeBufferPointer(rebasing: bytes[range])
    }

    /// The decoded data of a stream object: no filter, or FlateDecode (with the PNG predictors of xref streams).
    func streamData(_ object: PDFObject) throws -> [UInt8] {
        guard let raw = rawStream(object), let dictionary = object.value.dictionary else { throw PDFSyntaxError("object \(object.number) is not a stream") }
        let maxStream = budget.limits.maxStream
        guard raw.count <= maxStream else { throw PDFSyntaxError.tooComplex("a stream larger than \(maxStream >> 20) MiB") }
        let filters = dictionary["Filter"].map { $0.array ?? [$0] } ?? []
        switch filters.compactMap(\.name) {
        case []:
            try budget.spendInflated(raw.count)
            return Array(raw)
        case ["FlateDecode"]:
            // Charged chunk by chunk as it is inflated: a stream that ends corrupt or too large costs what it cost
            // (a DSS naming hundreds of such streams inflated gigabytes uncharged). Nothing once the budget is gone.
            try budget.requireInflationRoom()
            var data: [UInt8]
            do {
                data = try Zlib.inflate(UnsafeRawBufferPointer(raw), limit: maxStream, spend: budget.spendInflated)
            } catch let error as PDFSyntaxError {
                throw error
            } catch {
                throw PDFSyntaxError("a FlateDecode stream that does not inflate: \(error)")
            }
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

/// One revision of a PDF: the cross-reference sections its `startxref` reaches through `/Prev`, newest first.
/// An object number resolves through the newest section that has an entry for it (a free entry included).
struct PDFRevision {
    let file: PDFFile
    let chain: [Int]
    /// The newest trailer (for an xref stream, its dictionary).
    let trailer: [String: PDFValue]

    /// The entry of object `number` in this revision (nil: never defined).
    func entry(_ number: Int) -> PDFXrefEntry? {
        for offset in chain {
            if let entry = file.section(offset)?.entries[number] { return entry }
        }
        return nil
    }

    /// Whether the revision defines object `number` (in use, any generation).
    func defines(_ number: Int) -> Bool {
        if let entry = entry(number), entry != .free { return true }
        return false
    }

    /// The object `number generation R` names in this revision; nil when the revision does not define that
    /// object with that generation (the reference then means null, ISO 32000-1 §7.3.10).
    func object(_ number: Int, generation: Int) throws -> PDFObject? {
        guard let entry = entry(number) else { return nil }
        switch entry {
        case .free: return nil
        case .offset(_, let g) where g != generation: return nil
        case .compressed where generation != 0: return nil
        default: return try file.object(number, at: entry, resolving: self)
        }
    }

    /// Object `number` whatever its generation (for the trailer's and the catalog's own references).
    func object(_ number: Int) throws -> PDFObject {
        guard let entry = entry(number), entry != .free else { throw PDFSyntaxError("object \(number) is not defined") }
        return try file.object(number, at: entry, resolving: self)
    }

    /// A value with a reference followed (one level); nil for null.
    func resolve(_ value: PDFValue?) throws -> PDFValue? {
        guard let value else { return nil }
        if case .reference(let n, let g) = value { return try object(n, generation: g)?.value }
        return value
    }

    func streamData(_ object: PDFObject) throws -> [UInt8] { try file.streamData(object) }
}

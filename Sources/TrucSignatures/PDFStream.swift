import TrucCrypto
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A PDF too large to hold next to its ZIP container, read in passes front to back — every pass inflates it
/// again, none keeps it: (1) find the signature fields, (2) capture their `/Contents` and the bytes the
/// range checks look at, (3) digest the byte ranges with the algorithms their CMS names. The fields and the
/// checks are `PDFSignatureScanner`'s, so a file gets the same verdict streamed or in memory.
///
/// What needs random access is not decided here — bytes after the last signature (only validation data?),
/// a DSS, object streams after a signature, a document time-stamp, a signature without signed attributes:
/// `read` returns nil and the caller verifies the file in memory.
struct StreamedPDF: PDFEvidence {
    /// One pass: streams the file from its first byte to `body`, until `body` returns false or the file ends.
    typealias Pass = (_ body: (UnsafeRawBufferPointer) -> Bool) throws -> Void

    let fields: [PDFSignatureField]
    /// Offset of the last byte that is not white space (-1: none).
    let lastContent: Int
    private let digests: [Int: [DigestAlgorithm: [UInt8]]]

    func digest(_ index: Int, _ algorithm: DigestAlgorithm) -> [UInt8] { digests[index]?[algorithm] ?? [] }
    func joinedRanges(_ index: Int) -> [UInt8]? { nil }
    func covers(end: Int) -> Bool { lastContent < end }
    func unsignedChange(after end: Int) -> String? { "the update after the last signature cannot be read from a streamed file" }
    var validationData: PDFValidationData { PDFValidationData() }

    private init(fields: [PDFSignatureField], lastContent: Int, digests: [Int: [DigestAlgorithm: [UInt8]]]) {
        self.fields = fields
        self.lastContent = lastContent
        self.digests = digests
    }

    /// The evidence of a PDF of `count` bytes, or nil when the file needs random access (or a pass fails).
    static func read(count: Int, limit: Int, pass: Pass) -> StreamedPDF? {
        guard let scan = try? Scan.run(count: count, limit: limit, pass: pass), !scan.sawDSS else { return nil }
        // pass 2: what the range checks look at, per field
        var captures = Captures()
        for candidate in scan.ranges {
            guard let r = candidate.range else { continue }
            let (a, b, c, d) = (r[0], r[1], r[2], r[3])
            guard a == 0, b > 0, c > b, d >= 0, c + d <= count else { continue }
            captures.want(b..<(b + 1))
            captures.want((c - 1)..<c)
            if c - 1 - (b + 1) <= 4 << 20 { captures.want((b + 1)..<(c - 1)) }
            captures.want(max(0, c + d - 8)..<(c + d))
        }
        do { try captures.run(pass) } catch { return nil }
        var fields: [PDFSignatureField] = []
        for candidate in scan.ranges {
            guard let r = candidate.range else {
                fields.append(PDFSignatureField(byteRange: [], contents: nil, subFilter: candidate.subFilter,
                                                rangeProblem: "the /ByteRange of a signature cannot be read"))
                continue
            }
            fields.append(PDFSignatureScanner.field(
                range: r, subFilter: candidate.subFilter, count: count,
                hole: { b, c in (captures[b..<(b + 1)]?.first ?? 0, captures[(c - 1)..<c]?.first ?? 0) },
                hex: { from, to in captures[from..<to].flatMap { hex in hex.withUnsafeBufferPointer { PDFSignatureScanner.hexDER($0, from: 0, to: $0.count) } } },
                endsRevision: { end in
                    guard let tail = captures[max(0, end - 8)..<end] else { return false }
                    return tail.withUnsafeBufferPointer { PDFSignatureScanner.endsRevision($0, at: $0.count) }
                }))
        }
        if scan.signatureDictionaries > fields.count, fields.count < limit {
            fields.append(PDFSignatureField(byteRange: [], contents: nil, subFilter: nil,
                                            rangeProblem: "a signature dictionary (/Type /Sig) has no /ByteRange"))
        }
        // Forms that need the whole file: a document time-stamp, bytes after the last signed revision, object
        // streams written after a signature (where a catalog naming a DSS could hide).
        if fields.contains(where: { $0.subFilter == PDFVerifier.documentTimeStamp }) { return nil }
        if let first = fields.filter({ $0.rangeProblem == nil }).map(\.signedEnd).min(), scan.lastObjectStream >= first { return nil }
        let newest = fields.filter { $0.rangeProblem == nil }.map(\.signedEnd).max() ?? 0
        if scan.lastContent >= newest { return nil }

        // pass 3: the digests each field's CMS asks for
        var wanted: [Int: Set<DigestAlgorithm>] = [:]
        for (index, field) in fields.enumerated() {
            guard field.rangeProblem == nil, let der = field.contents, let cms = try? CMSSignedData(der: der) else { continue }
            if let encapsulated = cms.encapsulatedContent, !encapsulated.isEmpty {
                wanted[index] = [.sha1]
            } else if cms.signer.signedAttributes == nil {
                return nil // the signature is over the ranges themselves: verified in memory
            } else if let algorithm = CMSAlgorithms.digest(cms.signer.digestAlgorithm) {
                wanted[index] = [algorithm]
            }
        }
        var running: [(index: Int, ranges: [Range<Int>], digests: [(DigestAlgorithm, Digest)])] = wanted.map { index, algorithms in
            let r = fields[index].byteRange
            return (index, [r[0]..<(r[0] + r[1]), r[2]..<(r[2] + r[3])], algorithms.map { ($0, Digest($0)) })
        }
        let end = running.flatMap(\.ranges).map(\.upperBound).max() ?? 0
        if end > 0 {
            var offset = 0
            do {
                try pass { chunk in
                    let here = offset..<(offset + chunk.count)
                    for item in running.indices {
                        for range in running[item].ranges where range.overlaps(here) {
                            let lower = max(range.lowerBound, here.lowerBound) - offset, upper = min(range.upperBound, here.upperBound) - offset
                            let part = UnsafeRawBufferPointer(rebasing: chunk[lower..<upper])
                            for (_, digest) in running[item].digests { digest.update(part) }
                        }
                    }
                    offset += chunk.count
                    return offset < end
                }
            } catch {
                return nil
            }
            guard offset >= end else { return nil }
        }
        var digests: [Int: [DigestAlgorithm: [UInt8]]] = [:]
        for item in running.indices {
            for (algorithm, digest) in running[item].digests { digests[running[item].index, default: [:]][algorithm] = digest.finalize() }
        }
        running.removeAll()
        return StreamedPDF(fields: fields, lastContent: scan.lastContent, digests: digests)
    }

    /// Pass 1: the `/ByteRange`s (with the `/SubFilter` nearest each, as the in-memory scanner picks it),
    /// signature dictionaries, whether a DSS is named, and the last byte that is not white space.
    struct Scan {
        var ranges: [(range: [Int]?, subFilter: String?)] = []
        var signatureDictionaries = 0
        var sawDSS = false
        /// Where the last `/ObjStm` is named (-1: nowhere): a compressed update may hold a catalog naming a DSS.
        var lastObjectStream = -1
        var lastContent = -1

        static let lookahead = 256
        static let dssNeedle = Array("/DSS".utf8)
        static let objectStreamNeedle = Array("/ObjStm".utf8)

        static func run(count: Int, limit: Int, pass: Pass) throws -> Scan {
            var scan = Scan()
            var positions: [Int] = []
            var subFilters: [(position: Int, name: String)] = []
            var window: [UInt8] = []
            var base = 0
            var seen = 0
            func examine(final: Bool) {
                let stop = window.withUnsafeBufferPointer { p -> Int in
                    let stop = final ? p.count : max(0, p.count - lookahead)
                    var i = 0
                    while i < stop {
                        guard let found = memchr(p.baseAddress! + i, 0x2F, stop - i) else { break }
                        i = UnsafeRawPointer(found).assumingMemoryBound(to: UInt8.self) - p.baseAddress!
                        if PDFSignatureScanner.matches(p, at: i, PDFSignatureScanner.byteRangeNeedle) {
                            if scan.ranges.count < limit {
                                let parsed = PDFSignatureScanner.parseIntArray(p, at: i + 10)
                                scan.ranges.append((parsed.flatMap { $0.0.count == 4 ? $0.0 : nil }, nil))
                                positions.append(base + i + 10)
                            }
                        } else if PDFSignatureScanner.matches(p, at: i, PDFSignatureScanner.subFilterNeedle), subFilters.count < 4096 {
                            subFilters.append((base + i, PDFSignatureScanner.subFilterName(p, at: i) ?? ""))
                        } else if let (isSignature, _) = PDFSignatureScanner.signatureType(p, at: i) {
                            if isSignature { scan.signatureDictionaries += 1 }
                        } else if PDFSignatureScanner.matches(p, at: i, dssNeedle), i + 4 >= p.count || PDFParser.isWhite(p[i + 4]) || PDFParser.isDelimiter(p[i + 4]) {
                            scan.sawDSS = true
                        } else if PDFSignatureScanner.matches(p, at: i, objectStreamNeedle) {
                            scan.lastObjectStream = base + i
                        }
                        i += 1
                    }
                    return stop
                }
                // keep what was not examined (the lookahead) for the next chunk
                window.removeFirst(stop)
                base += stop
            }
            try pass { chunk in
                let bytes = chunk.bindMemory(to: UInt8.self)
                if let last = bytes.lastIndex(where: { !($0 == 0x0A || $0 == 0x0D || $0 == 0x20 || $0 == 0x00) }) { scan.lastContent = seen + last }
                seen += chunk.count
                window.append(contentsOf: bytes)
                if window.count >= 1 << 16 { examine(final: false) }
                return true
            }
            examine(final: true)
            guard seen == count else { throw PDFSyntaxError("the file ended after \(seen) of \(count) bytes") }
            // The /SubFilter of a field: the first within 2,048 bytes of its /ByteRange (as the in-memory scanner).
            for (index, at) in positions.enumerated() {
                let lower = max(0, at - 2048), upper = min(count - 10, at + 2048)
                scan.ranges[index].subFilter = subFilters.first { $0.position >= lower && $0.position < upper }.flatMap { $0.name.isEmpty ? nil : $0.name }
            }
            return scan
        }
    }

    /// Pass 2: byte ranges to keep from a pass (each small: a hole's ends, a `/Contents` of at most 4 MiB of
    /// hex, the bytes before a revision's end).
    struct Captures {
        private var wanted: [Range<Int>] = []
        private var kept: [Range<Int>: [UInt8]] = [:]

        mutating func want(_ range: Range<Int>) {
            guard !range.isEmpty, kept[range] == nil else { return }
            wanted.append(range)
            kept[range] = []
        }

        subscript(range: Range<Int>) -> [UInt8]? {
            guard let bytes = kept[range], bytes.count == range.count else { return nil }
            return bytes
        }

        mutating func run(_ pass: Pass) throws {
            guard let end = wanted.map(\.upperBound).max() else { return }
            var offset = 0
            try pass { chunk in
                let here = offset..<(offset + chunk.count)
                for range in wanted where range.overlaps(here) {
                    let lower = max(range.lowerBound, here.lowerBound) - offset, upper = min(range.upperBound, here.upperBound) - offset
                    kept[range]?.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[lower..<upper]))
                }
                offset += chunk.count
                return offset < end
            }
        }
    }
}

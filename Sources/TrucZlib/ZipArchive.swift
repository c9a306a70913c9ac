import CLibZ

/// Why a ZIP container could not be read. Every reason is a normal outcome for hostile input.
package struct ZipError: Error, Equatable, CustomStringConvertible {
    package let message: String
    /// A zip-bomb sign rather than a malformed archive: more entries than the caller allows, or an entry that
    /// inflates past the size its header declares.
    package let isBomb: Bool
    package init(_ message: String, bomb: Bool = false) {
        self.message = message
        self.isBomb = bomb
    }
    package var description: String { message }
}

/// One entry of a ZIP container's central directory, with every offset checked against the archive.
package struct ZipEntry: Sendable, Equatable {
    package enum Kind: Sendable, Equatable { case file, directory, symlink }

    package let name: String
    package let kind: Kind
    package let method: UInt16
    package let crc32: UInt32
    package let compressedSize: Int
    package let uncompressedSize: Int
    /// Where the entry's (compressed) data lies in the archive.
    package let dataRange: Range<Int>
}

/// A bounds-checked reader of ZIP containers held in memory (PKWARE APPNOTE 6.3: stored and deflated entries,
/// ZIP64 sizes and offsets; no encryption, no multi-disk archives). Every offset and length read from the
/// archive is checked before use, so a lying header is an error, never a trap; inflation is driven by zlib
/// with a progress check, so a stream without a final block ends as an error instead of looping.
package struct ZipArchive: Sendable {
    package let entries: [ZipEntry]

    private static let eocdSignature: UInt32 = 0x0605_4B50
    private static let zip64LocatorSignature: UInt32 = 0x0706_4B50
    private static let zip64EOCDSignature: UInt32 = 0x0606_4B50
    private static let centralSignature: UInt32 = 0x0201_4B50
    private static let localSignature: UInt32 = 0x0403_4B50

    /// Reads the central directory of `bytes`; refuses more than `maxEntries` entries before reading them.
    package init(_ bytes: UnsafeRawBufferPointer, maxEntries: Int) throws {
        let reader = ByteReader(bytes)
        let count = bytes.count
        guard count >= 22 else { throw ZipError("too short to be a ZIP archive") }
        // The end-of-central-directory record: 22 bytes plus a comment of at most 65,535.
        var eocd: Int?
        var position = count - 22
        let lowest = max(0, count - 22 - 0xFFFF)
        while position >= lowest {
            if reader.u32(position) == Self.eocdSignature, position + 22 + Int(reader.u16(position + 20)!) == count {
                eocd = position
                break
            }
            position -= 1
        }
        guard let eocd else { throw ZipError("no end-of-central-directory record") }
        let disk = Int(reader.u16(eocd + 4)!), cdDisk = Int(reader.u16(eocd + 6)!)
        var total = Int(reader.u16(eocd + 10)!)
        var cdSize = Int(reader.u32(eocd + 12)!)
        var cdOffset = Int(reader.u32(eocd + 16)!)
        var cdEnd = eocd
        if total == 0xFFFF || cdSize == 0xFFFF_FFFF || cdOffset == 0xFFFF_FFFF {
            // The locator (20 bytes) sits just before the record, and the 56-byte ZIP64 record before it.
            guard eocd >= 76, reader.u32(eocd - 20) == Self.zip64LocatorSignature,
                  let record = reader.u64(eocd - 20 + 8), record <= UInt64(eocd - 76) else {
                throw ZipError("a ZIP64 archive without a valid ZIP64 end-of-central-directory locator")
            }
            let z = Int(record)
            guard reader.u32(z) == Self.zip64EOCDSignature, let n = reader.u64(z + 32), let size = reader.u64(z + 40),
                  let offset = reader.u64(z + 48), n <= UInt64(Int32.max), size <= UInt64(count), offset <= UInt64(count) else {
                throw ZipError("the ZIP64 end-of-central-directory record is invalid")
            }
            total = Int(n)
            cdSize = Int(size)
            cdOffset = Int(offset)
            cdEnd = z
        }
        guard disk == 0 || disk == 0xFFFF, cdDisk == 0 || cdDisk == 0xFFFF else { throw ZipError("multi-disk archives are not supported") }
        guard cdOffset <= cdEnd, cdSize <= cdEnd - cdOffset else {
            throw ZipError("the central directory (offset \(cdOffset), \(cdSize) bytes) lies outside the archive")
        }
        guard total <= maxEntries else { throw ZipError.tooManyEntries(maxEntries) }
        // Central directory entries are at least 46 bytes each.
        guard total <= cdSize / 46 else { throw ZipError("the archive claims \(total) entries but its central directory holds fewer") }

        var entries: [ZipEntry] = []
        entries.reserveCapacity(total)
        var at = cdOffset
        let directoryEnd = cdOffset + cdSize
        for index in 0..<total {
            guard at + 46 <= directoryEnd, reader.u32(at) == Self.centralSignature else {
                throw ZipError("central directory entry \(index + 1) is missing or truncated")
            }
            let madeBy = reader.u16(at + 4)!
            let flags = reader.u16(at + 8)!
            let method = reader.u16(at + 10)!
            let crc = reader.u32(at + 16)!
            var compressed = UInt64(reader.u32(at + 20)!)
            var uncompressed = UInt64(reader.u32(at + 24)!)
            let nameLength = Int(reader.u16(at + 28)!), extraLength = Int(reader.u16(at + 30)!), commentLength = Int(reader.u16(at + 32)!)
            let entryDisk = reader.u16(at + 34)!
            let external = reader.u32(at + 38)!
            var localOffset = UInt64(reader.u32(at + 42)!)
            let next = at + 46 + nameLength + extraLength + commentLength
            guard next <= directoryEnd else { throw ZipError("central directory entry \(index + 1) runs past the directory") }
            let nameBytes = reader.slice(at + 46, nameLength)!
            // ZIP64 extended information: present values replace the 0xFFFFFFFF placeholders, in this order.
            var extra = at + 46 + nameLength
            let extraEnd = extra + extraLength
            while extra + 4 <= extraEnd {
                let id = reader.u16(extra)!, size = Int(reader.u16(extra + 2)!)
                guard extra + 4 + size <= extraEnd else { throw ZipError("entry \(index + 1) has a truncated extra field") }
                if id == 0x0001 {
                    var field = extra + 4
                    let fieldEnd = field + size
                    func take() throws -> UInt64 {
                        guard field + 8 <= fieldEnd, let v = reader.u64(field) else { throw ZipError("entry \(index + 1) has a truncated ZIP64 field") }
                        field += 8
                        return v
                    }
                    if uncompressed == 0xFFFF_FFFF { uncompressed = try take() }
                    if compressed == 0xFFFF_FFFF { compressed = try take() }
                    if localOffset == 0xFFFF_FFFF { localOffset = try take() }
                }
                extra += 4 + size
            }
            guard entryDisk == 0 || entryDisk == 0xFFFF else { throw ZipError("multi-disk archives are not supported") }
            guard flags & 0x0001 == 0 else { throw ZipError("entry \(index + 1) is encrypted") }
            guard compressed <= UInt64(count), uncompressed <= UInt64(Int32.max), localOffset <= UInt64(cdOffset) else {
                throw ZipError("entry \(index + 1) has sizes or an offset outside the archive")
            }
            // The local header: its own name and extra lengths decide where the data starts.
            let local = Int(localOffset)
            guard local + 30 <= cdOffset, reader.u32(local) == Self.localSignature else {
                throw ZipError("entry \(index + 1) has no local header at offset \(local)")
            }
            let dataStart = local + 30 + Int(reader.u16(local + 26)!) + Int(reader.u16(local + 28)!)
            guard dataStart <= cdOffset, Int(compressed) <= cdOffset - dataStart else {
                throw ZipError("the data of entry \(index + 1) runs past the start of the central directory")
            }
            let name = String(decoding: nameBytes, as: UTF8.self)
            let unixMode = (madeBy >> 8) == 3 ? (external >> 16) & 0o170000 : 0
            let kind: ZipEntry.Kind = unixMode == 0o120000 ? .symlink : (name.hasSuffix("/") || unixMode == 0o040000 ? .directory : .file)
            entries.append(ZipEntry(name: name, kind: kind, method: method, crc32: crc, compressedSize: Int(compressed),
                                    uncompressedSize: Int(uncompressed), dataRange: dataStart..<(dataStart + Int(compressed))))
            at = next
        }
        self.entries = entries
    }

    /// Streams the uncompressed bytes of `entry` (from the same `bytes` the archive was read from) to `body`
    /// in chunks of at most `chunkSize`. Stops with an error when the data is not a complete stream, when it
    /// inflates to more than the central directory declared, or when `body` throws.
    package static func extract(_ entry: ZipEntry, from bytes: UnsafeRawBufferPointer, chunkSize: Int = 1 << 16,
                                _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard entry.dataRange.upperBound <= bytes.count, let base = bytes.baseAddress else {
            throw ZipError("the data of \(entry.name) lies outside the archive")
        }
        let data = UnsafeRawBufferPointer(start: base + entry.dataRange.lowerBound, count: entry.dataRange.count)
        switch entry.method {
        case 0:
            guard entry.compressedSize == entry.uncompressedSize else {
                throw ZipError("\(entry.name) is stored but declares \(entry.uncompressedSize) bytes for \(entry.compressedSize)")
            }
            var offset = 0
            while offset < data.count {
                let n = min(chunkSize, data.count - offset)
                try body(UnsafeRawBufferPointer(rebasing: data[offset..<(offset + n)]))
                offset += n
            }
        case 8:
            try Inflater.inflate(data, declared: entry.uncompressedSize, name: entry.name, chunkSize: chunkSize, body)
        default:
            throw ZipError("\(entry.name) uses compression method \(entry.method); only stored (0) and deflate (8) are supported")
        }
    }
}

extension ZipError {
    package static func tooManyEntries(_ limit: Int) -> ZipError { ZipError("the ZIP has more than \(limit) entries", bomb: true) }
}

/// Raw deflate (RFC 1951) through zlib, with the guarantees the reader needs: input never read past its end,
/// output never past `declared` bytes, and every call must make progress, so the loop always ends.
enum Inflater {
    /// - Parameters:
    ///   - zlibWrapped: RFC 1950 (a zlib header and Adler-32, as PDF's FlateDecode) instead of raw deflate.
    ///   - exact: the output must be exactly `declared` bytes (ZIP); otherwise `declared` is only a ceiling.
    static func inflate(_ input: UnsafeRawBufferPointer, declared: Int, name: String, chunkSize: Int, zlibWrapped: Bool = false,
                        exact: Bool = true, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        var stream = z_stream()
        guard inflateInit2_(&stream, zlibWrapped ? 15 : -15, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw ZipError("zlib could not be initialised")
        }
        defer { inflateEnd(&stream) }
        let out = UnsafeMutablePointer<UInt8>.allocate(capacity: chunkSize)
        defer { out.deallocate() }
        var consumed = 0
        var produced = 0
        while true {
            let available = min(input.count - consumed, Int(UInt32.max))
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress.map { $0.assumingMemoryBound(to: UInt8.self) + consumed })
            stream.avail_in = UInt32(available)
            stream.next_out = out
            stream.avail_out = UInt32(chunkSize)
            let rc = CLibZ.inflate(&stream, Z_NO_FLUSH)
            let used = available - Int(stream.avail_in)
            let made = chunkSize - Int(stream.avail_out)
            consumed += used
            if made > 0 {
                produced += made
                // The caller's limits (zip-bomb checks) see the bytes first; then the declared size holds.
                try body(UnsafeRawBufferPointer(start: out, count: made))
                guard produced <= declared else {
                    throw ZipError("\(name) inflates to more than the \(declared) bytes its header declares", bomb: true)
                }
            }
            switch rc {
            case Z_STREAM_END:
                guard produced == declared || !exact else {
                    throw ZipError("\(name) inflates to \(produced) bytes; its header declares \(declared)")
                }
                return
            case Z_OK, Z_BUF_ERROR:
                // No input left and no output made: the stream ended without its final block.
                if used == 0 && made == 0 { throw ZipError("the deflate stream of \(name) is truncated (no final block)") }
            default:
                throw ZipError("the deflate stream of \(name) is corrupt")
            }
        }
    }
}

/// zlib-wrapped deflate (RFC 1950), as PDF's FlateDecode filter holds it.
package enum Zlib {
    /// The inflated bytes of `input`; throws when the stream is corrupt or truncated, or inflates past `limit`.
    /// `spend` is told each chunk's size as it is inflated, before it is kept: a caller's budget is charged for the
    /// work done even when the stream later turns out corrupt or too large, and its error stops the inflation.
    package static func inflate(_ input: UnsafeRawBufferPointer, limit: Int, spend: (Int) throws -> Void = { _ in }) throws -> [UInt8] {
        var output: [UInt8] = []
        try Inflater.inflate(input, declared: limit, name: "the stream", chunkSize: 1 << 16, zlibWrapped: true, exact: false) {
            try spend($0.count)
            output.append(contentsOf: $0)
        }
        return output
    }
}

/// Little-endian reads that return nil past the end instead of trapping.
private struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    func u16(_ at: Int) -> UInt16? {
        guard at >= 0, at <= bytes.count - 2 else { return nil }
        return UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8
    }

    func u32(_ at: Int) -> UInt32? {
        guard at >= 0, at <= bytes.count - 4 else { return nil }
        return (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[at + $1]) << (8 * $1) }
    }

    func u64(_ at: Int) -> UInt64? {
        guard at >= 0, at <= bytes.count - 8 else { return nil }
        return (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[at + $1]) << (8 * $1) }
    }

    func slice(_ at: Int, _ length: Int) -> UnsafeRawBufferPointer? {
        guard at >= 0, length >= 0, at <= bytes.count - length else { return nil }
        return UnsafeRawBufferPointer(rebasing: bytes[at..<(at + length)])
    }
}

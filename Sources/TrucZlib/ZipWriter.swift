import CLibZ

/// Writes a small ZIP archive in memory (deflated or stored entries, no ZIP64): benchmark inputs and test
/// fixtures. Hostile archives are read by `ZipArchive`, never by this.
package struct ZipWriter {
    private var bytes: [UInt8] = []
    private var central: [UInt8] = []
    private var count = 0

    package init() {}

    package mutating func add(name: String, contents: [UInt8], deflate: Bool = true) throws {
        var crc = CRC32()
        contents.withUnsafeBytes { crc.update($0) }
        let data = deflate ? try Self.deflate(contents) : contents
        let method: UInt16 = deflate ? 8 : 0
        let nameBytes = Array(name.utf8)
        guard bytes.count < Int(UInt32.max), data.count < Int(UInt32.max), nameBytes.count < 0xFFFF else {
            throw ZipError("too large for a ZIP without ZIP64")
        }
        let offset = UInt32(bytes.count)
        func header(_ out: inout [UInt8], central: Bool) {
            out.le32(central ? 0x0201_4B50 : 0x0403_4B50)
            if central { out.le16(20) }             // version made by
            out.le16(20)                            // version needed
            out.le16(0x0800)                        // UTF-8 names
            out.le16(method)
            out.le16(0); out.le16(0x21)             // time, date (1980-01-01)
            out.le32(crc.value)
            out.le32(UInt32(data.count))
            out.le32(UInt32(contents.count))
            out.le16(UInt16(nameBytes.count))
            out.le16(0)                             // extra
            if central {
                out.le16(0); out.le16(0); out.le16(0) // comment, disk, internal attributes
                out.le32(0)                         // external attributes
                out.le32(offset)
            }
            out.append(contentsOf: nameBytes)
        }
        header(&bytes, central: false)
        bytes.append(contentsOf: data)
        header(&central, central: true)
        count += 1
    }

    /// The archive: entries, central directory, end record.
    package func finish() -> [UInt8] {
        var out = bytes
        let offset = UInt32(out.count)
        out.append(contentsOf: central)
        out.le32(0x0605_4B50)
        out.le16(0); out.le16(0)
        out.le16(UInt16(count)); out.le16(UInt16(count))
        out.le32(UInt32(central.count))
        out.le32(offset)
        out.le16(0)
        return out
    }

    static func deflate(_ input: [UInt8]) throws -> [UInt8] {
        var stream = z_stream()
        guard deflateInit2_(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
                            Int32(MemoryLayout<z_stream>.size)) == Z_OK else { throw ZipError("zlib could not be initialised") }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(input.count))))
        let rc = input.withUnsafeBytes { inBuf in
            output.withUnsafeMutableBytes { outBuf -> Int32 in
                stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress?.assumingMemoryBound(to: UInt8.self))
                stream.avail_in = UInt32(inBuf.count)
                stream.next_out = outBuf.baseAddress?.assumingMemoryBound(to: UInt8.self)
                stream.avail_out = UInt32(outBuf.count)
                return CLibZ.deflate(&stream, Z_FINISH)
            }
        }
        guard rc == Z_STREAM_END else { throw ZipError("deflate failed (\(rc))") }
        output.removeSubrange(Int(stream.total_out)...)
        return output
    }
}

extension [UInt8] {
    fileprivate mutating func le16(_ v: UInt16) { append(UInt8(v & 0xFF)); append(UInt8(v >> 8)) }
    fileprivate mutating func le32(_ v: UInt32) { for i in 0..<4 { append(UInt8((v >> (8 * UInt32(i))) & 0xFF)) } }
}

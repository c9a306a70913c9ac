import CLibZ

/// CRC-32 (ISO 3309, as in ZIP), computed by zlib.
package struct CRC32: Sendable, Equatable {
    package private(set) var value: UInt32 = 0

    package init() {}

    package mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let n = min(bytes.count - offset, Int(UInt32.max))
            value = UInt32(truncatingIfNeeded: crc32(UInt(value), base.advanced(by: offset).assumingMemoryBound(to: Bytef.self), UInt32(n)))
            offset += n
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A scratch file that holds a large file (a PDF inflated from its ZIP) for one call, read mapped: the page
/// cache holds it, not the process's heap, and the reader sees one contiguous buffer, exactly as a file held in
/// memory. The file is unlinked as soon as it is made (nothing is left behind, even after kill -9), in
/// `$TMPDIR` (default `/tmp`).
enum ScratchMapping {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Writes `count` bytes through `fill`, maps them read-only and gives them to `body`.
    static func map<R>(count: Int, fill: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void,
                       body: (UnsafeBufferPointer<UInt8>) throws -> R) throws -> R {
        let directory = getenv("TMPDIR").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array((directory + "/truc-pdf-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw Failure(description: "no scratch file in \(directory): errno \(errno)") }
        defer { close(fd) }
        _ = template.withUnsafeBufferPointer { unlink($0.baseAddress!) }
        var written = 0
        try fill { chunk in
            guard let base = chunk.baseAddress else { return }
            var offset = 0
            while offset < chunk.count {
                let n = write(fd, base + offset, chunk.count - offset)
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { throw Failure(description: "writing the scratch file failed: errno \(errno)") }
                offset += n
            }
            written += chunk.count
            guard written <= count else { throw Failure(description: "more than the \(count) bytes declared") }
        }
        guard written == count else { throw Failure(description: "\(written) of the \(count) bytes declared") }
        guard count > 0 else { return try body(UnsafeBufferPointer(start: nil, count: 0)) }
        guard let mapped = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else {
            throw Failure(description: "mapping the scratch file failed: errno \(errno)")
        }
        defer { munmap(mapped, count) }
        return try body(UnsafeBufferPointer(start: mapped.assumingMemoryBound(to: UInt8.self), count: count))
    }
}

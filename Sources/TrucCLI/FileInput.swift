import EdXML
import TrucCrypto
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TrucXML

/// Reading a message file: the size is checked before anything is read (a 100 MB file over a 64 MB limit
/// costs nothing), and the bytes land directly in the array the parser uses, with no intermediate copy.
enum FileInput {
    struct Failure: Error {
        let code: String
        let message: String
    }

    static func load(_ path: String, maxBytes: Int) throws(Failure) -> [UInt8] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw Failure(code: "file-unreadable", message: "cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw Failure(code: "file-unreadable", message: "cannot stat \(path)") }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw Failure(code: "file-unreadable", message: "\(path) is not a regular file") }
        let size = Int(info.st_size)
        guard size <= maxBytes else {
            throw Failure(code: "too-large", message: "\(path) is \(size) bytes; the limit is \(maxBytes) (--max-bytes)")
        }
        var failed = false
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            var done = 0
            while done < size {
                let n = read(fd, buffer.baseAddress! + done, size - done)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                done += n
            }
            failed = done != size
            count = done
        }
        if failed { throw Failure(code: "file-unreadable", message: "could not read all of \(path)") }
        return bytes
    }
}

/// Reading a message file as the commands do: file errors and reading errors become the command's
/// exit-2 failure with the stable code.
enum MessageInput {
    static func read(_ path: String, maxBytes: Int) throws(CommandFailure) -> ParsedMessage {
        try readWithDigest(path, maxBytes: maxBytes).parsed
    }

    /// The message and the SHA-256 (hex) of its exact bytes.
    static func readWithDigest(_ path: String, maxBytes: Int) throws(CommandFailure) -> (parsed: ParsedMessage, sha256: String) {
        let bytes: [UInt8]
        do {
            bytes = try FileInput.load(path, maxBytes: maxBytes)
        } catch {
            throw CommandFailure(reading: error.code, error.message)
        }
        do {
            var limits = ReadLimits.default
            limits.xml.maxBytes = maxBytes
            return (try EdXMLReader.read(bytes, limits: limits), Digest.sha256(bytes).hexString)
        } catch {
            throw CommandFailure(reading: error.code, error.message + (error.line.map { " (line \($0))" } ?? ""))
        }
    }
}

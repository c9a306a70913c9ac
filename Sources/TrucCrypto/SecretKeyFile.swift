import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension SecretBox {
    /// The key that seals client systems' secrets: 32 random bytes in a file of mode 0600, created on first use
    /// (every node of a hub needs the same file); a file another process created first is used as it is.
    package static func loadOrCreate(keyFile path: String) throws -> SecretBox {
        if let data = FileManager.default.contents(atPath: path) { return try SecretBox(key: [UInt8](data)) }
        let key = try secureRandomBytes(32)
        switch createExclusively(path, key) {
        case .created: return try SecretBox(key: key)
        case .exists:
            // Another process created it first: use that one.
            guard let data = FileManager.default.contents(atPath: path) else { throw CryptoError("cannot read \(path)") }
            return try SecretBox(key: [UInt8](data))
        case .failed(let reason): throw CryptoError("cannot create \(path): \(reason)")
        }
    }
}

private enum ExclusiveWrite {
    case created, exists, failed(String)
}

/// Creates `path` (mode 0600) with `bytes`, durably, unless it exists. (Outside `SecretBox`, whose `open` would
/// shadow the system call.)
private func createExclusively(_ path: String, _ bytes: [UInt8]) -> ExclusiveWrite {
    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
    guard fd >= 0 else { return errno == EEXIST ? .exists : .failed(String(cString: strerror(errno))) }
    let ok = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) == $0.count } && fsync(fd) == 0
    close(fd)
    return ok ? .created : .failed("cannot write it")
}

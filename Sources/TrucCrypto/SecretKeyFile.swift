import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension SecretBox {
    /// The key that seals client systems' secrets: 32 random bytes in a file of mode 0600, created on first use
    /// (every node of a hub needs the same file); a file another process created first is used as it is.
    package static func loadOrCreate(keyFile path: String) throws -> SecretBox {
        if let data = FileManager.default.contents(atPath: path) { return try SecretBox(key: [UInt8](data)) }
        let key = try secureRandomBytes(32)
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            if errno == EEXIST, let data = FileManager.default.contents(atPath: path) { return try SecretBox(key: [UInt8](data)) }
            throw CryptoError("cannot create \(path): \(String(cString: strerror(errno)))")
        }
        let ok = key.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, 32) == 32 } && fsync(fd) == 0
        Glibc.close(fd)
        guard ok else { throw CryptoError("cannot write \(path)") }
        return try SecretBox(key: key)
    }
}

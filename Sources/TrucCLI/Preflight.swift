import TrucCore
import Foundation
import TrucCrypto
#if canImport(Glibc)
import Glibc
#endif

/// What `truc serve` checks before it creates anything (a store, a PKI, demo agencies): that the data
/// directory is usable and that its ports are free — each failure named with what to do, exit 3.
enum Preflight {
    static func dataDirectory(_ path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw CommandFailure(.dataUnusable, "\(path) is a file, not a directory: choose another --data (or TRUC_DATA_DIR)").report()
            }
            guard FileManager.default.isWritableFile(atPath: path) else {
                throw CommandFailure(.dataUnusable, "the data directory \(path) is not writable by this user: fix its owner or permissions, or choose another --data").report()
            }
            return
        }
        // Not there yet: it will be made, so its nearest existing ancestor must be a writable directory.
        var ancestor = URL(fileURLWithPath: path).standardizedFileURL.deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: ancestor.path), ancestor.path != "/" { ancestor = ancestor.deletingLastPathComponent() }
        var ancestorIsDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: ancestor.path, isDirectory: &ancestorIsDirectory), ancestorIsDirectory.boolValue,
              FileManager.default.isWritableFile(atPath: ancestor.path) else {
            throw CommandFailure(.dataUnusable, "cannot create the data directory \(path): \(ancestor.path) is not a writable directory; choose another --data").report()
        }
    }

    /// Fails when something already listens on host:port (or the address cannot be bound).
    static func port(_ host: String, _ port: Int, flag: String) throws {
        #if canImport(Glibc)
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else {
            throw CommandFailure(.addressUnusable, "cannot resolve \(host) for \(flag): give an address of this machine").report()
        }
        defer { freeaddrinfo(list) }
        let fd = socket(first.pointee.ai_family, first.pointee.ai_socktype, first.pointee.ai_protocol)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if bind(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) != 0 {
            let reason = errno
            if reason == EADDRINUSE {
                throw CommandFailure(.portInUse, "\(host):\(port) is already in use by another program: stop it, or choose another \(flag)").report()
            }
            throw CommandFailure(.addressUnusable, "cannot listen on \(host):\(port) (\(String(cString: strerror(reason)))): choose another \(flag)").report()
        }
        #endif
    }

    /// The hub's key must be the key of its certificate (the chain's first): a wrong one would start a hub whose every
    /// TLS handshake and receipt signature fails. Unreadable files are left to the steps that read them.
    static func keyPair(certificate: String, key: String) throws {
        guard let chain = FileManager.default.contents(atPath: certificate), let pem = FileManager.default.contents(atPath: key),
              let leaf = try? Certificate.fromPEM([UInt8](chain)).first, let privateKey = try? PrivateKey(pem: [UInt8](pem)) else { return }
        guard privateKey.matches(leaf) else {
            throw CommandFailure(.pkiKeyMismatch, "--tls-key \(key) is not the private key of the certificate in --tls-cert \(certificate): give the key that certificate was issued for").report()
        }
    }
}

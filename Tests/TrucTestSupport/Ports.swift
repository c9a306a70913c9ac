#if canImport(Glibc)
import Glibc
#endif

/// A TCP port nothing listens on now (bound to 0 and released): fewer collisions than a random one when
/// many tests start servers at once.
package func freeTCPPort() -> Int {
    // Below the kernel's ephemeral range (32768–60999 by default): the ports it hands out for port-0 binds and
    // outgoing connections never take one announced here before its server binds it (a full parallel run saw
    // "Address already in use" when the port came from that range).
    #if canImport(Glibc)
    for _ in 0..<64 {
        let candidate = Int.random(in: 20_000...32_000)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { break }
        var reuse: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(candidate).bigEndian)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        close(fd)
        if bound { return candidate }
    }
    #endif
    let (port, release) = reservedTCPPort()
    release()
    return port
}

/// A TCP port bound (not listening: connections to it are refused) until `release` is called, so that no
/// other test is given it meanwhile: for a server a test starts later on a port it announced before.
package func reservedTCPPort() -> (port: Int, release: @Sendable () -> Void) {
    #if canImport(Glibc)
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return (Int.random(in: 20_000...40_000), {}) }
    var reuse: Int32 = 1
    _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa -> Bool in
            bind(fd, sa, length) == 0 && getsockname(fd, sa, &length) == 0
        }
    }
    guard bound else { close(fd); return (Int.random(in: 20_000...40_000), {}) }
    return (Int(UInt16(bigEndian: address.sin_port)), { close(fd) })
    #else
    return (Int.random(in: 20_000...40_000), {})
    #endif
}

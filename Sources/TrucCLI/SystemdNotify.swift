import Foundation
import ServiceLifecycle
#if canImport(Glibc)
import Glibc
#endif

/// systemd's readiness protocol (sd_notify(3)) in a few lines instead of linking libsystemd: when
/// `NOTIFY_SOCKET` names a socket (a path, or `@name` in the abstract namespace), send it datagrams such as
/// `READY=1` and `STOPPING=1`. Without it (not under systemd `Type=notify`), nothing happens.
enum SystemdNotify {
    @discardableResult
    static func send(_ state: String) -> Bool {
        #if canImport(Glibc)
        guard let path = ProcessInfo.processInfo.environment["NOTIFY_SOCKET"], !path.isEmpty else { return false }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 } // abstract namespace
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
        let message = Array(state.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                message.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), sa, length) }
            }
        }
        return sent == message.count
        #else
        return false
        #endif
    }
}

/// Tells systemd `STOPPING=1` as soon as the graceful shutdown begins.
struct SystemdStoppingNotifier: Service {
    func run() async throws {
        try? await gracefulShutdown()
        SystemdNotify.send("STOPPING=1")
    }
}

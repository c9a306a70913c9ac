import Foundation
import NIOPosix
import TrucCore

/// Resolves the host of a URL the hub is about to connect to and checks every address against the
/// `OutboundPolicy`. Checked just before the connection; a name whose addresses change between the check
/// and the connection (DNS rebinding) is not covered: give endpoints as addresses, or names you control.
struct OutboundCheck: Sendable {
    let policy: OutboundPolicy

    /// Why the hub must not connect to `url`, or nil when it may (name resolution on a thread pool).
    func refusal(_ url: String) async -> String? {
        // An address needs no lookup: checked here, without queueing behind the shared pool's blocking work.
        if let host = URLComponents(string: url)?.host,
           AddressRange.parse(host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host) != nil {
            return refusalNow(url)
        }
        return (try? await NIOThreadPool.singleton.runIfActive { refusalNow(url) }) ?? nil
    }

    /// The same, resolving on the calling thread (for callers already off the event loops).
    func refusalNow(_ url: String) -> String? {
        guard let host = URLComponents(string: url)?.host, !host.isEmpty else { return "\(url) names no host" }
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        let addresses: [[UInt8]]
        if let literal = AddressRange.parse(bare) {
            addresses = [literal]
        } else {
            addresses = Self.resolve(bare)
            if addresses.isEmpty { return nil } // unresolvable: the connection fails on its own, and is retried
        }
        for address in addresses {
            if let why = policy.refusal(address) {
                return "\(host) is \(why) (\(Self.text(address))): the hub does not connect there unless the operator allows it (--allow-targets)"
            }
        }
        return nil
    }

    static func resolve(_ host: String) -> [[UInt8]] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &result) == 0, let first = result else { return [] }
        defer { freeaddrinfo(first) }
        var addresses: [[UInt8]] = []
        var next: UnsafeMutablePointer<addrinfo>? = first
        while let info = next {
            if info.pointee.ai_family == AF_INET, let raw = info.pointee.ai_addr {
                raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                    addresses.append(withUnsafeBytes(of: sin.pointee.sin_addr) { Array($0) })
                }
            } else if info.pointee.ai_family == AF_INET6, let raw = info.pointee.ai_addr {
                raw.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin6 in
                    addresses.append(withUnsafeBytes(of: sin6.pointee.sin6_addr) { Array($0) })
                }
            }
            next = info.pointee.ai_next
        }
        return addresses
    }

    static func text(_ address: [UInt8]) -> String {
        address.count == 4 ? address.map(String.init).joined(separator: ".")
            : stride(from: 0, to: 16, by: 2).map { String(UInt16(address[$0]) << 8 | UInt16(address[$0 + 1]), radix: 16) }.joined(separator: ":")
    }
}

/// Where the hub may connect to on its own initiative (pushes to agencies' endpoints, forwards to peer
/// hubs, SDK upstream calls, OCSP and CRL fetches): never to loopback, link-local (the cloud metadata
/// service at 169.254.169.254 among them), unspecified or multicast addresses, and — when the operator says
/// so — not to private ones, unless an allowed range names the address. An agency that runs a push endpoint
/// must not be able to make the hub reach inside its own network.
package struct OutboundPolicy: Sendable, Equatable {
    /// Ranges the operator allows even when a rule below denies them (`--allow-targets`).
    package var allowed: [AddressRange]
    /// Deny RFC 1918 / RFC 4193 / CGNAT ranges too (`--deny-private-targets`). Off by default: government
    /// networks address agencies' systems privately.
    package var denyPrivate: Bool

    package init(allowed: [AddressRange] = [], denyPrivate: Bool = false) {
        self.allowed = allowed
        self.denyPrivate = denyPrivate
    }

    /// Allows everything (tests of the parts that do not connect).
    package static let anywhere = OutboundPolicy(allowed: [AddressRange("0.0.0.0/0")!, AddressRange("::/0")!])

    /// Why the hub must not connect to `address` (its 4 or 16 bytes), or nil when it may.
    package func refusal(_ address: [UInt8]) -> String? {
        if allowed.contains(where: { $0.contains(address) }) { return nil }
        for (range, name) in Self.alwaysDenied where range.contains(address) { return name }
        if denyPrivate { for (range, name) in Self.privateRanges where range.contains(address) { return name } }
        return nil
    }

    static let alwaysDenied: [(AddressRange, String)] = [
        ("0.0.0.0/8", "an unspecified address"), ("127.0.0.0/8", "a loopback address"), ("169.254.0.0/16", "a link-local address"),
        ("224.0.0.0/4", "a multicast address"), ("255.255.255.255/32", "the broadcast address"),
        ("::/128", "an unspecified address"), ("::1/128", "a loopback address"), ("fe80::/10", "a link-local address"),
        ("ff00::/8", "a multicast address"), ("::ffff:127.0.0.0/104", "a loopback address"), ("::ffff:169.254.0.0/112", "a link-local address"),
    ].map { (AddressRange($0.0)!, $0.1) }

    static let privateRanges: [(AddressRange, String)] = [
        ("10.0.0.0/8", "a private address"), ("172.16.0.0/12", "a private address"), ("192.168.0.0/16", "a private address"),
        ("100.64.0.0/10", "a shared (CGNAT) address"), ("fc00::/7", "a unique local address"),
        ("::ffff:10.0.0.0/104", "a private address"), ("::ffff:172.16.0.0/108", "a private address"), ("::ffff:192.168.0.0/112", "a private address"),
    ].map { (AddressRange($0.0)!, $0.1) }
}

/// An IPv4 or IPv6 range written `ADDRESS/BITS` (a bare address is one address).
package struct AddressRange: Sendable, Equatable, CustomStringConvertible {
    package let base: [UInt8]
    package let bits: Int

    package init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
        guard let address = Self.parse(parts[0]) else { return nil }
        let width = address.count * 8
        let bits = parts.count == 2 ? Int(parts[1]) : width
        guard let bits, (0...width).contains(bits), parts.count < 2 || parts[1].allSatisfy(\.isASCII) else { return nil }
        self.base = address
        self.bits = bits
    }

    package var description: String { "\(base.count == 4 ? base.map(String.init).joined(separator: ".") : base.map { String($0, radix: 16) }.joined(separator: ":"))/\(bits)" }

    package func contains(_ address: [UInt8]) -> Bool {
        guard address.count == base.count else { return false }
        var left = bits
        for i in 0..<base.count where left > 0 {
            let take = min(8, left)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - take))
            if address[i] & mask != base[i] & mask { return false }
            left -= take
        }
        return true
    }

    /// 4 bytes for IPv4 (dotted decimal), 16 for IPv6 (with `::` and an embedded IPv4 tail).
    package static func parse(_ text: String) -> [UInt8]? {
        if !text.contains(":") {
            let octets = text.split(separator: ".", omittingEmptySubsequences: false)
            guard octets.count == 4 else { return nil }
            var bytes: [UInt8] = []
            for o in octets {
                guard !o.isEmpty, o.count <= 3, o.allSatisfy({ $0.isASCII && $0.isNumber }), let v = UInt8(o) else { return nil }
                bytes.append(v)
            }
            return bytes
        }
        var head: [UInt8] = [], tail: [UInt8] = []
        var halves = [text]
        if let gap = text.firstRange(of: "::") {
            halves = [String(text[..<gap.lowerBound]), String(text[gap.upperBound...])]
            guard halves[1].firstRange(of: "::") == nil else { return nil }
        }
        func groups(_ part: String) -> [UInt8]? {
            if part.isEmpty { return [] }
            var out: [UInt8] = []
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            for (i, p) in pieces.enumerated() {
                if i == pieces.count - 1, p.contains(".") {
                    guard let v4 = parse(String(p)) else { return nil }
                    out += v4
                    continue
                }
                guard (1...4).contains(p.count), let v = UInt16(p, radix: 16) else { return nil }
                out += [UInt8(v >> 8), UInt8(v & 0xFF)]
            }
            return out
        }
        guard let h = groups(halves[0]) else { return nil }
        head = h
        if halves.count == 2 {
            guard let t = groups(halves[1]), head.count + t.count <= 14 else { return nil }
            tail = t
            return head + [UInt8](repeating: 0, count: 16 - head.count - tail.count) + tail
        }
        return head.count == 16 ? head : nil
    }
}

import EdXML

/// A peer hub this hub forwards to.
package struct PeerHub: Sendable, Codable, Equatable {
    /// The peer hub's own code (checked in trace headers to refuse loops).
    package var code: String
    /// Its base URL (`https://host:port`).
    package var url: String

    package init(code: String, url: String) {
        self.code = code
        self.url = url
    }
}

/// Where a recipient's copy goes.
package enum Destination: Sendable, Equatable {
    /// A local agency that pulls its inbox.
    case pull
    /// A local agency with an endpoint the hub pushes to.
    case push(String)
    /// Another hub.
    case peer(PeerHub)
    /// Nowhere: refused at intake (`unknown-recipient`).
    case unroutable
}

/// Routes by recipient code: registered locally first, then the table (exact codes, `PREFIX*` patterns,
/// level-1 codes such as `H41` or group letters such as `G` that match every code of that unit or group),
/// then the default upstream hub.
package struct RoutingTable: Sendable, Equatable {
    package struct Entry: Sendable, Codable, Equatable {
        package var pattern: String
        package var hub: PeerHub
        package init(pattern: String, hub: PeerHub) {
            self.pattern = pattern
            self.hub = hub
        }
    }

    package var entries: [Entry]
    package var defaultUpstream: PeerHub?

    package init(entries: [Entry] = [], defaultUpstream: PeerHub? = nil) {
        self.entries = entries
        self.defaultUpstream = defaultUpstream
    }

    package func destination(for code: String, local: Agency?) -> Destination {
        if let local { return local.pushURL.map(Destination.push) ?? .pull }
        for entry in entries where Self.matches(entry.pattern, code) { return .peer(entry.hub) }
        return defaultUpstream.map(Destination.peer) ?? .unroutable
    }

    static func matches(_ pattern: String, _ code: String) -> Bool {
        if pattern == code { return true }
        if pattern.hasSuffix("*") { return code.hasPrefix(pattern.dropLast()) }
        guard let parsed = try? AgencyCode(code) else { return false }
        if pattern.count == 1 { return String(parsed.groupLetter) == pattern }
        return parsed.level1 == pattern
    }
}

/// Refusing messages that would loop between hubs.
package enum LoopGuard {
    package enum Refusal: Sendable, Equatable {
        /// This hub's code is already in the message's trace.
        case alreadyPassed
        /// More trace headers than the hop limit.
        case tooManyHops(Int)
    }

    package static func check(_ message: EdXMLMessage, hubCode: String, hopLimit: Int) -> Refusal? {
        guard case .document(let d) = message else { return nil }
        if d.traceHeaders.contains(where: { $0.organId == hubCode }) { return .alreadyPassed }
        if d.traceHeaders.count > hopLimit { return .tooManyHops(d.traceHeaders.count) }
        return nil
    }
}

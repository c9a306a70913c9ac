package import TrucVocabulary

/// How this hub talks to a peer hub.
package enum PeerDialect: String, Sendable, Codable, Equatable {
    /// Truc's API: POST /v1/messages with the hub's client certificate.
    case native
    /// The national SDK's API (sendEdoc; getReceivedEdocList → getEdoc → updateStatus polled), signed with
    /// this hub's VXP system id and secret.
    case vxp
}

/// A peer hub this hub forwards to.
package struct PeerHub: Sendable, Codable, Equatable {
    /// The peer hub's own code (checked in trace headers to refuse loops).
    package var code: String
    /// Its base URL (`https://host:port`), or for the VXP dialect its endpoint (`http://host:8080/XrdAdapter/adapter`).
    package var url: String
    package var dialect: PeerDialect

    package init(code: String, url: String, dialect: PeerDialect = .native) {
        self.code = code
        self.url = url
        self.dialect = dialect
    }

    /// Where the delivery engine sends a message for this peer: native `…/v1/messages`, or `vxp:ENDPOINT`.
    package var deliveryTarget: String {
        switch dialect {
        case .native: url.hasSuffix("/") ? url + "v1/messages" : url + "/v1/messages"
        case .vxp: "vxp:" + url
        }
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

    /// Every peer hub the table names, once each.
    package var peers: [PeerHub] {
        var seen: [PeerHub] = []
        for hub in entries.map(\.hub) + [defaultUpstream].compactMap({ $0 }) where !seen.contains(hub) { seen.append(hub) }
        return seen
    }

    package func destination(for code: String, local: Agency?) -> Destination {
        if let local { return local.pushURL.map(Destination.push) ?? .pull }
        for entry in entries where Self.matches(entry.pattern, code) { return .peer(entry.hub) }
        return defaultUpstream.map(Destination.peer) ?? .unroutable
    }

    /// The peer hub an entry of the table (not the default upstream) sends `code` to, if any.
    package func explicitRoute(for code: String) -> PeerHub? {
        entries.first { Self.matches($0.pattern, code) }?.hub
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

    /// `traceOrgans`: the `OrganId` of each `TraceHeader` of a document, in order (a status message has none).
    package static func check(traceOrgans: [String], hubCode: String, hopLimit: Int) -> Refusal? {
        if traceOrgans.contains(hubCode) { return .alreadyPassed }
        if traceOrgans.count > hopLimit { return .tooManyHops(traceOrgans.count) }
        return nil
    }
}

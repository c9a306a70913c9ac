import Foundation
import NIOHTTP1
import Testing
import TrucCore
import TrucTestSupport

/// A peer hub's credential speaks only for the agencies this hub reaches through that peer: never for an
/// agency registered here, never for one another route (or no route) serves.
@Suite("Peer hubs speak only for their side", .timeLimit(.minutes(30)))
struct PeerBoundaryTests {
    static let national = PeerHubTests.national, provincial = PeerHubTests.provincial

    func fixture(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: LiveHub.fixture(name))))
    }

    @Test("a peer sends for the agencies behind it; as a local agency, or one it does not serve, it is refused and nothing is counted")
    func peerSpeaksForItsSide() async throws {
        let routing = RoutingTable(entries: [.init(pattern: "H41", hub: PeerHub(code: Self.provincial, url: "https://127.0.0.1:1"))])
        try await LiveHub.run(clientCertificate: "hub", hubCode: Self.national, routing: routing,
                              agencies: PeerHubTests.centralAgencies, relays: [Self.provincial]) { national in
            let via = [("Truc-Via", Self.provincial)]
            // H41 lies behind the provincial hub: its status message is relayed.
            let relayed = try await national.request(.POST, "/v1/messages", body: try fixture("vpcp/status_acceptance_03.edxml"), headers: via)
            #expect(relayed.status == 202, "\(String(decoding: relayed.body, as: UTF8.self))")

            // G22 is registered here: a tampered document under its name is refused for the sender, not
            // counted as G22's invalid signature.
            let forged = try await national.request(.POST, "/v1/messages", body: try fixture("signatures/pdf-tampered.edxml"), headers: via)
            #expect(forged.status == 403 && forged.errorCode == "sender-not-behind-peer", "\(String(decoding: forged.body, as: UTF8.self))")
            let totals = try await RecordTruthTests.totals(national)
            #expect(totals["total"] as? Int == 0 && totals["invalid"] as? Int == 0, "\(totals)")
            // A status message as G22 (local).
            let asLocal = try await national.request(.POST, "/v1/messages", body: try fixture("vpcp/status_cancellation_13.edxml"), headers: via)
            #expect(asLocal.status == 403 && asLocal.errorCode == "sender-not-behind-peer")
            // An agency no route leads to through this peer (H53: not registered, no route).
            let text = String(decoding: try fixture("vpcp/status_acceptance_03.edxml"), as: UTF8.self)
                .replacingOccurrences(of: "<edXML:OrganId>000.00.00.H41</edXML:OrganId>", with: "<edXML:OrganId>000.00.00.H53</edXML:OrganId>")
                .replacingOccurrences(of: "7816/VPCP", with: "7817/VPCP")
            let elsewhere = try await national.request(.POST, "/v1/messages", body: Array(text.utf8), headers: via)
            #expect(elsewhere.status == 403 && elsewhere.errorCode == "sender-not-behind-peer", "\(String(decoding: elsewhere.body, as: UTF8.self))")
        }
    }

    @Test("a province's hub takes from its upstream only what comes from beyond it, never its own agencies' names")
    func upstreamSpeaksForBeyond() async throws {
        let routing = RoutingTable(defaultUpstream: PeerHub(code: Self.national, url: "https://127.0.0.1:1"))
        try await LiveHub.run(clientCertificate: "hub", hubCode: Self.provincial, routing: routing,
                              agencies: PeerHubTests.provinceAgencies, relays: [Self.national]) { province in
            let via = [("Truc-Via", Self.national)]
            // G22 lies beyond the upstream: accepted.
            let fromG22 = try await province.request(.POST, "/v1/messages", body: try fixture("vpcp/status_cancellation_13.edxml"), headers: via)
            #expect(fromG22.status == 202, "\(String(decoding: fromG22.body, as: UTF8.self))")
            // H41 is this hub's own agency: the upstream cannot send as it.
            let asH41 = try await province.request(.POST, "/v1/messages", body: try fixture("vpcp/status_acceptance_03.edxml"), headers: via)
            #expect(asH41.status == 403 && asH41.errorCode == "sender-not-behind-peer")
        }
    }
}

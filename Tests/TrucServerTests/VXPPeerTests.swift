import Foundation
import NIOHTTP1
import Testing
import TrucCore
import TrucServer
import TrucStore
@testable import TrucSQLiteStore

/// A provincial Truc whose upstream is a national hub that speaks only the SDK's dialect (here a second
/// Truc reached on its plain VXP listener): documents go up with sendEdoc, and come down by polling
/// getReceivedEdocList → getEdoc → updateStatus.
@Suite("Two hubs over the VXP dialect", .timeLimit(.minutes(30)))
struct VXPPeerTests {
    static let national = "000.00.00.W01"
    static let provincial = "000.00.00.W41"
    static let secret = "provincial-hub-secret"

    @Test("a provincial Truc forwards to and polls from a VXP-only national hub")
    func provincialOverVXP() async throws {
        var nationalVXP = VXPSettings()
        nationalVXP.plainHost = "127.0.0.1"
        nationalVXP.plainWrites = true
        nationalVXP.plainPort = 0
        // At the national hub the province's agencies belong to the provincial hub's system: they pull.
        let central: [(String, String, String?)] = [("000.00.00.G22", "Văn phòng Chính phủ", nil), ("000.00.00.H14", "UBND Tỉnh Cao Bằng", nil),
                                                    ("000.00.00.G17", "Bộ Thông tin", nil), ("000.00.00.H41", "UBND Tỉnh Nghệ An", nil)]
        try await LiveHub.run(hubCode: Self.national, agencies: central, vxp: nationalVXP,
                              systems: [(Self.provincial, Self.secret, ["000.00.00.H41"])]) { national in
            var provincialVXP = VXPSettings()
            provincialVXP.systemId = Self.provincial
            provincialVXP.secret = Self.secret
            provincialVXP.pollSeconds = 0.2
            let upstream = PeerHub(code: Self.national, url: national.vxpEndpoint, dialect: .vxp)
            try await LiveHub.run(hubCode: Self.provincial, routing: RoutingTable(defaultUpstream: upstream),
                                  agencies: [("000.00.00.H41", "UBND Tỉnh Nghệ An", nil)], vxp: provincialVXP) { province in
                let g22 = try await national.token("000.00.00.G22"), h41 = try await province.token("000.00.00.H41")

                // Down: G22 sends at the national hub; the province polls it in for H41.
                let sent = try await national.post("signatures/env-valid-inclusive.edxml", token: g22)
                #expect(sent.status == 202)
                let id = try #require(sent.json?["id"] as? String)
                var inbox: [[String: Any]] = []
                #expect(try await province.eventually {
                    inbox = try await province.request(.GET, "/v1/inbox?kind=edoc", token: h41).json?["items"] as? [[String: Any]] ?? []
                    return !inbox.isEmpty
                })
                let provincialId = try #require(inbox.first?["messageId"] as? String)
                let bytes = try await province.request(.GET, "/v1/messages/\(provincialId)", token: h41).body
                #expect(bytes == [UInt8](try Data(contentsOf: URL(fileURLWithPath: LiveHub.fixture("signatures/env-valid-inclusive.edxml")))))
                // The poll acknowledged it at the national hub (updateStatus done): delivered, receipt for G22.
                #expect(try await national.eventually { try await national.deliveryStates(id, token: g22)["000.00.00.H41"] == "delivered" })
                #expect(try await national.store.receipts(for: id).count == 1)

                // Up: H41's status 03 goes to the national hub with sendEdoc, signed by the province's system.
                let status = try await province.post("vpcp/status_acceptance_03.edxml", token: h41)
                #expect(status.status == 202)
                let statusId = try #require(status.json?["id"] as? String)
                #expect(try await province.eventually { try await province.deliveryStates(statusId, token: h41)["000.00.00.G22"] == "delivered" })
                let statuses = try #require(try await national.request(.GET, "/v1/inbox?kind=status", token: g22).json?["items"] as? [[String: Any]])
                #expect(statuses.compactMap { $0["statusCode"] as? String } == ["03"])
                #expect(statuses.first { $0["statusCode"] as? String == "03" }?["sender"] as? String == "000.00.00.H41")
            }
        }
    }

    @Test("a VXP upstream that refuses the hub's system: the delivery goes dead, with the reason")
    func wrongSecret() async throws {
        var nationalVXP = VXPSettings()
        nationalVXP.plainHost = "127.0.0.1"
        nationalVXP.plainWrites = true
        nationalVXP.plainPort = 0
        try await LiveHub.run(hubCode: Self.national, agencies: [("000.00.00.G22", "Văn phòng Chính phủ", nil), ("000.00.00.H41", "UBND Tỉnh Nghệ An", nil)], vxp: nationalVXP,
                              systems: [(Self.provincial, Self.secret, ["000.00.00.H41"])]) { national in
            var provincialVXP = VXPSettings()
            provincialVXP.systemId = Self.provincial
            provincialVXP.secret = "not-the-secret"
            provincialVXP.pollSeconds = 0.2
            let upstream = PeerHub(code: Self.national, url: national.vxpEndpoint, dialect: .vxp)
            try await LiveHub.run(hubCode: Self.provincial, routing: RoutingTable(defaultUpstream: upstream),
                                  retry: RetryPolicy(baseDelay: 0.1, maxDelay: 0.2, maxAttempts: 2),
                                  agencies: [("000.00.00.H41", "UBND Tỉnh Nghệ An", nil)], vxp: provincialVXP) { province in
                let h41 = try await province.token("000.00.00.H41")
                let status = try await province.post("vpcp/status_acceptance_03.edxml", token: h41)
                let statusId = try #require(status.json?["id"] as? String)
                #expect(try await province.eventually { try await province.deliveryStates(statusId, token: h41)["000.00.00.G22"] == "dead" })
                let dead = try await province.store.deliveries(state: .dead)
                #expect(dead.first?.reason?.contains("bad-signature") == true)
                #expect(try await national.store.deliveries(state: nil).isEmpty)
            }
        }
    }
}

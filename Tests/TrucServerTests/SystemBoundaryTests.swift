import Foundation
import Testing
import TrucCore
import TrucStore
import TrucServer
import NIOHTTP1
import TrucTestSupport
@testable import TrucSQLiteStore

/// An SDK client system changes the directory only below the agencies it acts for, and never for a code a
/// route of this hub sends to a peer hub.
@Suite("SDK systems inside their own subtree", .timeLimit(.minutes(30)))
struct SystemBoundaryTests {
    @Test("registerAgency: below the system's agencies only, never a code another route serves; the operator still may")
    func registerWithinSubtree() async throws {
        var vxp = VXPSettings()
        vxp.plainHost = "127.0.0.1"
        vxp.plainPort = 0
        vxp.plainWrites = true
        let routing = RoutingTable(entries: [.init(pattern: "000.00.66.H41", hub: PeerHub(code: "000.00.00.W66", url: "https://127.0.0.1:1"))])
        try await LiveHub.run(routing: routing, vxp: vxp, systems: VXPReplayTests.systems) { hub in
            // Each directory change on a fresh session (a header authorises one operation).
            func register(_ code: String) async throws -> SDKSession.Answer {
                let session = SDKSession(endpoint: hub.vxpEndpoint, client: hub.client, systemId: "00.99.W00", secret: "fake-secret-for-capture")
                return try await session.call("registerAgency", [], body: Array(#"{"code":"\#(code)","name":"Phòng mới","pcode":"00.99.W00"}"#.utf8))
            }
            let inside = try await register("000.00.77.H41")
            #expect(inside.status == "OK", "\(inside.text)")
            // Cao Bằng's and a ministry's codes are not the Nghệ An system's.
            for code in ["000.00.55.H14", "000.00.00.G01", "000.00.00.H14"] {
                let outside = try await register(code)
                #expect(outside.errorCode == "403" && outside.errorDesc?.hasPrefix("outside-subtree") == true, "\(code): \(outside.text)")
                #expect(try await hub.store.agency(code) == nil || code == "000.00.00.H14", "nothing registered for \(code)")
            }
            // Inside the subtree, but this hub routes it to a peer hub.
            let routed = try await register("000.00.66.H41")
            #expect(routed.errorCode == "403" && routed.errorDesc?.hasPrefix("served-elsewhere") == true, "\(routed.text)")
            #expect(try await hub.store.agency("000.00.66.H41") == nil)
            // The operator's API is not bound by a system's subtree.
            let put = try await hub.request(.PUT, "/v1/admin/agencies/000.00.55.H14", token: hub.operatorToken, body: Array(#"{"name":"Sở Cao Bằng"}"#.utf8))
            #expect(put.status == 201)
        }
    }
}

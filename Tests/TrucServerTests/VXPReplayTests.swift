import Foundation
import Testing
import TrucCore
import TrucServer
import TrucVXP
import TrucStore
import NIOHTTP1
@testable import TrucVocabulary
@testable import TrucSQLiteStore

/// The SDK's HMAC covers neither the operation nor registerAgency's body, and the SDK fixes its timestamp
/// for the life of a client: what a captured request's headers can and cannot do at this hub.
@Suite("VXP dialect: reused headers cannot change state", .timeLimit(.minutes(30)))
struct VXPReplayTests {
    static let systems = VXPConformanceTests.systems

    func run(plainWrites: Bool, _ body: (LiveHub) async throws -> Void) async throws {
        var vxp = VXPSettings()
        vxp.plainHost = "127.0.0.1"
        vxp.plainPort = 0
        vxp.plainWrites = plainWrites
        try await LiveHub.run(vxp: vxp, systems: Self.systems, body)
    }

    @Test("the headers of a getAgenciesList call, replayed on registerAgency, register nothing")
    func replayOnRegisterAgency() async throws {
        try await run(plainWrites: true) { hub in
            let captured = SDKSession(endpoint: hub.vxpEndpoint, client: hub.client, systemId: "00.99.W00", secret: "fake-secret-for-capture")
            #expect(try await captured.call("getAgenciesList", []).status == "OK")
            // The same session signs the same parameters again: the very headers an eavesdropper captured.
            let replay = try await captured.call("registerAgency", [], body: Array(#"{"code":"000.00.77.H41","name":"Giả mạo","pcode":"00.99.W00"}"#.utf8))
            #expect(replay.status == "FAILED" && replay.errorCode == "401" && replay.errorDesc?.hasPrefix("header-reused") == true, "\(replay.text)")
            #expect(try await hub.store.agency("000.00.77.H41") == nil)
            // The same after a restart of the cache: the store remembers (a second hub instance is not needed:
            // the first use is in the vxp_headers table).
            #expect(try await hub.store.vxpHeaderFirstUse(hash: String(repeating: "0", count: 64), system: "00.99.W00",
                                                          operation: "getEdoc", at: 0) == "getEdoc")
            // Newly signed headers (a new timestamp) for registerAgency work, for a system allowed to change the directory.
            let fresh = SDKSession(endpoint: hub.vxpEndpoint, client: hub.client, systemId: "00.99.W00", secret: "fake-secret-for-capture")
            let ok = try await fresh.call("registerAgency", [], body: Array(#"{"code":"000.00.77.H41","name":"Phòng mới","pcode":"00.99.W00"}"#.utf8))
            #expect(ok.status == "OK", "\(ok.text)")
            #expect(try await hub.store.agency("000.00.77.H41") != nil)
        }
    }

    @Test("directory changes through the dialect are off unless the operator allows them for that system")
    func directoryPermission() async throws {
        try await run(plainWrites: true) { hub in
            _ = try await hub.store.addSystem(id: "00.22.W00", name: "VPCP", agencies: ["000.00.00.G22"], secret: "secret-of-the-government-office",
                                              directoryChanges: false)
            let government = SDKSession(endpoint: hub.vxpEndpoint, client: hub.client, systemId: "00.22.W00", secret: "secret-of-the-government-office")
            let refused = try await government.call("registerAgency", [], body: Array(#"{"code":"000.00.78.G22","name":"X","pcode":"00.22.W00"}"#.utf8))
            #expect(refused.errorCode == "403" && refused.errorDesc?.hasPrefix("directory-changes-not-allowed") == true, "\(refused.text)")
            let delete = SDKSession(endpoint: hub.vxpEndpoint, client: hub.client, systemId: "00.22.W00", secret: "secret-of-the-government-office")
            let deleted = try await delete.call("deleteAgency", [("AgencyCode", "000.00.00.G22")], body: Array("{}".utf8))
            #expect(deleted.errorCode == "403", "\(deleted.text)")
            let kept = try hub.store.agency("000.00.00.G22")
            let added = try hub.store.agency("000.00.78.G22")
            #expect(added == nil && kept != nil)
        }
    }

    @Test("the plain-HTTP listener serves reads only by default")
    func plainReadOnly() async throws {
        try await run(plainWrites: false) { hub in
            let government = SDKSession(endpoint: hub.vxpEndpoint, client: hub.client, systemId: "00.22.W00", secret: "secret-of-the-government-office")
            #expect(try await government.call("getReceivedEdocList", [("messagetype", "edoc")]).status == "OK")
            let file = try VXPConformanceTests.fixture("signatures/env-valid-inclusive.edxml")
            let sent = try await government.sendEdoc(file, from: "000.00.00.G22")
            #expect(sent.errorCode == "403" && sent.errorDesc?.hasPrefix("read-only-listener") == true, "\(sent.text)")
            #expect(try await hub.store.deliveries(state: nil).isEmpty)
        }
    }
}

@Suite("VXP dialect: what the real SDK exposed", .timeLimit(.minutes(30)))
struct VXPSemanticsTests {
    @Test("updateStatus processing is recorded: getSentEdocList says processing, the native trace shows it; getSentEdocList without docId lists")
    func processing() async throws {
        try await VXPReplayTests().run(plainWrites: true) { hub in
            let g22 = try await hub.token("000.00.00.G22")
            let sent = try await hub.post("signatures/pdf-both-zip.edxml", token: g22)
            let id = try #require(sent.json?["id"] as? String)
            let government = SDKSession(endpoint: hub.vxpEndpoint, client: hub.client, systemId: "00.22.W00", secret: "secret-of-the-government-office")
            let province = SDKSession(endpoint: hub.vxpEndpoint, client: hub.client, systemId: "00.99.W00", secret: "fake-secret-for-capture")
            #expect(try await province.call("updateStatus", [("docid", id), ("status", "processing")], body: Array("{}".utf8)).status == "OK")
            let rows = try await government.call("getSentEdocList", [("docId", id)]).data ?? []
            #expect(rows.first { $0["toCode"] as? String == "000.00.00.H41" }?["receiveStatus"] as? String == "processing", "\(rows)")
            let trace = try await hub.request(.GET, "/v1/messages/\(id)/trace", token: g22).json?["deliveries"] as? [[String: Any]] ?? []
            let h41 = trace.first { $0["recipient"] as? String == "000.00.00.H41" }
            #expect(h41?["progress"] as? String == "processing" && (h41?["progressTime"] as? String)?.hasSuffix("+07:00") == true)
            #expect(h41?["state"] as? String == "awaiting-pull", "still in the inbox")
            // Without a docId: a valid list (the system's latest documents), never a failure.
            let fresh = SDKSession(endpoint: hub.vxpEndpoint, client: hub.client, systemId: "00.22.W00", secret: "secret-of-the-government-office")
            let all = try await fresh.call("getSentEdocList", [])
            #expect(all.status == "OK" && (all.data?.contains { $0["senderDocId"] as? String == id } ?? false), "\(all.text)")
            let nobody = SDKSession(endpoint: hub.vxpEndpoint, client: hub.client, systemId: "00.14.W00", secret: "secret-of-cao-bang")
            let empty = try await nobody.call("getSentEdocList", [])
            #expect(empty.status == "OK" && empty.data?.isEmpty == true && !empty.text.contains("null"), "\(empty.text)")
        }
    }

    @Test("getSynchronizeUnit reports versions and deletions, so SDK clients learn of removed agencies")
    func synchronize() async throws {
        try await VXPReplayTests().run(plainWrites: true) { hub in
            func unit() async throws -> [String: [String: Any]] {
                let s = SDKSession(endpoint: hub.vxpEndpoint, client: hub.client, systemId: "00.99.W00", secret: "fake-secret-for-capture")
                let rows = try await s.call("getSynchronizeUnit", []).data ?? []
                return Dictionary(rows.map { ($0["code"] as? String ?? "", $0) }, uniquingKeysWith: { a, _ in a })
            }
            let register = SDKSession(endpoint: hub.vxpEndpoint, client: hub.client, systemId: "00.99.W00", secret: "fake-secret-for-capture")
            #expect(try await register.call("registerAgency", [], body: Array(#"{"code":"000.00.77.H41","name":"Phòng mới","pcode":"00.99.W00"}"#.utf8)).status == "OK")
            let before = try await unit()
            let added = try #require(before["000.00.77.H41"])
            #expect(added["deleted"] as? Bool == false)
            let remove = SDKSession(endpoint: hub.vxpEndpoint, client: hub.client, systemId: "00.99.W00", secret: "fake-secret-for-capture")
            #expect(try await remove.call("deleteAgency", [("AgencyCode", "000.00.77.H41")], body: Array("{}".utf8)).status == "OK")
            let after = try await unit()
            let removed = try #require(after["000.00.77.H41"])
            #expect(removed["deleted"] as? Bool == true)
            #expect((removed["version"] as? Int ?? 0) > (added["version"] as? Int ?? 0))
            #expect(after["000.00.00.G22"]?["deleted"] as? Bool == false)
        }
    }

    @Test("a conflicting re-send through sendEdoc answers in the SDK's error shape; an identical one returns the same DocId")
    func conflictThroughSendEdoc() async throws {
        try await VXPReplayTests().run(plainWrites: true) { hub in
            let government = SDKSession(endpoint: hub.vxpEndpoint, client: hub.client, systemId: "00.22.W00", secret: "secret-of-the-government-office")
            let unsigned = try VXPConformanceTests.fixture("signatures/pdf-unsigned.edxml")
            let first = try await government.sendEdoc(unsigned, from: "000.00.00.G22")
            #expect(first.status == "OK", "\(first.text)")
            let again = try await government.sendEdoc(unsigned, from: "000.00.00.G22")
            #expect(again.status == "OK" && again.json["DocId"] as? String == first.json["DocId"] as? String)
            let signed = try await government.sendEdoc(try VXPConformanceTests.fixture("signatures/pdf-both-zip.edxml"), from: "000.00.00.G22")
            #expect(signed.status == "FAILED" && signed.errorCode == "409" && signed.errorDesc?.hasPrefix("document-id-conflict") == true, "\(signed.text)")
            #expect(!signed.text.contains("null"))
        }
    }
}

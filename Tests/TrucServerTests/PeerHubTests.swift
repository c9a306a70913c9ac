import EdXML
import Foundation
import NIOHTTP1
import Testing
import TrucCore
import TrucSignatures
import TrucTestSupport

/// Two hubs on 127.0.0.1 — a national hub serving central agencies and a provincial hub serving Nghệ An —
/// forwarding to each other with their client certificates.
@Suite("Two hubs: forwarding, retries, dead letters, loops", .timeLimit(.minutes(30)))
struct PeerHubTests {
    static let national = "000.00.00.W01"
    static let provincial = "000.00.00.W41"
    static let centralAgencies: [(String, String, String?)] = [("000.00.00.G22", "Văn phòng Chính phủ", "MST:0100100001"),
                                                               ("000.00.00.H14", "UBND Tỉnh Cao Bằng", nil), ("000.00.00.G17", "Bộ Thông tin", nil)]
    static let provinceAgencies: [(String, String, String?)] = [("000.00.00.H41", "UBND Tỉnh Nghệ An", "MST:2900100002"),
                                                                ("000.00.12.H41", "Sở Thông tin và Truyền thông Nghệ An", "MST:2900100003")]

    static func freePort() -> Int { freeTCPPort() }

    func runNational(port: Int = 0, provincialPort: Int, _ body: (LiveHub) async throws -> Void) async throws {
        try await LiveHub.run(hubCode: Self.national, port: port,
                              routing: RoutingTable(entries: [.init(pattern: "H41", hub: PeerHub(code: Self.provincial, url: "https://127.0.0.1:\(provincialPort)"))]),
                              agencies: Self.centralAgencies, relays: [Self.provincial], body)
    }

    func runProvincial(port: Int = 0, nationalPort: Int, retry: RetryPolicy = RetryPolicy(baseDelay: 0.2, maxDelay: 0.5, maxAttempts: 40),
                       _ body: (LiveHub) async throws -> Void) async throws {
        try await LiveHub.run(hubCode: Self.provincial, port: port,
                              routing: RoutingTable(defaultUpstream: PeerHub(code: Self.national, url: "https://127.0.0.1:\(nationalPort)")),
                              retry: retry, agencies: Self.provinceAgencies, relays: [Self.national], body)
    }

    @Test("a forwarded document without an envelope signature gains the hub's TraceHeader; its PDF signatures still verify")
    func traceHeader() async throws {
        let provincialPort = Self.freePort()
        try await runNational(provincialPort: provincialPort) { national in
            try await runProvincial(port: provincialPort, nationalPort: national.port) { province in
                let g22 = try await national.token("000.00.00.G22"), h41 = try await province.token("000.00.00.H41")
                let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: LiveHub.fixture("signatures/pdf-both-zip.edxml"))))
                let sent = try await national.post("signatures/pdf-both-zip.edxml", token: g22)
                let id = try #require(sent.json?["id"] as? String)
                #expect(try await national.eventually { try await national.deliveryStates(id, token: g22)["000.00.00.H41"] == "delivered" })
                // The national hub keeps the exact bytes it received.
                #expect(try await national.request(.GET, "/v1/messages/\(id)", token: g22).body == original)
                let inbox = try #require(try await province.request(.GET, "/v1/inbox?kind=edoc", token: h41).json?["items"] as? [[String: Any]])
                let copyId = try #require(inbox.first?["messageId"] as? String)
                #expect(inbox.first?["bucket"] as? String == "both", "the PDF signatures verify at the province")
                let copy = try await province.request(.GET, "/v1/messages/\(copyId)", token: h41).body
                let parsed = try EdXMLReader.read(copy)
                guard case .document(let document) = parsed.message else { Issue.record("not a document"); return }
                #expect(document.traceHeaders.last?.organId == Self.national)
                #expect(copy.count > original.count)
            }
        }
    }

    @Test("a delivery taken at the other hub sends its receipt back to the sender's hub")
    func receiptAcrossHubs() async throws {
        let provincialPort = Self.freePort()
        try await runNational(provincialPort: provincialPort) { national in
            try await runProvincial(port: provincialPort, nationalPort: national.port) { province in
                let g22 = try await national.token("000.00.00.G22"), h41 = try await province.token("000.00.00.H41")
                let sent = try await national.post("signatures/pdf-both-zip.edxml", token: g22)
                let id = try #require(sent.json?["id"] as? String)
                var copyId = ""
                #expect(try await province.eventually {
                    copyId = (try await province.request(.GET, "/v1/inbox?kind=edoc", token: h41).json?["items"] as? [[String: Any]])?.first?["messageId"] as? String ?? ""
                    return !copyId.isEmpty
                })
                let ack = try await province.request(.POST, "/v1/inbox/\(copyId)/ack", token: h41, body: Array(#"{"outcome":"done"}"#.utf8))
                #expect(ack.status == 200)
                // The provincial hub signs the receipt and sends it up; it lands in G22's inbox under the national copy.
                var items: [[String: Any]] = []
                #expect(try await national.eventually {
                    items = try await national.request(.GET, "/v1/inbox?kind=status", token: g22).json?["items"] as? [[String: Any]] ?? []
                    return !items.isEmpty
                })
                #expect(items.first?["kind"] as? String == "receipt" && items.first?["sender"] as? String == Self.provincial)
                let receiptId = try #require(items.first?["messageId"] as? String)
                let bytes = try await national.request(.GET, "/v1/messages/\(receiptId)", token: g22).body
                let receipt = try #require(DeliveryReceipt.parse(bytes))
                #expect(receipt.hubCode == Self.provincial && receipt.recipient == "000.00.00.H41" && receipt.messageId == copyId)
                let trace = try #require(try await national.request(.GET, "/v1/messages/\(id)/trace", token: g22).json)
                #expect((trace["receipts"] as? [[String: Any]])?.compactMap { $0["receiptId"] as? String } == [receiptId])
                // Only peer hubs relay receipts.
                #expect(try await national.request(.POST, "/v1/receipts", token: g22, body: bytes).status == 403)
            }
        }
    }

    @Test("a document crosses from the national hub to the province, and the status comes back")
    func exchange() async throws {
        let provincialPort = Self.freePort()
        try await runNational(provincialPort: provincialPort) { national in
            try await runProvincial(port: provincialPort, nationalPort: national.port) { province in
                let g22 = try await national.token("000.00.00.G22"), h41 = try await province.token("000.00.00.H41")
                let sent = try await national.post("signatures/env-valid-inclusive.edxml", token: g22)
                #expect(sent.status == 202)
                let id = try #require(sent.json?["id"] as? String)
                // H14 and G17 wait at the national hub; H41's copy is forwarded to the province.
                #expect(try await national.eventually { try await national.deliveryStates(id, token: g22)["000.00.00.H41"] == "delivered" })
                let states = try await national.deliveryStates(id, token: g22)
                #expect(states == ["000.00.00.H41": "delivered", "000.00.00.H14": "awaiting-pull", "000.00.00.G17": "awaiting-pull"])

                let inbox = try #require(try await province.request(.GET, "/v1/inbox?kind=edoc", token: h41).json?["items"] as? [[String: Any]])
                #expect(inbox.count == 1 && inbox.first?["sender"] as? String == "000.00.00.G22")
                let provincialId = try #require(inbox.first?["messageId"] as? String)
                let bytes = try await province.request(.GET, "/v1/messages/\(provincialId)", token: h41).body
                #expect(bytes == [UInt8](try Data(contentsOf: URL(fileURLWithPath: LiveHub.fixture("signatures/env-valid-inclusive.edxml")))))

                // The province answers with status 03; it goes up to the national hub, to G22.
                let status = try await province.post("vpcp/status_acceptance_03.edxml", token: h41)
                #expect(status.status == 202)
                let statusId = try #require(status.json?["id"] as? String)
                #expect(try await province.eventually { try await province.deliveryStates(statusId, token: h41)["000.00.00.G22"] == "delivered" })
                let statuses = try #require(try await national.request(.GET, "/v1/inbox?kind=status", token: g22).json?["items"] as? [[String: Any]])
                #expect(statuses.map { $0["statusCode"] as? String } == ["03"])
            }
        }
    }

    @Test("a peer hub that is down: retries, then delivered when it comes back")
    func downThenUp() async throws {
        // The national hub's port stays reserved (refusing connections) while it is down: no other test is given it.
        let (nationalPort, release) = reservedTCPPort()
        let provincialPort = Self.freePort()
        try await runProvincial(port: provincialPort, nationalPort: nationalPort) { province in
            let h41 = try await province.token("000.00.00.H41")
            let status = try await province.post("vpcp/status_acceptance_03.edxml", token: h41)
            let id = try #require(status.json?["id"] as? String)
            #expect(try await province.eventually(30) {
                let trace = try await province.request(.GET, "/v1/messages/\(id)/trace", token: h41).json
                return ((trace?["deliveries"] as? [[String: Any]])?.first?["attempts"] as? Int ?? 0) >= 2
            })
            #expect(try await province.deliveryStates(id, token: h41)["000.00.00.G22"] != "delivered")
            release()
            try await runNational(port: nationalPort, provincialPort: provincialPort) { national in
                #expect(try await province.eventually { try await province.deliveryStates(id, token: h41)["000.00.00.G22"] == "delivered" })
                let g22 = try await national.token("000.00.00.G22")
                #expect((try await national.request(.GET, "/v1/inbox?kind=status", token: g22).json?["items"] as? [Any])?.count == 1)
            }
        }
    }

    @Test("after the last attempt a delivery is dead; the operator requeues it and it is delivered")
    func deadLetter() async throws {
        // The national hub's port stays reserved while it is down (a full run once gave it to another test).
        let (nationalPort, release) = reservedTCPPort()
        let provincialPort = Self.freePort()
        try await runProvincial(port: provincialPort, nationalPort: nationalPort, retry: RetryPolicy(baseDelay: 0.1, maxDelay: 0.2, maxAttempts: 2)) { province in
            let h41 = try await province.token("000.00.00.H41")
            let id = try #require(try await province.post("vpcp/status_finish_06.edxml", token: h41).json?["id"] as? String)
            #expect(try await province.eventually(30) { try await province.deliveryStates(id, token: h41)["000.00.00.G22"] == "dead" })
            let dead = try #require(try await province.request(.GET, "/v1/admin/deliveries?state=dead", token: province.operatorToken).json?["deliveries"] as? [[String: Any]])
            #expect(dead.map { $0["messageId"] as? String } == [id])
            #expect(try await province.request(.GET, "/v1/admin/deliveries", token: h41).status == 403)
            release()
            try await runNational(port: nationalPort, provincialPort: provincialPort) { _ in
                let requeued = try await province.request(.POST, "/v1/admin/deliveries/\(id)/000.00.00.G22/requeue", token: province.operatorToken)
                #expect(requeued.json?["state"] as? String == "queued")
                #expect(try await province.eventually { try await province.deliveryStates(id, token: h41)["000.00.00.G22"] == "delivered" })
            }
        }
    }

    @Test("a message that already passed this hub is refused, never looped")
    func loop() async throws {
        let routing = RoutingTable(entries: [.init(pattern: "H41", hub: PeerHub(code: Self.provincial, url: "https://127.0.0.1:1"))])
        try await LiveHub.run(clientCertificate: "hub", hubCode: Self.national, routing: routing, agencies: Self.centralAgencies,
                              relays: [Self.provincial]) { national in
            let body = [UInt8](try Data(contentsOf: URL(fileURLWithPath: LiveHub.fixture("vpcp/status_acceptance_03.edxml"))))
            let looped = try await national.request(.POST, "/v1/messages", body: body, headers: [("Truc-Via", "\(Self.provincial),\(Self.national)")])
            #expect(looped.status == 422 && looped.errorCode == "loop-detected")
            let relayed = try await national.request(.POST, "/v1/messages", body: body, headers: [("Truc-Via", Self.provincial)])
            #expect(relayed.status == 202, "a relaying peer hub may send for H41: \(String(decoding: relayed.body, as: UTF8.self))")
            let tooFar = try await national.request(.POST, "/v1/messages", body: body,
                                                    headers: [("Truc-Via", (1...8).map { "000.00.0\($0).W99" }.joined(separator: ","))])
            #expect(tooFar.errorCode == "hop-limit")
            // The hop list is stored and passed on: hub codes only, not 16 KB of the peer's text.
            let stuffed = try await national.request(.POST, "/v1/messages", body: body,
                                                     headers: [("Truc-Via", String(repeating: "W", count: 16_000))])
            #expect(stuffed.status == 400 && stuffed.errorCode == "invalid-via" && stuffed.body.count < 1_024)
            let markup = try await national.request(.POST, "/v1/messages", body: body, headers: [("Truc-Via", "<script>")])
            #expect(markup.status == 400 && markup.errorCode == "invalid-via")
        }
    }
}

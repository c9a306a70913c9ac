import EdXML
import Foundation
import NIOHTTP1
import Testing
import TrucCore
import TrucSignatures

/// A peer hub's credential is not proof of a delivery: a relayed receipt is filed only when its signature
/// verifies, its signer is the hub it names, and the recipient is one reached through the relaying peer.
@Suite("Relayed receipts are verified before they are filed", .timeLimit(.minutes(30)))
struct RelayedReceiptTests {
    static func signer(_ key: String, _ chain: String) throws -> ReceiptSigner {
        try ReceiptSigner(privateKeyPEM: [UInt8](try Data(contentsOf: URL(fileURLWithPath: LiveHub.demo(key)))),
                          certificateChainPEM: [UInt8](try Data(contentsOf: URL(fileURLWithPath: LiveHub.demo(chain)))))
    }

    @Test("unsigned, tampered, misaddressed or wrongly signed receipts are refused (422); a real one is filed")
    func relayed() async throws {
        let unreachable = PeerHubTests.freePort()
        try await LiveHub.run(hubCode: PeerHubTests.national,
                              routing: RoutingTable(entries: [.init(pattern: "H41", hub: PeerHub(code: PeerHubTests.provincial, url: "https://127.0.0.1:\(unreachable)"))]),
                              agencies: PeerHubTests.centralAgencies, relays: [PeerHubTests.provincial]) { hub in
            let g22 = try await hub.token("000.00.00.G22"), peer = try await hub.token(PeerHubTests.provincial)
            let sent = try await hub.post("signatures/pdf-both-zip.edxml", token: g22)
            let id = try #require(sent.json?["id"] as? String)
            let sha = try #require(sent.json?["sha256"] as? String)
            let documentId = "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT"
            func receipt(recipient: String = "000.00.00.H41", hub code: String = PeerHubTests.provincial) -> DeliveryReceipt {
                DeliveryReceipt(hubCode: code, messageId: "copy-at-the-province", documentId: documentId, sender: "000.00.00.G22",
                                recipient: recipient, deliveredAt: "2026-12-01T10:00:00Z", how: "pull", sha256: sha)
            }
            let province = try Self.signer("hub/server.key", "hub/server.chain.pem")
            let genuine = try province.sign(receipt())
            func post(_ bytes: [UInt8]) async throws -> (Int, String) {
                let reply = try await hub.request(.POST, "/v1/receipts", token: peer, body: bytes)
                return (reply.status, (reply.json?["error"] as? [String: Any])?["code"] as? String ?? "")
            }

            // Unsigned: the receipt's text without its signature.
            let text = String(decoding: genuine, as: UTF8.self)
            let unsigned = try #require(text.range(of: "<ds:Signature")).lowerBound
            let withoutSignature = String(text[..<unsigned]) + "</Receipt>\n"
            #expect(try await post(Array(withoutSignature.utf8)) == (422, "invalid-receipt"))
            // Tampered after signing: another delivery time, another recipient.
            #expect(try await post(Array(text.replacingOccurrences(of: "2026-12-01T10:00:00Z", with: "2026-12-01T09:00:00Z").utf8)) == (422, "invalid-receipt"))
            #expect(try await post(Array(text.replacingOccurrences(of: ">000.00.00.H41<", with: ">000.00.00.H14<").utf8)) == (422, "invalid-receipt"))
            // Correctly signed, but for a recipient this hub serves itself (not reached through the peer).
            #expect(try await post(try province.sign(receipt(recipient: "000.00.00.G17"))) == (422, "invalid-receipt"))
            // Signed by a certificate that chains to the trust anchors but is not the named hub's (pinned) one.
            let agencyKey = try Self.signer("agencies/000.00.00.G22/organisation.key", "agencies/000.00.00.G22/organisation.chain.pem")
            #expect(try await post(try agencyKey.sign(receipt())) == (422, "invalid-receipt"))
            // Signed by a key outside the trust anchors (a rogue CA).
            let rogue = try ReceiptSigner(
                privateKeyPEM: [UInt8](try Data(contentsOf: URL(fileURLWithPath: LiveHub.fixture("signatures/pki/untrusted-signer.key")))),
                certificateChainPEM: [UInt8](try Data(contentsOf: URL(fileURLWithPath: LiveHub.fixture("signatures/pki/untrusted-signer.chain.pem")))))
            #expect(try await post(try rogue.sign(receipt())) == (422, "invalid-receipt"))
            // Not a receipt at all.
            #expect(try await post(Array("<html/>".utf8)) == (422, "invalid-receipt"))
            // Nothing of that reached the sender.
            #expect((try await hub.request(.GET, "/v1/inbox?kind=status", token: g22).json?["items"] as? [[String: Any]])?.isEmpty == true)
            #expect((try await hub.request(.GET, "/v1/messages/\(id)/trace", token: g22).json?["receipts"] as? [[String: Any]])?.isEmpty == true)

            // The real one, signed by the province hub's key: filed in G22's inbox and the trace.
            #expect(try await post(genuine).0 == 202)
            let items = try await hub.request(.GET, "/v1/inbox?kind=status", token: g22).json?["items"] as? [[String: Any]] ?? []
            #expect(items.count == 1 && items.first?["kind"] as? String == "receipt")
            // And a receipt can be checked later by anyone: truc's own verifier, with the hub's trust.
            let stored = try await hub.request(.GET, "/v1/messages/\(try #require(items.first?["messageId"] as? String))", token: g22).body
            #expect(stored == genuine)
        }
    }
}

import Foundation
import HTTPTypes
import Testing
import TrucCore
import TrucTestSupport

/// A DocumentId belongs to its sender: statuses, revocations, updates and replacements are linked to a
/// document by its DocumentId *and* its sender, a status comes only from the document's parties, and a trace
/// shows a recipient only what it sent or received.
@Suite("Traces keyed by the real document", .timeLimit(.minutes(30)))
struct DocumentBoundaryTests {
    static let agencies: [(String, String, String?)] = [
        ("000.00.00.G22", "Văn phòng Chính phủ", "MST:0100100001"), ("000.00.00.H41", "UBND Tỉnh Nghệ An", "MST:2900100002"),
        ("000.00.00.H14", "UBND Tỉnh Cao Bằng", nil), ("000.00.00.G17", "Bộ Thông tin và Truyền thông", nil),
        ("000.00.11.H53", "Sở Tài chính (H53)", nil),
    ]

    /// A fixture with its first `From/OrganId` (the sender) replaced.
    func fixture(_ name: String, from sender: String) throws -> [UInt8] {
        let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: RouterHub.fixture(name))), as: UTF8.self)
        let from = try #require(text.range(of: #"<edXML:OrganId>[^<]*</edXML:OrganId>"#, options: .regularExpression))
        return Array(text.replacingCharacters(in: from, with: "<edXML:OrganId>\(sender)</edXML:OrganId>").utf8)
    }

    func post(_ hub: RouterHub, _ body: [UInt8], token: String) async throws -> RouterHub.Reply {
        try await hub.request(.post, "/v1/messages", token: token, body: body)
    }

    @Test("a stranger reusing another agency's DocumentId text sees nothing of it, links nothing to it, and cannot file a status about it")
    func strangerDocumentId() async throws {
        try await RouterHub.run(agencies: Self.agencies) { hub in
            let g22 = try await hub.token("000.00.00.G22"), h41 = try await hub.token("000.00.00.H41"), h14 = try await hub.token("000.00.00.H14")
            let h53 = try await hub.token("000.00.11.H53"), g17 = try await hub.token("000.00.00.G17")
            let original = try #require(try await hub.post("signatures/pdf-both-zip.edxml", token: g22).json?["id"] as? String)
            let accepted = try await hub.post("vpcp/status_acceptance_03.edxml", token: h41)
            #expect(accepted.status == 202, "a recipient files its status: \(String(decoding: accepted.body, as: UTF8.self))")
            let statusId = try #require(accepted.json?["id"] as? String)

            // H53 sends its own document, and a revocation, under G22's DocumentId text.
            let own = try await post(hub, try fixture("vpcp/edoc_new_variant_dc0bdef0.edxml", from: "000.00.11.H53"), token: h53)
            #expect(own.status == 202, "\(String(decoding: own.body, as: UTF8.self))")
            let ownId = try #require(own.json?["id"] as? String)
            let revocation = try await post(hub, try fixture("vpcp/edoc_revocation.edxml", from: "000.00.11.H53"), token: h53)
            #expect(revocation.status == 202, "\(String(decoding: revocation.body, as: UTF8.self))")
            let revocationId = try #require(revocation.json?["id"] as? String)

            let strangerTrace = try #require(try await hub.request(.get, "/v1/messages/\(ownId)/trace", token: h53).json)
            #expect((strangerTrace["statuses"] as? [Any])?.isEmpty == true, "H41's status to G22 is not the stranger's: \(strangerTrace)")
            #expect((strangerTrace["actedOnBy"] as? [[String: Any]])?.compactMap { $0["messageId"] as? String } == [revocationId])
            let revocationTrace = try #require(try await hub.request(.get, "/v1/messages/\(revocationId)/trace", token: h53).json)
            #expect((revocationTrace["actsOn"] as? [[String: Any]])?.compactMap { $0["messageId"] as? String } == [ownId],
                    "the stranger's revocation acts on its own document, never on G22's")

            let g22Trace = try #require(try await hub.request(.get, "/v1/messages/\(original)/trace", token: g22).json)
            #expect((g22Trace["statuses"] as? [[String: Any]])?.compactMap { $0["messageId"] as? String } == [statusId])
            #expect((g22Trace["actedOnBy"] as? [Any])?.isEmpty == true, "G22's document was revoked by no one: \(g22Trace)")

            // A status about G22's document from an agency it was not sent to (H53 holds a document with the same
            // DocumentId text, but G22 was not among its recipients either).
            let status = try await post(hub, try fixture("vpcp/status_finish_06.edxml", from: "000.00.11.H53"), token: h53)
            #expect(status.status == 403 && status.errorCode == "not-a-recipient", "\(String(decoding: status.body, as: UTF8.self))")
            // The real recipients may (G17 is one); so may the sender, towards them.
            #expect(try await post(hub, try fixture("vpcp/status_finish_06.edxml", from: "000.00.00.G17"), token: g17).status == 202)
            #expect(try await hub.post("vpcp/status_finish_06.edxml", token: h41).status == 202)
            #expect(try await hub.post("vpcp/status_cancellation_13.edxml", token: g22).status == 202)

            // A recipient sees its own delivery and the statuses it filed, not the other recipients'.
            let h14Trace = try #require(try await hub.request(.get, "/v1/messages/\(original)/trace", token: h14).json)
            #expect((h14Trace["deliveries"] as? [[String: Any]])?.compactMap { $0["recipient"] as? String } == ["000.00.00.H14"])
            #expect((h14Trace["statuses"] as? [Any])?.isEmpty == true, "H41's and G22's statuses are not H14's: \(h14Trace)")
            let h41Trace = try #require(try await hub.request(.get, "/v1/messages/\(original)/trace", token: h41).json)
            #expect((h41Trace["statuses"] as? [[String: Any]])?.compactMap { $0["sender"] as? String } == ["000.00.00.H41", "000.00.00.H41"])
            let full = try #require(try await hub.request(.get, "/v1/messages/\(original)/trace", token: g22).json)
            #expect((full["deliveries"] as? [Any])?.count == 3 && (full["statuses"] as? [Any])?.count == 4, "\(full)")
        }
    }
}

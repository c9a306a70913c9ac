import AsyncHTTPClient
import NIOHTTP1
import Foundation
import Testing
import TrucTestSupport
import TrucSignatures
import TrucCore
import TrucServer
import TrucStore
@testable import TrucServer
@testable import TrucSQLiteStore

/// The hub over real HTTPS on 127.0.0.1: signed documents made by independent tools, sent, listed,
/// fetched byte for byte, acknowledged and traced.
@Suite("Hub intake and inbox over HTTPS", .timeLimit(.minutes(30)))
struct IntakeTests {
    @Test("a registered client certificate authenticates its agency")
    func clientCertificate() async throws {
        try await LiveHub.run(clientCertificate: "000.00.00.G22") { hub in
            let sent = try await hub.post("signatures/pdf-organisation.edxml", token: nil)
            #expect(sent.status == 202, "\(String(decoding: sent.body, as: UTF8.self))")
        }
    }

    @Test("a client certificate checked once is remembered, until the agency directory changes")
    func certificateRemembered() async throws {
        try await LiveHub.run(clientCertificate: "000.00.00.G22") { hub in
            for _ in 0..<3 { #expect(try await hub.request(.GET, "/v1/inbox", token: nil).status == 200) }
            // Pinning G22 to another certificate: the same connection's certificate no longer authenticates it.
            var g22 = try #require(try await hub.store.agency("000.00.00.G22"))
            g22.certificateSHA256 = String(repeating: "ab", count: 32)
            g22.certificateIdentifier = "MST:0000000000"
            try await hub.store.upsert(g22)
            let refused = try await hub.request(.GET, "/v1/inbox", token: nil)
            #expect(refused.status == 403 && refused.errorCode == "unknown-client")
            // Back as it was: accepted again.
            g22.certificateSHA256 = nil
            g22.certificateIdentifier = "MST:0100100001"
            try await hub.store.upsert(g22)
            #expect(try await hub.request(.GET, "/v1/inbox", token: nil).status == 200)
            try await hub.store.removeAgency("000.00.00.G22")
            #expect(try await hub.request(.GET, "/v1/inbox", token: nil).errorCode == "unknown-client")
        }
    }

    @Test("refusals carry stable codes, and nothing is stored")
    func refusals() async throws {
        try await LiveHub.run(maxBodyBytes: 100_000) { hub in
            let g22 = try await hub.token("000.00.00.G22"), h41 = try await hub.token("000.00.00.H41")
            #expect(try await hub.post("signatures/pdf-both-zip.edxml", token: nil).errorCode == "unauthenticated")
            #expect(try await hub.post("signatures/pdf-both-zip.edxml", token: "truc_forged").status == 401)
            let impersonation = try await hub.post("signatures/pdf-both-zip.edxml", token: h41)
            #expect(impersonation.status == 403 && impersonation.errorCode == "sender-mismatch")
            let tampered = try await hub.post("signatures/pdf-tampered.edxml", token: g22)
            #expect(tampered.status == 422 && tampered.errorCode == "invalid-signature")
            let broken = try await hub.request(.POST, "/v1/messages", token: g22, body: Array("<edXML>".utf8))
            #expect(broken.status == 400 && broken.errorCode == "malformed-xml")
            let xxe = try await hub.request(.POST, "/v1/messages", token: g22, body: Array("<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><r>&x;</r>".utf8))
            #expect(xxe.status == 400 && xxe.errorCode == "forbidden-dtd")
            let large = try await hub.request(.POST, "/v1/messages", token: g22, body: [UInt8](repeating: 0x20, count: 200_000))
            #expect(large.status == 413 && large.errorCode == "too-large")
            // Without a Content-Length the limit holds while the body streams in.
            let streamed = try await hub.postChunked("/v1/messages", token: g22, body: [UInt8](repeating: 0x20, count: 200_000))
            #expect(streamed.status == 413 && streamed.errorCode == "too-large")
            var findings = String(decoding: try Data(contentsOf: URL(fileURLWithPath: LiveHub.fixture("vpcp/status_finish_06.edxml"))), as: UTF8.self)
            findings = findings.replacingOccurrences(of: "<edXML:StatusCode>06<", with: "<edXML:StatusCode>09<")
            let invalid = try await hub.request(.POST, "/v1/messages", token: h41, body: Array(findings.utf8))
            #expect(invalid.status == 422 && invalid.errorCode == "invalid-message")
            #expect(((invalid.json?["error"] as? [String: Any])?["findings"] as? [[String: Any]])?.first?["code"] as? String == "unknown-status-code")
            // No recipient that any route reaches (one that some route reaches would be served: see RecordTruthTests).
            var unknown = String(decoding: try Data(contentsOf: URL(fileURLWithPath: LiveHub.fixture("signatures/pdf-organisation.edxml"))), as: UTF8.self)
            for (known, missing) in [("000.00.00.G17", "000.00.00.G99"), ("000.00.00.H41", "000.00.00.G98"), ("000.00.00.H14", "000.00.00.G97")] {
                unknown = unknown.replacingOccurrences(of: "<edXML:OrganId>\(known)</edXML:OrganId>", with: "<edXML:OrganId>\(missing)</edXML:OrganId>")
            }
            let unrouted = try await hub.request(.POST, "/v1/messages", token: g22, body: Array(unknown.utf8))
            #expect(unrouted.status == 422 && unrouted.errorCode == "unknown-recipient")
            #expect((try await hub.request(.GET, "/v1/inbox", token: h41).json?["items"] as? [Any])?.isEmpty == true)
        }
    }

    @Test("a body sent in small chunks without Content-Length is stored whole, byte for byte")
    func chunkedBody() async throws {
        try await LiveHub.run { hub in
            let g22 = try await hub.token("000.00.00.G22")
            let fixture = [UInt8](try Data(contentsOf: URL(fileURLWithPath: LiveHub.fixture("signatures/pdf-both-zip.edxml"))))
            let sent = try await hub.postChunked("/v1/messages", token: g22, body: fixture, chunk: 1_000)
            #expect(sent.status == 202, "\(String(decoding: sent.body, as: UTF8.self))")
            let id = try #require(sent.json?["id"] as? String)
            #expect(try await hub.request(.GET, "/v1/messages/\(id)", token: g22).body == fixture)
        }
    }

}

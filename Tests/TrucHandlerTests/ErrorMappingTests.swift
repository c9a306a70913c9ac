import Foundation
import HTTPTypes
import Testing
import TrucCore
import TrucServer
import TrucMemoryStore

/// Every error answer of the API is `{"error":{"code","message"}}` as JSON, with the HTTP status the catalogue
/// (`ErrorCode`) gives its code: through the hub's router, in process.
@Suite("Error mapping: codes, statuses and bodies", .timeLimit(.minutes(30)))
struct ErrorMappingTests {
    static func check(_ reply: RouterHub.Reply, _ code: ErrorCode, _ what: String) {
        #expect(reply.errorCode == code.rawValue, "\(what): \(reply.status) \(reply.text)")
        #expect(reply.status == code.httpStatus, "\(what): \(reply.status) for \(code.rawValue), the catalogue says \(code.httpStatus)")
        #expect(reply.headers[.contentType]?.hasPrefix("application/json") == true, "\(what)")
        let message = (reply.json?["error"] as? [String: Any])?["message"] as? String
        #expect(message?.isEmpty == false, "\(what): no message")
    }

    @Test("routing, authentication, bodies, readers and handlers answer with the catalogue's statuses")
    func answers() async throws {
        try await RouterHub.run(configure: { $0.maxBodyBytes = 200_000 }) { hub in
            let g22 = try await hub.token("000.00.00.G22"), h41 = try await hub.token("000.00.00.H41")
            let viewer = try await hub.store.issueViewerToken(for: "000.00.00.H41")
            Self.check(try await hub.request(.get, "/v1/nowhere", token: g22), .noRoute, "an unknown path")
            Self.check(try await hub.request(.delete, "/v1/messages/x", token: g22), .methodNotAllowed, "a method the path does not serve")
            Self.check(try await hub.request(.get, "/v1/inbox"), .unauthenticated, "no credentials")
            Self.check(try await hub.request(.get, "/v1/inbox", token: "not-a-token-of-this-hub"), .unauthenticated, "a wrong token")
            Self.check(try await hub.request(.get, "/v1/admin/queues", token: g22), .forbidden, "an agency on an operator route")
            Self.check(try await hub.request(.post, "/v1/messages", token: viewer, body: []), .forbidden, "a viewer sending")
            Self.check(try await hub.request(.post, "/v1/messages", token: g22, body: Array("<edXMLEnvelope".utf8)), .malformedXml, "truncated XML")
            Self.check(try await hub.request(.post, "/v1/messages", token: g22, body: Array("<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>".utf8)),
                       .forbiddenDtd, "a DTD")
            Self.check(try await hub.request(.post, "/v1/messages", token: g22, body: Array("<a/>".utf8)), .notEdxml, "XML that is not edXML")
            Self.check(try await hub.request(.post, "/v1/messages", token: g22, body: []), .emptyDocument, "an empty body")
            Self.check(try await hub.request(.post, "/v1/messages", token: g22, body: [UInt8](repeating: 0x20, count: 300_000)), .tooLarge, "over max-body-bytes")
            Self.check(try await hub.post("signatures/env-valid-inclusive.edxml", token: h41), .senderMismatch, "another agency's document")
            Self.check(try await hub.request(.get, "/v1/messages/0000", token: g22), .notFound, "an unknown message")
            let id = try #require(try await hub.post("signatures/env-valid-inclusive.edxml", token: g22).json?["id"] as? String)
            Self.check(try await hub.request(.post, "/v1/inbox/\(id)/ack", token: h41, body: Array("{\"outcome\":".utf8)), .invalidBody, "a truncated ack")
            Self.check(try await hub.request(.post, "/v1/inbox/\(id)/ack", token: h41, body: Array("{\"outcome\":\"fail\"}".utf8)), .reasonRequired,
                       "a failed ack without a reason")
            Self.check(try await hub.request(.get, "/v1/stats/signed-ratio?from=2026-02-30&to=2026-03-01", token: RouterHub.operatorToken), .invalidDate,
                       "an impossible date")
            Self.check(try await hub.request(.get, "/v1/stats/signed-ratio?from=2026-01-01&to=2026-01-31&agency=000.00.00.G22", token: viewer), .outOfScope,
                       "a viewer outside its subtree")
            Self.check(try await hub.request(.get, "/v1/log/checkpoint", token: g22), .noCheckpoint, "no checkpoint yet (no sequencer runs in process)")
        }
    }
}

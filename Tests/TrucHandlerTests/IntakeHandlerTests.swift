import Foundation
import HTTPTypes
import Testing
import TrucCore
import TrucServer
import TrucStore
import TrucMemoryStore
import TrucTestSupport
@testable import TrucServer
import TrucSignatures

/// Intake, inbox, fetch, acknowledgement and trace through the hub's router, in process (the fast tier): signed
/// documents made by independent tools, sent, listed, fetched byte for byte, acknowledged and traced. What crosses
/// the wire (client certificates, chunked bodies) is tested over HTTPS in TrucServerTests.
@Suite("Hub intake and inbox, in process", .timeLimit(.minutes(30)))
struct IntakeHandlerTests {
    @Test("send a signed document, read it back exactly, acknowledge it, trace it")
    func roundTrip() async throws {
        try await RouterHub.run { hub in
            let g22 = try await hub.token("000.00.00.G22"), h41 = try await hub.token("000.00.00.H41")
            let sent = try await hub.post("signatures/env-valid-inclusive.edxml", token: g22)
            #expect(sent.status == 202)
            let answer = try #require(sent.json)
            let id = try #require(answer["id"] as? String)
            #expect(answer["recipients"] as? [String] == ["000.00.00.H41", "000.00.00.H14", "000.00.00.G17"])
            #expect((answer["signature"] as? [String: Any])?["bucket"] as? String == "both")
            #expect(answer["duplicate"] as? Bool == false)

            let inbox = try await hub.request(.get, "/v1/inbox?kind=edoc", token: h41)
            let items = try #require(inbox.json?["items"] as? [[String: Any]])
            #expect(items.map { $0["messageId"] as? String } == [id])
            #expect(try await hub.request(.get, "/v1/inbox?kind=status", token: h41).json?["items"] as? [Any] != nil)
            #expect((try await hub.request(.get, "/v1/inbox?kind=status", token: h41).json?["items"] as? [Any])?.isEmpty == true)

            let fetched = try await hub.request(.get, "/v1/messages/\(id)", token: h41)
            #expect(fetched.status == 200)
            #expect(fetched.body == [UInt8](try Data(contentsOf: URL(fileURLWithPath: RouterHub.fixture("signatures/env-valid-inclusive.edxml")))))

            let ack = try await hub.request(.post, "/v1/inbox/\(id)/ack", token: h41, body: Array("{\"outcome\":\"done\"}".utf8))
            #expect(ack.json?["state"] as? String == "delivered")
            let again = try await hub.request(.post, "/v1/inbox/\(id)/ack", token: h41, body: Array("{\"outcome\":\"done\"}".utf8))
            #expect(again.status == 200 && again.json?["state"] as? String == "delivered")
            #expect((try await hub.request(.get, "/v1/inbox", token: h41).json?["items"] as? [Any])?.isEmpty == true)

            let trace = try #require(try await hub.request(.get, "/v1/messages/\(id)/trace", token: g22).json)
            let deliveries = try #require(trace["deliveries"] as? [[String: Any]])
            #expect(deliveries.map { $0["state"] as? String } == ["delivered", "awaiting-pull", "awaiting-pull"])
            #expect(deliveries.first?["how"] as? String == "pull")
            #expect((trace["receipts"] as? [Any])?.count == 1)

            // The sender finds the hub-signed delivery receipt among its status items.
            let statusItems = try #require(try await hub.request(.get, "/v1/inbox?kind=status", token: g22).json?["items"] as? [[String: Any]])
            #expect(statusItems.map { $0["kind"] as? String } == ["receipt"])
            let receiptId = try #require(statusItems.first?["messageId"] as? String)
            let receipt = try await hub.request(.get, "/v1/messages/\(receiptId)", token: g22)
            let text = String(decoding: receipt.body, as: UTF8.self)
            #expect(text.contains("<MessageId>\(id)</MessageId>") && text.contains("<Recipient>000.00.00.H41</Recipient>"))
            #expect(text.contains("<SHA256>\(answer["sha256"] as? String ?? "?")</SHA256>") && text.contains("<How>pull</How>"))
            if let xmlsec1 = ["/usr/bin/xmlsec1", "/usr/local/bin/xmlsec1"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) {
                let path = FileManager.default.temporaryDirectory.appendingPathComponent("receipt-\(UUID().uuidString).xml")
                try Data(receipt.body).write(to: path)
                defer { try? FileManager.default.removeItem(at: path) }
                let run = try await Program.run(URL(fileURLWithPath: xmlsec1), ["--verify", "--trusted-pem", RouterHub.demo("trust/root-ca.pem"),
                                                                          "--untrusted-pem", RouterHub.demo("trust/intermediate-ca.pem"), path.path])
                #expect(run.exitCode == 0, "xmlsec1 verifies the hub's receipt: \(run.stderr)")
            }
            // Acknowledging again issues no second receipt.
            _ = try await hub.request(.post, "/v1/inbox/\(id)/ack", token: h41, body: Array("{\"outcome\":\"done\"}".utf8))
            #expect((try await hub.request(.get, "/v1/inbox?kind=status", token: g22).json?["items"] as? [Any])?.count == 1)
        }
    }

    @Test("the same document sent again answers 200 duplicate with the original id, and stores nothing new")
    func duplicate() async throws {
        try await RouterHub.run { hub in
            let g22 = try await hub.token("000.00.00.G22"), h14 = try await hub.token("000.00.00.H14")
            let first = try await hub.post("signatures/pdf-both-zip.edxml", token: g22)
            let second = try await hub.post("signatures/pdf-both-zip.edxml", token: g22)
            #expect(first.status == 202 && second.status == 200)
            #expect(second.json?["duplicate"] as? Bool == true)
            #expect(second.json?["id"] as? String == first.json?["id"] as? String)
            #expect((try await hub.request(.get, "/v1/inbox", token: h14).json?["items"] as? [Any])?.count == 1)
        }
    }

    @Test("a revocation routes like a document and is linked to the original in both traces")
    func revocationLinked() async throws {
        try await RouterHub.run { hub in
            let g22 = try await hub.token("000.00.00.G22")
            let original = try #require(try await hub.post("signatures/pdf-both-zip.edxml", token: g22).json?["id"] as? String)
            let revocation = try await hub.post("vpcp/edoc_revocation.edxml", token: g22)
            #expect(revocation.status == 202, "\(String(decoding: revocation.body, as: UTF8.self))")
            let revocationId = try #require(revocation.json?["id"] as? String)
            #expect(revocationId != original, "same DocumentId, another business type: not a duplicate")
            #expect(try await hub.deliveryStates(revocationId, token: g22) == ["000.00.00.H41": "awaiting-pull", "000.00.00.H14": "awaiting-pull",
                                                                                "000.00.00.G17": "awaiting-pull"])
            let revocationTrace = try #require(try await hub.request(.get, "/v1/messages/\(revocationId)/trace", token: g22).json)
            #expect(revocationTrace["businessType"] as? Int == 1)
            #expect((revocationTrace["actsOn"] as? [[String: Any]])?.compactMap { $0["messageId"] as? String } == [original])
            let originalTrace = try #require(try await hub.request(.get, "/v1/messages/\(original)/trace", token: g22).json)
            let actedOnBy = try #require(originalTrace["actedOnBy"] as? [[String: Any]])
            #expect(actedOnBy.compactMap { $0["messageId"] as? String } == [revocationId])
            #expect(actedOnBy.first?["businessType"] as? Int == 1)
        }
    }

    @Test("the hand-assembled answer JSON is what JSONEncoder writes")
    func answerJSON() throws {
        #expect(IntakeAnswer.unsignedVerdictJSON == JSONText.encode(MessageVerdict(signatures: [])))
        for documentId in ["000.00.00.G22,2015/09/30,7816/VPCP-TTĐT", "a \"quoted\" \\ id\n", nil] as [String?] {
            let answer = IntakeAnswer(id: "6e600b94", kind: "edoc", documentId: documentId, recipients: ["000.00.00.H41", "000.00.00.G17"],
                                      sha256: "ab12", signature: MessageVerdict(signatures: []), duplicate: false)
            #expect(answer.json(verdictJSON: IntakeAnswer.unsignedVerdictJSON) == JSONText.encode(answer))
        }
    }

    @Test("a status message goes to ResponseFor/OrganId")
    func statusRelay() async throws {
        try await RouterHub.run { hub in
            let g22 = try await hub.token("000.00.00.G22"), h41 = try await hub.token("000.00.00.H41")
            let sent = try await hub.post("vpcp/status_acceptance_03.edxml", token: h41)
            #expect(sent.status == 202)
            #expect(sent.json?["recipients"] as? [String] == ["000.00.00.G22"])
            let inbox = try #require(try await hub.request(.get, "/v1/inbox?kind=status", token: g22).json?["items"] as? [[String: Any]])
            #expect(inbox.first?["statusCode"] as? String == "03")
            #expect(inbox.first?["sender"] as? String == "000.00.00.H41")
        }
    }

    @Test("a message is readable only by its sender, its recipients and the operator")
    func access() async throws {
        try await RouterHub.run { hub in
            let g22 = try await hub.token("000.00.00.G22"), other = try await hub.token("000.00.12.H41")
            let id = try #require(try await hub.post("signatures/pdf-personal.edxml", token: g22).json?["id"] as? String)
            #expect(try await hub.request(.get, "/v1/messages/\(id)", token: other).status == 404)
            #expect(try await hub.request(.get, "/v1/messages/\(id)", token: RouterHub.operatorToken).status == 200)
            #expect(try await hub.request(.get, "/v1/messages/\(id)", token: g22).status == 200)
            #expect(try await hub.request(.post, "/v1/inbox/\(id)/ack", token: other, body: Array("{\"outcome\":\"done\"}".utf8)).status == 404)
        }
    }
}

@Suite("API description", .timeLimit(.minutes(30)))
struct OpenAPITests {
    @Test("docs/openapi.yaml is a valid OpenAPI document and names every route",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") || FileManager.default.isExecutableFile(atPath: "/usr/local/bin/python3")))
    func valid() async throws {
        let spec = RouterHub.repo.appendingPathComponent("docs/openapi.yaml").path
        let text = try String(contentsOfFile: spec, encoding: .utf8)
        for path in ["/v1/messages:", "/v1/inbox:", "/v1/inbox/{id}/ack:", "/v1/messages/{id}:", "/v1/messages/{id}/trace:", "/healthz:", "/readyz:"] {
            #expect(text.contains(path), "\(path)")
        }
        // Every route of the API the hub registers (not the dashboard's pages nor the SDK dialect's operations).
        let routes = try await RouterHub.routeRules()
        #expect(routes.count > 30)
        for rule in routes where rule.path.hasPrefix("/v1/") || rule.path == "/metrics" {
            let path = rule.path.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
            #expect(text.contains("  /\(path):"), "docs/openapi.yaml does not describe \(rule)")
        }
        let run = try await Program.run(URL(fileURLWithPath: "/usr/bin/env"), [
            "python3", "-c", "import sys, yaml\ntry:\n from openapi_spec_validator import validate\nexcept ImportError:\n sys.exit(3)\nvalidate(yaml.safe_load(open(sys.argv[1])))", spec])
        // 3: the validator is not installed here (.ci/run installs it); anything else non-zero is a real failure.
        #expect(run.exitCode == 0 || run.exitCode == 3, "\(run.stderr)")
    }
}

import Foundation
import HTTPTypes
import Testing
import TrucCore
import TrucSignatures
import TrucStore
import TrucTestSupport

/// A refusal belongs to the authenticated caller; what the message claims is a field of it.
@Suite("Refusals filed under the caller", .timeLimit(.minutes(30)))
struct RefusalBoundaryTests {
    @Test("an agency posting as G22 fills its own refusal list, not G22's, nor G22's row in the operator's counts")
    func claimedSender() async throws {
        try await RouterHub.run { hub in
            let g22 = try await hub.token("000.00.00.G22"), h41 = try await hub.token("000.00.00.H41")
            for _ in 0..<3 {
                let forged = try await hub.post("signatures/pdf-tampered.edxml", token: h41)
                #expect(forged.status == 403 && forged.errorCode == "sender-mismatch")
            }
            let own = try #require(try await hub.request(.get, "/v1/refusals", token: h41).json?["items"] as? [[String: Any]])
            #expect(own.count == 3 && own.allSatisfy { $0["agency"] as? String == "000.00.00.H41" && $0["sender"] as? String == "000.00.00.G22" },
                    "\(own)")
            let victim = try #require(try await hub.request(.get, "/v1/refusals", token: g22).json?["items"] as? [Any])
            #expect(victim.isEmpty, "nothing filed under G22: \(victim)")
            let admin = try #require(try await hub.request(.get, "/v1/admin/refusals", token: RouterHub.operatorToken).json)
            let bySender = try #require((admin["counts"] as? [String: Any])?["bySender"] as? [[String: Any]])
            #expect(bySender.map { $0["sender"] as? String } == ["000.00.00.H41"], "\(bySender)")
            #expect((try await hub.request(.get, "/v1/admin/refusals?agency=000.00.00.G22", token: RouterHub.operatorToken).json?["items"] as? [Any])?.isEmpty == true)
            // G22's own refused document is G22's.
            #expect(try await hub.post("signatures/pdf-tampered.edxml", token: g22).status == 422)
            let g22Own = try #require(try await hub.request(.get, "/v1/refusals", token: g22).json?["items"] as? [[String: Any]])
            #expect(g22Own.count == 1 && g22Own.first?["agency"] as? String == "000.00.00.G22")
        }
    }
}

extension RefusalBoundaryTests {
    @Test("every refusal carries structured findings beside its text: signature reasons, validation paths, or the answer's code")
    func structuredFindings() async throws {
        try await RouterHub.run { hub in
            let g22 = try await hub.token("000.00.00.G22"), h41 = try await hub.token("000.00.00.H41")
            #expect(try await hub.post("signatures/pdf-tampered.edxml", token: g22).status == 422)
            let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: RouterHub.fixture("vpcp/status_acceptance_03.edxml"))), as: UTF8.self)
            let noDocumentId = text.replacingOccurrences(of: "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT", with: "")
            #expect(try await hub.request(.post, "/v1/messages", token: g22, body: Array(noDocumentId.utf8)).status == 422)
            #expect(try await hub.post("signatures/pdf-unsigned.edxml", token: h41).status == 403)
            func findings(_ token: String, _ code: String) async throws -> [[String: Any]] {
                let items = try await hub.request(.get, "/v1/refusals?code=\(code)", token: token).json?["items"] as? [[String: Any]] ?? []
                return items.first?["findings"] as? [[String: Any]] ?? []
            }
            let signature = try await findings(g22, "invalid-signature")
            #expect(!signature.isEmpty && signature.allSatisfy {
                $0["location"] as? String == "attachment:van-ban.pdf" && $0["status"] as? String == "invalid" && $0["codes"] as? [String] == ["digest-mismatch"]
            }, "\(signature)")
            let validation = try await findings(g22, "invalid-message")
            #expect(!validation.isEmpty && validation.allSatisfy { $0["status"] as? String == "error" && ($0["location"] as? String)?.hasPrefix("/") == true },
                    "\(validation)")
            let forged = try await findings(h41, "sender-mismatch")
            #expect(forged.count == 1 && forged[0]["location"] as? String == "message" && forged[0]["codes"] as? [String] == ["sender-mismatch"]
                    && (forged[0]["detail"] as? String)?.contains("000.00.00.G22") == true, "\(forged)")
        }
    }
}

/// What one message may make the hub do is bounded by its recipients.
@Suite("Bounded recipients", .timeLimit(.minutes(30)))
struct RecipientBoundaryTests {
    /// G22's sample document addressed to `count` well-formed, unregistered codes.
    static func circular(_ count: Int) throws -> [UInt8] {
        let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: RouterHub.fixture("vpcp/edoc_new_variant_dc0bdef0.edxml"))), as: UTF8.self)
        let first = try #require(text.range(of: "<edXML:To>"))
        let many = (0..<count).map { i in
            "<edXML:To><edXML:OrganId>000.\(String(format: "%02d", i / 100)).\(String(format: "%02d", i % 100)).H53</edXML:OrganId><edXML:OrganName>X</edXML:OrganName></edXML:To>"
        }.joined()
        return Array(text.replacingCharacters(in: first.lowerBound..<first.lowerBound, with: many).utf8)
    }

    @Test("a document naming 1,001 recipients is refused before any work; one naming 20 unknown ones is served for the rest")
    func tooManyRecipients() async throws {
        try await RouterHub.run { hub in
            let g22 = try await hub.token("000.00.00.G22")
            let refused = try await hub.request(.post, "/v1/messages", token: g22, body: try Self.circular(1_001))
            #expect(refused.status == 422 && refused.errorCode == "too-many-recipients", "\(String(decoding: refused.body.prefix(300), as: UTF8.self))")
            #expect(try await hub.store.deliveries(state: nil).isEmpty, "nothing queued")
            // 20 unknown codes plus the sample's own recipients: accepted for those the hub serves, and one signed
            // non-delivery receipt lists the 20 (not 20 receipts: one signature, one row).
            let served = try await hub.request(.post, "/v1/messages", token: g22, body: try Self.circular(20))
            #expect(served.status == 202, "\(String(decoding: served.body.prefix(300), as: UTF8.self))")
            #expect((served.json?["unroutedRecipients"] as? [Any])?.count == 20)
            let items = try await hub.request(.get, "/v1/inbox?kind=status", token: g22).json?["items"] as? [[String: Any]] ?? []
            let receipts = items.filter { $0["kind"] as? String == "receipt" }
            #expect(receipts.count == 1, "\(receipts)")
            let id = try #require(receipts.first?["messageId"] as? String)
            let receipt = try #require(DeliveryReceipt.parse(try await hub.request(.get, "/v1/messages/\(id)", token: g22).body))
            let expected = (0..<20).map { i in "000.\(String(format: "%02d", i / 100)).\(String(format: "%02d", i % 100)).H53" }
            #expect(receipt.outcome == "undeliverable" && receipt.undeliverable.map(\.recipient).sorted() == expected.sorted())
            #expect(receipt.undeliverable.allSatisfy { $0.reason.hasPrefix("unknown-recipient") })
            #expect(receipt.recipient.split(separator: " ").count == 20)
            let messageId = try #require(served.json?["id"] as? String)
            let trace = try #require(try await hub.request(.get, "/v1/messages/\(messageId)/trace", token: g22).json)
            let failed = (trace["deliveries"] as? [[String: Any]] ?? []).filter { $0["state"] as? String == "failed" }
            #expect(failed.count == 20, "each unrouted recipient is still failed in the trace: \(trace)")
        }
    }
}

/// Refusal records are bounded: each field's size, and how many one caller writes.
@Suite("Bounded refusal records", .timeLimit(.minutes(30)))
struct RefusalRecordBoundsTests {
    @Test("a 1 MiB DocumentId is refused and kept cut with a marker; a flood from one token writes a bounded number of records and says how many it left out")
    func boundedRecords() async throws {
        try await RouterHub.run { hub in
            let g22 = try await hub.token("000.00.00.G22")
            let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: RouterHub.fixture("vpcp/status_acceptance_03.edxml"))), as: UTF8.self)
            let huge = text.replacingOccurrences(of: "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT", with: "000.00.00.G22,2015/09/30," + String(repeating: "Đ", count: 1 << 19))
            // Refused (a DocumentId that long is not one: document-id-too-long), and the record keeps it cut.
            let refused = try await hub.request(.post, "/v1/messages", token: g22, body: Array(huge.utf8))
            #expect(refused.status == 422 && refused.errorCode == "invalid-message" && refused.body.count < 4_096,
                    "the answer does not echo the DocumentId: \(refused.body.count) bytes")
            #expect(String(decoding: refused.body, as: UTF8.self).contains("document-id-too-long"))
            let page = try await hub.request(.get, "/v1/refusals", token: g22)
            #expect(page.body.count < 8_192, "\(page.body.count) bytes for one refusal")
            let documentId = try #require(((page.json?["items"] as? [[String: Any]])?.first)?["documentId"] as? String)
            #expect(documentId.utf8.count < 300 && documentId.contains("…[+"), "\(documentId.prefix(300))")

            // 60 malformed messages at once from one token.
            let floodStart = ContinuousClock.now
            try await withThrowingTaskGroup(of: Int.self) { group in
                for n in 0..<60 { group.addTask { try await hub.request(.post, "/v1/messages", token: g22, body: Array("<not-edxml n=\"\(n)\"/>".utf8)).status } }
                for try await status in group { #expect(status == 400) }
            }
            let flood = try #require(try await hub.request(.get, "/v1/refusals?limit=1000", token: g22).json?["items"] as? [[String: Any]])
            // The bound: the first refusal, a burst of 20, and one a second refilled while the flood lasted (a second
            // or so here; longer on a loaded machine).
            let lasted = ContinuousClock.now - floodStart
            let bound = 1 + 20 + Int(lasted.components.seconds) + 2
            #expect(flood.count <= bound, "\(flood.count) records for 61 refusals in \(lasted) (bound \(bound))")
            try await Task.sleep(for: .milliseconds(1_200))
            #expect(try await hub.request(.post, "/v1/messages", token: g22, body: Array("<still-not/>".utf8)).status == 400)
            // The first record written after refusals were left out says how many (on a loaded machine the flood
            // lasts long enough for the rate to let one of its own through: that one carries the count).
            let records = try #require(try await hub.request(.get, "/v1/refusals?limit=1000", token: g22).json?["items"] as? [[String: Any]])
            let reasons = records.flatMap { ($0["reasons"] as? [String]) ?? [] }
            #expect(reasons.contains { $0.contains("earlier refusals of this caller were answered but not recorded") }, "\(reasons.suffix(5))")
        }
    }
}

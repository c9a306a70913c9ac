import AsyncHTTPClient
import EdXML
import NIOCore
import NIOSSL
import Foundation
import NIOHTTP1
import Testing
import TrucTestSupport
import TrucCore
import TrucSignatures
import TrucStore
import TrucServer
@testable import TrucSQLiteStore
@testable import TrucVocabulary

/// The record tells the truth: one document counted once, conflicting re-sends refused, refusals visible,
/// partial recipients served — with signed documents made by independent tools (xmlsec1, pyHanko).
@Suite("The record tells the truth", .timeLimit(.minutes(30)))
struct RecordTruthTests {
    static func today() -> String { CivilCalendar.vietnamDay(Int64(Date().timeIntervalSince1970)) }

    static func totals(_ hub: LiveHub) async throws -> [String: Any] {
        let d = today()
        let report = try await hub.request(.GET, "/v1/stats/signed-ratio?from=\(d)&to=\(d)&agency=000.00.00.G22", token: hub.operatorToken)
        return try #require(report.json?["totals"] as? [String: Any])
    }

    @Test("unsigned then signed with the same DocumentId: 409 naming the accepted copy, nothing stored; byte-identical: 200 duplicate")
    func conflict() async throws {
        try await MidnightGuard.awayFromMidnight()  // its expectations name today
        try await LiveHub.run { hub in
            let g22 = try await hub.token("000.00.00.G22"), h41 = try await hub.token("000.00.00.H41")
            let first = try await hub.post("signatures/pdf-unsigned.edxml", token: g22)
            #expect(first.status == 202)
            let id = try #require(first.json?["id"] as? String), sha = try #require(first.json?["sha256"] as? String)
            let again = try await hub.post("signatures/pdf-unsigned.edxml", token: g22)
            #expect(again.status == 200 && again.json?["duplicate"] as? Bool == true && again.json?["id"] as? String == id)
            let signed = try await hub.post("signatures/pdf-both-zip.edxml", token: g22)
            #expect(signed.status == 409 && signed.errorCode == "document-id-conflict", "\(String(decoding: signed.body, as: UTF8.self))")
            let accepted = (signed.json?["error"] as? [String: Any])?["accepted"] as? [String: Any]
            #expect(accepted?["id"] as? String == id && accepted?["sha256"] as? String == sha)
            #expect(((signed.json?["error"] as? [String: Any])?["message"] as? String)?.contains("BussinessDocType 2 or 3") == true)
            let inbox = try await hub.request(.GET, "/v1/inbox?kind=edoc", token: h41).json?["items"] as? [[String: Any]]
            #expect(inbox?.count == 1 && inbox?.first?["messageId"] as? String == id, "nothing stored for the conflicting copy")
            let totals = try await Self.totals(hub)
            #expect(totals["total"] as? Int == 1 && totals["unsigned"] as? Int == 1)
            // The conflict is a refusal the sender can read.
            let refusals = try await hub.request(.GET, "/v1/refusals", token: g22).json?["items"] as? [[String: Any]]
            #expect(refusals?.map { $0["code"] as? String } == ["document-id-conflict"])
        }
    }

    @Test("five retries of a refused document count once; refused then corrected counts once, in the corrected bucket; the refusals are visible")
    func refusedThenCorrected() async throws {
        try await MidnightGuard.awayFromMidnight()  // its expectations name today
        try await LiveHub.run { hub in
            let g22 = try await hub.token("000.00.00.G22"), h41 = try await hub.token("000.00.00.H41")
            for _ in 0..<5 { #expect(try await hub.post("signatures/pdf-tampered.edxml", token: g22).status == 422) }
            var totals = try await Self.totals(hub)
            #expect(totals["total"] as? Int == 1 && totals["invalid"] as? Int == 1, "\(totals)")
            // The corrected document (same sender, DocumentId, business type) is accepted normally.
            let corrected = try await hub.post("signatures/pdf-both-zip.edxml", token: g22)
            #expect(corrected.status == 202, "\(String(decoding: corrected.body.prefix(300), as: UTF8.self))")
            totals = try await Self.totals(hub)
            #expect(totals["total"] as? Int == 1 && totals["invalid"] as? Int == 0 && totals["both"] as? Int == 1, "\(totals)")
            #expect(totals["signedRatio"] as? Double == 1)

            // The sender sees its refused attempts with the reasons; another agency sees none of them.
            let own = try #require(try await hub.request(.GET, "/v1/refusals", token: g22).json)
            let items = try #require(own["items"] as? [[String: Any]])
            #expect(items.count == 5)
            #expect(items.allSatisfy { $0["code"] as? String == "invalid-signature" && $0["sender"] as? String == "000.00.00.G22" })
            #expect(items.allSatisfy { ($0["documentId"] as? String)?.hasPrefix("000.00.00.G22,2015/09/30") == true })
            #expect((items.first?["reasons"] as? [String])?.first?.contains("digest-mismatch") == true, "\(items.first ?? [:])")
            #expect((items.first?["sha256"] as? String)?.count == 64 && (items.first?["size"] as? Int ?? 0) > 0)
            #expect((items.first?["time"] as? String)?.hasSuffix("+07:00") == true)
            #expect((try await hub.request(.GET, "/v1/refusals", token: h41).json?["items"] as? [[String: Any]])?.isEmpty == true)
            // The operator filters by agency and code, and sees the counts.
            let admin = try #require(try await hub.request(.GET, "/v1/admin/refusals?agency=000.00.00.G22&code=invalid-signature", token: hub.operatorToken).json)
            #expect((admin["items"] as? [[String: Any]])?.count == 5)
            let counts = admin["counts"] as? [String: Any]
            #expect((counts?["byCode"] as? [String: Int])?["invalid-signature"] == 5)
            #expect(try await hub.request(.GET, "/v1/admin/refusals", token: g22).status == 403)
            #expect(try await hub.request(.GET, "/v1/refusals?from=2024-01-0%C2%BD", token: g22).errorCode == "invalid-date")
        }
    }

    @Test("a document whose recipients are partly unknown is accepted for the others; the sender is told (answer, trace, non-delivery receipt)")
    func partialRecipients() async throws {
        let agencies: [(String, String, String?)] = [("000.00.00.G22", "Văn phòng Chính phủ", "MST:0100100001"),
                                                     ("000.00.00.H41", "UBND Tỉnh Nghệ An", "MST:2900100002"), ("000.00.00.H14", "UBND Tỉnh Cao Bằng", nil)]
        try await LiveHub.run(agencies: agencies) { hub in
            let g22 = try await hub.token("000.00.00.G22")
            let sent = try await hub.post("signatures/pdf-both-zip.edxml", token: g22)
            #expect(sent.status == 202, "\(String(decoding: sent.body.prefix(300), as: UTF8.self))")
            #expect(sent.json?["recipients"] as? [String] == ["000.00.00.H41", "000.00.00.H14"])
            let unrouted = sent.json?["unroutedRecipients"] as? [[String: Any]]
            #expect(unrouted?.count == 1 && unrouted?.first?["code"] as? String == "000.00.00.G17")
            #expect((unrouted?.first?["reason"] as? String)?.hasPrefix("unknown-recipient") == true)
            let id = try #require(sent.json?["id"] as? String)
            let trace = try await hub.request(.GET, "/v1/messages/\(id)/trace", token: g22).json?["deliveries"] as? [[String: Any]] ?? []
            let g17 = trace.first { $0["recipient"] as? String == "000.00.00.G17" }
            #expect(g17?["state"] as? String == "failed" && (g17?["reason"] as? String)?.hasPrefix("unknown-recipient") == true)
            // A signed non-delivery receipt waits in the sender's status inbox.
            let items = try await hub.request(.GET, "/v1/inbox?kind=status", token: g22).json?["items"] as? [[String: Any]] ?? []
            let receiptId = try #require(items.first { $0["kind"] as? String == "receipt" }?["messageId"] as? String)
            let receipt = try #require(DeliveryReceipt.parse(try await hub.request(.GET, "/v1/messages/\(receiptId)", token: g22).body))
            #expect(receipt.outcome == "undeliverable" && receipt.recipient == "000.00.00.G17" && receipt.reason?.hasPrefix("unknown-recipient") == true)
        }
        // No recipient served at all: refused as before.
        try await LiveHub.run(agencies: [("000.00.00.G22", "Văn phòng Chính phủ", "MST:0100100001")]) { hub in
            let refused = try await hub.post("signatures/pdf-both-zip.edxml", token: try await hub.token("000.00.00.G22"))
            #expect(refused.status == 422 && refused.errorCode == "unknown-recipient")
        }
    }
}

extension RecordTruthTests {
    @Test("the dashboard shows the refusals: counts by code and by agency, the latest with their reason")
    func dashboardPanel() async throws {
        try await LiveHub.run { hub in
            let g22 = try await hub.token("000.00.00.G22")
            for _ in 0..<2 { #expect(try await hub.post("signatures/pdf-tampered.edxml", token: g22).status == 422) }
            // H41 pulls its messages: no Pause for it (pausing holds pushes and forwards only).
            #expect(try await hub.post("signatures/pdf-unsigned.edxml", token: g22).status == 202)
            try await DashboardPagesTests.Browser.session(hub) { browser in
            let html = try await browser.get("/").text
            #expect(html.contains("id=\"refusals\"") && html.contains("id=\"refused-count\">2<"), "\(html.prefix(500))")
            #expect(html.contains("<td data-label=\"mã lỗi / code\">invalid-signature</td><td class=\"n\" data-label=\"số / count\">2</td>"))
            #expect(html.contains("000.00.00.G22,2015/09/30,7816/VPCP-TTĐT"))
            #expect(html.contains("digest-mismatch"))
            #expect(html.contains("id=\"ratio-definition\""))
            #expect(html.contains("data-pull-only=\"000.00.00.H41\"") && !html.contains("name=\"agency\" value=\"000.00.00.H41\""))
            }
        }
    }

    @Test("without an operator token, the dashboard says that operator access is off (not \"wrong token\")")
    func operatorAccessOff() async throws {
        try await LiveHub.run(configure: { $0.operatorToken = nil }) { hub in
            let page = String(decoding: try await hub.request(.GET, "/").body, as: UTF8.self)
            #expect(page.contains("operator access is off"))
            let login = try await hub.request(.POST, "/login", body: Array("token=anything".utf8))
            #expect(login.status == 403 && String(decoding: login.body, as: UTF8.self).contains("operator access is off"))
        }
    }
}

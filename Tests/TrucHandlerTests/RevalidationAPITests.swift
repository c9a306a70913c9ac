import Foundation
import Testing
import EdXML
import HTTPTypes
import TrucTestSupport
@testable import TrucServer
@testable import TrucVocabulary

/// The operator's re-validation API: a period re-judged from the kept data, nothing written.
@Suite("Re-validation API: a period re-judged from the kept data, for the operator only", .timeLimit(.minutes(30)))
struct RevalidationAPITests {
    @Test("POST /v1/admin/revalidate: every document of the day re-judged at receipt, the same verdicts; under the current trust too; bad input 400; agencies 403")
    func api() async throws {
        try await MidnightGuard.awayFromMidnight()  // its expectations name today
        try await RouterHub.run { hub in
            let g22 = try await hub.token("000.00.00.G22")
            #expect(try await hub.post("signatures/pdf-both-zip.edxml", token: g22).status == 202)
            #expect(try await hub.post("signatures/env-xades-signxml.edxml", token: g22).status == 202)
            let today = CivilCalendar.vietnamDay(Int64(Date().timeIntervalSince1970))
            func revalidate(_ body: String, token: String? = nil) async throws -> RouterHub.Reply {
                try await hub.request(.post, "/v1/admin/revalidate", token: token ?? RouterHub.operatorToken, body: Array(body.utf8),
                                      headers: [.contentType: "application/json"])
            }
            for trust in ["kept", "current"] {
                let answer = try await revalidate(#"{"from":"\#(today)","to":"\#(today)","at":"receipt","trust":"\#(trust)"}"#)
                #expect(answer.status == 200 && answer.json?["documents"] as? Int == 2 && answer.json?["changed"] as? Int == 0,
                        "\(trust): \(String(decoding: answer.body, as: UTF8.self).prefix(2000))")
                let outcomes = answer.json?["outcomes"] as? [[String: Any]] ?? []
                #expect(outcomes.allSatisfy { ($0["signaturesNow"] as? [[String: Any]])?.allSatisfy { $0["indication"] as? String == "TOTAL-PASSED" } == true })
            }
            #expect(try await revalidate(#"{"from":"\#(today)","to":"\#(today)","at":"now"}"#).json?["changed"] as? Int == 0)
            #expect(try await revalidate(#"{"from":"2026-13-01","to":"\#(today)"}"#).errorCode == "invalid-date")
            #expect(try await revalidate(#"{"from":"\#(today)","to":"\#(today)","at":"later"}"#).errorCode == "invalid-parameter")
            #expect(try await revalidate("not json").errorCode == "invalid-body")
            #expect(try await revalidate(#"{"from":"\#(today)","to":"\#(today)"}"#, token: g22).status == 403)
        }
    }
}

import Foundation
import HTTPTypes
import Testing
import TrucTestSupport
import TrucCore
import TrucStore
import TrucMemoryStore
@testable import TrucVocabulary

@Suite("Signed-ratio statistics", .timeLimit(.minutes(30)))
struct StatsTests {
    /// A fixture with its own DocumentId (so that no two count as duplicates).
    func variant(_ fixture: String, _ n: Int, xpath: Bool = false) throws -> [UInt8] {
        try TestText.variant(RouterHub.fixture(fixture), n, xpath: xpath)
    }

    @Test("one message of each bucket, through the API, in JSON and CSV, with scopes and the recipient filter")
    func buckets() async throws {
        try await MidnightGuard.awayFromMidnight()  // its expectations name today
        try await RouterHub.run { hub in
            let g22 = try await hub.token("000.00.00.G22"), h41 = try await hub.token("000.00.00.H41")
            let sends: [(String, Bool, Int)] = [("signatures/pdf-both-zip.edxml", false, 202), ("signatures/pdf-organisation.edxml", false, 202),
                                                ("signatures/pdf-personal.edxml", false, 202), ("signatures/pdf-unsigned.edxml", false, 202),
                                                ("signatures/pdf-tampered.edxml", false, 422), ("signatures/env-valid-exclusive.edxml", true, 202)]
            for (i, (fixture, xpath, status)) in sends.enumerated() {
                let reply = try await hub.request(.post, "/v1/messages", token: g22, body: try variant(fixture, i + 1, xpath: xpath))
                #expect(reply.status == status, "\(fixture): \(String(decoding: reply.body, as: UTF8.self).prefix(300))")
            }
            let today = CivilCalendar.vietnamDay(Int64(Date().timeIntervalSince1970))
            let report = try #require(try await hub.request(.get, "/v1/stats/signed-ratio?from=\(today)&to=\(today)&agency=000.00.00.G22",
                                                            token: RouterHub.operatorToken).json)
            let totals = try #require(report["totals"] as? [String: Any])
            #expect(totals["total"] as? Int == 6)
            for bucket in ["invalid", "indeterminate", "both", "organisation", "personal", "unsigned"] { #expect(totals[bucket] as? Int == 1, "\(bucket)") }
            #expect(totals["signedRatio"] as? Double == 0.5)
            #expect(abs((totals["organisationSignedRatio"] as? Double ?? 0) - 2.0 / 6) < 1e-9)
            #expect(abs((totals["fullySignedRatio"] as? Double ?? 0) - 1.0 / 6) < 1e-9)
            #expect((report["definition"] as? String)?.contains("first match wins") == true)
            let group = try #require((report["groups"] as? [[String: Any]])?.first)
            #expect(group["key"] as? String == "000.00.00.G22" && group["name"] as? String == "Văn phòng Chính phủ")

            // Documents addressed to one agency (the published figures are of this kind).
            let toH41 = try await hub.request(.get, "/v1/stats/signed-ratio?from=\(today)&to=\(today)&recipient=000.00.00.H41&groupBy=day", token: RouterHub.operatorToken)
            #expect((toH41.json?["totals"] as? [String: Any])?["total"] as? Int == 6)
            #expect((toH41.json?["groups"] as? [[String: Any]])?.first?["key"] as? String == today)
            let toOther = try await hub.request(.get, "/v1/stats/signed-ratio?from=\(today)&to=\(today)&recipient=000.00.12.H41", token: RouterHub.operatorToken)
            #expect((toOther.json?["totals"] as? [String: Any])?["total"] as? Int == 0)

            // CSV opens in a spreadsheet: UTF-8 with BOM, Vietnamese intact.
            let csv = try await hub.request(.get, "/v1/stats/signed-ratio?from=\(today)&to=\(today)&format=csv", token: g22)
            #expect(Array(csv.body.prefix(3)) == [0xEF, 0xBB, 0xBF])
            let text = String(decoding: csv.body.dropFirst(3), as: UTF8.self)
            #expect(text.hasPrefix("agency,name,total,invalid,indeterminate,both,organisation,personal,unsigned,signedRatio"), "the header is line 1")
            #expect(csv.headers[HTTPField.Name("Truc-Definition")!]?.hasPrefix("Population: one entry per distinct document") == true)
            #expect(text.contains("000.00.00.G22,Văn phòng Chính phủ,6,1,1,1,1,1,1,0.5000,0.3333,0.1667"))

            // Scope: an agency sees itself and its subtree only.
            #expect(try await hub.request(.get, "/v1/stats/signed-ratio?from=\(today)&to=\(today)&agency=000.00.00.G22", token: h41).status == 403)
            let own = try await hub.request(.get, "/v1/stats/signed-ratio?from=\(today)&to=\(today)&scope=subtree", token: h41)
            #expect(own.status == 200 && (own.json?["totals"] as? [String: Any])?["total"] as? Int == 0)
            #expect(try await hub.request(.get, "/v1/stats/signed-ratio?from=\(today)", token: h41).status == 400)

            // Volume and certificates in use: 5 accepted documents from G22 (the invalid one is not stored),
            // each to 3 recipients; H41 received 5. Distinct signing certificates of valid signatures: the demo
            // personal and organisation certificates of G22.
            let volume = try #require(try await hub.request(.get, "/v1/stats/volume?from=\(today)&to=\(today)", token: RouterHub.operatorToken).json)
            let groups = try #require(volume["groups"] as? [[String: Any]])
            let g22Row = try #require(groups.first { $0["key"] as? String == "000.00.00.G22" })
            #expect(g22Row["sent"] as? Int == 5 && g22Row["received"] as? Int == 0)
            #expect(groups.first { $0["key"] as? String == "000.00.00.H41" }?["received"] as? Int == 5)
            #expect((volume["signingCertificates"] as? [String: Int]) == ["personal": 1, "organisation": 1, "unknown": 0])
            let ownVolume = try #require(try await hub.request(.get, "/v1/stats/volume?from=\(today)&to=\(today)", token: h41).json)
            #expect((ownVolume["totals"] as? [String: Int])?["received"] == 5)
            #expect((ownVolume["totals"] as? [String: Int])?["sent"] == 0)
        }
    }

    @Test("days are Vietnam days (UTC+7)")
    func vietnamDays() {
        #expect(CivilCalendar.vietnamDay(1_795_280_399) == "2026-11-21") // 2026-11-21T16:59:59Z = 23:59:59 in Hà Nội
        #expect(CivilCalendar.vietnamDay(1_795_280_400) == "2026-11-22") // 2026-11-21T17:00:00Z = 00:00 in Hà Nội
        #expect(CivilCalendar.vietnamDayStart("2026-11-22") == 1_795_280_400)
        #expect(CivilCalendar.vietnamDayStart("2026-11-21") == 1_795_194_000)
        #expect(CivilCalendar.vietnamDayStart("2026-11") == nil && CivilCalendar.vietnamDayStart("") == nil)
    }

    @Test("subtrees follow the registry, then the codes")
    func hierarchy() {
        let h = Hierarchy(parents: ["000.00.05.G22": "000.00.00.G22"])
        #expect(h.isWithin("000.46.24.H44", of: "000.00.00.H44"))
        #expect(h.isWithin("000.00.05.G22", of: "000.00.00.G22"))
        #expect(!h.isWithin("000.00.00.H41", of: "000.00.00.G22"))
    }
}

@Suite("Timeliness statistics", .timeLimit(.minutes(30)))
struct TimelinessTests {
    @Test("same-day acknowledgement, completion and overdue documents from the statuses relayed")
    func timeliness() async throws {
        try await MidnightGuard.awayFromMidnight()  // its expectations name today
        try await RouterHub.run { hub in
            let g22 = try await hub.token("000.00.00.G22"), h41 = try await hub.token("000.00.00.H41")
            #expect(try await hub.post("signatures/pdf-both-zip.edxml", token: g22).status == 202) // DueDate 2019/04/11
            #expect(try await hub.post("vpcp/status_inbox_01.edxml", token: h41).status == 202)
            let today = TimelinessTests.today()
            func h41Row() async throws -> [String: Any] {
                let report = try #require(try await hub.request(.get, "/v1/stats/timeliness?from=\(today)&to=\(today)", token: h41).json)
                return try #require((report["agencies"] as? [[String: Any]])?.first)
            }
            var row = try await h41Row()
            #expect(row["agency"] as? String == "000.00.00.H41" && row["documents"] as? Int == 1)
            #expect(row["acknowledgedSameDay"] as? Int == 1 && row["sameDayRatio"] as? Double == 1)
            #expect(row["withDueDate"] as? Int == 1)
            #expect((row["overdue"] as? [[String: Any]])?.first?["dueDate"] as? String == "2019-04-11")
            #expect(try await hub.post("vpcp/status_finish_06.edxml", token: h41).status == 202)
            row = try await h41Row()
            #expect((row["overdue"] as? [Any])?.isEmpty == true)
            #expect(row["completedByDueDate"] as? Int == 0) // finished, but years after its due date
            #expect((row["medianHoursToCompletion"] as? Double ?? -1) >= 0)
            #expect(try await hub.request(.get, "/v1/stats/timeliness?from=\(today)&to=\(today)&agency=000.00.00.G22", token: h41).status == 403)
        }
    }

    static func today() -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd"
        formatter.timeZone = TimeZone(secondsFromGMT: 7 * 3600)
        return formatter.string(from: Date())
    }

    @Test("report inputs are strict: unknown agency or recipient 404, impossible dates 400, parameters from their sets")
    func strictInputs() async throws {
        try await MidnightGuard.awayFromMidnight()  // its expectations name today
        try await RouterHub.run { hub in
            let op = RouterHub.operatorToken
            let day = CivilCalendar.vietnamDay(Int64(Date().timeIntervalSince1970))
            for path in ["signed-ratio", "volume", "timeliness"] {
                #expect(try await hub.request(.get, "/v1/stats/\(path)?from=\(day)&to=\(day)&agency=000.00.99.H99", token: op).errorCode == "unknown-agency")
                #expect(try await hub.request(.get, "/v1/stats/\(path)?from=2024-02-30&to=\(day)", token: op).errorCode == "invalid-date")
                #expect(try await hub.request(.get, "/v1/stats/\(path)?from=\(day)&to=\(day)&scope=all", token: op).status == 400)
            }
            #expect(try await hub.request(.get, "/v1/stats/signed-ratio?from=\(day)&to=\(day)&recipient=000.00.99.H99", token: op).status == 404)
            #expect(try await hub.request(.get, "/v1/stats/signed-ratio?from=\(day)&to=\(day)&groupBy=week", token: op).status == 400)
            #expect(try await hub.request(.get, "/v1/stats/signed-ratio?from=\(day)&to=\(day)&format=xml", token: op).status == 400)
            #expect(try await hub.request(.get, "/v1/stats/signed-ratio?from=\(day)&to=\(day)&businessType=%D9%A3", token: op).status == 400)
            #expect(try await hub.request(.get, "/v1/inbox?limit=%EF%BC%91", token: try await hub.token("000.00.00.H41")).status == 400)
            // Missing medians and ratios are null, not left out.
            #expect(try await hub.post("signatures/pdf-unsigned.edxml", token: try await hub.token("000.00.00.G22")).status == 202)
            // (From the day the test began to the day it is now: a run across midnight in Hà Nội, 17:00 UTC, spans two.)
            let now = CivilCalendar.vietnamDay(Int64(Date().timeIntervalSince1970))
            let timeliness = try await hub.request(.get, "/v1/stats/timeliness?from=\(day)&to=\(now)&agency=000.00.00.H41", token: op)
            let text = String(decoding: timeliness.body, as: UTF8.self)
            #expect(timeliness.status == 200 && text.contains("\"medianHoursToAcceptance\":null"), "\(text.prefix(400))")
        }
    }

    @Test("re-sending a refused document does not count it again (by its sender or by a relaying peer)")
    func refusedOnce() async throws {
        try await MidnightGuard.awayFromMidnight()  // its expectations name today
        try await RouterHub.run(relays: ["000.00.00.W41"]) { hub in
            let g22 = try await hub.token("000.00.00.G22"), peer = try await hub.token("000.00.00.W41")
            let began = CivilCalendar.vietnamDay(Int64(Date().timeIntervalSince1970))
            func invalid() async throws -> Int? {
                // From the day the test began to today: a run across midnight in Hà Nội (17:00 UTC) spans two days.
                let today = CivilCalendar.vietnamDay(Int64(Date().timeIntervalSince1970))
                let report = try await hub.request(.get, "/v1/stats/signed-ratio?from=\(began)&to=\(today)&agency=000.00.00.G22", token: RouterHub.operatorToken)
                return (report.json?["totals"] as? [String: Any])?["invalid"] as? Int
            }
            let tampered = try StatsTests().variant("signatures/pdf-tampered.edxml", 1)
            for _ in 0..<5 { #expect(try await hub.request(.post, "/v1/messages", token: g22, body: tampered).status == 422) }
            // A peer hub cannot send as G22 (an agency of this hub): refused as such, never counted.
            for _ in 0..<5 { #expect(try await hub.request(.post, "/v1/messages", token: peer, body: tampered).errorCode == "sender-not-behind-peer") }
            #expect(try await invalid() == 1)
            // Another document is another entry.
            #expect(try await hub.request(.post, "/v1/messages", token: g22, body: try StatsTests().variant("signatures/pdf-tampered.edxml", 2)).status == 422)
            #expect(try await invalid() == 2)
        }
    }
}

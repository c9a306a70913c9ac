import Foundation
import HTTPTypes
import Testing
import TrucTestSupport
import TrucCore
import TrucStore
import TrucMemoryStore
@testable import TrucVocabulary

/// The dashboard's pages as a logged-in operator's browser sees them, in process (the fast tier): the national
/// view and its ranges, an agency's page, search and the tree, CSV exports, the validation-report download, the
/// pause and resume forms and their redirects, and what happens without a session. (What crosses the wire —
/// TLS, a browser's JavaScript, sessions across restarts — stays in TrucServerTests.)
@Suite("Dashboard pages in process: ranges, agencies, CSV, forms", .timeLimit(.minutes(30)))
struct DashboardPagesRouterTests {
    static let agencies: [(String, String, String?)] = [
        ("000.00.00.G22", "Văn phòng Chính phủ", "MST:0100100001"), ("000.00.00.H41", "UBND Tỉnh Nghệ An", "MST:2900100002"),
        ("000.00.12.H41", "Sở Thông tin và Truyền thông Nghệ An", "MST:2900100003"), ("000.00.00.H14", "UBND Tỉnh Cao Bằng", nil),
        ("000.00.00.G17", "Bộ Thông tin và Truyền thông", nil), ("000.00.11.H53", "Sở Nội vụ tỉnh (H53)", nil),
        ("000.00.01.A53", "Cơ quan nhận (A53)", nil),
    ]

    /// An operator's browser on the in-process router: logged in once (the session cookie), then pages and forms.
    struct Browser {
        let hub: RouterHub
        let cookie: String

        static func login(_ hub: RouterHub) async throws -> Browser {
            let answer = try await hub.request(.post, "/login", body: Array("token=\(RouterHub.operatorToken)".utf8),
                                               headers: [.contentType: "application/x-www-form-urlencoded"])
            let cookie = try #require(answer.headers[.setCookie]?.split(separator: ";").first.map(String.init), "\(answer.status) \(answer.text)")
            return Browser(hub: hub, cookie: cookie)
        }

        func get(_ path: String, cookie: Bool = true) async throws -> (status: Int, headers: HTTPFields, text: String) {
            let answer = try await hub.request(.get, path, headers: cookie ? [.cookie: self.cookie] : [:])
            return (answer.status, answer.headers, String(decoding: answer.body, as: UTF8.self))
        }

        func post(_ path: String, form: String) async throws -> (status: Int, location: String?) {
            let answer = try await hub.request(.post, path, body: Array(form.utf8),
                                               headers: [.cookie: cookie, .contentType: "application/x-www-form-urlencoded"])
            return (answer.status, answer.headers[.location])
        }
    }

    @Test("national view for each range; an agency's page with its refusals and last pull; search, tree, CSV; forms; errors")
    func pages() async throws {
        try await MidnightGuard.awayFromMidnight()  // its expectations name today
        try await RouterHub.run(agencies: Self.agencies) { hub in
            let g22 = try await hub.token("000.00.00.G22"), h53 = try await hub.token("000.00.11.H53"), h41 = try await hub.token("000.00.00.H41")
            #expect(try await hub.post("signatures/pdf-both-zip.edxml", token: g22).status == 202)
            #expect(try await hub.post("signatures/env-countersigned.edxml", token: g22).status == 202)
            #expect(try await hub.post("signatures/env-xades-signxml.edxml", token: g22).status == 202)
            for _ in 0..<2 { #expect(try await hub.post("signatures/pdf-tampered.edxml", token: g22).status == 422) }
            #expect(try await hub.post("vpcp/edoc-integrator_edoc-service_edoc_new.edxml", token: h53).status == 202)
            #expect(try await hub.request(.get, "/v1/inbox", token: h41).status == 200)
            let browser = try await Browser.login(hub)
            let now = Int64(Date().timeIntervalSince1970)
            let today = CivilCalendar.vietnamDay(now), month = String(today.prefix(7))

            // The national view, every range: the same documents today, in 7 and 30 days and in this month.
            for range in ["", "?range=today", "?range=7d", "?range=30d", "?range=month&month=\(month)"] {
                let page = try await browser.get("/" + range)
                #expect(page.status == 200 && page.text.contains("id=\"ratio-card\"") && page.text.contains("id=\"daily-chart\""), "\(range)")
                #expect(page.text.contains("<b>75.0 %</b> của / of 4 văn bản / documents"), "\(range): 3 of 4 signed")
                #expect(!page.text.contains("id=\"page-error\""), "\(range)")
            }
            let week = try await browser.get("/?range=7d")
            #expect(week.text.contains("<b aria-current=\"true\">7 ngày / 7 days</b>"))
            #expect(week.text.contains("số liệu lúc / as of"), "cached figures say when they were computed")
            // A bad range is said, and the standard range is shown instead.
            for bad in ["?range=year", "?range=month&month=2026-13", "?range=month&month=20x6-01", "?range=month&month=2999-01"] {
                let page = try await browser.get("/" + bad)
                #expect(page.status == 200 && page.text.contains("id=\"page-error\"") && page.text.contains("30 ngày / 30 days ("), "\(bad)")
            }
            // An earlier month has none of today's documents.
            let (y, m) = (Int(month.prefix(4))!, Int(month.suffix(2))!)
            let previous = m == 1 ? "\(y - 1)-12" : "\(y)-\(m - 1 < 10 ? "0" : "")\(m - 1)"
            #expect(try await browser.get("/?range=month&month=\(previous)").text.contains("của / of 0 văn bản / documents"))

            // The agency page: what it sent, its signed ratio, its refusals with reasons; H41's last pull.
            let g22Page = try await browser.get("/agencies/000.00.00.G22")
            #expect(g22Page.status == 200 && g22Page.text.contains("id=\"agency-sent\">3<") && g22Page.text.contains("id=\"agency-refused\">2<"))
            #expect(g22Page.text.contains("digest-mismatch") && g22Page.text.contains("invalid-signature"))
            #expect(g22Page.text.contains("id=\"agency-ratio-total\">100.0 %<"))
            let h41Page = try await browser.get("/agencies/000.00.00.H41")
            #expect(h41Page.text.contains("id=\"agency-received\">3<"), "three documents to H41 (the H53 one goes to A53)")
            #expect(h41Page.text.contains("id=\"last-pull\">\(today)"), "H41 pulled its inbox today")
            #expect(h41Page.text.contains("href=\"/agencies/000.00.12.H41\""), "its department is listed below it")
            #expect(!h41Page.text.contains("name=\"agency\" value=\"000.00.00.H41\""), "no Pause for an agency that pulls")
            #expect(try await browser.get("/agencies/000.00.00.G17").text.contains("chưa thấy / never seen"))
            let unknown = try await browser.get("/agencies/000.00.99.Z99")
            #expect(unknown.status == 404 && unknown.text.contains("unknown-agency"))

            // A looked-up message links its hub-signed ETSI validation report (a download, for a session only).
            let lookup = try await browser.get("/?lookup=" + "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
            let link = try #require(lookup.text.range(of: #"href="/messages/[^"]+/validation-report""#, options: .regularExpression)
                .map { String(lookup.text[$0].dropFirst(6).dropLast()) }, "\(lookup.text.suffix(3000))")
            let report = try await browser.get(link)
            #expect(report.status == 200 && report.headers[.contentType] == "application/xml; charset=utf-8"
                    && report.headers[.contentDisposition]?.hasPrefix("attachment; filename=\"validation-report-") == true
                    && report.text.contains("<ValidationReport xmlns=\"http://uri.etsi.org/19102/v1.4.1#\"")
                    && report.text.contains("urn:etsi:019102:mainindication:total-passed") && report.text.contains("<ds:SignatureValue>"), "\(report.text.prefix(1500))")
            #expect(try await browser.get(link, cookie: false).status == 401)
            #expect(try await browser.get("/messages/nothing/validation-report").status == 404)

            // Search (accents and case folded) and the tree.
            let found = try await browser.get("/agencies?q=nghe+an")
            #expect(found.text.contains("000.00.00.H41") && found.text.contains("000.00.12.H41") && !found.text.contains("000.00.00.G22<"))
            #expect(try await browser.get("/agencies?q=N%E1%BB%98I%20V%E1%BB%A4").text.contains("000.00.11.H53"), "NỘI VỤ finds Nội vụ")
            let top = try await browser.get("/agencies")
            #expect(top.text.contains("href=\"/agencies?parent=000.00.00.H41\">1 ›</a>") && !top.text.contains(">000.00.12.H41</a>"))
            #expect(try await browser.get("/agencies?parent=000.00.00.H41").text.contains(">000.00.12.H41</a>"))

            // CSV: the same rows as the tables, with their headers; formula-like text defused.
            let ratio = try await browser.get("/?range=30d&format=csv&table=ratio")
            #expect(ratio.status == 200 && ratio.headers[.contentType] == "text/csv; charset=utf-8")
            #expect(ratio.headers[.contentDisposition]?.contains("truc-ratio-") == true)
            let rows = TestText.csvRows(ratio.text)
            #expect(rows.first == ["key", "name", "documents", "both", "organisation", "personal", "unsigned", "indeterminate", "invalid", "signedRatio"])
            #expect(rows.contains(["000.00.00.G22", "Văn phòng Chính phủ", "3", "2", "1", "0", "0", "0", "0", "1.0000"]), "\(rows)")
            let refused = TestText.csvRows(try await browser.get("/agencies/000.00.00.G22?format=csv&table=agency-refusals").text)
            #expect(refused.count == 3 && refused[1][3] == "invalid-signature" && refused[1][4].contains("digest-mismatch"), "\(refused)")
            let agencies = TestText.csvRows(try await browser.get("/agencies?format=csv&table=agencies").text)
            #expect(agencies.first == ["agency", "name", "delivery", "lastPull", "undelivered", "below"] && agencies.count >= 6)
            let bogus = try await browser.get("/?format=csv&table=nothing")
            #expect(bogus.status == 400 && bogus.text.contains("invalid-parameter") && bogus.text.contains("agency-queues"))

            // Pause from an agency page goes back to that page; a "back" that leaves the site goes to "/" instead.
            let page = try await browser.get("/").text
            let csrf = try #require(page.range(of: #"name="csrf" value="([0-9a-f]+)""#, options: .regularExpression).map {
                String(page[$0].dropFirst(#"name="csrf" value=""#.count).dropLast())
            })
            let back = try await browser.post("/dashboard/pause", form: "csrf=\(csrf)&agency=000.00.00.H14&back=%2Fagencies%2F000.00.00.H14%3Frange%3D7d")
            #expect(back.status == 303 && back.location?.hasPrefix("/agencies/000.00.00.H14?range=7d&notice=") == true, "\(back)")
            for hostile in ["%2F%2Fevil.example%2F", "https%3A%2F%2Fevil.example", "%2F%5Cevil.example"] {
                let answer = try await browser.post("/dashboard/resume", form: "csrf=\(csrf)&agency=000.00.00.H14&back=\(hostile)")
                #expect(answer.status == 303 && answer.location?.hasPrefix("/?notice=") == true, "\(hostile): \(answer)")
            }
            #expect(try await browser.post("/dashboard/pause", form: "csrf=0000&agency=000.00.00.H14").status == 403, "a wrong CSRF token")

            // Without a session: the pages show the login form (401), the CSV too; forms are refused.
            let anonymous = try await browser.get("/agencies/000.00.00.G22", cookie: false)
            #expect(anonymous.status == 401 && anonymous.text.contains("id=\"login\"") && !anonymous.text.contains("digest-mismatch"))
            #expect(try await browser.get("/?format=csv&table=ratio", cookie: false).text.contains("id=\"login\""))
        }
    }
}

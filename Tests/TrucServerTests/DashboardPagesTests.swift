import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import EdXML
import NIOSSL
import Testing
import TrucTestSupport
import TrucCore
@testable import TrucServer
import TrucStore
@testable import TrucVocabulary

/// The dashboard's pages as a logged-in operator fetches them over HTTPS: the national view and its date
/// ranges, the agency page, search and the tree, CSV exports of the tables shown, and what happens without a
/// session or with bad parameters.
@Suite("Dashboard pages: ranges, agencies, CSV", .timeLimit(.minutes(30)))
struct DashboardPagesTests {
    /// An operator's browser: logged in once, then GETs with the session cookie.
    struct Browser {
        let client: HTTPClient
        let base: String
        let cookie: String

        static func client() throws -> HTTPClient {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(LiveHub.demo("trust/root-ca.pem")))
            return HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls, redirectConfiguration: .disallow))
        }

        /// A form post without a session; the answer's status.
        static func form(_ hub: LiveHub, _ path: String, _ form: String) async throws -> UInt {
            let client = try client()
            var request = HTTPClientRequest(url: hub.base + path)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: form))
            let status: UInt
            do {
                status = try await client.execute(request, timeout: .seconds(30)).status.code
            } catch {
                try? await client.shutdown()
                throw error
            }
            try await client.shutdown()
            return status
        }

        static func login(_ hub: LiveHub) async throws -> Browser {
            let client = try client()
            var login = HTTPClientRequest(url: hub.base + "/login")
            login.method = .POST
            login.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            login.body = .bytes(ByteBuffer(string: "token=" + hub.operatorToken))
            let answer = try await client.execute(login, timeout: .seconds(30))
            let cookie = try #require(answer.headers.first(name: "Set-Cookie")?.split(separator: ";").first.map(String.init))
            return Browser(client: client, base: hub.base, cookie: cookie)
        }

        func get(_ path: String, cookie: Bool = true) async throws -> (status: UInt, headers: HTTPHeaders, text: String) {
            var request = HTTPClientRequest(url: base + path)
            if cookie { request.headers.add(name: "Cookie", value: self.cookie) }
            let answer = try await client.execute(request, timeout: .seconds(120))
            return (answer.status.code, answer.headers, String(buffer: try await answer.body.collect(upTo: 16 << 20)))
        }

        /// A form post with the session cookie; the answer's status and Location.
        func post(_ path: String, form: String) async throws -> (status: UInt, location: String?) {
            var request = HTTPClientRequest(url: base + path)
            request.method = .POST
            request.headers.add(name: "Cookie", value: cookie)
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: form))
            let answer = try await client.execute(request, timeout: .seconds(120))
            return (answer.status.code, answer.headers.first(name: "Location"))
        }

        func close() async throws { try await client.shutdown() }

        /// Logs in, runs `body`, and shuts the client down however `body` ends (a client left running
        /// traps in its deinit and takes the whole test run with it).
        static func session(_ hub: LiveHub, _ body: (Browser) async throws -> Void) async throws {
            let browser = try await login(hub)
            do {
                try await body(browser)
            } catch {
                try? await browser.close()
                throw error
            }
            try await browser.close()
        }
    }

    /// RFC 4180 rows (quoted fields with commas, quotes and line breaks), after the byte-order mark.
    static func csvRows(_ text: String) -> [[String]] {
        var rows: [[String]] = [], row: [String] = [], field = "", quoted = false
        var chars = Array(text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text)[...]
        while let c = chars.popFirst() {
            if quoted {
                if c == "\"" { if chars.first == "\"" { field.append("\""); chars.removeFirst() } else { quoted = false } } else { field.append(c) }
            } else if c == "\"" { quoted = true } else if c == "," { row.append(field); field = "" } else if c == "\r\n" || c == "\n" {
                row.append(field); rows.append(row); row = []; field = ""
            } else { field.append(c) }
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }

    @Test("national view for each range; an agency's page with its refusals and last pull; search, tree, CSV; errors")
    func pages() async throws {
        try await LiveHub.run(agencies: DashboardTests.agencies) { hub in
            let g22 = try await hub.token("000.00.00.G22"), h53 = try await hub.token("000.00.11.H53"), h41 = try await hub.token("000.00.00.H41")
            #expect(try await hub.post("signatures/pdf-both-zip.edxml", token: g22).status == 202)
            #expect(try await hub.post("signatures/env-countersigned.edxml", token: g22).status == 202)
            #expect(try await hub.post("signatures/env-xades-signxml.edxml", token: g22).status == 202)
            for _ in 0..<2 { #expect(try await hub.post("signatures/pdf-tampered.edxml", token: g22).status == 422) }
            #expect(try await hub.post("vpcp/edoc-integrator_edoc-service_edoc_new.edxml", token: h53).status == 202)
            #expect(try await hub.request(.GET, "/v1/inbox", token: h41).status == 200)
            try await Browser.session(hub) { browser in
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
            #expect(report.status == 200 && report.headers.first(name: "Content-Type") == "application/xml; charset=utf-8"
                    && report.headers.first(name: "Content-Disposition")?.hasPrefix("attachment; filename=\"validation-report-") == true
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
            #expect(ratio.status == 200 && ratio.headers.first(name: "Content-Type") == "text/csv; charset=utf-8")
            #expect(ratio.headers.first(name: "Content-Disposition")?.contains("truc-ratio-") == true)
            let rows = Self.csvRows(ratio.text)
            #expect(rows.first == ["key", "name", "documents", "both", "organisation", "personal", "unsigned", "indeterminate", "invalid", "signedRatio"])
            #expect(rows.contains(["000.00.00.G22", "Văn phòng Chính phủ", "3", "2", "1", "0", "0", "0", "0", "1.0000"]), "\(rows)")
            let refused = Self.csvRows(try await browser.get("/agencies/000.00.00.G22?format=csv&table=agency-refusals").text)
            #expect(refused.count == 3 && refused[1][3] == "invalid-signature" && refused[1][4].contains("digest-mismatch"), "\(refused)")
            let agencies = Self.csvRows(try await browser.get("/agencies?format=csv&table=agencies").text)
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

    @Test("a dashboard session ends when the operator token that opened it is rotated or operator access is turned off")
    func sessionsFollowTheCredential() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("truc-sessions-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: data) }
        let client = try Browser.client()
        var cookie = ""
        do {
            try await LiveHub.run(dataDirectory: data) { hub in
                let browser = try await Browser.login(hub)
                cookie = browser.cookie
                let text = try await browser.get("/").text
                try await browser.client.shutdown()
                #expect(text.contains("csrf"), "logged in")
            }
            // Same token after a restart: the session holds (the store keeps it).
            try await LiveHub.run(dataDirectory: data) { hub in
                let text = try await Browser(client: client, base: hub.base, cookie: cookie).get("/").text
                #expect(text.contains("csrf"), "the same credential keeps its sessions")
            }
            // Rotated: the old session is no session, and acts on nothing.
            try await LiveHub.run(configure: { $0.operatorToken = "a-new-operator-token-after-a-leak" }, dataDirectory: data) { hub in
                let browser = Browser(client: client, base: hub.base, cookie: cookie)
                let text = try await browser.get("/").text
                #expect(!text.contains("csrf") && text.contains("token"), "the login page, not the dashboard")
                let post = try await browser.post("/dashboard/pause", form: "agency=000.00.00.H14&csrf=x")
                #expect(post.status == 401 || post.status == 403, "no action either: \(post.status)")
            }
            // Operator access off: no session at all.
            try await LiveHub.run(configure: { $0.operatorToken = nil }, dataDirectory: data) { hub in
                let text = try await Browser(client: client, base: hub.base, cookie: cookie).get("/").text
                #expect(!text.contains("csrf"))
            }
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    @Test("formula-like cells are found by Unicode scalar: a combining mark after '=', a leading CR LF, leading spaces")
    func formulaScalars() {
        for text in ["=\u{0301}HYPERLINK(\"x\")", "\r\n=1+1", "  =1+1", "\u{00A0}@SUM(A1)", "+1", "\t1"] {
            #expect(DashboardTable.formulaLike(text), "\(text.unicodeScalars.map { String($0.value, radix: 16) })")
        }
        for text in ["Văn phòng", "1-2", "", "   ", "a=b"] { #expect(!DashboardTable.formulaLike(text), "\(text)") }
    }

    @Test("truc sessions revoke ends every dashboard session of a running hub")
    func revokeSessions() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("truc-revoke-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: data) }
        try await LiveHub.run(dataDirectory: data) { hub in
            try await Browser.session(hub) { browser in
                #expect(try await browser.get("/").text.contains("csrf"), "logged in")
                let truc = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("truc")
                let revoked = try await Program.runDetached(truc, ["sessions", "revoke", "--data", data])
                #expect(revoked.exitCode == 0 && revoked.stdout.contains("ended 1 dashboard session"), "\(revoked.stdout)\(revoked.stderr)")
                let after = try await browser.get("/").text
                #expect(!after.contains("csrf") && after.contains("id=\"login\""), "the login page again")
            }
        }
    }

    @Test("CSV cells: quotes, commas and line breaks survive; formula-like text is defused")
    func csvCells() {
        var table = DashboardTable(id: "t", columns: [.init(title: "a", key: "a"), .init(title: "n", key: "n", numeric: true)])
        table.rows = [[.init("=HYPERLINK(\"x\"),1"), .init(3)], [.init("line\nbreak \"q\""), .init(12)], [.init("-1+2"), .init(0)]]
        let rows = Self.csvRows(String(decoding: table.csv, as: UTF8.self))
        #expect(table.csv.prefix(3) == [0xEF, 0xBB, 0xBF])
        #expect(rows == [["a", "n"], ["'=HYPERLINK(\"x\"),1", "3"], ["line\nbreak \"q\"", "12"], ["'-1+2", "0"]])
    }

    @Test("date ranges: today, 7 and 30 days end today; a month is whole, or up to today")
    func ranges() throws {
        let now: Int64 = 1_795_957_200 // 2026-11-29 13:00 UTC = 20:00 in Vietnam
        #expect(CivilCalendar.vietnamDay(now) == "2026-11-29")
        let week = try DashboardRange.parse(range: "7d", month: nil, now: now)
        #expect(week.from == "2026-11-23" && week.to == "2026-11-29" && week.days.count == 7)
        #expect(try DashboardRange.parse(range: nil, month: nil, now: now).days.count == 30)
        let february = try DashboardRange.parse(range: "month", month: "2024-02", now: now)
        #expect(february.from == "2024-02-01" && february.to == "2024-02-29" && february.query == "range=month&month=2024-02")
        let current = try DashboardRange.parse(range: nil, month: "2026-11", now: now)
        #expect(current.kind == .month && current.to == "2026-11-29")
        // Vietnam days: 2026-11-29 00:00 +07:00 is 2026-11-28 17:00 UTC.
        let today = try DashboardRange.parse(range: "today", month: nil, now: now)
        #expect(today.epochs.from == 1_795_885_200 && today.epochs.to - today.epochs.from == 86_400)
        for (range, month) in [("week", nil), ("month", "2026-1"), ("month", "2027-01"), ("month", "1999-12"), ("month", nil)] as [(String, String?)] {
            #expect(throws: DashboardRange.RangeError.self, "\(range) \(month ?? "")") { try DashboardRange.parse(range: range, month: month, now: now) }
        }
    }

    @Test("chart scales are round and cover the largest value")
    func scales() {
        for (maximum, top, step) in [(0, 4, 1), (1, 1, 1), (4, 4, 1), (7, 8, 2), (10, 10, 2), (11, 15, 5), (99, 100, 20), (1234, 1500, 500)] {
            let s = DashboardChart.scale(maximum)
            #expect(s.top == top && s.step == step, "\(maximum): \(s)")
            #expect(s.top >= maximum && s.top / s.step <= 5)
        }
    }
}

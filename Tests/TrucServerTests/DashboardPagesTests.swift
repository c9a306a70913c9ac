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

/// The dashboard over HTTPS: sessions that follow the operator credential across restarts, `truc sessions
/// revoke` on a running hub. (The pages themselves — ranges, agencies, CSV, forms — are checked in process, in
/// TrucHandlerTests' DashboardPagesRouterTests.)
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
                let revoked = try await Program.run(truc, ["sessions", "revoke", "--data", data])
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
        let rows = TestText.csvRows(String(decoding: table.csv, as: UTF8.self))
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

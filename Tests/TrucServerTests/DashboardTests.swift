import Foundation
import Testing
import TrucTestSupport
import TrucCore
import TrucStore
import TrucServer
import NIOHTTP1
@testable import TrucVocabulary
@testable import TrucSQLiteStore

/// The operator's dashboard in a real headless Chromium (Tests/Drivers/dashboard_check.py: Selenium with
/// Debian's chromium-driver), and the admin API behind the same operations.
@Suite("Dashboard and admin API", .timeLimit(.minutes(30)))
struct DashboardTests {
    /// Chromium, its driver, and Selenium for the `python3` on PATH (`.ci/run` installs them).
    static var chromeReady: Bool {
        get async {
            guard FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver") else { return false }
            return (try? await Program.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", "import selenium"], timeLimit: 60))?.exitCode == 0
        }
    }

    /// A hub where H14 has a push endpoint that refuses connections: its delivery of a document goes dead.
    func withDeadDelivery(_ body: (LiveHub, String) async throws -> Void) async throws {
        try await LiveHub.run(retry: RetryPolicy(baseDelay: 0.05, maxDelay: 0.1, maxAttempts: 2)) { hub in
            try await hub.store.upsert(Agency(code: "000.00.00.H14", name: "UBND Tỉnh Cao Bằng", pushURL: "https://127.0.0.1:1/inbox"))
            let g22 = try await hub.token("000.00.00.G22")
            let sent = try await hub.post("signatures/pdf-both-zip.edxml", token: g22)
            let id = try #require(sent.json?["id"] as? String)
            #expect(try await hub.eventually { try await hub.deliveryStates(id, token: g22)["000.00.00.H14"] == "dead" })
            try await body(hub, id)
        }
    }

    /// The demo agencies plus a second province's department and its recipient (documents from several agencies).
    static let agencies: [(String, String, String?)] = [
        ("000.00.00.G22", "Văn phòng Chính phủ", "MST:0100100001"), ("000.00.00.H41", "UBND Tỉnh Nghệ An", "MST:2900100002"),
        ("000.00.12.H41", "Sở Thông tin và Truyền thông Nghệ An", "MST:2900100003"), ("000.00.00.H14", "UBND Tỉnh Cao Bằng", nil),
        ("000.00.00.G17", "Bộ Thông tin và Truyền thông", nil), ("000.00.11.H53", "Sở Nội vụ tỉnh (H53)", nil),
        ("000.00.01.A53", "Cơ quan nhận (A53)", nil),
    ]

    /// A hub with real traffic: signed and unsigned documents from two agencies, refusals, a status message,
    /// an inbox pull, and H14 with a push endpoint that refuses connections (its delivery goes dead).
    func withTraffic(_ body: (LiveHub, String) async throws -> Void) async throws {
        try await LiveHub.run(retry: RetryPolicy(baseDelay: 0.05, maxDelay: 0.1, maxAttempts: 2), agencies: Self.agencies) { hub in
            try await hub.store.upsert(Agency(code: "000.00.00.H14", name: "UBND Tỉnh Cao Bằng", pushURL: "https://127.0.0.1:1/inbox"))
            let g22 = try await hub.token("000.00.00.G22"), h53 = try await hub.token("000.00.11.H53"), h41 = try await hub.token("000.00.00.H41")
            let sent = try await hub.post("signatures/pdf-both-zip.edxml", token: g22)
            let id = try #require(sent.json?["id"] as? String)
            for fixture in ["signatures/env-countersigned.edxml", "signatures/env-xades-signxml.edxml"] {
                let answer = try await hub.post(fixture, token: g22)
                #expect(answer.status == 202, "\(fixture): \(answer.status) \(answer.errorCode ?? "")")
            }
            for _ in 0..<2 { #expect(try await hub.post("signatures/pdf-tampered.edxml", token: g22).status == 422) }
            #expect(try await hub.post("vpcp/edoc-integrator_edoc-service_edoc_new.edxml", token: h53).status == 202)
            #expect(try await hub.request(.GET, "/v1/inbox", token: h41).status == 200)
            #expect(try await hub.eventually { try await hub.deliveryStates(id, token: g22)["000.00.00.H14"] == "dead" })
            try await body(hub, id)
        }
    }

    @Test("headless Chromium at 1920, 1280 and 390 px: every card whole, two clicks to an agency's refusals, CSV, Requeue", .enabled { await chromeReady })
    func chromium() async throws {
        try await withTraffic { hub, id in
            // Pause H14 so the requeued delivery stays visibly queued instead of going dead again at once.
            try await hub.store.pause("000.00.00.H14")
            // TRUC_SCREENSHOTS keeps the screenshots (to look at them); otherwise a temporary folder.
            let kept = ProcessInfo.processInfo.environment["TRUC_SCREENSHOTS"]
            let folder = kept.map { URL(fileURLWithPath: $0) } ?? FileManager.default.temporaryDirectory.appendingPathComponent("truc-dashboard-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { if kept == nil { try? FileManager.default.removeItem(at: folder) } }
            let script = LiveHub.repo.appendingPathComponent("Tests/Drivers/dashboard_check.py").path
            let run = try await Program.run(URL(fileURLWithPath: "/usr/bin/env"), [
                "python3", script, "--hub", hub.base, "--token", hub.operatorToken, "--message", id, "--recipient", "000.00.00.H14",
                "--refused-sender", "000.00.00.G22", "--screenshots", folder.path], timeLimit: 300)
            #expect(run.exitCode == 0, "\(run.stdout)\(run.stderr)")
            for width in [1920, 1280, 390] {
                let png = try Data(contentsOf: folder.appendingPathComponent("dashboard-\(width).png"))
                #expect(png.prefix(4) == Data([0x89, 0x50, 0x4E, 0x47]) && png.count > 20_000, "a real screenshot at \(width) px")
            }
            let states = try await hub.deliveryStates(id, token: try await hub.token("000.00.00.G22"))
            #expect(states["000.00.00.H14"] == "queued", "the click moved the delivery out of dead")
        }
    }

    @Test("admin API: queues, peers, requeue all, pause and resume, agency CRUD, tokens")
    func adminAPI() async throws {
        try await withDeadDelivery { hub, id in
            let op = hub.operatorToken
            let g22 = try await hub.token("000.00.00.G22")
            #expect(try await hub.request(.GET, "/v1/admin/queues", token: g22).status == 403)
            let queues = try #require(try await hub.request(.GET, "/v1/admin/queues", token: op).json)
            #expect((queues["states"] as? [String: Int])?["dead"] == 1)
            let agencies = try #require(queues["agencies"] as? [[String: Any]])
            #expect(agencies.contains { $0["agency"] as? String == "000.00.00.H14" && ($0["states"] as? [String: Int])?["dead"] == 1 })
            #expect((queues["oldest"] as? [String: Any])?["messageId"] as? String == id)

            #expect(try await hub.request(.POST, "/v1/admin/agencies/000.00.00.H14/pause", token: op).status == 200)
            let requeued = try await hub.request(.POST, "/v1/admin/agencies/000.00.00.H14/requeue", token: op)
            #expect(requeued.json?["requeued"] as? Int == 1)
            // Paused: it stays queued.
            try await Task.sleep(for: .milliseconds(400))
            #expect(try await hub.deliveryStates(id, token: g22)["000.00.00.H14"] == "queued")
            #expect(try await hub.request(.POST, "/v1/admin/agencies/000.00.00.H14/resume", token: op).status == 200)
            #expect(try await hub.eventually { try await hub.deliveryStates(id, token: g22)["000.00.00.H14"] == "dead" })
            #expect(try await hub.request(.POST, "/v1/admin/agencies/000.00.00.H14/resume", token: op).status == 404)

            let created = try await hub.request(.PUT, "/v1/admin/agencies/000.00.05.H41", token: op,
                                                body: Array(#"{"name":"Sở Tài chính Nghệ An"}"#.utf8))
            #expect(created.status == 201 && created.json?["parent"] as? String == "000.00.00.H41")
            #expect(try await hub.request(.GET, "/v1/admin/agencies/000.00.05.H41", token: op).json?["name"] as? String == "Sở Tài chính Nghệ An")
            #expect(try await hub.request(.PUT, "/v1/admin/agencies/bad-code", token: op, body: Array(#"{"name":"x"}"#.utf8)).errorCode
                    == "malformed-agency-code")
            let token = try await hub.request(.POST, "/v1/admin/agencies/000.00.05.H41/tokens", token: op)
            #expect(token.status == 201 && (token.json?["token"] as? String)?.hasPrefix("truc_") == true)
            #expect(try await hub.request(.DELETE, "/v1/admin/agencies/000.00.05.H41", token: op).status == 204)
            #expect(try await hub.request(.GET, "/v1/admin/agencies/000.00.05.H41", token: op).status == 404)
            #expect(try await hub.request(.GET, "/v1/admin/peers", token: op).status == 200)
        }
    }

    @Test("/readyz fails when the data directory's disk is below the threshold")
    func readiness() async throws {
        try await LiveHub.run { hub in
            let ready = try await hub.request(.GET, "/readyz")
            #expect(ready.status == 200 && Int64(ready.json?["freeDiskBytes"] as? String ?? "") ?? 0 > 0)
        }
        try await LiveHub.run(configure: { $0.minFreeDiskBytes = Int64.max }) { hub in
            let low = try await hub.request(.GET, "/readyz")
            #expect(low.status == 503 && low.errorCode == "disk-low")
            #expect(try await hub.request(.GET, "/healthz").status == 200)
        }
    }

    @Test("viewer credentials: statistics of one subtree, nothing else")
    func viewer() async throws {
        try await LiveHub.run { hub in
            let g22 = try await hub.token("000.00.00.G22")
            let sent = try await hub.post("signatures/pdf-both-zip.edxml", token: g22)
            let id = try #require(sent.json?["id"] as? String)
            let issued = try await hub.request(.POST, "/v1/admin/agencies/000.00.00.H41/tokens?role=viewer", token: hub.operatorToken)
            let viewer = try #require(issued.json?["token"] as? String)
            let today = CivilCalendarToday.string
            #expect(try await hub.request(.GET, "/v1/stats/signed-ratio?from=\(today)&to=\(today)&scope=subtree", token: viewer).status == 200)
            #expect(try await hub.request(.GET, "/v1/stats/signed-ratio?from=\(today)&to=\(today)&agency=000.00.12.H41", token: viewer).status == 200)
            #expect(try await hub.request(.GET, "/v1/stats/signed-ratio?from=\(today)&to=\(today)&agency=000.00.00.G22", token: viewer).errorCode
                    == "out-of-scope")
            #expect(try await hub.request(.GET, "/v1/inbox", token: viewer).status == 403)
            #expect(try await hub.request(.GET, "/v1/messages/\(id)", token: viewer).status == 403)
            #expect(try await hub.post("vpcp/status_acceptance_03.edxml", token: viewer).status == 403)
        }
    }

    @Test("a leaked token is revoked: by role or all, at once; only the operator may; unknown agency and role refused")
    func revokeTokens() async throws {
        try await LiveHub.run { hub in
            let op = hub.operatorToken
            let h41 = try await hub.token("000.00.00.H41")
            let viewer = try #require(try await hub.request(.POST, "/v1/admin/agencies/000.00.00.H41/tokens?role=viewer", token: op).json?["token"] as? String)
            #expect(try await hub.request(.GET, "/v1/inbox", token: h41).status == 200)

            #expect(try await hub.request(.DELETE, "/v1/admin/agencies/000.00.00.H41/tokens", token: h41).status == 403, "not the agency itself")
            #expect(try await hub.request(.DELETE, "/v1/admin/agencies/000.00.00.H41/tokens?role=admin", token: op).errorCode == "invalid-parameter")
            #expect(try await hub.request(.DELETE, "/v1/admin/agencies/000.00.00.X99/tokens", token: op).status == 404)

            let agencyOnly = try await hub.request(.DELETE, "/v1/admin/agencies/000.00.00.H41/tokens?role=agency", token: op)
            #expect(agencyOnly.status == 200 && agencyOnly.json?["revoked"] as? Int == 1 && agencyOnly.json?["role"] as? String == "agency")
            #expect(try await hub.request(.GET, "/v1/inbox", token: h41).status == 401, "revoked at once")
            let today = CivilCalendarToday.string
            #expect(try await hub.request(.GET, "/v1/stats/signed-ratio?from=\(today)&to=\(today)&scope=subtree", token: viewer).status == 200,
                    "the viewer token is another role")

            let fresh = try await hub.token("000.00.00.H41")
            let all = try await hub.request(.DELETE, "/v1/admin/agencies/000.00.00.H41/tokens", token: op)
            #expect(all.json?["revoked"] as? Int == 2 && all.json?["role"] as? String == "all")
            #expect(try await hub.request(.GET, "/v1/inbox", token: fresh).status == 401)
            #expect(try await hub.request(.GET, "/v1/stats/signed-ratio?from=\(today)&to=\(today)&scope=subtree", token: viewer).status == 401)
            #expect(try await hub.request(.GET, "/v1/admin/agencies/000.00.00.H41", token: op).status == 200, "the agency stays")
        }
    }
}

enum CivilCalendarToday {
    static var string: String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd"
        formatter.timeZone = TimeZone(secondsFromGMT: 7 * 3600)
        return formatter.string(from: Date())
    }
}

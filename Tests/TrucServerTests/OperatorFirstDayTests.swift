import Foundation
import NIOHTTP1
import Testing
import TrucCore
import TrucStore
import TrucTestSupport
@testable import TrucSQLiteStore

/// What an operator's first day ran into: controls that answer for codes that do not exist, deliveries that
/// do not follow an agency from pull to push.
@Suite("An operator's first day", .timeLimit(.minutes(30)))
struct OperatorFirstDayTests {
    @Test("pause, resume and requeue: 404 for a code the hub does not deliver to; JSON booleans and numbers")
    func deliveryControls() async throws {
        try await LiveHub.run { hub in
            let unknown = try await hub.request(.POST, "/v1/admin/agencies/000.00.00.X99/pause", token: hub.operatorToken)
            #expect(unknown.status == 404 && unknown.errorCode == "unknown-agency")
            #expect(try await hub.store.pausedAgencies().isEmpty, "nothing paused for a typo")
            let paused = try await hub.request(.POST, "/v1/admin/agencies/000.00.00.H41/pause", token: hub.operatorToken)
            #expect(paused.status == 200 && paused.json?["paused"] as? Bool == true)
            let resumed = try await hub.request(.POST, "/v1/admin/agencies/000.00.00.H41/resume", token: hub.operatorToken)
            #expect(resumed.json?["paused"] as? Bool == false)
            let requeued = try await hub.request(.POST, "/v1/admin/agencies/000.00.00.H41/requeue", token: hub.operatorToken)
            #expect(requeued.json?["requeued"] as? Int == 0)
            #expect(try await hub.request(.POST, "/v1/admin/agencies/000.00.00.X99/requeue", token: hub.operatorToken).status == 404)
        }
    }

    @Test("an agency switched from pull to push gets its waiting documents pushed; switched back, they wait in its inbox")
    func switchPullAndPush() async throws {
        let endpoint = try await PushBoundaryTests.Endpoint(status: 200)
        defer { endpoint.stop() }
        try await LiveHub.run(retry: RetryPolicy(baseDelay: 0.05, maxDelay: 0.2, maxAttempts: 1_000)) { hub in
            try await hub.store.upsert(Agency(code: "000.00.00.H14", name: "UBND Tỉnh Cao Bằng"))
            let g22 = try await hub.token("000.00.00.G22")
            let id = try #require(try await hub.post("signatures/pdf-both-zip.edxml", token: g22).json?["id"] as? String)
            #expect(try await hub.deliveryStates(id, token: g22)["000.00.00.H14"] == "awaiting-pull")
            func put(_ pushURL: String?) async throws {
                let body = "{\"name\":\"UBND Tỉnh Cao Bằng\"" + (pushURL.map { ",\"pushURL\":\"\($0)\"" } ?? "") + "}"
                #expect(try await hub.request(.PUT, "/v1/admin/agencies/000.00.00.H14", token: hub.operatorToken, body: Array(body.utf8)).status == 200)
            }
            try await put("https://127.0.0.1:\(endpoint.port)/inbox")
            #expect(try await hub.eventually { try await hub.deliveryStates(id, token: g22)["000.00.00.H14"] == "delivered" })
            #expect(endpoint.lines().contains { $0.hasPrefix("OUTER POST /inbox") }, "\(endpoint.lines())")

            // An endpoint that refuses connections: the next document waits for a retry; back to pull, it waits in the inbox.
            try await put("https://127.0.0.1:1/inbox")
            let second = try #require(try await hub.request(.POST, "/v1/messages", token: g22, body: try TestText.variant(LiveHub.fixture("signatures/pdf-both-zip.edxml"), 77))
                .json?["id"] as? String)
            #expect(try await hub.eventually { try await hub.deliveryStates(second, token: g22)["000.00.00.H14"] == "waiting-retry" })
            try await put(nil)
            #expect(try await hub.eventually { try await hub.deliveryStates(second, token: g22)["000.00.00.H14"] == "awaiting-pull" })
            let h14 = try await hub.token("000.00.00.H14")
            let inbox = try await hub.request(.GET, "/v1/inbox?kind=edoc", token: h14).json?["items"] as? [[String: Any]] ?? []
            #expect(inbox.map { $0["messageId"] as? String } == [second])
        }
    }

    @Test("a push that fails: the trace and the agency page say why in words, with when")
    func readableLastError() async throws {
        try await LiveHub.run(retry: RetryPolicy(baseDelay: 30, maxDelay: 60, maxAttempts: 5)) { hub in
            try await hub.store.upsert(Agency(code: "000.00.00.H14", name: "UBND Tỉnh Cao Bằng", pushURL: "https://127.0.0.1:1/inbox"))
            let g22 = try await hub.token("000.00.00.G22")
            let id = try #require(try await hub.post("signatures/pdf-both-zip.edxml", token: g22).json?["id"] as? String)
            #expect(try await hub.eventually { try await hub.deliveryStates(id, token: g22)["000.00.00.H14"] == "waiting-retry" })
            let trace = try await hub.request(.GET, "/v1/messages/\(id)/trace", token: g22).json?["deliveries"] as? [[String: Any]] ?? []
            let reason = trace.first { $0["recipient"] as? String == "000.00.00.H14" }?["reason"] as? String
            #expect(reason == "connection refused: nothing listens at 127.0.0.1:1 (errno 111)", "\(reason ?? "none")")
            try await DashboardPagesTests.Browser.session(hub) { browser in
                let page = try await browser.get("/agencies/000.00.00.H14").text
                #expect(page.contains("id=\"agency-last-error\"><span class=\"bad\">connection refused: nothing listens at 127.0.0.1:1 (errno 111)</span>"),
                        "\(page.range(of: "agency-last-error").map { String(page[$0.lowerBound...].prefix(300)) } ?? "no last error")")
                let quiet = try await browser.get("/agencies/000.00.00.H41").text
                #expect(quiet.contains("id=\"agency-last-error\"><span class=\"ok\">"))
            }
        }
    }
}

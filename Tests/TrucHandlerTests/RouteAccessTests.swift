import Foundation
import HTTPTypes
import Testing
import TrucCore
import TrucServer
import TrucStore
import TrucMemoryStore

/// Authorisation by construction: every route is registered with a rule, and this test calls every route
/// with every kind of credential and checks that exactly the rule's callers get past it. In process (the fast tier):
/// the router of the hub `truc serve` builds, driven by HummingbirdTesting.
@Suite("Every route and who may call it", .timeLimit(.minutes(30)))
struct RouteAccessTests {
    enum Credential: String, CaseIterable {
        case none, viewer, agency, peer, scraper, `operator`
    }

    /// Whether `credential` passes `access` (the handler may still refuse for its own reasons: 400, 404, 422…).
    static func allowed(_ access: Access, _ credential: Credential) -> Bool {
        switch access {
        case .public: true
        case .vxp, .dashboard: false // HMAC headers or a session cookie, never a bearer token
        case .operatorOnly: credential == .operator
        case .agency: credential == .agency || credential == .peer
        case .peerHub: credential == .peer
        case .reader: credential == .agency || credential == .peer || credential == .operator
        case .statistics: credential != .none && credential != .scraper
        case .metrics: credential == .operator || credential == .scraper
        }
    }

    static let metricsToken = "prometheus-scrape-only-token"

    @Test("no route bypasses its rule; none is open without credentials but /healthz, /readyz and the login page")
    func everyRoute() async throws {
        // Every route with every wrong credential from one address: more wrong tokens than the guessing guard
        // lets through (its own test is GuessingTests).
        try await RouterHub.run(relays: ["000.00.00.W41"], configure: {
            $0.limits.wrongTokensPerMinute = 100_000
            $0.metricsToken = Self.metricsToken
        }) { hub in
            // Nothing reached the router except through AccessRouter.
            func normal(_ path: String) -> String {
                path.split(separator: "/").map { $0.hasPrefix("{") && $0.hasSuffix("}") ? ":" + $0.dropFirst().dropLast() : String($0) }
                    .joined(separator: "/")
            }
            #expect(Set(hub.registered.map(normal)) == Set(hub.routes.map { normal("\($0.method) \($0.path)") }),
                    "\(hub.registered) vs \(hub.routes)")
            #expect(hub.routes.count >= 30)
            let open = hub.routes.filter { $0.access == .public }.map { "\($0.method) \($0.path)" }.sorted()
            #expect(open == ["GET /", "GET /healthz", "GET /readyz", "POST /login"])

            let tokens: [Credential: String] = [
                .viewer: try await hub.store.issueViewerToken(for: "000.00.00.H41"),
                .agency: try await hub.token("000.00.00.G22"),
                .peer: try await hub.token("000.00.00.W41"),
                .operator: RouterHub.operatorToken,
                .scraper: Self.metricsToken,
            ]
            let values = [":id": "0000", ":code": "000.00.00.G17", ":recipient": "000.00.00.H41"]
            // The operator's destructive calls last.
            let ordered = hub.routes.sorted { ($0.access == .operatorOnly ? 1 : 0, $0.path) < ($1.access == .operatorOnly ? 1 : 0, $1.path) }
            for rule in ordered {
                let path = rule.path.split(separator: "/", omittingEmptySubsequences: false).map { values[String($0)] ?? String($0) }.joined(separator: "/")
                for credential in Credential.allCases {
                    let reply = try await hub.request(try #require(HTTPRequest.Method(rule.method)), path, token: tokens[credential], body: rule.method == "GET" ? nil : [])
                    let refused: Bool
                    if rule.access == .public {
                        // The handler answers (the login form refuses a wrong operator token with its own page).
                        refused = reply.errorCode == "unauthenticated" || reply.errorCode == "forbidden"
                    } else if rule.access == .vxp {
                        refused = reply.status == 200 && (reply.json?["ErrorCode"] as? String) == "401"
                    } else {
                        refused = reply.status == 401 || reply.status == 403
                    }
                    #expect(refused != Self.allowed(rule.access, credential),
                            "\(rule) as \(credential): \(reply.status) \(String(decoding: reply.body.prefix(200), as: UTF8.self))")
                    if credential == .none && rule.access != .public && rule.access != .vxp {
                        #expect(reply.status == 401, "\(rule) without credentials: \(reply.status)")
                    }
                }
            }
        }
    }

    @Test("a method a path does not serve is 405 with Allow; a path the hub does not serve is 404; both JSON errors")
    func methodsAndPaths() async throws {
        try await RouterHub.run { hub in
            let delete = try await hub.request(.delete, "/v1/messages/0000", token: RouterHub.operatorToken)
            #expect(delete.status == 405 && delete.errorCode == "method-not-allowed", "\(delete.status)")
            #expect(delete.headers[.allow] == "GET")
            let put = try await hub.request(.put, "/v1/admin/agencies/000.00.00.G22/tokens", token: RouterHub.operatorToken, body: [])
            #expect(put.status == 405 && put.headers[.allow] == "DELETE, POST")
            let nowhere = try await hub.request(.get, "/v1/nowhere", token: RouterHub.operatorToken)
            #expect(nowhere.status == 404 && nowhere.errorCode == "no-route")
            // Without credentials too: what the hub serves is no secret, the answer is the same.
            #expect(try await hub.request(.delete, "/v1/messages/0000", token: nil).status == 405)
        }
    }
}

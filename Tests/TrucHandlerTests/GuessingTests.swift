import Foundation
import HTTPTypes
import Testing
import TrucServer
import TrucTestSupport

/// Guessing tokens is slow, on a clock the test moves: the holds are passed without waiting for them, and a
/// loaded machine cannot make a hold look longer or shorter than it is.
@Suite("Token guessing held back, in process", .timeLimit(.minutes(30)))
struct BearerGuessingTests {
    @Test("five wrong Bearer tokens: the address waits (429, Retry-After), the right token included; after the wait it is served")
    func bearerGuessing() async throws {
        let time = ManualClock()
        try await RouterHub.run(configure: { $0.clock = time.clock }) { hub in
            for n in 1...5 {
                #expect(try await hub.request(.get, "/v1/admin/queues", token: "truc_guess-\(n)").status == 401, "try \(n)")
            }
            let held = try await hub.request(.get, "/v1/admin/queues", token: RouterHub.operatorToken)
            #expect(held.status == 429 && held.errorCode == "too-many-attempts", "\(held.status) \(held.text)")
            let wait = try #require(held.headers[.retryAfter].flatMap { Int($0) })
            #expect((1...900).contains(wait), "Retry-After \(wait)")
            time.advance(Double(wait) - 0.5)
            #expect(try await hub.request(.get, "/v1/admin/queues", token: RouterHub.operatorToken).status == 429, "still held just before the end")
            time.advance(1)
            #expect(try await hub.request(.get, "/v1/admin/queues", token: RouterHub.operatorToken).status == 200, "served again, cleared")
            #expect(try await hub.request(.get, "/v1/admin/queues", token: "truc_guess-again").status == 401, "a fresh start after a success")
        }
    }

    @Test("the dashboard login: five wrong tokens hold the address back too, the right token included, until the hold ends")
    func loginGuessing() async throws {
        let time = ManualClock()
        try await RouterHub.run(configure: { $0.clock = time.clock }) { hub in
            func login(_ token: String) async throws -> Int {
                try await hub.request(.post, "/login", body: Array("token=\(token)".utf8), headers: [.contentType: "application/x-www-form-urlencoded"]).status
            }
            var statuses: [Int] = []
            for n in 1...6 { statuses.append(try await login("wrong-\(n)")) }
            #expect(statuses == [401, 401, 401, 401, 401, 429], "\(statuses)")
            #expect(try await login(RouterHub.operatorToken) == 429, "held back, even with the right token")
            time.advance(2.5)
            let after = try await login(RouterHub.operatorToken)
            #expect(after == 303 || after == 200, "logged in once the 2 s hold has passed: \(after)")
        }
    }
}

import Foundation
import Testing
import TrucTestSupport

/// Two `truc serve` nodes on one PostgreSQL database (`--database`), as one hub: a document sent to one node
/// is listed, fetched byte for byte and acknowledged on the other.
@Suite("Several nodes on PostgreSQL", .timeLimit(.minutes(30)))
struct PostgresNodesTests {
    static let demo = CLIFixtures.root.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Certs/demo/agencies").path
    static func certificate(_ agency: String) -> [String] {
        ["--cert", "\(demo)/\(agency)/organisation.pem", "--key", "\(demo)/\(agency)/organisation.key"]
    }

    @Test("send to node A, pull and acknowledge on node B", .enabled { await PostgresCluster.available })
    func twoNodes() async throws {
        let url = try await PostgresCluster.require().makeDatabase()
        let a = try await HubEndToEndTests.Server(["--database", url, "--node", "node-a"], keepLog: true)
        defer { a.discard() }
        try await a.waitUntilReady()
        let b = try await HubEndToEndTests.Server(["--database", url, "--node", "node-b"], keepLog: true)
        defer { b.discard() }
        try await b.waitUntilReady()
        let hubA = "https://127.0.0.1:\(a.port)", hubB = "https://127.0.0.1:\(b.port)"

        let file = CLIFixtures.path("signatures/env-valid-inclusive.edxml")
        let sent = try await TrucRun.run(["send", file, "--hub", hubA] + Self.certificate("000.00.00.G22"))
        #expect(sent.exitCode == 0, "\(sent.stdout)\(sent.stderr)")
        let id = try #require(sent.json?["id"] as? String)
        // the same document again, on the other node: a duplicate, stored once
        let again = try await TrucRun.run(["send", file, "--hub", hubB] + Self.certificate("000.00.00.G22"))
        #expect(again.exitCode == 0 && again.json?["id"] as? String == id, "\(again.stdout)\(again.stderr)")

        // the operator's commands reach the same store: a token issued with --database works on either node
        let token = try await TrucRun.run(["agencies", "token", "000.00.00.H41", "--database", url, "--data", a.data])
        #expect(token.exitCode == 0 && token.stdout.hasPrefix("truc_"), "\(token.stdout)\(token.stderr)")
        let listed = try await TrucRun.run(["inbox", "--hub", hubA, "--kind", "edoc", "--token", token.stdout.trimmingCharacters(in: .whitespacesAndNewlines)])
        #expect((listed.json?["items"] as? [[String: Any]] ?? []).count == 1, "\(listed.stdout)\(listed.stderr)")

        let inbox = try await TrucRun.run(["inbox", "--hub", hubB, "--kind", "edoc"] + Self.certificate("000.00.00.H41"))
        let items = inbox.json?["items"] as? [[String: Any]] ?? []
        #expect(items.map { $0["messageId"] as? String } == [id], "\(inbox.stdout)\(inbox.stderr)")
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("pg-\(id).edxml").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        #expect(try await TrucRun.run(["fetch", id, "--hub", hubB, "-o", out] + Self.certificate("000.00.00.H41")).exitCode == 0)
        #expect(FileManager.default.contents(atPath: out) == FileManager.default.contents(atPath: file), "the exact bytes")
        #expect(try await TrucRun.run(["ack", id, "--hub", hubB] + Self.certificate("000.00.00.H41")).exitCode == 0)
        let after = try await TrucRun.run(["inbox", "--hub", hubA, "--kind", "edoc"] + Self.certificate("000.00.00.H41"))
        #expect((after.json?["items"] as? [[String: Any]] ?? []).isEmpty, "acknowledged on B, gone on A: \(after.stdout)")
        let stoppedA = await a.stop(), stoppedB = await b.stop()
        #expect(stoppedA == 0 && stoppedB == 0)
    }
    @Test("PostgreSQL stopped under a hub: 503 store-unavailable, /readyz 503, nothing acknowledged; started again: the hub recovers by itself",
          .enabled { await PostgresCluster.available })
    func outage() async throws {
        let cluster = try await PostgresCluster.dedicated()
        defer { cluster.destroy() }
        let url = try await cluster.makeDatabase()
        let server = try await HubEndToEndTests.Server(["--database", url, "--node", "outage"], keepLog: true)
        defer { server.discard() }
        try await server.waitUntilReady()
        let hub = "https://127.0.0.1:\(server.port)"
        func send(_ name: String) async throws -> TrucRun {
            try await TrucRun.run(["send", CLIFixtures.path("signatures/" + name), "--hub", hub] + Self.certificate("000.00.00.G22"))
        }
        func ready() async throws -> String {
            try await Program.run(URL(fileURLWithPath: "/usr/bin/env"), ["curl", "-sk", "--max-time", "10", "-o", "/dev/null", "-w", "%{http_code}", hub + "/readyz"]).stdout
        }
        let first = try await send("env-valid-inclusive.edxml")
        #expect(first.exitCode == 0, "\(first.stdout)\(first.stderr)")
        let id = try #require(first.json?["id"] as? String)

        await cluster.stopServer()
        // The node notices within its probe's interval and timeout (2 + 3 s): /readyz says so.
        let stopped = ContinuousClock.now
        var readiness = try await ready()
        while readiness != "503" && ContinuousClock.now - stopped < .seconds(20) {
            try await Task.sleep(for: .milliseconds(250))
            readiness = try await ready()
        }
        #expect(readiness == "503")
        print("PostgreSQL outage: /readyz answered 503 after \(ContinuousClock.now - stopped)")
        // Documents are answered 503 store-unavailable at once, not left waiting for a pool that cannot connect.
        let quick = ContinuousClock.now
        let refused = try await send("env-two-filter2.edxml") // (its own DocumentId: not a conflict with the first)
        #expect(refused.exitCode != 0 && refused.stdout.contains("store-unavailable"), "\(refused.stdout)\(refused.stderr)")
        #expect(ContinuousClock.now - quick < .seconds(10), "while the store is known to be down, requests are answered at once")
        let healthz = try await Program.run(URL(fileURLWithPath: "/usr/bin/env"), ["curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}", hub + "/healthz"]).stdout
        #expect(healthz == "200", "the process is alive: /healthz")

        try await cluster.startServer()
        var recovered: TrucRun?
        let deadline = ContinuousClock.now + .seconds(150)
        while ContinuousClock.now < deadline {
            let attempt = try await send("env-two-filter2.edxml")
            if attempt.exitCode == 0 { recovered = attempt; break }
            try await Task.sleep(for: .seconds(2))
        }
        #expect(recovered != nil, "the hub did not take documents again after PostgreSQL came back")
        print("PostgreSQL outage: the hub took documents again \(ContinuousClock.now - (deadline - .seconds(150))) after the server came back")
        #expect(try await ready() == "200")
        // what was acknowledged before the outage is there, byte for byte
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("outage-\(id).edxml").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        #expect(try await TrucRun.run(["fetch", id, "--hub", hub, "-o", out] + Self.certificate("000.00.00.H41")).exitCode == 0)
        #expect(FileManager.default.contents(atPath: out) == FileManager.default.contents(atPath: CLIFixtures.path("signatures/env-valid-inclusive.edxml")))
        let stopping = ContinuousClock.now
        #expect(await server.stop(keepData: true) == 0, "SIGTERM after the outage: a graceful exit")
        print("PostgreSQL outage: the hub stopped \(ContinuousClock.now - stopping) after SIGTERM")
        if let log = server.log { print((try? String(contentsOf: log, encoding: .utf8))?.split(separator: "\n").suffix(8).joined(separator: "\n") ?? "") }
    }
}

extension PostgresNodesTests {
    static let rootCA = CLIFixtures.root.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Certs/demo/trust/root-ca.pem").path

    /// curl against a node: the response's headers and body.
    static func curl(_ arguments: [String]) async throws -> String {
        try await Program.run(URL(fileURLWithPath: "/usr/bin/curl"), ["-s", "-D", "-", "--cacert", rootCA, "--max-time", "20"] + arguments).stdout
    }

    static func csrf(in page: String) -> String? {
        guard let range = page.range(of: "name=\"csrf\" value=\"") else { return nil }
        return String(page[range.upperBound...].prefix { $0 != "\"" })
    }

    @Test("a dashboard login on one node is a session on the other; a logout on one ends it on both", .enabled { await PostgresCluster.available })
    func dashboardSessionsAcrossNodes() async throws {
        let url = try await PostgresCluster.require().makeDatabase()
        let token = "operator-\(UUID().uuidString)"
        let a = try await HubEndToEndTests.Server(["--database", url, "--node", "node-a", "--operator-token", token])
        defer { a.discard() }
        try await a.waitUntilReady()
        let b = try await HubEndToEndTests.Server(["--database", url, "--node", "node-b", "--operator-token", token])
        defer { b.discard() }
        try await b.waitUntilReady()

        let login = try await Self.curl(["-o", "/dev/null", "--data-urlencode", "token=\(token)", "https://127.0.0.1:\(a.port)/login"])
        let cookieLine = try #require(login.split(separator: "\r\n").first { $0.lowercased().hasPrefix("set-cookie: truc_session=") }, "\(login)")
        let cookie = String(cookieLine.dropFirst("set-cookie: ".count).prefix { $0 != ";" })
        let onB = try await Self.curl(["-H", "Cookie: \(cookie)", "https://127.0.0.1:\(b.port)/"])
        let csrf = try #require(Self.csrf(in: onB), "node B shows the dashboard of a session made on node A:\n\(onB.prefix(600))")
        let onA = try await Self.curl(["-H", "Cookie: \(cookie)", "https://127.0.0.1:\(a.port)/"])
        #expect(Self.csrf(in: onA) == csrf, "the same session on both nodes")

        let logout = try await Self.curl(["-H", "Cookie: \(cookie)", "--data-urlencode", "csrf=\(csrf)", "https://127.0.0.1:\(b.port)/logout"])
        #expect(logout.hasPrefix("HTTP/1.1 3") || logout.hasPrefix("HTTP/2 3"), "\(logout.prefix(300))")
        let after = try await Self.curl(["-H", "Cookie: \(cookie)", "https://127.0.0.1:\(a.port)/"])
        #expect(Self.csrf(in: after) == nil, "logged out on B, logged out on A:\n\(after.prefix(600))")
        let form = try await Self.curl(["-o", "/dev/null", "-w", "%{http_code}", "-H", "Cookie: \(cookie)", "--data-urlencode", "csrf=\(csrf)",
                                  "--data-urlencode", "agency=000.00.00.H41", "https://127.0.0.1:\(a.port)/dashboard/pause"])
        #expect(form.hasSuffix("401"), "\(form)")
        let stoppedA = await a.stop(), stoppedB = await b.stop()
        #expect(stoppedA == 0 && stoppedB == 0)
    }
}

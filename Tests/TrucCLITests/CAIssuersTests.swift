import Foundation
import Testing
import TrucTestSupport

/// An intermediate a document does not carry: fetched from the caIssuers address of the
/// certificate it issued only when the operator allows it (`--fetch-ca-issuers`), and still only a candidate.
/// `serve_ca_issuers.py` makes the PKI and serves the intermediate on 127.0.0.1.
@Suite("caIssuers: a missing intermediate fetched only when allowed",
       .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/xmlsec1")), .timeLimit(.minutes(30)))
struct CAIssuersTests {
    /// Starts `serve_ca_issuers.py` in `mode` into a fresh folder; waits (bounded) until it listens.
    static func publisher(_ mode: String) async throws -> (dir: String, process: SpawnedProcess) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("truc-ca-issuers-\(UUID().uuidString)").path
        let server = SpawnedProcess()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = ["python3", PKIProfileTests.repo.appendingPathComponent("Tests/Fixtures/signatures/serve_ca_issuers.py").path, dir, "--serve", mode]
        try await Program.launch(server)
        for _ in 0..<300 where !FileManager.default.fileExists(atPath: dir + "/ready") { try await Task.sleep(for: .milliseconds(100)) }
        if !FileManager.default.fileExists(atPath: dir + "/ready") { stop(server, dir) }
        try #require(FileManager.default.fileExists(atPath: dir + "/ready"), "the issuer server did not start")
        return (dir, server)
    }

    static func stop(_ server: SpawnedProcess, _ dir: String) {
        server.kill()
        try? FileManager.default.removeItem(atPath: dir)
    }

    @Test("without --fetch-ca-issuers: untrusted-chain, nothing fetched; with it: valid, the fetch named; the same through a live truc serve")
    func fetchedOnlyWhenAllowed() async throws {
        let (dir, server) = try await Self.publisher("good")
        defer { Self.stop(server, dir) }
        let document = dir + "/missing-intermediate.edxml"
        func verdict(_ extra: [String]) async throws -> [String: Any] {
            let run = try await TrucRun.run(["verify", document, "--trust", dir + "/trust", "--json"] + extra)
            return try #require((run.json?["signatures"] as? [[String: Any]])?.first, "\(run.stdout)\(run.stderr)")
        }
        let refused = try await verdict([])
        #expect(refused["status"] as? String == "invalid" && refused["reasons"] as? [String] == ["untrusted-chain"], "\(refused)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/requests"), "fetched although not allowed")
        let fetched = try await verdict(["--fetch-ca-issuers"])
        #expect(fetched["status"] as? String == "valid" && (fetched["notes"] as? [String])?.contains { $0.contains("was fetched from http://127.0.0.1:") } == true,
                "\(fetched)")

        let hub = try await HubEndToEndTests.Server(["--trust", dir + "/trust", "--fetch-ca-issuers"])
        defer { hub.discard() }
        try await hub.waitUntilReady()
        let token = try await hub.senderToken()
        let sent = try await TrucRun.run(["send", document, "--hub", "https://127.0.0.1:\(hub.port)", "--token", token])
        #expect(sent.exitCode == 0, "\(sent.stdout)\(sent.stderr)")
    }

    @Test("a publisher that answers garbage, or more than 64 KB: nothing is taken from it, the chain stays untrusted", arguments: ["garbage", "huge"])
    func hostilePublisher(mode: String) async throws {
        let (dir, server) = try await Self.publisher(mode)
        defer { Self.stop(server, dir) }
        let run = try await TrucRun.run(["verify", dir + "/missing-intermediate.edxml", "--trust", dir + "/trust", "--fetch-ca-issuers", "--json"])
        let v = try #require((run.json?["signatures"] as? [[String: Any]])?.first, "\(run.stdout)\(run.stderr)")
        #expect(v["status"] as? String == "invalid" && v["reasons"] as? [String] == ["untrusted-chain"], "\(mode): \(v)")
        #expect(FileManager.default.fileExists(atPath: dir + "/requests"), "\(mode): the publisher was asked")
    }
}

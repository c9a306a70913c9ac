import Foundation
import Testing
import TrucTestSupport

/// A CRL published after the hub started takes effect without a restart: SIGHUP (`systemctl reload`) or the
/// admin API reloads the trust directory.
@Suite("Reloading the trust directory", .timeLimit(.minutes(30)))
struct TrustReloadTests {
    static let repo = CLIFixtures.root.deletingLastPathComponent().deletingLastPathComponent()

    @Test("a document accepted before is refused as revoked after the CA revokes its signer and the hub gets SIGHUP",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl")))
    func sighup() async throws {
        let demo = Self.repo.appendingPathComponent("Certs/demo").path
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("truc-reload-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: work) }
        // The hub's own copy of the trust directory, and a copy of the demo intermediate CA's database.
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: demo + "/trust", toPath: work + "/trust")
        try FileManager.default.copyItem(atPath: demo + "/ca/intermediate", toPath: work + "/ca")
        try FileManager.default.copyItem(atPath: demo + "/ca/openssl.cnf", toPath: work + "/openssl.cnf")
        let server = try await HubEndToEndTests.Server(["--trust", work + "/trust", "--operator-token", "reload-test-operator"], keepLog: true)
        defer { server.discard() }
        try await server.waitUntilReady()
        let hub = "https://127.0.0.1:\(server.port)"
        let g22 = try await server.senderToken()
        let document = CLIFixtures.path("signatures/pdf-personal.edxml")
        let before = try await TrucRun.run(["send", document, "--hub", hub, "--token", g22])
        #expect(before.exitCode == 0, "\(before.stdout)\(before.stderr)")

        // The CA revokes the signer (serial 1002, Nguyễn Văn An) and publishes a new CRL into the hub's trust directory.
        let env = ["CA_DIR": work + "/ca"]
        let ca = ["-config", work + "/openssl.cnf", "-cert", work + "/ca/intermediate-ca.pem", "-keyfile", work + "/ca/intermediate-ca.key"]
        let revoke = try await TrucRun.run(executable: URL(fileURLWithPath: "/usr/bin/openssl"),
                                     ["ca", "-batch"] + ca + ["-revoke", demo + "/agencies/000.00.00.G22/personal.pem", "-crl_reason", "keyCompromise"],
                                     environment: env)
        #expect(revoke.exitCode == 0, "\(revoke.stderr)")
        let crl = try await TrucRun.run(executable: URL(fileURLWithPath: "/usr/bin/openssl"),
                                  ["ca", "-batch", "-gencrl"] + ca + ["-out", work + "/trust/intermediate.crl.pem"], environment: env)
        #expect(crl.exitCode == 0, "\(crl.stderr)")
        // Not yet reloaded: the hub still uses the CRL it read at start.
        #expect(try await TrucRun.run(["send", document, "--hub", hub, "--token", g22]).exitCode == 0)

        kill(server.process.processIdentifier, SIGHUP)
        var after = try await TrucRun.run(["send", document, "--hub", hub, "--token", g22])
        for _ in 0..<50 where after.exitCode == 0 {
            try await Task.sleep(for: .milliseconds(100))
            after = try await TrucRun.run(["send", document, "--hub", hub, "--token", g22])
        }
        #expect(after.exitCode == 1 && after.stdout.contains("invalid-signature") && after.stdout.contains("revoked"), "\(after.stdout)")
        #expect(server.process.isRunning, "reloaded without a restart")
        // The admin API does the same on demand; a broken directory leaves the previous trust in place.
        let reload = try await TrucRun.run(executable: URL(fileURLWithPath: "/usr/bin/env"), [
            "curl", "-s", "--fail-with-body", "--cacert", demo + "/trust/root-ca.pem", "-X", "POST",
            "-H", "Authorization: Bearer reload-test-operator", hub + "/v1/admin/trust/reload"])
        // The answer says what was loaded: the one anchor (the demo root) with its fingerprint, the intermediate, both CRLs.
        let loaded = try #require(try JSONSerialization.jsonObject(with: Data(reload.stdout.utf8)) as? [String: Any], "\(reload.stdout)\(reload.stderr)")
        let anchors = loaded["anchors"] as? [[String: Any]] ?? []
        #expect(anchors.count == 1 && (anchors.first?["sha256"] as? String)?.count == 64 && (loaded["intermediates"] as? [Any])?.count == 1
                && (loaded["crls"] as? [Any])?.count == 2, "\(loaded)")
        let startLog = try String(contentsOf: try #require(server.log), encoding: .utf8)
        #expect(startLog.contains("trust directory loaded") && startLog.contains("anchors=1") && startLog.contains("crls=2"), "\(startLog.prefix(2000))")
        // A trust directory that no longer loads (a damaged CRL): refused, and the previous trust stays in force.
        try Data("-----BEGIN X509 CRL-----\nnot a CRL\n-----END X509 CRL-----\n".utf8).write(to: URL(fileURLWithPath: work + "/trust/intermediate.crl.pem"))
        let broken = try await TrucRun.run(executable: URL(fileURLWithPath: "/usr/bin/env"), [
            "curl", "-s", "-w", "\n%{http_code}", "--cacert", demo + "/trust/root-ca.pem", "-X", "POST",
            "-H", "Authorization: Bearer reload-test-operator", hub + "/v1/admin/trust/reload"])
        #expect(broken.stdout.hasSuffix("\n422") && broken.stdout.contains("trust-unreadable"), "\(broken.stdout)")
        kill(server.process.processIdentifier, SIGHUP)
        let still = try await TrucRun.run(["send", document, "--hub", hub, "--token", g22])
        #expect(still.exitCode == 1 && still.stdout.contains("revoked") && server.process.isRunning, "\(still.stdout)")
        let log = try String(contentsOf: try #require(server.log), encoding: .utf8)
        #expect(log.contains("reloaded the trust directory (SIGHUP)"))
    }
}

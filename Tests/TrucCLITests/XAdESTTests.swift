import Foundation
import Testing
import TrucTestSupport

/// XAdES-T on the envelope: a SignatureTimeStamp over the SignatureValue proves the signature
/// existed at its time, as a CMS signature time-stamp does in a PDF. Fixtures by xmlsec1 and pyHanko's
/// time-stamper at test time (`make_xades_t.py`, which has `openssl ts -verify` agree first).
@Suite("XAdES-T: the envelope's signature time-stamp",
       .enabled { FileManager.default.isExecutableFile(atPath: "/usr/bin/xmlsec1") ? await pythonImports("pyhanko, lxml") : false },
       .timeLimit(.minutes(30)))
struct XAdESTTests {
    static func fixtures() async throws -> String {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("truc-xades-t-\(UUID().uuidString)").path
        let made = try await TrucRun.run(executable: URL(fileURLWithPath: "/usr/bin/env"),
                                   ["python3", PKIProfileTests.repo.appendingPathComponent("Tests/Fixtures/signatures/make_xades_t.py").path, out])
        #expect(made.exitCode == 0, "\(made.stderr)")
        return out
    }

    @Test("signed and time-stamped before the signer was revoked: valid with the revocation noted; without the time-stamp, or with one over other bytes: revoked")
    func verifyCommand() async throws {
        let dir = try await Self.fixtures()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func verdict(_ name: String) async throws -> [String: Any] {
            let run = try await TrucRun.run(["verify", dir + "/\(name).edxml", "--trust", dir + "/trust", "--revocation", "offline", "--json"])
            return try #require((run.json?["signatures"] as? [[String: Any]])?.first, "\(run.stdout)\(run.stderr)")
        }
        let stamped = try await verdict("xades-t-before-revocation")
        #expect(stamped["status"] as? String == "valid" && (stamped["timestamp"] as? [String: Any])?["time"] as? String == "2019-06-01T00:00:00Z", "\(stamped)")
        #expect((stamped["notes"] as? [String])?.contains { $0.contains("revoked 2020-06-01") && $0.contains("after the time-stamp") } == true, "\(stamped)")
        let bare = try await verdict("xades-bes-revoked")
        #expect(bare["status"] as? String == "invalid" && bare["reasons"] as? [String] == ["revoked"])
        let wrong = try await verdict("xades-t-wrong-imprint")
        #expect(wrong["status"] as? String == "invalid" && wrong["reasons"] as? [String] == ["revoked"], "\(wrong)")
        #expect((wrong["notes"] as? [String])?.contains { $0.contains("proves nothing") } == true)
        // The TSA's own certificate revoked (2020-01-01): its time-stamp proves nothing now, so the signer's revocation counts.
        let run = try await TrucRun.run(["verify", dir + "/xades-t-before-revocation.edxml", "--trust", dir + "/trust-tsa-revoked", "--revocation", "offline", "--json"])
        let lapsed = try #require((run.json?["signatures"] as? [[String: Any]])?.first, "\(run.stdout)")
        #expect(lapsed["status"] as? String == "invalid" && lapsed["reasons"] as? [String] == ["revoked"], "\(lapsed)")
        #expect((lapsed["notes"] as? [String])?.contains { $0.contains("TSA") && $0.contains("revoked 2020-01-01") } == true, "\(lapsed)")
    }

    @Test("through a live truc serve: the time-stamped envelope is accepted (202), the bare one refused (422 invalid-signature, revoked)")
    func liveHub() async throws {
        let dir = try await Self.fixtures()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let server = try await HubEndToEndTests.Server(["--trust", dir + "/trust", "--revocation", "offline"])
        defer { server.discard() }
        try await server.waitUntilReady()
        let hub = "https://127.0.0.1:\(server.port)"
        let g22 = try await server.senderToken()
        let refused = try await TrucRun.run(["send", dir + "/xades-bes-revoked.edxml", "--hub", hub, "--token", g22])
        #expect(refused.exitCode == 1 && refused.stdout.contains("revoked"), "\(refused.stdout)\(refused.stderr)")
        let accepted = try await TrucRun.run(["send", dir + "/xades-t-before-revocation.edxml", "--hub", hub, "--token", g22, "--json"])
        #expect(accepted.exitCode == 0, "\(accepted.stdout)\(accepted.stderr)")
        #expect((accepted.json?["signature"] as? [String: Any])?["bucket"] as? String == "organisation", "\(accepted.stdout)")
    }
}

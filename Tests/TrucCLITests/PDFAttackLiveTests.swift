import Foundation
import Testing
import TrucTestSupport

/// A PDF changed after signing, as a user meets it: `truc verify` says what changed, and a live hub
/// refuses the message (422 invalid-signature) and stays up, while the same document signed again by a second
/// agency without a change is accepted. Fixtures: `Tests/Fixtures/signatures/make_attack_fixtures.py`.
@Suite("PDF and envelope attacks through truc verify and a live hub", .timeLimit(.minutes(30)))
struct PDFAttackLiveTests {
    static func fixture(_ name: String) -> String { CLIFixtures.path("signatures/attacks/\(name).edxml") }

    @Test("truc verify: the changed page makes G22's signature invalid and names the object; the control is valid")
    func verify() async throws {
        let attacked = try await TrucRun.run(["verify", Self.fixture("info-names-page")])
        #expect(attacked.exitCode == 1, "\(attacked.stdout)\(attacked.stderr)")
        #expect(attacked.stdout.contains("byte-range-incomplete") && attacked.stdout.contains("object 3, part of the signed document, is changed"),
                "\(attacked.stdout)")
        let control = try await TrucRun.run(["verify", Self.fixture("control-second-signature")])
        #expect(control.exitCode == 0, "\(control.stdout)\(control.stderr)")
    }

    @Test("a live hub refuses both attacks with invalid-signature, stays up, and accepts the unchanged document signed twice")
    func live() async throws {
        let server = try await HubEndToEndTests.Server([])
        defer { server.discard() }
        try await server.waitUntilReady()
        let data = ["--data", server.data]
        for code in ["000.00.00.H14", "000.00.00.G17"] {
            #expect(try await TrucRun.run(["agencies", "add", code, "--name", code] + data).exitCode == 0)
        }
        let token = try await TrucRun.run(["agencies", "token", "000.00.00.G22"] + data).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let hub = "https://127.0.0.1:\(server.port)"
        for name in ["info-names-page", "change-then-other-signature"] {
            let refused = try await TrucRun.run(["send", Self.fixture(name), "--hub", hub, "--token", token])
            #expect(refused.exitCode == 1, "\(name): \(refused.stdout)\(refused.stderr)")
            let error = refused.json?["error"] as? [String: Any]
            #expect(error?["code"] as? String == "invalid-signature", "\(name): \(refused.stdout)")
            #expect(refused.stdout.contains("byte-range-incomplete"), "\(name): \(refused.stdout)")
        }
        // the envelope: a forged Subject wrapped in ds:Signature after signing, subtracted by both signatures' filter
        let wrapped = try await TrucRun.run(["send", Self.fixture("xpath-signature-wrapper"), "--hub", hub, "--token", token])
        #expect((wrapped.json?["error"] as? [String: Any])?["code"] as? String == "invalid-signature", "\(wrapped.stdout)")
        #expect(wrapped.stdout.contains("not a signature of the envelope"), "\(wrapped.stdout)")
        #expect(server.process.isRunning)
        let accepted = try await TrucRun.run(["send", Self.fixture("control-second-signature"), "--hub", hub, "--token", token])
        #expect(accepted.exitCode == 0 && accepted.json?["id"] is String, "\(accepted.stdout)\(accepted.stderr)")
        #expect(await server.stop() == 0)
    }
}

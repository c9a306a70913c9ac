import Foundation
import Testing
import TrucTestSupport

/// The long-term signature forms as a user meets them: a real `truc serve` (default revocation policy, a trust
/// directory with the demo PKI and the LTV test CA), documents sent with `truc send` over HTTPS.
@Suite("Live hub: long-term validation data and envelope forms", .timeLimit(.minutes(30)))
struct LongTermLiveTests {
    @Test("B-LT and B-LTA PDFs are accepted on their embedded data; two envelope signatures with XPath Filter 2.0 count as both; XAdES and DSS tampering refused")
    func hub() async throws {
        // One trust directory: the demo PKI and the LTV CA (whose CRL distribution point nobody serves).
        let trust = FileManager.default.temporaryDirectory.appendingPathComponent("truc-ltv-trust-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: trust, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: trust) }
        for directory in [FailClosedTests.demo + "/trust", CLIFixtures.path("signatures/pki/ltv/trust")] {
            for file in try FileManager.default.contentsOfDirectory(atPath: directory) {
                try FileManager.default.copyItem(atPath: directory + "/" + file, toPath: trust + "/" + file)
            }
        }
        let server = try await HubEndToEndTests.Server(["--trust", trust, "--revocation-budget", "2"], keepLog: true)
        defer { server.discard() }
        try await server.waitUntilReady()
        let hub = "https://127.0.0.1:\(server.port)", ca = FailClosedTests.demo + "/trust/root-ca.pem"
        let token = try await TrucRun.run(["agencies", "token", "000.00.00.G22", "--data", server.data]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        func send(_ path: String) async throws -> (TrucRun, [[String: Any]]) {
            let run = try await TrucRun.run(["send", CLIFixtures.path("signatures/" + path), "--hub", hub, "--ca", ca, "--token", token])
            let verdict = (run.json?["signature"] as? [String: Any]) ?? ((run.json?["error"] as? [String: Any])?["signature"] as? [String: Any])
            return (run, verdict?["signatures"] as? [[String: Any]] ?? [])
        }

        let (lt, ltSignatures) = try await send("pki/ltv/pdf-lt-dss.edxml")
        #expect(lt.exitCode == 0, "\(lt.stdout)\(lt.stderr)")
        let revocation = ltSignatures.first?["revocation"] as? [String: Any]
        #expect(revocation?["status"] as? String == "good" && (revocation?["source"] as? String)?.hasPrefix("embedded crl") == true, "\(lt.stdout)")

        let (lta, ltaSignatures) = try await send("pki/ltv/pdf-lta-expired.edxml")
        #expect(lta.exitCode == 0 && ltaSignatures.first?["status"] as? String == "valid", "\(lta.stdout)")
        #expect((ltaSignatures.first?["timestamp"] as? [String: Any])?["time"] as? String == "2017-06-01T00:00:00Z")

        let (changed, changedSignatures) = try await send("pki/ltv/pdf-lt-dss-and-change.edxml")
        #expect(changed.exitCode == 1 && changedSignatures.first?["reasons"] as? [String] == ["byte-range-incomplete"], "\(changed.stdout)")

        let (two, twoSignatures) = try await send("env-two-filter2.edxml")
        #expect(two.exitCode == 0 && twoSignatures.map { $0["kind"] as? String } == ["organisation", "personal"], "\(two.stdout)")
        #expect(((two.json?["signature"] as? [String: Any])?["bucket"] as? String) == "both", "\(two.stdout)")

        let (counter, counterSignatures) = try await send("env-countersigned.edxml")
        #expect(counter.exitCode == 0 && counterSignatures.map { $0["location"] as? String } == ["envelope", "envelope/nested"], "\(counter.stdout)")

        let (wrong, wrongSignatures) = try await send("env-xades-wrong-cert.edxml")
        #expect(wrong.exitCode == 1 && wrongSignatures.first?["reasons"] as? [String] == ["signing-certificate-mismatch"], "\(wrong.stdout)")

    }
}

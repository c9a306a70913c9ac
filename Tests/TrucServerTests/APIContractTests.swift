import Foundation
import Testing
import TrucServer
import TrucTestSupport

/// The API contract a client is generated from (docs/openapi.yaml) is what the hub does: Schemathesis
/// generates requests from it against a live hub, as the operator and as an agency, with every check on
/// (server errors, undocumented status codes and content types, answers that do not match their schema,
/// schema-valid requests refused, invalid ones accepted, undeclared methods, Allow headers, ignored
/// credentials). Rules OpenAPI cannot state are listed in Tests/Fixtures/api/schemathesis.toml.
@Suite("The API contract holds", .timeLimit(.minutes(30)))
struct APIContractTests {
    static let config = LiveHub.repo.appendingPathComponent("Tests/Fixtures/api/schemathesis.toml").path
    static let spec = LiveHub.repo.appendingPathComponent("docs/openapi.yaml").path

    /// Runs Schemathesis against `hub` with `token`; its exit code and report.
    static func schemathesis(_ hub: LiveHub, token: String) async throws -> ProgramResult {
        // Run in a folder of its own: Schemathesis keeps a cache (.schemathesis/) in its working directory.
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("truc-schemathesis-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        return try await Program.run(URL(fileURLWithPath: "/usr/bin/env"), [
            "-C", work, "python3", "-c", "import sys; from schemathesis.cli import schemathesis; sys.argv[0] = 'st'; schemathesis()",
            "--config-file", config, "run", spec, "--url", "https://127.0.0.1:\(hub.port)",
            "--tls-verify", LiveHub.repo.appendingPathComponent("Certs/demo/trust/root-ca.pem").path,
            "-H", "Authorization: Bearer \(token)", "--checks", "all", "--max-examples", "30", "--seed", "1",
            "--phases", "examples,coverage,fuzzing", "--no-color", "--request-timeout", "20",
        ], timeLimit: 600)
    }

    @Test("Schemathesis, every check, as the operator and as an agency: no failure")
    func schemathesisFindsNothing() async throws {
        // The checks send wrong credentials on purpose (ignored_auth): the guessing guard would hold the test
        // client back (its own test is GuessingTests).
        try await LiveHub.run(configure: { $0.limits.wrongTokensPerMinute = 1_000_000 }) { hub in
            let g22 = try await hub.token("000.00.00.G22")
            #expect(try await hub.post("signatures/pdf-both-zip.edxml", token: g22).status == 202)
            for (who, token) in [("operator", hub.operatorToken), ("agency", g22)] {
                let run = try await Self.schemathesis(hub, token: token)
                let summary = run.stdout.range(of: "SUMMARY").map { String(run.stdout[$0.lowerBound...]) } ?? run.stdout.suffix(3_000).description
                #expect(run.exitCode == 0 && run.stdout.contains(" passed"), "as \(who): \(summary)\n\(run.stdout.prefix(6_000))\(run.stderr.suffix(2_000))")
            }
        }
    }
}

import Foundation
import Testing
import TrucTestSupport

/// Any PKI setting means the operator owns the PKI: a missing piece is an error naming it, never a CA the hub
/// makes up (nor demo agencies bound to it).
@Suite("Partial PKI settings fail closed", .timeLimit(.minutes(30)))
struct PartialPKITests {
    static let demo = CLIFixtures.root.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Certs/demo").path
    static let pieces: [(flag: String, variable: String, value: String)] = [
        ("--tls-cert", "TRUC_TLS_CERT", demo + "/hub/server.chain.pem"), ("--tls-key", "TRUC_TLS_KEY", demo + "/hub/server.key"),
        ("--client-ca", "TRUC_CLIENT_CA", demo + "/hub/client-ca.pem"), ("--trust", "TRUC_TRUST_DIR", demo + "/trust"),
    ]

    @Test("each of the 14 partial combinations (flags, or the same as environment variables): exit 2, the missing pieces named, nothing created")
    func everyPartialCombination() async throws {
        for mask in 1..<15 {
            let pieces = Self.pieces
            let given = pieces.indices.filter { mask & (1 << $0) != 0 }.map { pieces[$0] }
            let missing = pieces.indices.filter { mask & (1 << $0) == 0 }.map { pieces[$0] }
            let byEnvironment = mask % 2 == 0 // half of them through TRUC_* variables, as the systemd unit's file sets them
            let data = FileManager.default.temporaryDirectory.appendingPathComponent("truc-partial-\(UUID().uuidString)").path
            let arguments = ["serve", "--data", data, "--port", String(freeTCPPort())] + (byEnvironment ? [] : given.flatMap { [$0.flag, $0.value] })
            let environment = byEnvironment ? Dictionary(uniqueKeysWithValues: given.map { ($0.variable, $0.value) }) : [:]
            let run = try await TrucRun.run(executable: TrucRun.binary, arguments, environment: environment)
            let named = given.map(\.flag).joined(separator: ", ")
            #expect(run.exitCode == 2 && run.stderr.hasPrefix("truc: pki-incomplete: \(named)"), "\(named): \(run.stderr)")
            #expect(missing.allSatisfy { run.stderr.contains("\($0.flag) (\($0.variable))") }, "\(run.stderr)")
            #expect(!FileManager.default.fileExists(atPath: data), "nothing made for \(named)")
        }
    }

    @Test("a key that is not the certificate's (another key of the same CA): exit 2, pki-key-mismatch, nothing created")
    func keyOfAnotherCertificate() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("truc-keypair-\(UUID().uuidString)").path
        let run = try await TrucRun.run(["serve", "--data", data, "--port", String(freeTCPPort()),
                                   "--tls-cert", Self.demo + "/hub/server.chain.pem", "--tls-key", Self.demo + "/agencies/000.00.00.G22/organisation.key",
                                   "--client-ca", Self.demo + "/hub/client-ca.pem", "--trust", Self.demo + "/trust"])
        #expect(run.exitCode == 2 && run.stderr.hasPrefix("truc: pki-key-mismatch: --tls-key "), "\(run.exitCode) \(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: data), "nothing made")
    }
}

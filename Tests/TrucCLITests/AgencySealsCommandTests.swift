import Foundation
import Testing
import TrucTestSupport

/// `truc agencies seals`: the operator binds an agency's organisation certificates from the shell.
@Suite("truc agencies seals", .timeLimit(.minutes(30)))
struct AgencySealsCommandTests {
    @Test("add, list as JSON, remove; a malformed fingerprint or an unknown agency is an error that changes nothing")
    func bindFromTheShell() async throws {
        let data = ["--data", FileManager.default.temporaryDirectory.appendingPathComponent("truc-seals-\(UUID().uuidString)").path]
        #expect(try await TrucRun.run(["agencies", "add", "000.00.00.H14", "--name", "UBND Tỉnh Cao Bằng"] + data).exitCode == 0)
        let none = try await TrucRun.run(["agencies", "seals", "000.00.00.H14"] + data)
        #expect(none.exitCode == 0 && none.stdout.contains("no seal bound") && none.stdout.contains("signer-unbound"), "\(none.stdout)")
        let fingerprint = String(repeating: "AB", count: 32)
        let added = try await TrucRun.run(["agencies", "seals", "000.00.00.H14", "--add", "MST:4800100001", "--add", "sha256:\(fingerprint)", "--json"] + data)
        #expect(added.exitCode == 0 && added.json?["seals"] as? [String] == ["MST:4800100001", "sha256:\(fingerprint.lowercased())"]
                && added.json?["bound"] as? Bool == true, "\(added.stdout)\(added.stderr)")
        let bad = try await TrucRun.run(["agencies", "seals", "000.00.00.H14", "--add", "sha256:1234"] + data)
        #expect(bad.exitCode == 2 && bad.stderr.hasPrefix("truc: invalid-seal:"), "\(bad.stderr)")
        let removed = try await TrucRun.run(["agencies", "seals", "000.00.00.H14", "--remove", "mst:4800100001", "--json"] + data)
        #expect(removed.json?["seals"] as? [String] == ["sha256:\(fingerprint.lowercased())"], "removed without regard to case: \(removed.stdout)")
        let unknown = try await TrucRun.run(["agencies", "seals", "000.00.00.X99", "--add", "MST:1"] + data)
        #expect(unknown.exitCode == 1 && unknown.stderr.hasPrefix("truc: not-found:"), "\(unknown.stderr)")
    }
}

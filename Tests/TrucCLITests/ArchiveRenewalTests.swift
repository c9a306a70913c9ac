import Foundation
import Testing
import TrucTestSupport

/// PAdES-LTA renewal with two TSAs: a time-stamp proves its time only while its TSA certificate is
/// valid, or when a later time-stamp made before that certificate expired renews it. Made by pyHanko at test
/// time (`make_archive_renewal.py`; its validator agrees that both document time-stamps are intact and valid).
@Suite("Archive time-stamps: renewal before and after the first TSA expired",
       .enabled { await pythonImports("pyhanko") }, .timeLimit(.minutes(30)))
struct ArchiveRenewalTests {
    @Test("renewed while the first TSA certificate was valid: the 2016 proof stands (valid); renewed after it expired: it proves nothing (expired)")
    func renewal() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("truc-archive-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let made = try await TrucRun.run(executable: URL(fileURLWithPath: "/usr/bin/env"),
                                   ["python3", PKIProfileTests.repo.appendingPathComponent("Tests/Fixtures/signatures/make_archive_renewal.py").path, dir])
        #expect(made.exitCode == 0, "\(made.stderr)")
        func verdict(_ name: String) async throws -> [String: Any] {
            let run = try await TrucRun.run(["verify", dir + "/\(name).edxml", "--trust", dir + "/trust", "--revocation", "offline", "--json"])
            return try #require((run.json?["signatures"] as? [[String: Any]])?.first, "\(run.stdout)\(run.stderr)")
        }
        let inTime = try await verdict("archive-renewed-in-time")
        #expect(inTime["status"] as? String == "valid" && (inTime["timestamp"] as? [String: Any])?["time"] as? String == "2016-06-01T00:00:00Z", "\(inTime)")
        let late = try await verdict("archive-renewed-late")
        #expect(late["status"] as? String == "invalid" && (late["reasons"] as? [String])?.contains("expired") == true, "\(late)")
        #expect((late["notes"] as? [String])?.contains { $0.contains("TSA 1") && $0.contains("proves nothing now") } == true, "\(late)")
    }
}

import Foundation
import Testing

/// The benchmark commands run as users run them (figures are not judged here, only that they are measured).
@Suite("truc bench", .timeLimit(.minutes(30)))
struct BenchCommandTests {
    @Test("bench bound verifies a signed document on each thread and prints the sum")
    func bound() async throws {
        let run = try await TrucRun.run(["bench", "bound", CLIFixtures.path("signatures/pdf-both-zip.edxml"), "--threads", "2", "--seconds", "0.3"])
        #expect(run.exitCode == 0, "\(run.stdout)\(run.stderr)")
        let line = try #require(run.stdout.split(separator: "\n").first { $0.hasPrefix("bound") })
        let numbers = line.split(whereSeparator: { !"0123456789.".contains($0) }).compactMap { Double($0) }
        // "bound  T verifications/s on 2 threads at once (a + b)": T = a + b, each above zero.
        #expect(numbers.count == 4)
        #expect(numbers.count == 4 && numbers[1] == 2 && numbers[2] > 0 && numbers[3] > 0 && abs(numbers[0] - numbers[2] - numbers[3]) < 0.2)
    }

    @Test("bench bound refuses a document whose signatures do not verify")
    func boundRefusesInvalid() async throws {
        let run = try await TrucRun.run(["bench", "bound", CLIFixtures.path("signatures/pdf-tampered.edxml"), "--seconds", "0.1"])
        #expect(run.exitCode == 1)
        #expect(run.stdout.contains("must carry valid signatures"))
    }
}

import Foundation
import Testing
import TrucTestSupport

/// The runner every test uses for programs: a hang must fail its test, not stall the suite.
@Suite("test programs' time limit", .timeLimit(.minutes(30)))
struct ProgramTests {
    @Test("a program that outlives its limit is killed together with the programs it started")
    func killsTree() throws {
        let marker = "truc-watchdog-\(UUID().uuidString.prefix(8))"
        let started = Date()
        // bash starts a grandchild that holds stdout open, then waits on it.
        let run = try Program.run(URL(fileURLWithPath: "/bin/bash"), ["-c", "exec -a \(marker) sleep 600 & echo started; wait"], timeLimit: 1)
        #expect(Date().timeIntervalSince(started) < 20)
        #expect(run.stdout.contains("started"))
        #expect(run.exitCode != 0)
        let survivors = try Program.run(URL(fileURLWithPath: "/usr/bin/pgrep"), ["-f", marker], timeLimit: 10)
        #expect(survivors.stdout.isEmpty, "left running: \(survivors.stdout)")
    }

    @Test("a program that ends in time gives its output and exit status")
    func normalRun() throws {
        let run = try Program.run(URL(fileURLWithPath: "/bin/bash"), ["-c", "echo out; echo err >&2; exit 3"])
        #expect(run.exitCode == 3 && run.stdout == "out\n" && run.stderr == "err\n")
    }
}

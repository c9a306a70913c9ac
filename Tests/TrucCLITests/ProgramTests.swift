import Foundation
import Testing
import TrucTestSupport

/// The runner every test uses for programs: a hang must fail its test, not stall the suite.
@Suite("test programs' time limit", .timeLimit(.minutes(30)))
struct ProgramTests {
    @Test("a program that outlives its limit is killed together with the programs it started")
    func killsTree() async throws {
        let marker = "truc-watchdog-\(UUID().uuidString.prefix(8))"
        // bash starts a grandchild that holds stdout open, then waits on it. (Its duration runs from its start: the
        // wait for a turn to run, behind the suite's other programs, does not count.)
        let run = try await Program.run(URL(fileURLWithPath: "/bin/bash"), ["-c", "exec -a \(marker) sleep 600 & echo started; wait"], timeLimit: 1)
        #expect(run.duration < .seconds(20))
        #expect(run.stdout.contains("started"))
        #expect(run.exitCode != 0)
        let survivors = try await Program.run(URL(fileURLWithPath: "/usr/bin/pgrep"), ["-f", marker], timeLimit: 10)
        #expect(survivors.stdout.isEmpty, "left running: \(survivors.stdout)")
    }

    @Test("a program that ends in time gives its output and exit status")
    func normalRun() async throws {
        let run = try await Program.run(URL(fileURLWithPath: "/bin/bash"), ["-c", "echo out; echo err >&2; exit 3"])
        #expect(run.exitCode == 3 && run.stdout == "out\n" && run.stderr == "err\n")
    }
}

@Suite("long-running test programs", .timeLimit(.minutes(30)))
struct SpawnedProcessTests {
    @Test("a program whose test is cancelled is killed with what it started, at once")
    func cancelledTest() async throws {
        let marker = "truc-cancelled-\(UUID().uuidString.prefix(8))"
        let started = ContinuousClock.now
        let run = Task {
            try await Program.run(URL(fileURLWithPath: "/bin/bash"), ["-c", "exec -a \(marker) sleep 600 & wait"], timeLimit: 120)
        }
        try await Task.sleep(for: .milliseconds(500))
        run.cancel()
        _ = try? await run.value
        #expect(ContinuousClock.now - started < .seconds(60), "the program outlived its cancelled test")
        let survivors = try await Program.run(URL(fileURLWithPath: "/usr/bin/pgrep"), ["-f", marker], timeLimit: 10)
        #expect(survivors.stdout.isEmpty, "left running: \(survivors.stdout)")
    }

    @Test("a server started, signalled and waited for: its exit status; a program that cannot start is an error")
    func startStop() async throws {
        let process = SpawnedProcess()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", "trap 'exit 7' TERM; while true; do sleep 0.1; done"]
        try await Program.launch(process)
        #expect(process.isRunning && process.processIdentifier > 0)
        try await Task.sleep(for: .milliseconds(300)) // the trap is set
        await Program.stop(process, grace: 20)
        #expect(!process.isRunning && process.terminationStatus == 7)

        let missing = SpawnedProcess()
        missing.executableURL = URL(fileURLWithPath: "/nonexistent/truc-\(UUID().uuidString)")
        await #expect(throws: (any Error).self) { try await Program.launch(missing) }
        #expect(!missing.isRunning)
    }

    @Test("a server's output goes where it is asked: a pipe the test reads to its end")
    func pipeOutput() async throws {
        let process = SpawnedProcess()
        let pipe = Pipe()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", "echo ready; echo oops >&2"]
        process.standardOutput = pipe
        try await Program.launch(process)
        await process.waitUntilExit()
        #expect(String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) == "ready\n")
        #expect(process.terminationStatus == 0)
    }
}

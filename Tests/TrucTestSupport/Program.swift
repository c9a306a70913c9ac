package import Foundation
import Subprocess
import Synchronization
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// What a program run by a test printed, and how it ended.
package struct ProgramResult: Sendable {
    package let exitCode: Int32
    package let stdout: String
    package let stderr: String
    /// From the program's start to its end (not counting the wait for a turn to run).
    package var duration: Duration = .zero
}

/// Runs the programs that tests drive (`truc`, scripts, xmlsec1, a browser through Selenium) with
/// swift-subprocess, so that no program can stall the suite: one that outlives its time limit, or whose test
/// is cancelled (a suite's `.timeLimit`), is killed together with everything it started.
///
/// Every wait is a suspension, never a blocked thread: the cooperative pool has one thread per core, and a test
/// that blocked one while waiting for a program could starve the in-process hub the program talks to.
package enum Program {

    /// The longest a program run by a test may take, by default.
    package static let timeLimit: Double = 300

    /// The most output kept of one stream (a program that prints more fails its test with Subprocess's error).
    static let outputLimit = 256 << 20

    /// How many programs run at once (two per core). Tests run in parallel and no longer hold a thread while their
    /// program runs: without a bound, the first seconds of a full run started hundreds at once, and a `truc
    /// inspect` took 17 s. Long-running programs (`SpawnedProcess`) do not take a turn.
    static let turns = Turns(ProcessInfo.processInfo.activeProcessorCount * 2)

    /// Runs `executable` and waits for it; stdout and stderr kept apart. `environment` is added to this
    /// process's own.
    package static func run(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil,
                            timeLimit: Double = timeLimit) async throws -> ProgramResult {
        let variables = Environment.inherit.updating(Environment.keyed(environment ?? [:]).mapValues { $0 as String? })
        try await turns.take()
        defer { turns.give() }
        let watchdog = Watchdog(seconds: timeLimit)
        defer { watchdog.disarm() }
        let started = ContinuousClock.now
        let result = try await withTaskCancellationHandler {
            try await Subprocess.run(.path(FilePath(executable.path)), arguments: Arguments(arguments), environment: variables,
                                     input: .none, output: .bytes(limit: outputLimit), error: .bytes(limit: outputLimit)) { execution in
                watchdog.arm(execution.processIdentifier.value)
            }
        } onCancel: {
            // Before Subprocess's own teardown reaps the program: its descendants are still found through it.
            watchdog.fire()
        }
        return ProgramResult(exitCode: result.terminationStatus.code, stdout: String(decoding: result.standardOutput, as: UTF8.self),
                             stderr: String(decoding: result.standardError, as: UTF8.self), duration: ContinuousClock.now - started)
    }

    /// Starts a long-running program (a server, a responder); returns once it runs.
    package static func launch(_ process: SpawnedProcess) async throws {
        try await process.start()
    }

    /// Asks a long-running program (a `truc serve`) to stop, and kills it with its descendants if it has
    /// not stopped after `grace` seconds.
    package static func stop(_ process: SpawnedProcess, grace: Double = 30) async {
        guard process.isRunning else { return }
        let watchdog = Watchdog(seconds: grace)
        watchdog.arm(process.processIdentifier)
        process.terminate()
        await process.waitUntilExit()
        watchdog.disarm()
    }

    /// SIGKILL to `pid` and all its descendants (found through /proc).
    package static func killTree(_ pid: Int32) {
        guard pid > 0 else { return }
        var children: [pid_t: [pid_t]] = [:]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let child = pid_t(entry),
                  let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            // "pid (comm) state ppid …": the command may hold spaces and parentheses; the last ')' ends it.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, let parent = pid_t(fields[1]) { children[parent, default: []].append(child) }
        }
        var order: [pid_t] = []
        var queue = [pid]
        while let next = queue.popLast() {
            order.append(next)
            queue += children[next] ?? []
        }
        // The program first, then what it started (their pids are known already): killed in the other order,
        // a shell waiting for its child could see the child die and exit 0 before its own SIGKILL arrives.
        for victim in order { kill(victim, SIGKILL) }
    }
}

extension Environment {
    /// Variables as Subprocess names them.
    static func keyed(_ variables: [String: String]) -> [Key: String] {
        Dictionary(uniqueKeysWithValues: variables.compactMap { key, value in Key(rawValue: key).map { ($0, value) } })
    }
}

extension TerminationStatus {
    /// As Foundation's `Process` reports it: the exit status, or the number of the signal that ended the program.
    var code: Int32 {
        switch self {
        case .exited(let status): status
        case .signaled(let signal): signal
        }
    }
}

/// Kills a process tree when `seconds` pass before `disarm()`, or at once on `fire()`. The pid is given by `arm`
/// once the program runs (a deadline that passes before that kills it as soon as it is armed). On a thread of its
/// own: a watchdog must fire even when every thread of the cooperative pool is busy.
final class Watchdog: Sendable {
    private struct State {
        var pid: pid_t?
        var disarmed = false
        var expired = false
    }
    private let state = Mutex(State())
    private let condition = NSCondition()

    init(seconds: Double) {
        let deadline = Date(timeIntervalSinceNow: seconds)
        Thread { [self] in
            condition.lock()
            while !state.withLock({ $0.disarmed }) && condition.wait(until: deadline) {}
            condition.unlock()
            fire()
        }.start()
    }

    func arm(_ pid: pid_t) {
        let kill = state.withLock { state -> Bool in
            state.pid = pid
            return state.expired && !state.disarmed
        }
        if kill { Program.killTree(pid) }
    }

    /// Kills the tree now (once), unless disarmed.
    func fire() {
        let victim = state.withLock { state -> pid_t? in
            guard !state.disarmed, !state.expired else { return nil }
            state.expired = true
            return state.pid
        }
        if let victim { Program.killTree(victim) }
    }

    /// After the program has ended (it has been reaped: its pid may be reused) nothing is killed.
    func disarm() {
        state.withLock { $0.disarmed = true }
        condition.lock()
        condition.broadcast()
        condition.unlock()
    }
}

/// Whether the `python3` on PATH can import `module` (for tests that need pyHanko, Selenium, …).
package func pythonImports(_ module: String) async -> Bool {
    (try? await Program.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", "import \(module)"], timeLimit: 60))?.exitCode == 0
}

package import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What a program run by a test printed, and how it ended.
package struct ProgramResult: Sendable {
    package let exitCode: Int32
    package let stdout: String
    package let stderr: String
}

/// Runs the programs that tests drive (`truc`, scripts, xmlsec1, a browser through Selenium) so that no
/// program can stall the suite: one that outlives its time limit is killed together with everything it
/// started, and output left open by a leftover grandchild is not waited for forever.
package enum Program {
    private static let launching = NSLock()

    /// Starts a process, one at a time in this test process: Foundation's `Process.run()` crashed once (a bad
    /// pointer in its memcpy) while the suite started processes from many threads at once.
    package static func launch(_ process: Process) throws {
        launching.lock()
        defer { launching.unlock() }
        try process.run()
    }

    /// The longest a program run by a test may take, by default.
    package static let timeLimit: Double = 300

    /// Runs `executable` and waits for it; stdout and stderr kept apart.
    package static func run(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil,
                            timeLimit: Double = timeLimit) throws -> ProgramResult {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new } }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try launch(process)
        // Both pipes drained at once: a child that fills one while we wait on the other would block forever.
        let stdout = Drain(out.fileHandleForReading), stderr = Drain(err.fileHandleForReading)
        let watchdog = Watchdog(process, seconds: timeLimit)
        process.waitUntilExit()
        watchdog.disarm()
        return ProgramResult(exitCode: process.terminationStatus, stdout: stdout.text(), stderr: stderr.text())
    }

    /// Asks a long-running program (a `truc serve`) to stop, and kills it with its descendants if it has
    /// not stopped after `grace` seconds.
    package static func stop(_ process: Process, grace: Double = 30) {
        guard process.isRunning else { return }
        let watchdog = Watchdog(process, seconds: grace)
        process.terminate()
        process.waitUntilExit()
        watchdog.disarm()
    }

    /// SIGKILL to `pid` and all its descendants (found through /proc).
    package static func killTree(_ pid: pid_t) {
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

/// Kills a process tree when `seconds` pass before `disarm()`. On a thread of its own: under a busy test
/// suite the global dispatch queue's threads can all be blocked, and a watchdog that waits for one fires late.
final class Watchdog: @unchecked Sendable {
    private let condition = NSCondition()
    private var armed = true

    init(_ process: Process, seconds: Double) {
        let pid = process.processIdentifier
        let deadline = Date(timeIntervalSinceNow: seconds)
        Thread { [self] in
            condition.lock()
            while armed && condition.wait(until: deadline) {}
            let fire = armed
            condition.unlock()
            if fire { Program.killTree(pid) }
        }.start()
    }

    func disarm() {
        condition.lock()
        armed = false
        condition.broadcast()
        condition.unlock()
    }
}

/// Reads a pipe to its end on a thread of its own.
final class Drain: @unchecked Sendable {
    private let lock = NSCondition()
    private var data = Data()
    private var ended = false

    init(_ handle: FileHandle) {
        Thread { [self] in
            while true {
                let chunk = handle.availableData
                lock.withLock { if chunk.isEmpty { ended = true; lock.broadcast() } else { data.append(chunk) } }
                if chunk.isEmpty { return }
            }
        }.start()
    }

    /// The text read; once the program has exited, waits at most `seconds` more for the end of the pipe
    /// (a leftover grandchild may hold it open).
    func text(waiting seconds: Double = 10) -> String {
        lock.lock()
        defer { lock.unlock() }
        let deadline = Date(timeIntervalSinceNow: seconds)
        while !ended && lock.wait(until: deadline) {}
        return String(decoding: data, as: UTF8.self)
    }
}

/// Tests that load both cores for long (a fuzz build and run, the crash test, attacks under load, backups
/// under load) take turns: run together, they starve the timing-sensitive tests of CPU (a JVM client that
/// waits 5 s for `100 Continue`, for instance). Tests that are sensitive to time take a turn too.
package enum HeavyLoad {
    private static let gate = DispatchSemaphore(value: 1)

    package static func exclusive<T>(_ body: () throws -> T) rethrows -> T {
        gate.wait()
        defer { gate.signal() }
        return try body()
    }
}

/// A TCP port nothing listens on now (bound to 0 and released): fewer collisions than a random one when
/// many tests start servers at once.
package func freeTCPPort() -> Int {
    #if canImport(Glibc)
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return Int.random(in: 20_000...40_000) }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa -> Bool in
            bind(fd, sa, length) == 0 && getsockname(fd, sa, &length) == 0
        }
    }
    return bound ? Int(UInt16(bigEndian: address.sin_port)) : Int.random(in: 20_000...40_000)
    #else
    return Int.random(in: 20_000...40_000)
    #endif
}

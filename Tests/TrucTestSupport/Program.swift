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

    /// Runs `executable` and waits for it; stdout and stderr kept apart. Started with posix_spawn, not
    /// Foundation's `Process`: `Process.run()` crashed in a full run (a memcpy past a page while it walked
    /// the test process's 1,300 open descriptors), lock or no lock.
    package static func run(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil,
                            timeLimit: Double = timeLimit) throws -> ProgramResult {
        let out = Pipe(), err = Pipe()
        var variables = ProcessInfo.processInfo.environment
        if let environment { variables.merge(environment) { _, new in new } }
        let pid = try spawn(executable.path, arguments, environment: variables,
                            stdout: out.fileHandleForWriting.fileDescriptor, stderr: err.fileHandleForWriting.fileDescriptor)
        try? out.fileHandleForWriting.close()
        try? err.fileHandleForWriting.close()
        // Both pipes drained at once: a child that fills one while we wait on the other would block forever.
        let stdout = Drain(out.fileHandleForReading), stderr = Drain(err.fileHandleForReading)
        let watchdog = Watchdog(pid: pid, seconds: timeLimit)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        watchdog.disarm()
        // As Foundation reports it: the exit status, or the number of the signal that ended the program.
        let code = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : status & 0x7F
        return ProgramResult(exitCode: code, stdout: stdout.text(), stderr: stderr.text())
    }

    /// posix_spawn with stdin from /dev/null, the given stdout and stderr, and every other descriptor closed
    /// in the child.
    static func spawn(_ path: String, _ arguments: [String], environment: [String: String], stdout: Int32, stderr: Int32) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        // glibc 2.34+; not in Swift's Glibc module view, so looked up by name.
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") {
            _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3)
        }
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        var pid: pid_t = 0
        let result = launching.withLock { posix_spawn(&pid, path, &actions, nil, argv, envp) }
        guard result == 0 else {
            throw NSError(domain: NSPOSIXErrorDomain, code: Int(result), userInfo: [NSLocalizedDescriptionKey: "cannot start \(path): \(String(cString: strerror(result)))"])
        }
        return pid
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

    convenience init(_ process: Process, seconds: Double) {
        self.init(pid: process.processIdentifier, seconds: seconds)
    }

    init(pid: pid_t, seconds: Double) {
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

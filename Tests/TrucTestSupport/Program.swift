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

    /// Starts a long-running program (a server, a responder) with posix_spawn: Foundation's `Process.run()`
    /// crashed in full runs (a memcpy past a page while it walked the test process's open descriptors).
    package static func launch(_ process: SpawnedProcess) throws {
        try process.start()
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

    /// `run` on a thread of its own, for async tests: waiting for a program on one of the few cooperative
    /// threads can starve an in-process hub that the program (or another test's) needs, and deadlock the run.
    package static func runDetached(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil,
                                    timeLimit: Double = timeLimit) async throws -> ProgramResult {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Result { try run(executable, arguments, environment: environment, timeLimit: timeLimit) })
            }.start()
        }
    }

    /// posix_spawn with stdin from /dev/null, the given stdout and stderr, and every other descriptor closed
    /// in the child.
    static func spawn(_ path: String, _ arguments: [String], environment: [String: String], stdout: Int32, stderr: Int32,
                      stdin: Int32? = nil) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let stdin { posix_spawn_file_actions_adddup2(&actions, stdin, 0) } else { posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0) }
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
        // The child starts with every signal at its default and none blocked: the test process's threads
        // block or ignore some, and a server that inherited that would not stop on SIGTERM.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        sigdelset(&all, SIGKILL)
        sigdelset(&all, SIGSTOP)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        guard result == 0 else {
            throw NSError(domain: NSPOSIXErrorDomain, code: Int(result), userInfo: [NSLocalizedDescriptionKey: "cannot start \(path): \(String(cString: strerror(result)))"])
        }
        return pid
    }

    /// Asks a long-running program (a `truc serve`) to stop, and kills it with its descendants if it has
    /// not stopped after `grace` seconds.
    package static func stop(_ process: SpawnedProcess, grace: Double = 30) {
        guard process.isRunning else { return }
        let watchdog = Watchdog(pid: process.processIdentifier, seconds: grace)
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
    // Below the kernel's ephemeral range (32768–60999 by default): the ports it hands out for port-0 binds and
    // outgoing connections never take one announced here before its server binds it (a full parallel run saw
    // "Address already in use" when the port came from that range).
    #if canImport(Glibc)
    for _ in 0..<64 {
        let candidate = Int.random(in: 20_000...32_000)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { break }
        var reuse: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(candidate).bigEndian)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        close(fd)
        if bound { return candidate }
    }
    #endif
    let (port, release) = reservedTCPPort()
    release()
    return port
}

/// A TCP port bound (not listening: connections to it are refused) until `release` is called, so that no
/// other test is given it meanwhile: for a server a test starts later on a port it announced before.
package func reservedTCPPort() -> (port: Int, release: @Sendable () -> Void) {
    #if canImport(Glibc)
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return (Int.random(in: 20_000...40_000), {}) }
    var reuse: Int32 = 1
    _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
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
    guard bound else { close(fd); return (Int.random(in: 20_000...40_000), {}) }
    return (Int(UInt16(bigEndian: address.sin_port)), { close(fd) })
    #else
    return (Int.random(in: 20_000...40_000), {})
    #endif
}

/// A long-running program started with posix_spawn, with the part of Foundation's `Process` the tests use:
/// set `executableURL`, `arguments`, `environment`, `standardOutput`/`standardError`/`standardInput` (a
/// `FileHandle` or a `Pipe`; nothing: /dev/null), start it with `Program.launch`, then `isRunning`,
/// `terminate()`, `waitUntilExit()`, `terminationStatus`.
package final class SpawnedProcess: @unchecked Sendable {
    package var executableURL: URL?
    package var arguments: [String] = []
    package var environment: [String: String]?
    package var standardOutput: Any?
    package var standardError: Any?
    package var standardInput: Any?
    private let lock = NSLock()
    private var pid: pid_t = 0
    private var status: Int32?

    package init() {}

    package var processIdentifier: pid_t { lock.withLock { pid } }

    /// The descriptor to give the child; nil (the child gets /dev/null) for nothing or `FileHandle.nullDevice`,
    /// whose descriptor number is not one to pass on (it can name another file of this process by then).
    static func descriptor(_ handle: Any?, reading: Bool) -> Int32? {
        switch handle {
        case let file as FileHandle where file === FileHandle.nullDevice: nil
        case let file as FileHandle: file.fileDescriptor
        case let pipe as Pipe: reading ? pipe.fileHandleForReading.fileDescriptor : pipe.fileHandleForWriting.fileDescriptor
        default: nil
        }
    }

    func start() throws {
        guard let executableURL else { throw CocoaError(.fileNoSuchFile) }
        let null = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { if null >= 0 { close(null) } }
        var variables = ProcessInfo.processInfo.environment
        if let environment { variables = environment }
        let spawned = try Program.spawn(executableURL.path, arguments, environment: variables,
                                        stdout: Self.descriptor(standardOutput, reading: false) ?? null,
                                        stderr: Self.descriptor(standardError, reading: false) ?? null,
                                        stdin: Self.descriptor(standardInput, reading: true) ?? null)
        lock.withLock { pid = spawned }
        // The child holds the pipes' writing ends now: ours are closed so that readers see the end.
        for handle in [standardOutput, standardError] { if let pipe = handle as? Pipe { try? pipe.fileHandleForWriting.close() } }
    }

    /// Reaps the child if it has ended (without waiting); true while it runs.
    package var isRunning: Bool {
        lock.withLock {
            guard pid > 0, status == nil else { return false }
            var raw: Int32 = 0
            let r = waitpid(pid, &raw, WNOHANG)
            if r == pid { status = raw; return false }
            return r == 0
        }
    }

    package func terminate() { if isRunning { kill(processIdentifier, SIGTERM) } }

    package func waitUntilExit() {
        while isRunning { usleep(20_000) }
    }

    /// The exit status, or the number of the signal that ended it (as Foundation reports it).
    package var terminationStatus: Int32 {
        lock.withLock {
            guard let raw = status else { return 0 }
            return (raw & 0x7F) == 0 ? (raw >> 8) & 0xFF : raw & 0x7F
        }
    }
}

import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A real PostgreSQL server for the tests: a throwaway cluster (initdb in a temporary directory, `pg_ctl start`
/// on a free port of 127.0.0.1, one database per test), or the server `TRUC_TEST_POSTGRES_URL` names.
///
/// The server refuses to run as root: as root the cluster is made and run as the `postgres` user (Debian's
/// package creates it). Without PostgreSQL the tests say so in one line and are skipped — except under CI
/// (`CI` set), where PostgreSQL tests must run: `.ci/run` installs the server.
package final class PostgresCluster: @unchecked Sendable {
    package let host = "127.0.0.1"
    package let port: Int
    package let user: String
    private let directory: String?
    private let binaries: String?
    private let runAs: String?
    private let lock = NSLock()
    private var databases = 0

    /// The one cluster of this test process (made on first use, by whichever test asks first), or why there is none.
    private static let making = Task<Result<PostgresCluster, PostgresUnavailable>, Never> {
        do {
            let cluster = try await PostgresCluster()
            made.withLock { $0 = cluster }
            atexit { PostgresCluster.stopShared() }
            return .success(cluster)
        } catch let error as PostgresUnavailable { return .failure(error) } catch {
            return .failure(PostgresUnavailable(reason: "\(error)"))
        }
    }

    /// The shared cluster once made, for the process's exit handler (which cannot wait for a task).
    private static let made = Mutex<PostgresCluster?>(nil)

    package static var shared: Result<PostgresCluster, PostgresUnavailable> {
        get async { await making.value }
    }

    /// Whether the PostgreSQL tests can run here (under CI they always must).
    package static var available: Bool {
        get async {
            if case .success = await shared { return true }
            return ProcessInfo.processInfo.environment["CI"] != nil // fail loudly in CI instead of skipping
        }
    }

    /// The cluster, or a thrown error naming why there is none.
    package static func require() async throws -> PostgresCluster {
        switch await shared {
        case .success(let cluster): return cluster
        case .failure(let error): throw error
        }
    }

    /// A cluster of its own (for tests that stop and start the server); `destroy()` it at the end.
    package static func dedicated() async throws -> PostgresCluster { try await PostgresCluster() }

    private init() async throws {
        let environment = ProcessInfo.processInfo.environment
        if let url = environment["TRUC_TEST_POSTGRES_URL"], let components = URLComponents(string: url) {
            port = components.port ?? 5432
            user = components.user ?? "postgres"
            directory = nil
            binaries = nil
            runAs = nil
            return
        }
        guard let bin = Self.findBinaries() else {
            let line = "PostgreSQL tests skipped: no initdb under /usr/lib/postgresql (apt-get install postgresql) and TRUC_TEST_POSTGRES_URL unset"
            FileHandle.standardError.write(Data((line + "\n").utf8))
            throw PostgresUnavailable(reason: line)
        }
        binaries = bin
        runAs = getuid() == 0 ? "postgres" : nil
        user = "truc"
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("truc-pg-\(getpid())-\(UUID().uuidString.prefix(8))").path
        directory = dir
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        if let runAs { _ = try await Self.run("/usr/bin/chown", ["-R", runAs, dir]) }
        let initdb = try await Self.run(bin + "/initdb", ["-D", dir + "/data", "-U", "truc", "-A", "trust", "--no-sync", "-E", "UTF8"], as: runAs)
        guard initdb.exitCode == 0 else { throw PostgresUnavailable(reason: "initdb failed: \(initdb.stderr)") }
        // The postmaster is started as a child of its own (not through `pg_ctl start`, whose exit Foundation's
        // Process was seen to miss under runuser), and is ready when pg_isready says so.
        var chosen = 0
        var ready = false
        for _ in 0..<3 where !ready {
            chosen = freeTCPPort()
            try await Self.launch(bin: bin, directory: dir, port: chosen, as: runAs)
            ready = await Self.waitReady(bin: bin, port: chosen, seconds: 60)
        }
        port = chosen
        guard ready else {
            let log = (try? String(contentsOfFile: dir + "/server.log", encoding: .utf8)) ?? ""
            throw PostgresUnavailable(reason: "PostgreSQL did not start: \(log.suffix(2000))")
        }
    }

    /// Stops the throwaway cluster and removes it (at process exit).
    static func stopShared() {
        guard let cluster = made.withLock({ $0 }), let dir = cluster.directory else { return }
        cluster.signalPostmaster(SIGQUIT) // immediate shutdown: the data is thrown away
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// Restarts the server (as an operator's `pg_ctlcluster … restart` would): a fast shutdown, then a start on
    /// the same port. For outage tests.
    package func restart() async throws {
        guard let dir = directory, let bin = binaries else { throw PostgresUnavailable(reason: "an external server cannot be restarted") }
        signalPostmaster(SIGINT)
        let deadline = Date(timeIntervalSinceNow: 60)
        while FileManager.default.fileExists(atPath: dir + "/data/postmaster.pid"), Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        try await Self.launch(bin: bin, directory: dir, port: port, as: runAs)
        guard await Self.waitReady(bin: bin, port: port, seconds: 60) else { throw PostgresUnavailable(reason: "PostgreSQL did not come back") }
    }

    /// Stops the server (a fast shutdown), as an outage.
    package func stopServer() async {
        guard let dir = directory else { return }
        signalPostmaster(SIGINT)
        let deadline = Date(timeIntervalSinceNow: 60)
        while FileManager.default.fileExists(atPath: dir + "/data/postmaster.pid"), Date() < deadline { try? await Task.sleep(for: .milliseconds(50)) }
    }

    /// Starts the stopped server again on the same port.
    package func startServer() async throws {
        guard let dir = directory, let bin = binaries else { throw PostgresUnavailable(reason: "an external server cannot be started") }
        try await Self.launch(bin: bin, directory: dir, port: port, as: runAs)
        guard await Self.waitReady(bin: bin, port: port, seconds: 60) else { throw PostgresUnavailable(reason: "PostgreSQL did not come back") }
    }

    /// Shell commands that stop the server (a fast shutdown, waiting until it is down) and start it again on the
    /// same port (waiting until it answers), for scripts that restart PostgreSQL under load themselves.
    package func shellCommands() -> (stop: String, start: String)? {
        guard let dir = directory, let bin = binaries else { return nil }
        let run = runAs.map { "/usr/sbin/runuser -u \($0) -- " } ?? ""
        let stop = "kill -INT $(head -1 \(dir)/data/postmaster.pid); for i in $(seq 600); do [ -e \(dir)/data/postmaster.pid ] || break; sleep 0.1; done"
        let start = "\(run)\(bin)/postgres -D \(dir)/data -p \(port) -c listen_addresses=127.0.0.1 -k \(dir) -c max_connections=200 -c shared_buffers=32MB"
            + " >>\(dir)/server.log 2>&1 </dev/null & for i in $(seq 300); do \(bin)/pg_isready -q -h 127.0.0.1 -p \(port) && break; sleep 0.2; done"
        return (stop, start)
    }

    /// Stops a dedicated cluster and removes its files.
    package func destroy() {
        signalPostmaster(SIGQUIT)
        if let dir = directory { try? FileManager.default.removeItem(atPath: dir) }
    }

    /// Sends `signal` to the postmaster (its pid is the first line of postmaster.pid).
    func signalPostmaster(_ signal: Int32) {
        guard let dir = directory, let text = try? String(contentsOfFile: dir + "/data/postmaster.pid", encoding: .utf8),
              let pid = text.split(separator: "\n").first.flatMap({ pid_t($0.trimmingCharacters(in: .whitespaces)) }) else { return }
        kill(pid, signal)
    }

    static func launch(bin: String, directory dir: String, port: Int, as user: String?) async throws {
        let process = SpawnedProcess()
        let arguments = [bin + "/postgres", "-D", dir + "/data", "-p", String(port), "-c", "listen_addresses=127.0.0.1", "-k", dir,
                         "-c", "max_connections=200", "-c", "shared_buffers=32MB"]
        if let user {
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
            process.arguments = ["-u", user, "--"] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: arguments[0])
            process.arguments = Array(arguments.dropFirst())
        }
        _ = FileManager.default.createFile(atPath: dir + "/server.log", contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/server.log"))
        log.seekToEndOfFile()
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try await Program.launch(process)
    }

    static func waitReady(bin: String, port: Int, seconds: Double) async -> Bool {
        let deadline = Date(timeIntervalSinceNow: seconds)
        while Date() < deadline {
            if let result = try? await Program.run(URL(fileURLWithPath: bin + "/pg_isready"), ["-h", "127.0.0.1", "-p", String(port), "-t", "2"], timeLimit: 10),
               result.exitCode == 0 { return true }
            try? await Task.sleep(for: .milliseconds(200))
        }
        return false
    }

    /// A new, empty database on the server; its URL (`postgres://user@127.0.0.1:port/name`).
    package func makeDatabase(prefix: String = "truc_test") async throws -> String {
        let name = lock.withLock { () -> String in
            databases += 1
            return "\(prefix)_\(getpid())_\(databases)"
        }
        if let bin = binaries {
            let result = try await Self.run(bin + "/createdb", ["-h", host, "-p", String(port), "-U", user, name])
            guard result.exitCode == 0 else { throw PostgresUnavailable(reason: "createdb \(name): \(result.stderr)") }
        } else if let url = ProcessInfo.processInfo.environment["TRUC_TEST_POSTGRES_URL"] {
            let result = try await Self.run("/usr/bin/psql", [url, "-c", "CREATE DATABASE \(name)"])
            guard result.exitCode == 0 else { throw PostgresUnavailable(reason: "CREATE DATABASE \(name): \(result.stderr)") }
        }
        return "postgres://\(user)@\(host):\(port)/\(name)"
    }

    static func findBinaries() -> String? {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted(by: >)
        return versions.map { "\(root)/\($0)/bin" }.first { FileManager.default.isExecutableFile(atPath: $0 + "/initdb") }
    }

    static func run(_ executable: String, _ arguments: [String], as user: String? = nil) async throws -> ProgramResult {
        if let user {
            return try await Program.run(URL(fileURLWithPath: "/usr/sbin/runuser"), ["-u", user, "--", executable] + arguments, timeLimit: 120)
        }
        return try await Program.run(URL(fileURLWithPath: executable), arguments, timeLimit: 120)
    }
}

/// Why the PostgreSQL tests cannot run here.
package struct PostgresUnavailable: Error, CustomStringConvertible {
    package let reason: String
    package var description: String { reason }
}

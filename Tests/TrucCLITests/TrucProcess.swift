import Foundation

/// Runs the real `truc` binary (built next to the test bundle) and captures what a user would see.
struct TrucRun {
    let exitCode: Int32
    let stdout: String
    let stderr: String

    var json: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [String: Any]
    }

    static var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("truc")
    }

    static func run(_ arguments: [String]) throws -> TrucRun { try run(executable: binary, arguments) }

    /// The longest any program run by a test may take.
    static let timeLimit: Double = 300

    /// Runs any program (a script driving `truc`), waiting for it; stdout and stderr kept apart.
    static func run(executable: URL, _ arguments: [String], environment: [String: String]? = nil) throws -> TrucRun {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new } }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Both pipes drained at once (a child that fills one while we wait on the other would block forever),
        // and a watchdog: a program that has not finished in `timeLimit` is killed, so a hang fails the test
        // instead of stalling the suite.
        let errData = LockedData()
        let errReader = Thread { errData.set(err.fileHandleForReading.readDataToEndOfFile()) }
        errReader.start()
        let pid = process.processIdentifier
        let finished = LockedData()
        DispatchQueue.global().asyncAfter(deadline: .now() + timeLimit) {
            if !finished.isSet { kill(pid, SIGKILL) }
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        finished.set(Data())
        while !errData.isSet { usleep(1000) }
        return TrucRun(exitCode: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                       stderr: String(decoding: errData.value, as: UTF8.self))
    }
}

enum CLIFixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")
    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    /// Writes `text` to a fresh temporary file and returns its path.
    static func temporary(_ text: String, name: String = "message.edxml") throws -> String {
        try temporary(Data(text.utf8), name: name)
    }

    static func temporary(_ data: Data, name: String = "message.edxml") throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("truc-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent(name)
        try data.write(to: url)
        return url.path
    }

    static func sample(_ name: String) throws -> String {
        String(decoding: try Data(contentsOf: root.appendingPathComponent("vpcp/\(name)")), as: UTF8.self)
    }
}

/// Bytes handed from a reader thread.
final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data: Data?
    func set(_ value: Data) { lock.lock(); data = value; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return data != nil }
    var value: Data { lock.lock(); defer { lock.unlock() }; return data ?? Data() }
}

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
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return TrucRun(exitCode: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                       stderr: String(decoding: errData, as: UTF8.self))
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

import Foundation
import TrucTestSupport

/// Runs the real `truc` binary (built next to the test bundle) and captures what a user would see.
struct TrucRun {
    let exitCode: Int32
    let stdout: String
    let stderr: String
    /// From the program's start to its end.
    var duration: Duration = .zero

    var json: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [String: Any]
    }

    static var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("truc")
    }

    static func run(_ arguments: [String]) async throws -> TrucRun { try await run(executable: binary, arguments) }

    /// Runs any program (a script driving `truc`), waiting for it; stdout and stderr kept apart, and the
    /// program killed with all it started if it outlives `Program.timeLimit` (see `TrucTestSupport`).
    static func run(executable: URL, _ arguments: [String], environment: [String: String]? = nil) async throws -> TrucRun {
        let result = try await Program.run(executable, arguments, environment: environment)
        return TrucRun(exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr, duration: result.duration)
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

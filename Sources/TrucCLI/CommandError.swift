import ArgumentParser
import Foundation

/// How a command reports a failure: `{"error":{"code","message"}}` on stdout (for scripts), one line on
/// stderr (for people), and the exit code.
struct CommandFailure: Error {
    let code: String
    let message: String
    let exitCode: Int32

    func report() -> ExitCode {
        let body: [String: [String: String]] = ["error": ["code": code, "message": message]]
        if let data = try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys, .withoutEscapingSlashes]) {
            FileHandle.standardOutput.write(data + Data("\n".utf8))
        }
        FileHandle.standardError.write(Data("truc: \(code): \(message)\n".utf8))
        return ExitCode(exitCode)
    }
}

enum Output {
    static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

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

/// A word of a fixed set given to an option (`--revocation prefer-ocsp`).
struct ChoiceError: Error {
    let message: String
}

extension CaseIterable where Self: RawRepresentable, RawValue == String {
    /// The case named `text`, or an error that names the option, the value and the choices.
    static func choice(_ text: String, flag: String) -> Result<Self, ChoiceError> {
        if let value = Self(rawValue: text) { return .success(value) }
        return .failure(ChoiceError(message: "\(flag) \(text) is not one of \(allCases.map(\.rawValue).joined(separator: ", "))"))
    }
}

import ArgumentParser
import Foundation
import TrucCore

/// How a command reports a failure: `{"error":{"code","message"}}` on stdout (for scripts), one line on
/// stderr (for people), and the exit code.
struct CommandFailure: Error {
    let code: String
    let message: String
    let exitCode: Int32

    /// A failure with `code`, whose exit code is the catalogue's (`ErrorCode`).
    init(_ code: ErrorCode, _ message: String) {
        self.code = code.rawValue
        self.message = message
        self.exitCode = code.exitCode
    }

    /// A reading error of an input file (`EdXMLError`, `XMLError` codes: each in the catalogue, exit 2); a code
    /// the catalogue does not know is reported as `malformed-xml`.
    init(reading code: String, _ message: String) {
        self.init(ErrorCode(rawValue: code).flatMap { $0.entry.exit == nil ? nil : $0 } ?? .malformedXml, message)
    }

    /// Writes the failure the one way every command does: `truc: CODE: message` on stderr, and with `--json`
    /// also `{"error":{"code","message"}}` on stdout; returns the exit code to throw.
    func report() -> ExitCode {
        if Self.jsonRequested {
            let body: [String: [String: String]] = ["error": ["code": code, "message": message]]
            if let data = try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys, .withoutEscapingSlashes]) {
                FileHandle.standardOutput.write(data + Data("\n".utf8))
            }
        }
        FileHandle.standardError.write(Data("truc: \(code): \(message.replacingOccurrences(of: "\n", with: " "))\n".utf8))
        return ExitCode(exitCode)
    }

    /// `--json` anywhere on the command line (also when the line does not parse: a usage error is then JSON too).
    static let jsonRequested = CommandLine.arguments.dropFirst().contains("--json")

    /// Any error that reached the top without being reported: ArgumentParser's usage errors (exit 2, with the
    /// command's help named), or something unforeseen (exit 1, described).
    static func reportUncaught(_ error: any Error, usage: (any Error) -> (message: String, full: String, isUsage: Bool)) -> ExitCode {
        if let failure = error as? CommandFailure { return failure.report() }
        let (message, full, isUsage) = usage(error)
        if isUsage {
            var hint = ""
            if let range = full.range(of: #"See '[^']+'"#, options: .regularExpression) {
                hint = "; see " + full[range].dropFirst(4)
            }
            let text = message.hasPrefix("Error: ") ? String(message.dropFirst(7)) : message
            return CommandFailure(.usage, text.trimmingCharacters(in: .whitespacesAndNewlines) + hint).report()
        }
        return CommandFailure(.failed, String(describing: error)).report()
    }
}

/// `--json` for commands whose output is text: their failures are then also a JSON object on stdout.
struct ErrorOutput: ParsableArguments {
    @Flag(name: .long, help: "Report a failure also as JSON on stdout: {\"error\":{\"code\",\"message\"}}.") var json = false
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

import Foundation
import TrucCore

/// The configuration keys given as flags to `truc serve`, read against the catalogue: `--NAME VALUE`,
/// `--NAME=VALUE`, an on/off key alone (`--require-revocation`, or `--require-revocation=false`), a list key
/// repeated (`--route A --route B`). An unknown flag, a missing value or a key given twice is refused (exit 2)
/// naming the flag and, for a misspelt one, the nearest key.
struct ServeFlags: Equatable {
    var values: [String: String] = [:]
    var lists: [String: [String]] = [:]

    static func parse(_ arguments: [String]) throws(CommandFailure) -> ServeFlags {
        var flags = ServeFlags()
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            guard argument.hasPrefix("--"), argument.count > 2 else {
                throw usage("unexpected argument \"\(argument)\": truc serve takes only --KEY VALUE flags (truc serve --help lists them)")
            }
            let body = argument.dropFirst(2)
            let name = String(body.prefix { $0 != "=" })
            var value: String? = body.contains("=") ? String(body.drop { $0 != "=" }.dropFirst()) : nil
            guard let key = ServeKeys.byFlag[name] else {
                let nearest = ServeKeys.all.map(\.flag).min { ServeCommand.distance(name, $0) < ServeCommand.distance(name, $1) }
                let hint = nearest.flatMap { ServeCommand.distance(name, $0) <= 3 ? " (did you mean --\($0)?)" : nil } ?? ""
                throw usage("unknown option --\(name)\(hint)")
            }
            if key.kind == .bool {
                if value == nil { value = "true" }
            } else if value == nil {
                guard index < arguments.count else { throw usage("--\(name) needs a value (\(key.placeholder ?? "VALUE"))") }
                value = arguments[index]
                index += 1
            }
            guard let value else { continue }
            switch key.kind {
            case .int where Int(value) == nil: throw usage("--\(name) \(value): give a whole number")
            case .double where Double(value) == nil: throw usage("--\(name) \(value): give a number")
            case .bool where !["true", "false", "1", "0", "yes", "no"].contains(value.lowercased()): throw usage("--\(name)=\(value): give true or false")
            default: break
            }
            if key.kind == .list {
                flags.lists[key.name, default: []].append(value)
            } else {
                guard flags.values[key.name] == nil else { throw usage("--\(name) is given twice") }
                flags.values[key.name] = value
            }
        }
        return flags
    }

    /// Not yet reported: the command reports it (`report()`), a test reads it.
    private static func usage(_ message: String) -> CommandFailure {
        CommandFailure(.usage, message + "; see 'truc serve --help'")
    }
}

extension ServeKeys {
    /// The keys as `truc serve --help` lists them.
    static var helpText: String {
        var lines = ["Configuration keys: a flag, an environment variable (where there is one), or a key of the --config file",
                     "(precedence in that order). docs/configuration.md has the same list.", ""]
        for key in all {
            let value = key.placeholder.map { " \($0)" } ?? ""
            var text = key.help
            if let variable = key.environment { text += " Env \(variable)." }
            text += " Default: \(key.defaultText)."
            lines.append("  --\(key.flag)\(value)\(key.kind == .list ? " (repeatable)" : "")")
            lines.append("      \(text)")
        }
        return lines.joined(separator: "\n")
    }

    /// The keys as `docs/configuration.md` lists them (a test compares the file with this).
    static var markdownTable: String {
        var lines = ["| flag | environment | default | what it sets |", "|---|---|---|---|"]
        func cell(_ text: String) -> String { text.replacingOccurrences(of: "|", with: "\\|") }
        for key in all {
            let value = key.placeholder.map { " \($0)" } ?? ""
            let flag = "`--\(key.flag)\(cell(value))`" + (key.kind == .list ? " (repeatable)" : "")
            let environment = key.environment.map { "`\($0)`" } ?? "–"
            let shown = key.defaultValue != nil && key.defaultText == key.defaultValue ? "`\(cell(key.defaultText))`" : cell(key.defaultText)
            lines.append("| \(flag) | \(environment) | \(shown) | \(cell(key.help)) |")
        }
        return lines.joined(separator: "\n")
    }
}

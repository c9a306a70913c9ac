import Foundation
/// One event of the evidence log: a canonical, versioned record of something the hub did. Written as RFC 8785
/// (JSON Canonicalization Scheme) JSON — an object with its members sorted by name, no white space, strings
/// escaped minimally — so that the same event always has the same bytes, and its leaf hash can be recomputed
/// by anyone from the record alone. Version 1 kinds and members (README "Evidence log"):
///
/// - `accepted`: `message`, `messageKind` (edoc, status), `sender`, `recipients`, `documentId`, `sha256` (the exact
///   bytes), `verdict` (SHA-256 of the verdict JSON the hub stored), `trustSnapshot`;
/// - `refused`: `caller`, `agency`, `sender`, `documentId`, `code`, `sha256`, `verdict` (when its signatures were judged).
///
/// Every event has `v` (1), `kind` and `time` (ISO 8601 UTC, seconds).
package struct LogEvent: Sendable, Equatable {
    package enum Value: Sendable, Equatable {
        case string(String)
        case integer(Int64)
        case strings([String])
    }

    package private(set) var members: [String: Value]

    package init(kind: String, time: String, _ members: [String: Value?]) {
        var all: [String: Value] = ["v": .integer(1), "kind": .string(kind), "time": .string(time)]
        for (name, value) in members { if let value { all[name] = value } }
        self.members = all
    }

    /// Flags the event as backfilled (written after the fact for a store from before the log).
    package mutating func backfilled() { members["backfilled"] = .string("yes") }

    package var kind: String? { if case .string(let k)? = members["kind"] { k } else { nil } }

    package func string(_ name: String) -> String? { if case .string(let s)? = members[name] { s } else { nil } }

    package func strings(_ name: String) -> [String]? { if case .strings(let s)? = members[name] { s } else { nil } }

    /// The canonical bytes (RFC 8785): what the leaf hash is computed over.
    package var canonical: [UInt8] {
        var out = "{"
        for (i, name) in members.keys.sorted(by: { Array($0.utf16).lexicographicallyPrecedes(Array($1.utf16)) }).enumerated() {
            if i > 0 { out += "," }
            out += Self.quoted(name) + ":"
            switch members[name]! {
            case .string(let s): out += Self.quoted(s)
            case .integer(let n): out += String(n)
            case .strings(let list): out += "[" + list.map(Self.quoted).joined(separator: ",") + "]"
            }
        }
        return Array((out + "}").utf8)
    }

    /// RFC 8785 §3.2.2.2 string serialisation: `"` and `\` escaped, U+0000–U+001F as \b \t \n \f \r or \u00xx.
    static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\u{08}": out += "\\b"
            case "\t": out += "\\t"
            case "\n": out += "\\n"
            case "\u{0C}": out += "\\f"
            case "\r": out += "\\r"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// Reads an event back from its canonical bytes (nil when they are not one: a tampered row).
    package static func parse(_ bytes: [UInt8]) -> LogEvent? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else { return nil }
        var members: [String: Value] = [:]
        for (name, value) in object {
            if let s = value as? String { members[name] = .string(s) }
            else if let list = value as? [String] { members[name] = .strings(list) }
            else if let n = value as? Int { members[name] = .integer(Int64(n)) }
            else { return nil }
        }
        let event = LogEvent(members: members)
        return event.canonical == bytes ? event : nil
    }

    private init(members: [String: Value]) { self.members = members }
}

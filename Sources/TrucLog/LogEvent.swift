import Foundation
/// One event of the evidence log: a canonical, versioned record of something the hub did. Written as RFC 8785
/// (JSON Canonicalization Scheme) JSON — an object with its members sorted by name, no white space, strings
/// escaped minimally — so that the same event always has the same bytes, and its leaf hash can be recomputed
/// by anyone from the record alone. Version 1 kinds and members (docs/evidence-log.md "Evidence log"):
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
    package func integer(_ name: String) -> Int64? { if case .integer(let n)? = members[name] { n } else { nil } }

    package func strings(_ name: String) -> [String]? { if case .strings(let s)? = members[name] { s } else { nil } }

    /// The canonical bytes (RFC 8785): what the leaf hash is computed over.
    package var canonical: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        out.append(UInt8(ascii: "{"))
        // Members sorted by their names' UTF-16 code units (RFC 8785 §3.2.3), compared without copying them.
        for (i, name) in members.keys.sorted(by: { $0.utf16.lexicographicallyPrecedes($1.utf16) }).enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            Self.quote(name, into: &out)
            out.append(UInt8(ascii: ":"))
            switch members[name]! {
            case .string(let s): Self.quote(s, into: &out)
            case .integer(let n): out.append(contentsOf: String(n).utf8)
            case .strings(let list):
                out.append(UInt8(ascii: "["))
                for (j, s) in list.enumerated() {
                    if j > 0 { out.append(UInt8(ascii: ",")) }
                    Self.quote(s, into: &out)
                }
                out.append(UInt8(ascii: "]"))
            }
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// RFC 8785 §3.2.2.2 string serialisation, as UTF-8: `"` and `\` escaped, U+0000–U+001F as \b \t \n \f \r or
    /// \u00xx (lower-case hex), everything else as it is.
    static func quote(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x08: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0C: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
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

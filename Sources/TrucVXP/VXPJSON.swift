/// JSON as the VXP dialect needs it: answers in ASCII-only text with members in a fixed order (the SDK
/// decodes `sendEdoc` answers in the JVM's default charset, often cp1252), and the compact Gson form the
/// SDK signs.
package indirect enum VXPValue: Sendable, Equatable {
    case string(String)
    case int(Int)
    case bool(Bool)
    case array([VXPValue])
    case object([(String, VXPValue)])

    package static func == (a: VXPValue, b: VXPValue) -> Bool { a.asciiJSON == b.asciiJSON }

    /// Compact JSON with every non-ASCII character written as `\uXXXX` (UTF-16 units, surrogate pairs).
    package var asciiJSON: String {
        var out = ""
        write(to: &out)
        return out
    }

    private func write(to out: inout String) {
        switch self {
        case .string(let s): VXPJSON.appendString(s, to: &out, ascii: true)
        case .int(let i): out += String(i)
        case .bool(let b): out += b ? "true" : "false"
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                item.write(to: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (i, (key, value)) in members.enumerated() {
                if i > 0 { out += "," }
                VXPJSON.appendString(key, to: &out, ascii: true)
                out += ":"
                value.write(to: &out)
            }
            out += "}"
        }
    }
}

package enum VXPJSON {
    /// The sign-header text as the SDK builds it (Gson, compact, insertion order, non-ASCII as is, no HTML
    /// escaping): `{"XroadVnpt-name":"value",…}`.
    package static func signHeader(_ members: [(String, String)]) -> String {
        var out = "{"
        for (i, (key, value)) in members.enumerated() {
            if i > 0 { out += "," }
            appendString("XroadVnpt-" + key, to: &out, ascii: false)
            out += ":"
            appendString(value, to: &out, ascii: false)
        }
        return out + "}"
    }

    static func appendString(_ s: String, to out: inout String, ascii: Bool) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "\u{2028}", "\u{2029}": out += hexEscape(UInt16(scalar.value))
            default:
                if scalar.value < 0x20 {
                    out += hexEscape(UInt16(scalar.value))
                } else if ascii && scalar.value > 0x7E {
                    for unit in String(scalar).utf16 { out += hexEscape(unit) }
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }

    private static func hexEscape(_ unit: UInt16) -> String {
        let hex = String(unit, radix: 16)
        return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
    }
}

import Foundation

/// One way to write a CSV cell, for every CSV the hub makes (reports, dashboard tables): RFC 4180 quoting,
/// and a text cell that a spreadsheet would run as a formula prefixed with an apostrophe (agency names come
/// from the directory, which SDK systems write).
package enum CSVText {
    /// True when a spreadsheet could read `text` as a formula: it starts with a tab, CR or LF, or its first
    /// Unicode scalar after any whitespace is `=`, `+`, `-` or `@` (looked at by scalar, not by Character:
    /// `=` followed by a combining mark, or a leading CR LF, is one Character that matches nothing).
    package static func formulaLike(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first else { return false }
        if first == "\t" || first == "\r" || first == "\n" { return true }
        guard let significant = text.unicodeScalars.first(where: { !$0.properties.isWhitespace }) else { return false }
        return "=+-@".unicodeScalars.contains(significant)
    }

    /// The cell as written between `separator`s.
    package static func field(_ text: String, numeric: Bool, separator: Character = ",") -> String {
        var t = text
        if !numeric, formulaLike(t) { t = "'" + t }
        if t.contains(where: { $0 == separator || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            t = "\"" + t.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return t
    }
}

import EdXML
import Foundation
import TrucCore
import TrucVocabulary

/// Escaping and small formatting helpers of the dashboard's HTML. The dashboard is built from pure pieces — this,
/// `DashboardRange`, `DashboardTable`, `DashboardChart`, `DashboardShell`: text in, text out.
enum Markup {
    /// For text and double-quoted attributes alike.
    static func escape(_ text: String) -> String { MarkupEscape.attribute(text) }

    /// A query-string value.
    static func query(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? ""
    }

    static func time(_ epoch: Int64?) -> String {
        guard let epoch else { return "–" }
        return CivilCalendar.vietnamDateTime(epoch)
    }

    static func age(_ seconds: Int64) -> String {
        if seconds < 120 { return "\(seconds) s" }
        if seconds < 7200 { return "\(seconds / 60) min" }
        if seconds < 172_800 { return "\(seconds / 3600) h" }
        return "\(seconds / 86400) d"
    }

    static func percent(_ ratio: Double?) -> String {
        guard let ratio else { return "–" }
        return String(format: "%.1f %%", ratio * 100)
    }

    /// Thousands grouped with thin spaces (Vietnamese usage groups with dots; a space reads in both languages).
    static func count(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out += "\u{202F}" }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }

    /// A link to an agency's page, its code over its name.
    static func agency(_ code: String, _ name: String?) -> String {
        "<a href=\"/agencies/\(escape(code))\">\(escape(code))</a>" + (name.map { "<br><span class=\"muted\">\(escape($0))</span>" } ?? "")
    }
}

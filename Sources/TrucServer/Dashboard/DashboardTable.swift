import EdXML
import Foundation
import TrucCore
import TrucVocabulary

/// A table shown on a page and exported as CSV from the same rows: what the operator sees is what they get.
struct DashboardTable {
    struct Column {
        /// Shown (Vietnamese / English).
        let title: String
        /// The CSV header (English, stable).
        let key: String
        var numeric = false
    }

    struct Cell {
        /// The value (CSV, and the text shown unless `html` is given).
        let text: String
        /// Markup shown instead of the text (already escaped).
        var html: String?

        init(_ text: String, html: String? = nil) {
            self.text = text
            self.html = html
        }

        init(_ n: Int) { self.text = String(n) }
    }

    let id: String
    let columns: [Column]
    var rows: [[Cell]] = []
    var empty = "không có / none"

    /// The table, each cell labelled with its column (a phone shows rows as stacked label–value pairs).
    var html: String {
        var h = "<div class=\"table\"><table id=\"\(id)\"><thead><tr>"
        for c in columns { h += "<th\(c.numeric ? " class=\"n\"" : "") scope=\"col\">\(c.title)</th>" }
        h += "</tr></thead><tbody>"
        if rows.isEmpty { h += "<tr><td colspan=\"\(columns.count)\" class=\"muted\">\(empty)</td></tr>" }
        for row in rows {
            h += "<tr>"
            for (c, cell) in zip(columns, row) {
                h += "<td\(c.numeric ? " class=\"n\"" : "") data-label=\"\(Markup.escape(c.title))\">\(cell.html ?? (c.numeric ? Markup.count(Int(cell.text) ?? 0) : Markup.escape(cell.text)))</td>"
            }
            h += "</tr>"
        }
        return h + "</tbody></table></div>"
    }

    static func formulaLike(_ text: String) -> Bool { CSVText.formulaLike(text) }

    /// RFC 4180 CSV with a UTF-8 byte-order mark (spreadsheet programs then read Vietnamese correctly); a text
    /// cell that a spreadsheet would run as a formula is prefixed with an apostrophe.
    var csv: [UInt8] {
        func field(_ text: String, numeric: Bool) -> String { CSVText.field(text, numeric: numeric) }
        var out = "\u{FEFF}" + columns.map { field($0.key, numeric: false) }.joined(separator: ",") + "\r\n"
        for row in rows {
            out += zip(columns, row).map { field($1.text, numeric: $0.numeric) }.joined(separator: ",") + "\r\n"
        }
        return Array(out.utf8)
    }
}

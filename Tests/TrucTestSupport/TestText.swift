package import Foundation

/// Texts the tests of several targets read or make.
package enum TestText {
    /// The Prometheus text format as (name{labels} → value).
    package static func samples(_ text: String) -> [String: Double] {
        var result: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            result[String(line[..<space])] = value
        }
        return result
    }

    /// The signed fixture at `path` with its DocumentId numbered `n` (a distinct document, its signature broken
    /// unless the signature does not cover the header); `xpath` turns the enveloped-signature transform into an XPath one.
    package static func variant(_ path: String, _ n: Int, xpath: Bool = false) throws -> [UInt8] {
        var text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
        text = text.replacingOccurrences(of: "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT", with: "000.00.00.G22,2026/11/22,\(n)/VPCP-TTĐT")
        if xpath { text = text.replacingOccurrences(of: "http://www.w3.org/2000/09/xmldsig#enveloped-signature", with: "http://www.w3.org/TR/1999/REC-xpath-19991116") }
        return Array(text.utf8)
    }

    /// RFC 4180 rows (quoted fields with commas, quotes and line breaks), after the byte-order mark.
    package static func csvRows(_ text: String) -> [[String]] {
        var rows: [[String]] = [], row: [String] = [], field = "", quoted = false
        var chars = Array(text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text)[...]
        while let c = chars.popFirst() {
            if quoted {
                if c == "\"" { if chars.first == "\"" { field.append("\""); chars.removeFirst() } else { quoted = false } } else { field.append(c) }
            } else if c == "\"" { quoted = true } else if c == "," { row.append(field); field = "" } else if c == "\r\n" || c == "\n" {
                row.append(field); rows.append(row); row = []; field = ""
            } else { field.append(c) }
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }
}

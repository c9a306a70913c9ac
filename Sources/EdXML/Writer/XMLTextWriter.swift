/// A small indenting XML writer for the canonical output (element names are fixed by the writer; only
/// text and attribute values come from data, and those are escaped).
struct XMLTextWriter {
    private(set) var out: String = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    private var depth = 0

    mutating func open(_ name: String, _ attributes: [(String, String)] = []) {
        indent()
        out += "<\(name)"
        for (k, v) in attributes { out += " \(k)=\"\(escapeAttribute(v))\"" }
        out += ">\n"
        depth += 1
    }

    mutating func close(_ name: String) {
        depth -= 1
        indent()
        out += "</\(name)>\n"
    }

    /// `<name>text</name>`; nothing when `text` is nil.
    mutating func leaf(_ name: String, _ text: String?, _ attributes: [(String, String)] = []) {
        guard let text else { return }
        indent()
        out += "<\(name)"
        for (k, v) in attributes { out += " \(k)=\"\(escapeAttribute(v))\"" }
        out += ">\(escapeText(text))</\(name)>\n"
    }

    /// `<name>...</name>` around `body`, only when `body` writes something or `always` is set.
    mutating func group(_ name: String, _ attributes: [(String, String)] = [], always: Bool = false, _ body: (inout XMLTextWriter) -> Void) {
        var inner = XMLTextWriter(depth: depth + 1)
        body(&inner)
        guard always || !inner.out.isEmpty else { return }
        indent()
        out += "<\(name)"
        for (k, v) in attributes { out += " \(k)=\"\(escapeAttribute(v))\"" }
        if inner.out.isEmpty {
            out += "/>\n"
            return
        }
        out += ">\n" + inner.out
        indent()
        out += "</\(name)>\n"
    }

    /// Raw text already escaped (base64 content).
    mutating func leafRaw(_ name: String, attributes: [(String, String)] = [], _ raw: String) {
        indent()
        out += "<\(name)"
        for (k, v) in attributes { out += " \(k)=\"\(escapeAttribute(v))\"" }
        out += ">\(raw)</\(name)>\n"
    }

    private init(depth: Int) {
        out = ""
        self.depth = depth
    }

    init() {}

    private mutating func indent() { out += String(repeating: "  ", count: depth) }

    func escapeText(_ s: String) -> String { MarkupEscape.text(s) }

    func escapeAttribute(_ s: String) -> String { MarkupEscape.attribute(s) }
}

/// Escaping for XML (and HTML) text and double-quoted attribute values.
package enum MarkupEscape {
    package static func text(_ s: String) -> String {
        var r = ""
        r.reserveCapacity(s.utf8.count)
        for c in s.unicodeScalars {
            switch c {
            case "&": r += "&amp;"
            case "<": r += "&lt;"
            case ">": r += "&gt;"
            case "\r": r += "&#xD;"
            default: r.unicodeScalars.append(c)
            }
        }
        return r
    }

    package static func attribute(_ s: String) -> String {
        text(s).replacingAll("\"", with: "&quot;").replacingAll("\n", with: "&#xA;").replacingAll("\t", with: "&#x9;")
    }
}

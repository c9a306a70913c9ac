package import Foundation

/// A table of the docs printed from a catalogue in the code, between two markers: what the file holds now, and,
/// with `TRUC_WRITE_DOCS=1` in the environment, the file rewritten with the catalogue's table (then read the diff).
package enum GeneratedDocs {
    /// The text between `<!-- NAME:begin -->` and `<!-- NAME:end -->` in `file` (rewritten first to `expected`
    /// when asked to and it differs).
    package static func table(in file: URL, marker name: String, expected: String) throws -> String {
        let text = try String(contentsOf: file, encoding: .utf8)
        guard let begin = text.range(of: "<!-- \(name):begin -->\n"),
              let end = text.range(of: "<!-- \(name):end -->", range: begin.upperBound..<text.endIndex) else {
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSLocalizedDescriptionKey: "\(file.lastPathComponent) lacks the \(name) markers"])
        }
        let table = String(text[begin.upperBound..<end.lowerBound]).trimmingCharacters(in: .newlines)
        if table != expected, ProcessInfo.processInfo.environment["TRUC_WRITE_DOCS"] == "1" {
            try (String(text[..<begin.upperBound]) + expected + "\n" + String(text[end.lowerBound...])).write(to: file, atomically: true, encoding: .utf8)
            return expected
        }
        return table
    }
}

/// Guesses a content type from the first bytes of a file (magic numbers), never from its name.
package enum ContentSniffer {
    package static let pdf = "application/pdf"
    package static let zip = "application/zip"
    package static let octetStream = "application/octet-stream"

    package static func sniff<C: Collection>(_ prefix: C, name: String? = nil) -> String where C.Element == UInt8 {
        let b = Array(prefix.prefix(16))
        func starts(_ magic: [UInt8]) -> Bool { b.count >= magic.count && Array(b.prefix(magic.count)) == magic }
        if starts(Array("%PDF-".utf8)) { return pdf }
        if starts([0x50, 0x4B, 0x03, 0x04]) || starts([0x50, 0x4B, 0x05, 0x06]) {
            // Office Open XML and OpenDocument are ZIP containers; the name tells which.
            switch name.map(fileExtension) {
            case "docx": return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            case "xlsx": return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            case "pptx": return "application/vnd.openxmlformats-officedocument.presentationml.presentation"
            case "odt": return "application/vnd.oasis.opendocument.text"
            default: return zip
            }
        }
        if starts([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
            switch name.map(fileExtension) {
            case "xls": return "application/vnd.ms-excel"
            case "ppt": return "application/vnd.ms-powerpoint"
            default: return "application/msword"
            }
        }
        if starts([0x89, 0x50, 0x4E, 0x47]) { return "image/png" }
        if starts([0xFF, 0xD8, 0xFF]) { return "image/jpeg" }
        if starts(Array("GIF8".utf8)) { return "image/gif" }
        if starts([0x49, 0x49, 0x2A, 0x00]) || starts([0x4D, 0x4D, 0x00, 0x2A]) { return "image/tiff" }
        if starts(Array("{\\rtf".utf8)) { return "application/rtf" }
        if starts([0x1F, 0x8B]) { return "application/gzip" }
        if starts([0x52, 0x61, 0x72, 0x21]) { return "application/vnd.rar" }
        if starts([0x37, 0x7A, 0xBC, 0xAF]) { return "application/x-7z-compressed" }
        var text = b[...]
        if text.starts(with: [0xEF, 0xBB, 0xBF]) { text = text.dropFirst(3) }
        if let first = text.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }), first == UInt8(ascii: "<") {
            return "application/xml"
        }
        return octetStream
    }

    static func fileExtension(_ name: String) -> String {
        guard let dot = name.lastIndex(of: ".") else { return "" }
        return name[name.index(after: dot)...].lowercased()
    }

    /// True when a declared type and a sniffed type agree (parameters and case ignored; an unknown sniff
    /// agrees with anything).
    package static func agree(declared: String, sniffed: String) -> Bool {
        let d = declared.split(separator: ";").first.map { $0.trimmed.lowercased() } ?? ""
        if sniffed == octetStream || d.isEmpty || d == octetStream { return true }
        if d == sniffed { return true }
        if sniffed == zip, d == "application/x-zip-compressed" || d == "application/x-zip" { return true }
        if sniffed == "application/xml", d == "text/xml" { return true }
        return false
    }
}

/// Checks what precedes the root element, before libxml2 sees the bytes: only UTF-8 documents are
/// accepted (edXML is UTF-8 by QCVN 102), so a UTF-16/32 byte-order mark or an XML declaration naming
/// another encoding is refused instead of being transcoded.
enum Prolog {
    static func checkEncoding(_ bytes: UnsafeBufferPointer<UInt8>) throws(XMLError) {
        let n = bytes.count
        if n >= 2, (bytes[0] == 0xFE && bytes[1] == 0xFF) || (bytes[0] == 0xFF && bytes[1] == 0xFE) {
            throw XMLError(.unsupportedEncoding, "UTF-16/UTF-32 input is not accepted; send UTF-8")
        }
        if n >= 2, bytes[0] == 0x00 || (bytes[0] == 0x3C && bytes[1] == 0x00) {
            throw XMLError(.unsupportedEncoding, "UTF-16/UTF-32 input is not accepted; send UTF-8")
        }
        var i = 0
        if n >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { i = 3 }
        // The XML declaration, if any, must be the very first thing.
        let decl: [UInt8] = Array("<?xml".utf8)
        guard n - i >= decl.count + 1, (0..<decl.count).allSatisfy({ bytes[i + $0] == decl[$0] }),
              isSpace(bytes[i + decl.count]) else { return }
        var end = i + decl.count
        while end + 1 < n, !(bytes[end] == UInt8(ascii: "?") && bytes[end + 1] == UInt8(ascii: ">")) {
            end += 1
            if end - i > 512 { break } // an XML declaration is short; let libxml2 report the rest
        }
        let declaration = UnsafeBufferPointer(rebasing: bytes[i..<min(end, n)])
        guard let encoding = pseudoAttribute(Array("encoding".utf8), in: declaration) else { return }
        let normalised = encoding.lowercased()
        if normalised != "utf-8" && normalised != "utf8" {
            throw XMLError(.unsupportedEncoding, "the XML declaration names encoding \"\(encoding)\"; only UTF-8 is accepted", line: 1)
        }
    }

    private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }

    /// The value of `name="..."` or `name='...'` in an XML declaration.
    private static func pseudoAttribute(_ name: [UInt8], in d: UnsafeBufferPointer<UInt8>) -> String? {
        guard d.count > name.count else { return nil }
        var i = 0
        search: while i + name.count <= d.count {
            for k in 0..<name.count where d[i + k] != name[k] { i += 1; continue search }
            var j = i + name.count
            while j < d.count, isSpace(d[j]) { j += 1 }
            guard j < d.count, d[j] == UInt8(ascii: "=") else { return nil }
            j += 1
            while j < d.count, isSpace(d[j]) { j += 1 }
            guard j < d.count, d[j] == UInt8(ascii: "\"") || d[j] == UInt8(ascii: "'") else { return nil }
            let quote = d[j]
            var k = j + 1
            while k < d.count, d[k] != quote { k += 1 }
            return String(decoding: UnsafeBufferPointer(rebasing: d[(j + 1)..<k]), as: UTF8.self)
        }
        return nil
    }
}

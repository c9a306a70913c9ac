import Foundation
import TrucVocabulary
/// Appends a `TraceHeader` (this hub's code and the time) to a message's `TraceHeaderList`, in place in the
/// bytes: everything else stays byte for byte. Used on copies a hub forwards; the caller must not stamp a
/// message whose envelope is signed (the enveloped signature covers the trace, and would no longer verify).
package enum TraceStamp {
    /// - Returns: the stamped bytes, or nil when the message has no `TraceHeaderList` (status messages).
    package static func append(to bytes: [UInt8], organId: String, timestamp: String) -> [UInt8]? {
        // The header comes before the body and the attachments: look in the first MiB only.
        let window = bytes.prefix(1 << 20)
        let name = Array("TraceHeaderList>".utf8)
        var index = window.startIndex
        var closing: (start: Int, prefix: [UInt8])?
        while index + name.count <= window.endIndex {
            guard let found = find(name, in: window, from: index) else { break }
            // Walk back over an optional prefix (`edXML:`) to "</".
            var start = found
            var prefix: [UInt8] = []
            if start > 0 && bytes[start - 1] == UInt8(ascii: ":") {
                var p = start - 2
                while p >= 0, isNameByte(bytes[p]) { p -= 1 }
                prefix = Array(bytes[(p + 1)..<start])
                start = p + 1
            }
            if start >= 2 && bytes[start - 2] == UInt8(ascii: "<") && bytes[start - 1] == UInt8(ascii: "/") {
                closing = (start - 2, prefix)
                break
            }
            index = found + name.count
        }
        guard let closing else { return nil }
        let p = String(decoding: closing.prefix, as: UTF8.self)
        let element = "<\(p)TraceHeader><\(p)OrganId>\(organId)</\(p)OrganId><\(p)Timestamp>\(timestamp)</\(p)Timestamp></\(p)TraceHeader>"
        return Array(bytes[..<closing.start]) + Array(element.utf8) + Array(bytes[closing.start...])
    }

    /// `yyyy/MM/dd HH:mm:ss` in Vietnam time, the trace's format.
    package static func timestamp(_ epoch: Int64) -> String {
        CivilCalendar.vietnamDateTime(epoch).replacingOccurrences(of: "-", with: "/")
    }

    private static func isNameByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b == 0x2D || b == 0x2E
    }

    private static func find(_ needle: [UInt8], in haystack: ArraySlice<UInt8>, from: Int) -> Int? {
        guard let first = needle.first else { return nil }
        var i = from
        let last = haystack.endIndex - needle.count
        while i <= last {
            if haystack[i] == first && haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }
}

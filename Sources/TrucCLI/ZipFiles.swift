import TrucZlib

/// The files of a ZIP an auditor's command reads (evidence bundles, payload archives), bounded: at most `maxEntries`
/// entries and `maxInflated` bytes inflated in all; a name that appears twice is an error (which copy would count?).
/// With `only`, the other entries are not inflated.
enum ZipFiles {
    static func all(_ raw: UnsafeRawBufferPointer, maxEntries: Int, maxInflated: Int, only: ((String) -> Bool)? = nil) throws -> [String: [UInt8]] {
        let archive = try ZipArchive(raw, maxEntries: maxEntries)
        var files: [String: [UInt8]] = [:]
        var total = 0
        for entry in archive.entries where entry.kind == .file {
            guard files[entry.name] == nil else { throw ZipError("\(entry.name) appears twice") }
            if let only, !only(entry.name) { continue }
            var contents: [UInt8] = []
            try ZipArchive.extract(entry, from: raw) { chunk in
                total += chunk.count
                guard total <= maxInflated else { throw ZipError("inflates to more than \(maxInflated) bytes", bomb: true) }
                contents.append(contentsOf: chunk)
            }
            files[entry.name] = contents
        }
        return files
    }
}

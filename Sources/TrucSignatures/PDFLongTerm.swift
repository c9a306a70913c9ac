/// Long-term validation data of a PDF (PAdES, ETSI EN 319 142-1 §5.4): the Document Security Store of the
/// newest revision — certificates, CRLs and OCSP responses a signer or archivist added after signing.
/// Nothing here is trusted for being in the file: every CRL and OCSP response is checked cryptographically
/// where it is used, and certificates only help build paths to configured anchors.
struct PDFValidationData {
    var certificates: [[UInt8]] = []
    var crls: [[UInt8]] = []
    var ocspResponses: [[UInt8]] = []
    static let maxItems = 256

    /// The DSS of the newest revision, or nothing when the file has none or it cannot be read.
    static func read(_ pdf: UnsafeBufferPointer<UInt8>) -> PDFValidationData {
        var data = PDFValidationData()
        guard let revision = try? PDFRevision(pdf, endingAt: pdf.count),
              let root = revision.trailer["Root"]?.reference,
              let catalog = try? revision.object(root).value.dictionary,
              let dss = (try? revision.resolve(catalog["DSS"]))??.dictionary else { return data }
        func streams(_ key: String) -> [[UInt8]] {
            guard let list = (try? revision.resolve(dss[key]))??.array else { return [] }
            return list.prefix(maxItems).compactMap { item in
                guard let number = item.reference, let object = try? revision.object(number) else { return nil }
                return try? revision.streamData(object)
            }
        }
        data.certificates = streams("Certs")
        data.crls = streams("CRLs")
        data.ocspResponses = streams("OCSPs")
        return data
    }
}

/// Decides whether the bytes after the last signed revision only add validation data (a "DSS-only"
/// incremental update, which PAdES B-LT documents carry), or change what a reader sees.
///
/// Allowed in the unsigned revisions: the catalog rewritten with only `/DSS` and `/Extensions` changed; the
/// document information dictionary (metadata, no stream); cross-reference streams; and new objects (numbers
/// the signed revision never defined nor referenced) that are plain data streams or DSS/VRI dictionaries.
/// Anything else — another object redefined, a page, an annotation, bytes that are not objects — is an
/// unsigned change.
enum PDFIncrementalUpdate {
    static let dssKeys: Set<String> = ["Type", "Certs", "OCSPs", "CRLs", "VRI", "Cert", "OCSP", "CRL", "TU", "TS"]
    static let streamKeys: Set<String> = ["Length", "Filter", "DecodeParms", "DL"]
    static let maxObjects = 10_000

    /// Nil when everything after `signedEnd` is allowed; otherwise what is not.
    static func problem(_ pdf: UnsafeBufferPointer<UInt8>, after signedEnd: Int) -> String? {
        do {
            return try check(pdf, after: signedEnd)
        } catch {
            return "the update after the last signature cannot be read (\(error))"
        }
    }

    private static func check(_ pdf: UnsafeBufferPointer<UInt8>, after signedEnd: Int) throws -> String? {
        // The unsigned revisions, object by object.
        var parser = PDFParser(pdf, at: signedEnd)
        var objects: [PDFObject] = []
        while true {
            parser.skipWhite()
            guard parser.position < pdf.count else { break }
            switch parser.word(peek: true) {
            case "xref":
                // a classic cross-reference table: its entries, then the trailer dictionary
                guard let trailer = PDFParser.find(Array("trailer".utf8), in: pdf, from: parser.position) else {
                    return "an xref table without a trailer after the last signature"
                }
                parser.position = trailer + 7
                guard parser.position < pdf.count, (try parser.value()).dictionary != nil else { return "a malformed trailer after the last signature" }
            case "startxref":
                _ = parser.word()
                guard parser.word().flatMap({ Int($0) }) != nil else { return "a malformed startxref after the last signature" }
            default:
                objects.append(try parser.indirectObject())
                guard objects.count <= maxObjects else { return "more than \(maxObjects) objects after the last signature" }
            }
        }
        guard !objects.isEmpty else { return nil }

        let signed = try PDFRevision(pdf, endingAt: signedEnd)
        let newest = try PDFRevision(pdf, endingAt: pdf.count)
        guard let root = signed.trailer["Root"]?.reference, newest.trailer["Root"]?.reference == root else {
            return "the update after the last signature replaces the document catalog (/Root)"
        }
        let info = Set([signed.trailer["Info"]?.reference, newest.trailer["Info"]?.reference].compactMap { $0 })
        var added: [PDFObject] = []
        for object in objects {
            let dictionary = object.value.dictionary
            if object.number == root {
                guard object.stream == nil, var new = dictionary, var old = try signed.object(root).value.dictionary else {
                    return "the catalog rewritten after the last signature is not a dictionary"
                }
                for key in ["DSS", "Extensions"] { new[key] = nil; old[key] = nil }
                if new != old {
                    let changed = Set(new.keys).union(old.keys).filter { new[$0] != old[$0] }.sorted()
                    return "the update after the last signature changes the catalog (\(changed.map { "/" + $0 }.joined(separator: ", ")))"
                }
            } else if info.contains(object.number) {
                guard object.stream == nil, dictionary != nil else { return "the document information object became a stream after the last signature" }
            } else if dictionary?["Type"]?.name == "XRef", object.stream != nil {
                continue
            } else {
                if signed.defines(object.number) {
                    return "object \(object.number), part of the signed document, is replaced after the last signature"
                }
                guard let dictionary else { return "object \(object.number) added after the last signature is not a dictionary or stream" }
                if object.stream != nil {
                    guard Set(dictionary.keys).isSubset(of: streamKeys) else {
                        return "a stream added after the last signature is not plain validation data (object \(object.number))"
                    }
                } else if !(Set(dictionary.keys).isSubset(of: dssKeys) || dictionary.keys.allSatisfy(isVRIKey)) {
                    return "object \(object.number) added after the last signature is not DSS or VRI data"
                } else if let type = dictionary["Type"]?.name, type != "DSS", type != "VRI" {
                    return "object \(object.number) added after the last signature is a /\(type), not DSS or VRI data"
                }
                added.append(object)
            }
        }
        // A signed object that refers to an object number the update fills in would change what it shows.
        if let shadow = try referenced(added.map(\.number), in: pdf, signedEnd: signedEnd, revision: signed) {
            return "object \(shadow), referenced by the signed document, is first defined after the last signature"
        }
        return nil
    }

    /// A VRI map's key: the hex SHA-1 of a signature value (40 hex digits).
    static func isVRIKey(_ key: String) -> Bool { key.utf8.count == 40 && key.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x46) || ($0 >= 0x61 && $0 <= 0x66) } }

    /// The first of `numbers` that the signed part refers to (`n g R`, in its bytes or its object streams).
    static func referenced(_ numbers: [Int], in pdf: UnsafeBufferPointer<UInt8>, signedEnd: Int, revision: PDFRevision) throws -> Int? {
        guard !numbers.isEmpty else { return nil }
        var compressedParts: [[UInt8]] = []
        for stream in revision.objectStreams.prefix(10_000) {
            compressedParts.append(try revision.streamData(try revision.object(stream)))
        }
        let signedPart = UnsafeBufferPointer(rebasing: pdf[0..<signedEnd])
        for number in numbers {
            for before in [" ", "[", "\n", "\r", "\t"] {
                let needle = Array("\(before)\(number) 0 R".utf8)
                if refers(needle, in: signedPart) { return number }
                for part in compressedParts where part.withUnsafeBufferPointer({ refers(needle, in: $0) }) { return number }
            }
        }
        return nil
    }

    /// `needle` (a delimiter, then `n 0 R`) followed by a delimiter or white space, anywhere in `bytes`.
    static func refers(_ needle: [UInt8], in bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var from = 0
        while let at = PDFParser.find(needle, in: bytes, from: from) {
            let after = at + needle.count
            if after >= bytes.count || PDFParser.isWhite(bytes[after]) || PDFParser.isDelimiter(bytes[after]) { return true }
            from = at + 1
        }
        return false
    }
}

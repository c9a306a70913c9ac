/// What a PDF's later revisions changed in what one signature signed, decided on the object graph: every
/// object reachable from the final revision's trailer (catalog, pages, resources, annotations, forms, info —
/// each indirect reference with its generation) is resolved in the final revision and in the signed one and
/// compared by value (and a stream by its bytes), however the update stored it (a new body, an xref entry
/// pointing at an older body, an object stream, a free entry). A change is permitted only by the role the
/// object plays where it is reached, and only when every place it is reached from permits it:
///
/// - validation data (ISO 32000-2 §12.8.4.3, ETSI EN 319 142-1): the catalog's `/DSS` and `/Extensions`, DSS
///   and VRI dictionaries, their arrays and plain data streams, added or extended;
/// - document time-stamps, and — unless the signature certifies with DocMDP P=1 — new signature fields, a
///   signature field left empty at signing now filled, each with its signature dictionary and appearance
///   (new objects only), the AcroForm's `/Fields`, `/SigFlags`, `/DR`, `/DA`, and a page's `/Annots` gaining
///   the new widgets;
/// - the document information dictionary and the catalog's XMP metadata stream, when they are nothing else the
///   document shows.
///
/// Anything else is a change: an object of the signed document redefined or removed, an object number the
/// signed document refers to (with its generation) defined only later, a new annotation or form value. Truc
/// is stricter than DocMDP P=3 and pyHanko's ANNOTATIONS level: annotations added after a signature are
/// changes, since an annotation can show anything over the signed page.
struct PDFModifications: Equatable {
    /// The most a permitted change did (pyHanko's ModificationLevel: NONE, LTA_UPDATES, FORM_FILLING).
    enum Level: Int, Comparable {
        case none, validationData, signatures
        static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
    }

    var level: Level = .none
    /// The first change that is not permitted (nil: none).
    var problem: String?

    /// Compares the revision ending at `signedEnd` with the file's final revision.
    /// - Parameter permitSignatures: false for a certification signature with DocMDP P=1 (only validation data
    ///   and document time-stamps may follow it).
    static func analyse(_ file: PDFFile, signedEnd: Int, permitSignatures: Bool) throws -> PDFModifications {
        let signed = try file.revision(endingAt: signedEnd)
        let final = try file.revision(endingAt: file.bytes.count)
        if let problem = try tail(file, after: signedEnd, final: final) { return PDFModifications(problem: problem) }
        var walker = Walker(signed: signed, final: final, permitSignatures: permitSignatures)
        return try walker.run()
    }

    /// The bytes after a signed revision must be incremental updates and nothing else — objects, cross-reference
    /// tables or streams, trailers, `startxref`, comments — and every object written there must be the one the
    /// final cross-reference names for its number: a body no cross-reference uses is what a reader that repairs
    /// the file would show instead (an object appended without an xref, garbage, a truncated update).
    static func tail(_ file: PDFFile, after signedEnd: Int, final: PDFRevision) throws -> String? {
        var parser = PDFParser(file.bytes, at: signedEnd)
        var written: [Int: (offset: Int, generation: Int)] = [:]
        do {
            while true {
                parser.skipWhite()
                guard parser.position < file.bytes.count else { break }
                let at = parser.position
                switch parser.word(peek: true) {
                case "xref":
                    _ = parser.word()
                    while let token = parser.word(peek: true), token != "trailer" {
                        guard PDFParser.isNumber(token) || token == "n" || token == "f" else { throw PDFSyntaxError("an xref table with '\(token)'") }
                        _ = parser.word()
                    }
                    try parser.expect("trailer")
                    guard try parser.value().dictionary != nil else { throw PDFSyntaxError("a trailer that is not a dictionary") }
                case "startxref":
                    _ = parser.word()
                    guard parser.word().flatMap({ Int($0) }) != nil else { throw PDFSyntaxError("a startxref without an offset") }
                default:
                    let object = try parser.indirectObject()
                    try file.budget.spendObject()
                    file.remember(object, at: .offset(at, generation: object.generation))
                    if object.value.dictionary?["Type"] != .name("XRef") { written[object.number] = (at, object.generation) }
                }
            }
        } catch let error as PDFSyntaxError where !error.tooComplex {
            return "the bytes after the signature are not an incremental update (\(error))"
        }
        for (number, body) in written.sorted(by: { $0.key < $1.key }) where final.entry(number) != .offset(body.offset, generation: body.generation) {
            return "object \(number) written after the signature is not the one the cross-reference names (a reader that repairs the file would show it)"
        }
        return nil
    }

    /// The DocMDP permission of the signature whose revision ends at `signedEnd` and whose range is
    /// `byteRange`: its P value when it is the document's certification signature, else nil.
    static func docMDP(_ file: PDFFile, signedEnd: Int, byteRange: [Int]) -> Int? {
        guard let revision = try? file.revision(endingAt: signedEnd), let root = revision.trailer["Root"],
              let catalog = (try? revision.resolve(root))??.dictionary,
              let perms = (try? revision.resolve(catalog["Perms"]))??.dictionary,
              let signature = (try? revision.resolve(perms["DocMDP"]))??.dictionary,
              signature["ByteRange"]?.array?.compactMap(\.integer) == byteRange else { return nil }
        for reference in (try? revision.resolve(signature["Reference"]))??.array ?? [] {
            guard let entry = (try? revision.resolve(reference))??.dictionary, entry["TransformMethod"]?.name == "DocMDP" else { continue }
            return (try? revision.resolve(entry["TransformParams"]))??.dictionary?["P"]?.integer ?? 2
        }
        return 2
    }
}

import CLibXML2

/// A parsed XML document. Owns its libxml2 tree and the source bytes it was parsed from.
///
/// Not `Sendable`: a libxml2 tree must stay confined to one task (see toolchain notes, "Threads").
package final class XMLDocument {
    let doc: xmlDocPtr
    /// The bytes the document was parsed from.
    private let storage: [UInt8]
    /// Text of elements named in `detachTextOf`, kept out of the tree (see `DetachedText`).
    let detached: [UnsafeMutableRawPointer: DetachedText]

    init(doc: xmlDocPtr, storage: [UInt8], detached: [UnsafeMutableRawPointer: DetachedText]) {
        self.doc = doc
        self.storage = storage
        self.detached = detached
    }

    deinit { xmlFreeDoc(doc) }

    /// The root element.
    package var root: XMLElement {
        // A successfully parsed document always has a root element (checked in `parse`).
        XMLElement(node: xmlDocGetRootElement(doc)!, document: self)
    }

    /// Parses untrusted XML with the hardened settings: no DTD (a DOCTYPE is refused), no entity
    /// substitution, no network or file access, UTF-8 only, and the given limits.
    ///
    /// - Parameter detachTextOf: local names of elements whose text content is large and opaque
    ///   (base64 payloads). Their text is not copied into the tree; it is recorded as ranges of the source
    ///   and read back with `XMLElement.withDetachedText`. This keeps the peak memory of a 20 MB message
    ///   near one copy of its bytes.
    package static func parse(
        _ bytes: [UInt8], limits: XMLLimits = .default, detachTextOf: Set<String> = []
    ) throws(XMLError) -> XMLDocument {
        LibXML.setUp()
        if bytes.count > limits.maxBytes {
            throw XMLError(.tooLarge, "the document is \(bytes.count) bytes; the limit is \(limits.maxBytes)")
        }
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) {
            throw XMLError(.empty, "the input is empty")
        }
        let storage = bytes // shares the caller's buffer (copy-on-write): no copy is made
        let count = bytes.count
        let parsed: Result<(xmlDocPtr, [UnsafeMutableRawPointer: DetachedText]), XMLError> = storage.withUnsafeBufferPointer { buffer in
            do throws(XMLError) {
                try Prolog.checkEncoding(UnsafeBufferPointer(rebasing: buffer[0..<count]))
                return .success(try SAXParse.run(buffer: buffer, count: count, limits: limits, detachTextOf: detachTextOf))
            } catch {
                return .failure(error)
            }
        }
        let (doc, detached) = try parsed.get()
        return XMLDocument(doc: doc, storage: storage, detached: detached)
    }

    func withStorage<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try storage.withUnsafeBufferPointer(body)
    }
}

/// The text of an element kept outside the tree: a list of segments that, concatenated, equal the text
/// libxml2 would have put in the tree (character data after end-of-line normalisation).
struct DetachedText {
    enum Segment {
        case source(Range<Int>)
        case owned([UInt8])
    }
    var segments: [Segment] = []
    var count = 0
}

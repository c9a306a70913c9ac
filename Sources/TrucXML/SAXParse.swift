import CLibXML2
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Per-parse state reached from libxml2's SAX callbacks through `ctxt->_private`.
private final class ParseState {
    let limits: XMLLimits
    let base: UnsafePointer<UInt8>
    let count: Int
    let detachNames: [[xmlChar]]
    var elements = 0
    var failure: XMLError?
    var firstError: (message: String, line: Int, code: Int32)?
    var detached: [UnsafeMutableRawPointer: DetachedText] = [:]

    init(limits: XMLLimits, base: UnsafePointer<UInt8>, count: Int, detachNames: Set<String>) {
        self.limits = limits
        self.base = base
        self.count = count
        self.detachNames = detachNames.map { Array($0.utf8) + [0] }
    }

    func isDetached(_ node: xmlNodePtr) -> Bool {
        guard !detachNames.isEmpty, let name = node.pointee.name else { return false }
        return detachNames.contains { expected in
            expected.withUnsafeBufferPointer { xmlStrEqual(name, $0.baseAddress) != 0 }
        }
    }

    func appendDetached(_ ctxt: xmlParserCtxtPtr, _ node: xmlNodePtr, _ ch: UnsafePointer<xmlChar>, _ len: Int) {
        let key = UnsafeMutableRawPointer(node)
        var text = detached[key] ?? DetachedText()
        // Where the chunk sits in the caller's bytes: libxml2 parses its own copy of them, without
        // transcoding (UTF-8 only), so the offset is what it has shifted out plus the distance from its base.
        var start = -1
        if let input = ctxt.pointee.input, let inputBase = input.pointee.base {
            start = Int(input.pointee.consumed) + (ch - inputBase)
        }
        if start >= 0, start + len <= count, memcmp(base + start, ch, len) == 0 {
            // Zero-copy: record the range, verified byte for byte against the source.
            if case .source(let last)? = text.segments.last, last.upperBound == start {
                text.segments[text.segments.count - 1] = .source(last.lowerBound..<(start + len))
            } else {
                text.segments.append(.source(start..<(start + len)))
            }
        } else {
            text.segments.append(.owned(Array(UnsafeBufferPointer(start: ch, count: len))))
        }
        text.count += len
        detached[key] = text
    }

    func stop(_ ctxt: xmlParserCtxtPtr, _ error: XMLError) {
        if failure == nil { failure = error }
        xmlStopParser(ctxt)
    }
}

@inline(__always)
private func state(_ ctx: UnsafeMutableRawPointer) -> (xmlParserCtxtPtr, ParseState) {
    let ctxt = ctx.assumingMemoryBound(to: xmlParserCtxt.self)
    return (ctxt, Unmanaged<ParseState>.fromOpaque(ctxt.pointee._private).takeUnretainedValue())
}

private let startElementCB: startElementNsSAX2Func = { ctx, localname, prefix, uri, nbNs, namespaces, nbAttrs, nbDefaulted, attrs in
    guard let ctx else { return }
    let (ctxt, st) = state(ctx)
    st.elements += 1
    let depth = Int(ctxt.pointee.nameNr) + 1 // nameNr is the depth of the parent here
    if depth > st.limits.maxDepth {
        st.stop(ctxt, XMLError(.tooDeep, "elements are nested deeper than \(st.limits.maxDepth) levels", line: Int(xmlSAX2GetLineNumber(ctx))))
        return
    }
    if st.elements > st.limits.maxElements {
        st.stop(ctxt, XMLError(.tooManyElements, "the document has more than \(st.limits.maxElements) elements", line: Int(xmlSAX2GetLineNumber(ctx))))
        return
    }
    xmlSAX2StartElementNs(ctx, localname, prefix, uri, nbNs, namespaces, nbAttrs, nbDefaulted, attrs)
}

private let charactersCB: charactersSAXFunc = { ctx, ch, len in
    guard let ctx, let ch else { return }
    let (ctxt, st) = state(ctx)
    if let node = ctxt.pointee.node, st.isDetached(node) {
        st.appendDetached(ctxt, node, ch, Int(len))
        return
    }
    xmlSAX2Characters(ctx, ch, len)
}

private let internalSubsetCB: internalSubsetSAXFunc = { ctx, _, _, _ in
    guard let ctx else { return }
    let (ctxt, st) = state(ctx)
    st.stop(ctxt, XMLError(.forbiddenDTD, "the document has a DOCTYPE declaration; DTDs and entity declarations are not accepted",
                           line: Int(xmlSAX2GetLineNumber(ctx))))
}

private let entityDeclCB: entityDeclSAXFunc = { ctx, _, _, _, _, _ in
    guard let ctx else { return }
    let (ctxt, st) = state(ctx)
    st.stop(ctxt, XMLError(.forbiddenDTD, "the document declares entities", line: Int(xmlSAX2GetLineNumber(ctx))))
}

/// Records libxml2's first error instead of letting it print to stderr.
private let structuredErrorCB: xmlStructuredErrorFunc = { ctx, error in
    guard let ctx, let error else { return }
    let (_, st) = state(ctx)
    guard error.pointee.level.rawValue >= XML_ERR_ERROR.rawValue, st.firstError == nil else { return }
    var message = error.pointee.message.map { String(cString: $0) } ?? "XML error"
    while message.last?.isWhitespace == true { message.removeLast() }
    st.firstError = (message, Int(error.pointee.line), error.pointee.code)
}

enum SAXParse {
    static let options: Int32 = Int32(
        XML_PARSE_NONET.rawValue        // never touch the network
        | XML_PARSE_NOCDATA.rawValue    // CDATA arrives as plain text
        | XML_PARSE_BIG_LINES.rawValue  // true line numbers in findings
        | XML_PARSE_HUGE.rawValue       // lift libxml2's 10 MB text-node cap; our own limits apply instead
    )   // and never NOENT, DTDLOAD, DTDATTR, DTDVALID or XINCLUDE

    /// How much of the input libxml2 is given at a time.
    static let chunkSize = 1 << 20

    static func run(
        buffer: UnsafeBufferPointer<UInt8>, count: Int, limits: XMLLimits, detachTextOf: Set<String>
    ) throws(XMLError) -> (xmlDocPtr, [UnsafeMutableRawPointer: DetachedText]) {
        // libxml2's push parser, fed in slices: it keeps only the unparsed part of its input buffered, so a
        // 20 MB message is never copied whole. (Not xmlParserInputBufferCreateStatic, which would avoid the
        // copy too: in libxml2 2.9.14 it re-delivers content after a buffer shrink — a 100-element document
        // produced 173 start-element events in a probe.)
        guard let base = buffer.baseAddress, let ctxt = xmlCreatePushParserCtxt(nil, nil, nil, 0, nil) else {
            throw XMLError(.internalError, "could not create a libxml2 parser context")
        }
        defer { xmlFreeParserCtxt(ctxt) }
        let st = ParseState(limits: limits, base: base, count: count, detachNames: detachTextOf)
        let unmanaged = Unmanaged.passRetained(st)
        defer { unmanaged.release() }
        ctxt.pointee._private = unmanaged.toOpaque()

        let sax = ctxt.pointee.sax!
        sax.pointee.startElementNs = startElementCB
        sax.pointee.characters = charactersCB
        sax.pointee.ignorableWhitespace = charactersCB
        sax.pointee.cdataBlock = nil
        sax.pointee.internalSubset = internalSubsetCB
        sax.pointee.externalSubset = nil
        sax.pointee.entityDecl = entityDeclCB
        sax.pointee.serror = structuredErrorCB
        _ = xmlCtxtUseOptions(ctxt, options)

        let raw = UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self)
        var offset = 0
        repeat {
            let length = min(chunkSize, count - offset)
            let last = offset + length >= count
            _ = xmlParseChunk(ctxt, raw + offset, Int32(length), last ? 1 : 0)
            offset += length
            if st.failure != nil || ctxt.pointee.instate == XML_PARSER_EOF && !last { break }
        } while offset < count

        let doc = ctxt.pointee.myDoc
        ctxt.pointee.myDoc = nil
        if let failure = st.failure {
            if let doc { xmlFreeDoc(doc) }
            throw failure
        }
        guard ctxt.pointee.wellFormed != 0, let doc else {
            if let doc { xmlFreeDoc(doc) }
            if let first = st.firstError {
                if first.code == Int32(XML_ERR_DOCUMENT_EMPTY.rawValue) {
                    throw XMLError(.empty, "the input holds no XML document")
                }
                throw XMLError(.malformed, first.message, line: first.line)
            }
            throw XMLError(.malformed, "the document is not well-formed XML")
        }
        if doc.pointee.intSubset != nil || doc.pointee.extSubset != nil {
            xmlFreeDoc(doc)
            throw XMLError(.forbiddenDTD, "the document has a DOCTYPE declaration")
        }
        guard xmlDocGetRootElement(doc) != nil else {
            xmlFreeDoc(doc)
            throw XMLError(.empty, "the document has no root element")
        }
        return (doc, st.detached)
    }
}

import CLibXML2

/// One problem reported by XML Schema validation.
package struct XMLSchemaIssue: Sendable, Equatable {
    package let message: String
    package let line: Int?
    package let path: String?
}

/// A compiled XML Schema. Compiled once; validation contexts are created per call, so one schema is
/// shared by all threads (libxml2 treats a compiled `xmlSchema` as read-only during validation), which is
/// why this is `@unchecked Sendable`.
package final class XMLSchema: @unchecked Sendable {
    private let schema: xmlSchemaPtr

    /// Compiles an XSD held in memory. The schema may not import or include other files.
    package init(xsd: [UInt8], name: String) throws(XMLError) {
        LibXML.setUp()
        let sink = IssueSink()
        let compiled: xmlSchemaPtr? = xsd.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress,
                  let parser = xmlSchemaNewMemParserCtxt(UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self), Int32(buffer.count)) else { return nil }
            defer { xmlSchemaFreeParserCtxt(parser) }
            xmlSchemaSetParserStructuredErrors(parser, collectIssue, Unmanaged.passUnretained(sink).toOpaque())
            return xmlSchemaParse(parser)
        }
        guard let compiled else {
            throw XMLError(.internalError, "schema \(name) does not compile: \(sink.issues.first?.message ?? "unknown error")")
        }
        schema = compiled
    }

    deinit { xmlSchemaFree(schema) }

    /// Validates the document; an empty array means it conforms.
    package func validate(_ document: XMLDocument) -> [XMLSchemaIssue] {
        guard let context = xmlSchemaNewValidCtxt(schema) else {
            return [XMLSchemaIssue(message: "could not create a schema validation context", line: nil, path: nil)]
        }
        defer { xmlSchemaFreeValidCtxt(context) }
        let sink = IssueSink(document: document)
        xmlSchemaSetValidStructuredErrors(context, collectIssue, Unmanaged.passUnretained(sink).toOpaque())
        let rc = withExtendedLifetime(sink) { xmlSchemaValidateDoc(context, document.doc) }
        if rc != 0 && sink.issues.isEmpty {
            return [XMLSchemaIssue(message: "schema validation failed (code \(rc))", line: nil, path: nil)]
        }
        return sink.issues
    }
}

private final class IssueSink {
    var issues: [XMLSchemaIssue] = []
    let document: XMLDocument?
    init(document: XMLDocument? = nil) { self.document = document }
}

private let collectIssue: xmlStructuredErrorFunc = { ctx, error in
    guard let ctx, let error else { return }
    let sink = Unmanaged<IssueSink>.fromOpaque(ctx).takeUnretainedValue()
    guard error.pointee.level.rawValue >= XML_ERR_ERROR.rawValue, sink.issues.count < 100 else { return }
    var message = error.pointee.message.map { String(cString: $0) } ?? "schema error"
    while message.last?.isWhitespace == true { message.removeLast() }
    var path: String?
    if let document = sink.document, let raw = error.pointee.node {
        let node = raw.assumingMemoryBound(to: xmlNode.self)
        if node.pointee.type == XML_ELEMENT_NODE { path = XMLElement(node: node, document: document).path }
    }
    sink.issues.append(XMLSchemaIssue(message: message, line: error.pointee.line > 0 ? Int(error.pointee.line) : nil, path: path))
}

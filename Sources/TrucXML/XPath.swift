import CLibXML2

extension XMLDocument {
    /// The elements an XPath 1.0 expression selects, evaluated with the whole document as the context node
    /// (as XPath Filter 2.0 does) and the namespace declarations in scope at `scope` (where the expression
    /// is written). Bounded for hostile expressions: at most `maxLength` characters and `maxOperations`
    /// XPath steps (libxml2's operation limit), results that are not elements refused. No extension functions
    /// (`here()` is not provided), nothing loaded: libxml2's XPath reads only this in-memory tree.
    package func selectElements(_ expression: String, namespacesOf scope: XMLElement, maxLength: Int = 1024,
                                maxOperations: UInt = 2_000_000) throws(XMLError) -> [XMLElement] {
        guard expression.utf8.count <= maxLength else { throw XMLError(.tooLarge, "an XPath expression longer than \(maxLength) characters") }
        guard let context = xmlXPathNewContext(doc) else { throw XMLError(.internalError, "no XPath context") }
        defer { xmlXPathFreeContext(context) }
        truc_xpathSilence(context)
        context.pointee.opLimit = UInt(maxOperations)
        context.pointee.node = UnsafeMutablePointer(OpaquePointer(doc))
        if let list = xmlGetNsList(doc, scope.node) {
            var i = 0
            while let ns = list[i] {
                if let prefix = ns.pointee.prefix, let href = ns.pointee.href { xmlXPathRegisterNs(context, prefix, href) }
                i += 1
            }
            truc_xmlFree(list)
        }
        guard let result = xmlXPathEvalExpression(expression, context) else {
            throw XMLError(.malformed, "the XPath expression cannot be evaluated (syntax, unknown prefix or function, or too costly)")
        }
        defer { xmlXPathFreeObject(result) }
        guard result.pointee.type == XPATH_NODESET else { throw XMLError(.malformed, "the XPath expression does not select nodes") }
        guard let set = result.pointee.nodesetval else { return [] }
        var elements: [XMLElement] = []
        for i in 0..<Int(set.pointee.nodeNr) {
            guard let node = set.pointee.nodeTab[i], node.pointee.type == XML_ELEMENT_NODE else {
                throw XMLError(.malformed, "the XPath expression selects nodes that are not elements")
            }
            elements.append(XMLElement(node: node, document: self))
        }
        return elements
    }
}

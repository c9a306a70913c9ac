import CLibXML2

/// An element of an `XMLDocument`. Keeps its document alive; confined to the document's task.
package struct XMLElement {
    let node: xmlNodePtr
    package let document: XMLDocument

    init(node: xmlNodePtr, document: XMLDocument) {
        self.node = node
        self.document = document
    }

    /// The local name (without prefix).
    package var localName: String { String(cString: node.pointee.name) }

    /// The namespace URI, or nil for an element in no namespace.
    package var namespaceURI: String? { node.pointee.ns?.pointee.href.map { String(cString: $0) } }

    /// The prefix used in the source, if any.
    package var prefix: String? { node.pointee.ns?.pointee.prefix.map { String(cString: $0) } }

    /// True when both are the same node of the same document (not merely equal markup).
    package func isSame(_ other: XMLElement) -> Bool { node == other.node }

    /// 1-based line of the start tag.
    package var line: Int { Int(xmlGetLineNo(node)) }

    /// True when the local name equals `name` (compared without building a String).
    package func hasLocalName(_ name: String) -> Bool {
        name.withCString { xmlStrEqual(node.pointee.name, UnsafeRawPointer($0).assumingMemoryBound(to: xmlChar.self)) != 0 }
    }

    /// The child elements, in document order.
    package var children: [XMLElement] {
        var result: [XMLElement] = []
        var cur = node.pointee.children
        while let c = cur {
            if c.pointee.type == XML_ELEMENT_NODE { result.append(XMLElement(node: c, document: document)) }
            cur = c.pointee.next
        }
        return result
    }

    package var parent: XMLElement? {
        guard let p = node.pointee.parent, p.pointee.type == XML_ELEMENT_NODE else { return nil }
        return XMLElement(node: p, document: document)
    }

    /// Concatenated text of the direct text children (CDATA arrives as text), or the detached text.
    package var text: String {
        if let detached = document.detached[UnsafeMutableRawPointer(node)] {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(detached.count)
            withDetachedText { bytes.append(contentsOf: $0) }
            return String(decoding: bytes, as: UTF8.self)
        }
        var result = ""
        var cur = node.pointee.children
        while let c = cur {
            if c.pointee.type == XML_TEXT_NODE || c.pointee.type == XML_CDATA_SECTION_NODE, let content = c.pointee.content {
                result += String(cString: content)
            }
            cur = c.pointee.next
        }
        return result
    }

    /// Size in bytes of the element's text (detached or in the tree).
    package var textByteCount: Int {
        if let detached = document.detached[UnsafeMutableRawPointer(node)] { return detached.count }
        return text.utf8.count
    }

    /// True when this element's text was kept out of the tree (see `XMLDocument.parse(detachTextOf:)`).
    package var hasDetachedText: Bool { document.detached[UnsafeMutableRawPointer(node)] != nil }

    /// Streams the element's text in chunks without materialising it; for detached text the chunks are
    /// slices of the source bytes.
    package func withDetachedText(_ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        guard let detached = document.detached[UnsafeMutableRawPointer(node)] else {
            var bytes = Array(text.utf8)
            try bytes.withUnsafeMutableBytes { try body(UnsafeRawBufferPointer($0)) }
            return
        }
        try document.withStorage { storage in
            for segment in detached.segments {
                switch segment {
                case .source(let range):
                    try body(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(storage)[range]))
                case .owned(let bytes):
                    try bytes.withUnsafeBytes(body)
                }
            }
        }
    }

    /// The value of an attribute with this local name, in no namespace unless `namespaceURI` is given.
    package func attribute(_ name: String, namespaceURI: String? = nil) -> String? {
        let value: UnsafeMutablePointer<xmlChar>?
        if let namespaceURI {
            value = xmlGetNsProp(node, name, namespaceURI)
        } else {
            value = xmlGetNoNsProp(node, name)
        }
        guard let value else { return nil }
        defer { truc_xmlFree(value) }
        return String(cString: value)
    }

    /// A readable location: `/edXML/edXMLEnvelope/.../To[2]/OrganId` (position only where siblings share the name).
    package var path: String {
        var parts: [String] = []
        var cur: xmlNodePtr? = node
        while let n = cur, n.pointee.type == XML_ELEMENT_NODE {
            let name = String(cString: n.pointee.name)
            var index = 1, total = 0
            if let parent = n.pointee.parent {
                var sib = parent.pointee.children
                while let s = sib {
                    if s.pointee.type == XML_ELEMENT_NODE, xmlStrEqual(s.pointee.name, n.pointee.name) != 0 {
                        total += 1
                        if s == n { index = total }
                    }
                    sib = s.pointee.next
                }
            }
            parts.append(total > 1 ? "\(name)[\(index)]" : name)
            cur = n.pointee.parent
        }
        return "/" + parts.reversed().joined(separator: "/")
    }

    /// The element serialised as XML (namespace declarations in scope are not repeated).
    package var outerXML: String {
        guard let buffer = xmlBufferCreate() else { return "" }
        defer { xmlBufferFree(buffer) }
        _ = xmlNodeDump(buffer, node.pointee.doc, node, 0, 0)
        guard let content = xmlBufferContent(buffer) else { return "" }
        return String(cString: content)
    }
}

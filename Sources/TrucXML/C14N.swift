import CLibXML2
#if canImport(Glibc)
import Glibc
#endif

/// A W3C canonicalisation method.
package enum C14NMethod: Sendable, Equatable {
    /// Canonical XML 1.0 (inclusive).
    case inclusive(withComments: Bool)
    /// Canonical XML 1.1 (inclusive; xml:id and xml:base handled as 1.1 says).
    case inclusive11(withComments: Bool)
    /// Exclusive XML Canonicalization 1.0, with the InclusiveNamespaces PrefixList.
    case exclusive(withComments: Bool, inclusivePrefixes: [String])

    var mode: Int32 {
        switch self {
        case .inclusive: Int32(XML_C14N_1_0.rawValue)
        case .inclusive11: Int32(XML_C14N_1_1.rawValue)
        case .exclusive: Int32(XML_C14N_EXCLUSIVE_1_0.rawValue)
        }
    }

    package var withComments: Bool {
        switch self {
        case .inclusive(let c), .inclusive11(let c), .exclusive(let c, _): c
        }
    }
}

extension XMLElement {
    /// True when this element is `ancestor` or lies inside it.
    package func isDescendant(of ancestor: XMLElement) -> Bool {
        var cur: xmlNodePtr? = node
        while let c = cur {
            if c == ancestor.node { return true }
            cur = c.pointee.parent
        }
        return false
    }
}

extension XMLDocument {
    /// Every element carrying an `Id`, `ID` or `id` attribute (in no namespace), by value. A value that maps
    /// to more than one element is ambiguous and must not be used to resolve a reference.
    package func idIndex() -> [String: [XMLElement]] {
        var index: [String: [XMLElement]] = [:]
        func walk(_ node: xmlNodePtr) {
            var cur: xmlNodePtr? = node
            while let n = cur {
                if n.pointee.type == XML_ELEMENT_NODE {
                    var attribute = n.pointee.properties
                    while let a = attribute {
                        if a.pointee.ns == nil, let name = a.pointee.name {
                            let s = String(cString: name)
                            if s == "Id" || s == "ID" || s == "id", let v = xmlNodeListGetString(doc, a.pointee.children, 1) {
                                index[String(cString: v), default: []].append(XMLElement(node: n, document: self))
                                truc_xmlFree(v)
                            }
                        }
                        attribute = a.pointee.next
                    }
                    if let child = n.pointee.children { walk(child) }
                }
                cur = n.pointee.next
            }
        }
        if let root = xmlDocGetRootElement(doc) { walk(root) }
        return index
    }

    /// Canonicalises a node set and streams the octets to `sink`, never holding the whole output.
    ///
    /// The node set is the document (`subtree` nil) or the subtree of `subtree`, minus the subtrees of
    /// `excluding` (the enveloped-signature transform, XPath Filter 2.0 subtract), minus comments unless
    /// `includeComments`. Text kept
    /// out of the tree while parsing (detached base64) is put back in its place, escaped as C14N escapes text.
    package func canonicalize(_ method: C14NMethod, subtree: XMLElement? = nil, excluding: XMLElement?,
                              includeComments: Bool = false, into sink: (UnsafeRawBufferPointer) -> Void) throws(XMLError) {
        try canonicalize(method, subtree: subtree, excludingAll: excluding.map { [$0] } ?? [], includeComments: includeComments, into: sink)
    }

    package func canonicalize(_ method: C14NMethod, subtree: XMLElement? = nil, excludingAll excluding: [XMLElement] = [],
                              includeComments: Bool = false, into sink: (UnsafeRawBufferPointer) -> Void) throws(XMLError) {
        // Stand-in text nodes for detached text: \u{1} can never occur in parsed XML text, so the
        // marker cannot collide with content.
        var markers: [xmlNodePtr] = []
        var substitutions: [DetachedText] = []
        for (key, text) in detached {
            let element = key.assumingMemoryBound(to: xmlNode.self)
            let marker = "\u{1}\(substitutions.count)\u{1}"
            guard let textNode = xmlNewDocText(doc, marker) else { continue }
            xmlAddChild(element, textNode)
            markers.append(textNode)
            substitutions.append(text)
        }
        defer {
            for m in markers {
                xmlUnlinkNode(m)
                xmlFreeNode(m)
            }
        }
        let (result, failed) = withoutActuallyEscaping(sink) { sink in
            run(method, output: C14NOutput(sink: sink, document: self, substitutions: substitutions), subtree: subtree,
                excluding: excluding, includeComments: includeComments)
        }
        if result < 0 || failed {
            throw XMLError(.internalError, "canonicalisation failed")
        }
    }

    private func run(_ method: C14NMethod, output: C14NOutput, subtree: XMLElement?, excluding: [XMLElement],
                     includeComments: Bool) -> (Int32, Bool) {
        let result: Int32 = withExtendedLifetime(output) {
            let opaque = Unmanaged.passUnretained(output).toOpaque()
            guard let buffer = xmlOutputBufferCreateIO(c14nWrite, nil, opaque, nil) else { return -1 }
            let excluded = UnsafeMutableBufferPointer<xmlNodePtr?>.allocate(capacity: max(excluding.count, 1))
            defer { excluded.deallocate() }
            for (i, element) in excluding.enumerated() { excluded[i] = element.node }
            var scope = C14NScope(include: subtree?.node, exclude: excluded.baseAddress, excludeCount: excluding.count, comments: includeComments ? 1 : 0)
            var prefixes: [UnsafeMutablePointer<xmlChar>?] = []
            if case .exclusive(_, let list) = method, !list.isEmpty {
                prefixes = list.map { xmlStrdup($0) } + [nil]
            }
            defer { for p in prefixes { if let p { truc_xmlFree(p) } } }
            let rc = withUnsafeMutablePointer(to: &scope) { scopePointer in
                prefixes.withUnsafeMutableBufferPointer { list in
                    xmlC14NExecute(doc, c14nVisible, scopePointer, method.mode, list.isEmpty ? nil : list.baseAddress,
                                   method.withComments ? 1 : 0, buffer)
                }
            }
            let closed = xmlOutputBufferClose(buffer)
            return rc < 0 || closed < 0 ? -1 : 0
        }
        output.finish()
        return (result, output.failed)
    }
}

/// The node set, as the visibility callback sees it.
private struct C14NScope {
    var include: xmlNodePtr?
    var exclude: UnsafeMutablePointer<xmlNodePtr?>?
    var excludeCount: Int
    var comments: Int32
}

private let typeOffset = MemoryLayout<xmlNode>.offset(of: \xmlNode.type)!

/// libxml2 passes namespace nodes (`xmlNs*`) through the same `xmlNodePtr` parameter: only the `type` field,
/// at the same offset in both structs, is read before the real node is chosen.
private let c14nVisible: xmlC14NIsVisibleCallback = { user, node, parent in
    guard let user, let node else { return 0 }
    let scope = user.assumingMemoryBound(to: C14NScope.self)
    let type = UnsafeRawPointer(node).load(fromByteOffset: typeOffset, as: xmlElementType.self)
    if type == XML_COMMENT_NODE && scope.pointee.comments == 0 { return 0 }
    var cur: xmlNodePtr? = (type == XML_NAMESPACE_DECL || type == XML_ATTRIBUTE_NODE) ? parent : node
    var inside = scope.pointee.include == nil
    let excluded = UnsafeBufferPointer(start: scope.pointee.exclude, count: scope.pointee.excludeCount)
    while let c = cur {
        if excluded.contains(c) { return 0 }
        if c == scope.pointee.include { inside = true }
        cur = c.pointee.parent
    }
    return inside ? 1 : 0
}

/// Receives libxml2's canonical output, replaces the detached-text markers with the text, and passes the
/// octets on.
private final class C14NOutput {
    let sink: (UnsafeRawBufferPointer) -> Void
    let document: XMLDocument
    let substitutions: [DetachedText]
    var marker: [UInt8]? // inside a marker: the digits so far
    var failed = false

    init(sink: @escaping (UnsafeRawBufferPointer) -> Void, document: XMLDocument, substitutions: [DetachedText]) {
        self.sink = sink
        self.document = document
        self.substitutions = substitutions
    }

    func write(_ bytes: UnsafeRawBufferPointer) {
        var start = 0
        var i = 0
        let p = bytes.bindMemory(to: UInt8.self)
        while i < p.count {
            if var digits = marker {
                if p[i] == 0x01 {
                    marker = nil
                    substitute(digits)
                    start = i + 1
                } else {
                    digits.append(p[i])
                    marker = digits.count > 12 ? nil : digits
                    if marker == nil { failed = true }
                }
                i += 1
                continue
            }
            if p[i] == 0x01 {
                if i > start { sink(UnsafeRawBufferPointer(rebasing: bytes[start..<i])) }
                marker = []
                i += 1
                start = i
                continue
            }
            i += 1
        }
        if marker == nil, start < p.count { sink(UnsafeRawBufferPointer(rebasing: bytes[start..<p.count])) }
    }

    func substitute(_ digits: [UInt8]) {
        guard let index = Int(String(decoding: digits, as: UTF8.self)), index < substitutions.count else {
            failed = true
            return
        }
        document.withStorage { storage in
            for segment in substitutions[index].segments {
                switch segment {
                case .source(let range): escaped(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(storage)[range]))
                case .owned(let bytes): bytes.withUnsafeBytes { escaped($0) }
                }
            }
        }
    }

    /// C14N text escaping: & < > and carriage return (base64 has none of them: one pass, one write).
    func escaped(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        let count = bytes.count
        var start = 0
        var i = 0
        // Eight bytes at a time: skip words that hold none of the four bytes (SWAR zero-byte test).
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        @inline(__always) func has(_ v: UInt64, _ byte: UInt64) -> Bool {
            let x = v ^ (ones &* byte)
            return (x &- ones) & ~x & highs != 0
        }
        while i + 8 <= count {
            let v = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
            if has(v, 0x26) || has(v, 0x3C) || has(v, 0x3E) || has(v, 0x0D) { break }
            i += 8
        }
        while i < count {
            let b = base[i]
            // '&' 0x26, '<' 0x3C, '>' 0x3E, CR 0x0D
            if b == 0x26 || b == 0x3C || b == 0x3E || b == 0x0D {
                if i > start { sink(UnsafeRawBufferPointer(start: base + start, count: i - start)) }
                let replacement: StaticString = b == 0x26 ? "&amp;" : b == 0x3C ? "&lt;" : b == 0x3E ? "&gt;" : "&#xD;"
                sink(UnsafeRawBufferPointer(start: replacement.utf8Start, count: replacement.utf8CodeUnitCount))
                start = i + 1
            }
            i += 1
        }
        if start < count { sink(UnsafeRawBufferPointer(start: base + start, count: count - start)) }
    }

    func finish() {
        if marker != nil { failed = true }
    }
}

private let c14nWrite: xmlOutputWriteCallback = { context, buffer, length in
    guard let context, let buffer, length > 0 else { return length }
    let output = Unmanaged<C14NOutput>.fromOpaque(context).takeUnretainedValue()
    output.write(UnsafeRawBufferPointer(start: buffer, count: Int(length)))
    return length
}

import TrucXML

/// Collects findings and extension elements while the reader walks a message.
final class ReadContext {
    var findings: [Finding] = []
    var extensions: [ExtensionElement] = []

    func unknown(_ element: XMLElement) {
        extensions.append(ExtensionElement(path: element.path, localName: element.localName,
                                           namespaceURI: element.namespaceURI, xml: element.outerXML))
        findings.append(Finding(.unknownElement, element.path,
                                "element \(element.localName) is not part of QCVN 102:2016 as Truc knows it; kept, not used",
                                severity: .warning))
    }
}

/// The children of one element, indexed by local name, in the tolerant way real senders need:
/// an element counts when it is in the edXML namespace or in none; order is free.
struct ElementReader {
    let element: XMLElement
    private var byName: [String: [XMLElement]] = [:]

    /// - Parameter known: local names this element may contain. Anything else is reported (once) to
    ///   `context` as an extension element.
    init(_ element: XMLElement, known: Set<String>, context: ReadContext, foreignAllowed: (XMLElement) -> Bool = { _ in false }) {
        self.element = element
        for child in element.children {
            let name = child.localName
            if isEdXMLElement(child), known.contains(name) {
                byName[name, default: []].append(child)
            } else if foreignAllowed(child) {
                byName[name, default: []].append(child)
            } else {
                context.unknown(child)
            }
        }
    }

    /// Every child with this name.
    func all(_ name: String) -> [XMLElement] { byName[name] ?? [] }

    /// The child with this name; a second one is reported as `duplicate-element` and ignored.
    func one(_ name: String, _ context: ReadContext) -> XMLElement? {
        let found = all(name)
        if found.count > 1 {
            context.findings.append(Finding(.duplicateElement, found[1].path,
                                            "\(name) appears \(found.count) times in \(element.localName); the first is used"))
        }
        return found.first
    }

    /// The trimmed text of the child with this name; nil when absent or empty.
    func text(_ name: String, _ context: ReadContext) -> String? {
        guard let child = one(name, context) else { return nil }
        let value = child.text.trimmed
        return value.isEmpty ? nil : value
    }

    /// The trimmed texts of every child with this name, empty ones left out.
    func texts(_ name: String) -> [String] {
        all(name).map { $0.text.trimmed }.filter { !$0.isEmpty }
    }
}

func isEdXMLElement(_ element: XMLElement) -> Bool {
    let ns = element.namespaceURI
    return ns == nil || ns == EdXMLNamespace.edxml
}

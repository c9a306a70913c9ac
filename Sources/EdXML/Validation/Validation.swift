import TrucXML

extension ParsedMessage {
    /// Every finding for this message: those of reading, XML Schema validation and the semantic rules.
    /// Attachments are not decoded here (see `decodeAttachments`).
    package func validate() -> [Finding] {
        var findings = readFindings
        findings += schemaFindings()
        findings += SemanticRules.check(message)
        return findings
    }

    func schemaFindings() -> [Finding] {
        let namespaced = document.root.namespaceURI == EdXMLNamespace.edxml
        let schema: XMLSchema
        switch message {
        case .document: schema = namespaced ? EdXMLSchemas.document : EdXMLSchemas.documentNoNamespace
        case .status: schema = namespaced ? EdXMLSchemas.status : EdXMLSchemas.statusNoNamespace
        }
        // Unknown elements are already reported (as warnings) by the reader; the schema would repeat them
        // as errors, and libxml2 stops checking a parent's content at its first surprise anyway.
        let extensionPaths: Set<String>
        switch message {
        case .document(let d): extensionPaths = Set(d.extensions.map(\.path))
        case .status(let s): extensionPaths = Set(s.extensions.map(\.path))
        }
        return schema.validate(document).compactMap { issue in
            if let path = issue.path, extensionPaths.contains(path) { return nil }
            return Finding(.schema, issue.path ?? "/", issue.message)
        }
    }
}

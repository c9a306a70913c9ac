import TrucXML

/// The XSDs in `Schemas/`, compiled once per process (embedded in the binary at build time).
enum EdXMLSchemas {
    /// Documents in the edXML namespace (all real senders).
    static let document = compile(PackageResources.edxml_document_xsd, name: "edxml-document.xsd", withNamespace: true)
    static let status = compile(PackageResources.edxml_status_xsd, name: "edxml-status.xsd", withNamespace: true)
    /// The same schemas without a target namespace, for senders that write no namespace at all.
    static let documentNoNamespace = compile(PackageResources.edxml_document_xsd, name: "edxml-document.xsd", withNamespace: false)
    static let statusNoNamespace = compile(PackageResources.edxml_status_xsd, name: "edxml-status.xsd", withNamespace: false)

    static func compile(_ bytes: [UInt8], name: String, withNamespace: Bool) -> XMLSchema {
        var text = String(decoding: bytes, as: UTF8.self)
        if !withNamespace {
            text = text.replacingAll("targetNamespace=\"\(EdXMLNamespace.edxml)\"", with: "")
                .replacingAll("\"ed:", with: "\"")
                .replacingAll(" ed:", with: " ")
        }
        do {
            return try XMLSchema(xsd: Array(text.utf8), name: name)
        } catch {
            // The schemas are part of the binary and covered by tests: failing to compile one is a build defect.
            fatalError("embedded schema \(name) does not compile: \(error)")
        }
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = self[...]
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}

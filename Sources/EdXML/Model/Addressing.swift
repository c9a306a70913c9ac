
/// Who a message is for, as the hub reads it: a document goes to every `To`; a status message goes to
/// `ResponseFor/OrganId` (the original sender for codes 01–06, 15, 16; the recipient for 13).
package enum Addressing {
    package static func recipients(of message: EdXMLMessage) -> [String] {
        switch message {
        case .document(let d):
            var seen = Set<String>()
            return d.header.to.map(\.organId).filter { !$0.isEmpty && seen.insert($0).inserted }
        case .status(let s):
            return s.addressee.map { [$0] } ?? []
        }
    }

    /// The key that makes a re-sent message a duplicate of the first: the sender and what the message is
    /// (DocumentId and business type for a document; the answered document, code and time for a status).
    /// Without such fields, the SHA-256 of the bytes.
    package static func idempotencyKey(of message: EdXMLMessage, sender: String, sha256: String) -> String {
        switch message {
        case .document(let d):
            guard let id = d.header.documentId else { return "\(sender)|edoc|sha256:\(sha256)" }
            return "\(sender)|edoc|\(id)|\(d.business?.docType?.rawValue ?? 0)"
        case .status(let s):
            guard let id = s.responseFor?.documentId, let code = s.statusCode else { return "\(sender)|status|sha256:\(sha256)" }
            return "\(sender)|status|\(id)|\(code.rawValue)|\(s.timestamp?.raw ?? "")"
        }
    }
}

extension EdXMLMessage {
    /// The `OrganId` of each `TraceHeader` of a document, in order: the hubs it passed (a status message has none).
    package var traceOrgans: [String] {
        guard case .document(let d) = self else { return [] }
        return d.traceHeaders.map(\.organId)
    }
}

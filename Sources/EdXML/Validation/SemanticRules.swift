import TrucVocabulary
/// The rules an XSD cannot express. Pure functions of the model: usable on messages Truc builds too.
package enum SemanticRules {
    static let headerPath = "/edXML/edXMLEnvelope/edXMLHeader/MessageHeader"
    static let tracePath = "/edXML/edXMLEnvelope/edXMLHeader/TraceHeaderList"

    /// The longest DocumentId accepted, in UTF-8 bytes: "CODE,yyyy/MM/dd,NUMBER/SIGN" is some 50; 256 leaves room.
    package static let documentIdLimit = 256

    package static func check(_ message: EdXMLMessage) -> [Finding] {
        var findings: [Finding]
        var ids: [(String?, String)] = []
        switch message {
        case .document(let d):
            findings = check(d)
            ids = [(d.header.documentId, "\(headerPath)/DocumentId"), (d.business?.documentId, "\(tracePath)/Bussiness/DocumentId")]
                + d.header.responseFor.map { ($0.documentId, "\(headerPath)/ResponseFor/DocumentId") }
        case .status(let s):
            findings = check(s)
            ids = [(s.responseFor?.documentId, "\(headerPath)/ResponseFor/DocumentId")]
        }
        for case let (id?, path) in ids where id.utf8.count > documentIdLimit {
            findings.append(Finding(.documentIdTooLong, path, "the DocumentId has \(id.utf8.count) bytes; the limit is \(documentIdLimit)"))
        }
        return findings
    }

    static func check(_ d: DocumentMessage) -> [Finding] {
        var f: [Finding] = []
        let h = d.header
        let hp = headerPath
        if let from = h.from {
            agencyCode(from.organId, at: "\(hp)/From/OrganId", what: "the sender", into: &f)
        } else {
            f.append(Finding(.missingElement, hp, "a document message needs a From element (the sender)"))
        }
        if h.to.isEmpty {
            f.append(Finding(.noRecipient, hp, "a document message needs at least one To element"))
        }
        var seen: [String: Int] = [:]
        for (i, to) in h.to.enumerated() {
            let path = "\(hp)/To\(h.to.count > 1 ? "[\(i + 1)]" : "")/OrganId"
            agencyCode(to.organId, at: path, what: "recipient \(i + 1)", into: &f)
            if !to.organId.isEmpty {
                if let first = seen[to.organId] {
                    f.append(Finding(.duplicateRecipient, path, "recipient \(to.organId) is already To[\(first + 1)]"))
                } else {
                    seen[to.organId] = i
                }
            }
        }
        if let code = h.code {
            if code.codeNumber == nil { f.append(Finding(.missingElement, "\(hp)/Code", "Code has no CodeNumber (the document number)")) }
            if code.codeNotation == nil { f.append(Finding(.missingElement, "\(hp)/Code", "Code has no CodeNotation (the document notation)")) }
        } else {
            f.append(Finding(.missingElement, hp, "a document message needs Code (CodeNumber and CodeNotation)"))
        }
        if h.subject == nil { f.append(Finding(.missingElement, hp, "a document message needs a Subject (trích yếu)")) }
        if h.documentType == nil { f.append(Finding(.missingElement, hp, "a document message needs DocumentType")) }
        if let info = h.promulgationInfo {
            if let date = info.promulgationDate { self.date(date, at: "\(hp)/PromulgationInfo/PromulgationDate", into: &f) }
        } else {
            f.append(Finding(.missingElement, hp, "a document message needs PromulgationInfo"))
        }
        if let due = h.dueDate { date(due, at: "\(hp)/DueDate", into: &f) }
        for (i, r) in h.responseFor.enumerated() {
            let path = "\(hp)/ResponseFor\(h.responseFor.count > 1 ? "[\(i + 1)]" : "")"
            if let organ = r.organId { agencyCode(organ, at: "\(path)/OrganId", what: "ResponseFor", into: &f) }
            if let date = r.promulgationDate { self.date(date, at: "\(path)/PromulgationDate", into: &f) }
        }
        for (i, t) in d.traceHeaders.enumerated() {
            let path = "\(tracePath)/TraceHeader\(d.traceHeaders.count > 1 ? "[\(i + 1)]" : "")"
            agencyCode(t.organId, at: "\(path)/OrganId", what: "a trace header", into: &f)
            if let ts = t.timestamp, !ts.isValid {
                f.append(Finding(.invalidTimestamp, "\(path)/Timestamp", "\"\(ts.raw)\" is not a timestamp yyyy/MM/dd HH:mm:ss"))
            }
        }
        if let b = d.business { business(b, d, into: &f) }
        attachments(d, into: &f)
        return f
    }

    static func business(_ b: Business, _ d: DocumentMessage, into f: inout [Finding]) {
        let path = "\(tracePath)/Bussiness"
        guard let text = b.docTypeText else {
            f.append(Finding(.missingElement, path, "Bussiness has no BussinessDocType (0 new, 1 revoke, 2 update, 3 replace)"))
            return
        }
        guard let type = b.docType, type.isKnown else {
            f.append(Finding(.invalidBusinessDocType, "\(path)/BussinessDocType", "\"\(text)\" is not a business type (0 new, 1 revoke, 2 update, 3 replace)"))
            return
        }
        if type != .new, b.documentId == nil, d.header.responseFor.allSatisfy({ $0.documentId == nil }),
           (b.replacementInfoList ?? []).allSatisfy({ $0.documentId == nil }) {
            f.append(Finding(.missingOriginal, path, "a \(type.name) document must name the original (Bussiness/DocumentId or ResponseFor/DocumentId)"))
        }
        for (i, r) in (b.documentInfo?.receivers ?? []).enumerated() {
            if let organ = r.organId { agencyCode(organ, at: "\(path)/BussinessDocumentInfo/ReceiverList/Receiver[\(i + 1)]/OrganId", what: "a receiver", into: &f) }
        }
        for (i, r) in (b.replacementInfoList ?? []).enumerated() {
            for organ in r.organIds {
                agencyCode(organ, at: "\(path)/ReplacementInfoList/ReplacementInfo[\(i + 1)]/OrganIdList/OrganId", what: "a replacement recipient", into: &f)
            }
        }
    }

    static func attachments(_ d: DocumentMessage, into f: inout [Finding]) {
        let attachmentIds = d.attachments.map { normaliseContentId($0.contentId) }
        var seen = Set<String>()
        for (i, id) in attachmentIds.enumerated() {
            guard let id else { continue }
            if !seen.insert(id).inserted {
                f.append(Finding(.duplicateContentId, "/edXML/AttachmentEncoded/Attachment[\(i + 1)]/ContentId", "ContentId \(id) is used by two attachments"))
            }
        }
        let names = Set(d.attachments.compactMap(\.attachmentName))
        var matched = Set<Int>()
        for (i, reference) in d.manifest.enumerated() {
            let path = "/edXML/edXMLEnvelope/edXMLBody/edXMLManifest/Reference\(d.manifest.count > 1 ? "[\(i + 1)]" : "")"
            let id = normaliseContentId(reference.contentId) ?? normaliseContentId(reference.href)
            if let id, let index = attachmentIds.firstIndex(of: id) {
                matched.insert(index)
            } else if id == nil, let name = reference.attachmentName, names.contains(name),
                      let index = d.attachments.firstIndex(where: { $0.attachmentName == name }) {
                matched.insert(index)
            } else {
                let what = id.map { "cid:\($0)" } ?? reference.attachmentName ?? "(unnamed)"
                f.append(Finding(.manifestWithoutAttachment, path, "the manifest references \(what) but no attachment carries it"))
            }
        }
        for (i, a) in d.attachments.enumerated() where !matched.contains(i) {
            f.append(Finding(.attachmentNotInManifest, "/edXML/AttachmentEncoded/Attachment\(d.attachments.count > 1 ? "[\(i + 1)]" : "")",
                             "attachment \(a.attachmentName ?? a.contentId ?? String(i + 1)) is not declared in the manifest", severity: .warning))
        }
    }

    static func check(_ s: StatusMessage) -> [Finding] {
        var f: [Finding] = []
        let hp = "/edXML/edXMLEnvelope/edXMLHeader/\(s.headerElementName)"
        if let from = s.from {
            agencyCode(from.organId, at: "\(hp)/From/OrganId", what: "the sender", into: &f)
        } else {
            f.append(Finding(.missingElement, hp, "a status message needs From (the reporting agency)"))
        }
        if let r = s.responseFor {
            if let organ = r.organId {
                agencyCode(organ, at: "\(hp)/ResponseFor/OrganId", what: "the addressee", into: &f)
            } else {
                f.append(Finding(.missingResponseFor, "\(hp)/ResponseFor", "ResponseFor has no OrganId: the status has no addressee"))
            }
            if r.documentId == nil {
                f.append(Finding(.missingResponseFor, "\(hp)/ResponseFor", "ResponseFor has no DocumentId: the status does not say which document it answers"))
            }
            if let date = r.promulgationDate { self.date(date, at: "\(hp)/ResponseFor/PromulgationDate", into: &f) }
        } else {
            f.append(Finding(.missingResponseFor, hp, "a status message needs ResponseFor (the document it answers and its addressee)"))
        }
        if let code = s.statusCode {
            if !code.isKnown {
                f.append(Finding(.unknownStatusCode, "\(hp)/StatusCode", "status code \(code.rawValue) is not in the table (01-06, 13, 15, 16)"))
            }
        } else {
            f.append(Finding(.missingElement, hp, "a status message needs StatusCode"))
        }
        if let ts = s.timestamp {
            if !ts.isValid { f.append(Finding(.invalidTimestamp, "\(hp)/Timestamp", "\"\(ts.raw)\" is not a timestamp yyyy/MM/dd HH:mm:ss")) }
        } else {
            f.append(Finding(.missingElement, hp, "the status has no Timestamp", severity: .warning))
        }
        return f
    }

    static func agencyCode(_ text: String, at path: String, what: String, into f: inout [Finding]) {
        if text.isEmpty {
            f.append(Finding(.missingElement, path, "\(what) has no OrganId"))
            return
        }
        do {
            _ = try AgencyCode(text)
        } catch {
            f.append(Finding(.malformedAgencyCode, path, error.description))
        }
    }

    static func date(_ date: EdDate, at path: String, into f: inout [Finding]) {
        if !date.isValid {
            f.append(Finding(.invalidDate, path, "\"\(date.raw)\" is not a date (yyyy/MM/dd or dd/MM/yyyy)"))
        }
    }

    /// `cid:209`, `<209>` and `209` name the same content.
    static func normaliseContentId(_ id: String?) -> String? {
        guard var t = id?.trimmed, !t.isEmpty else { return nil }
        if t.lowercased().hasPrefix("cid:") { t = String(t.dropFirst(4)) }
        if t.hasPrefix("<"), t.hasSuffix(">") { t = String(t.dropFirst().dropLast()) }
        return t.isEmpty ? nil : t
    }
}

package import TrucXML

/// Limits for reading a message.
package struct ReadLimits: Sendable, Equatable {
    package var xml: XMLLimits
    package var attachments: AttachmentLimits

    package init(xml: XMLLimits = .default, attachments: AttachmentLimits = .default) {
        self.xml = xml
        self.attachments = attachments
    }

    package static let `default` = ReadLimits()
}

/// A message read from bytes: the model, the findings of reading it, and the parsed tree that still
/// holds the attachment contents (decoded on demand, streamed from the source bytes).
///
/// Not `Sendable`: it owns a libxml2 tree. Keep it within one task.
package final class ParsedMessage {
    package let message: EdXMLMessage
    /// Findings of reading (duplicates, unknown elements). Validation adds more: see `validate`.
    package let readFindings: [Finding]
    package let document: XMLDocument
    /// The `ContentTransferEncoded` element of each attachment, index-aligned with `DocumentMessage.attachments`.
    let encodedContent: [XMLElement?]
    /// The `edXMLEnvelope` element the model was read from (a signature must cover this one).
    package let envelope: XMLElement
    /// The XMLDSig `Signature` elements in `edXMLHeader`.
    package let envelopeSignatureElements: [XMLElement]

    init(message: EdXMLMessage, readFindings: [Finding], document: XMLDocument, encodedContent: [XMLElement?],
         envelope: XMLElement, envelopeSignatureElements: [XMLElement]) {
        self.message = message
        self.readFindings = readFindings
        self.document = document
        self.encodedContent = encodedContent
        self.envelope = envelope
        self.envelopeSignatureElements = envelopeSignatureElements
    }
}

/// Reads edXML document and status messages, tolerating what real senders do differently
/// (namespace or none, element order, date layouts, extension elements).
package enum EdXMLReader {
    /// Element names whose (base64) text is kept out of the XML tree while parsing.
    static let bulkTextElements: Set<String> = ["ContentTransferEncoded"]

    package static func read(_ bytes: [UInt8], limits: ReadLimits = .default) throws(EdXMLError) -> ParsedMessage {
        let document: XMLDocument
        do {
            document = try XMLDocument.parse(bytes, limits: limits.xml, detachTextOf: bulkTextElements)
        } catch {
            throw EdXMLError(code: error.code.rawValue, message: error.message, line: error.line)
        }
        return try read(document)
    }

    static func read(_ document: XMLDocument) throws(EdXMLError) -> ParsedMessage {
        let root = document.root
        guard root.localName == "edXML", isEdXMLElement(root) else {
            let ns = root.namespaceURI.map { " in namespace \($0)" } ?? ""
            throw .notEdXML("the root element is <\(root.localName)>\(ns), not <edXML> in \(EdXMLNamespace.edxml)")
        }
        let ctx = ReadContext()
        let rootReader = ElementReader(root, known: ["edXMLEnvelope", "AttachmentEncoded"], context: ctx)
        guard let envelope = rootReader.one("edXMLEnvelope", ctx) else {
            throw .notEdXML("<edXML> has no <edXMLEnvelope>")
        }
        let envelopeReader = ElementReader(envelope, known: ["edXMLHeader", "edXMLBody"], context: ctx)
        guard let header = envelopeReader.one("edXMLHeader", ctx) else {
            throw .notEdXML("<edXMLEnvelope> has no <edXMLHeader>")
        }
        let headerReader = ElementReader(header, known: ["MessageHeader", "Status", "TraceHeaderList", "Signature"], context: ctx,
                                         foreignAllowed: { $0.localName == "Signature" && $0.namespaceURI == EdXMLNamespace.xmldsig })
        guard let messageHeader = headerReader.one("MessageHeader", ctx) ?? headerReader.one("Status", ctx) else {
            throw .notEdXML("<edXMLHeader> has neither <MessageHeader> nor <Status>")
        }
        let isStatus = messageHeader.localName == "Status"
            || messageHeader.children.contains { $0.localName == "StatusCode" && isEdXMLElement($0) }

        let message: EdXMLMessage
        var encoded: [XMLElement?] = []
        if isStatus {
            message = .status(status(messageHeader, ctx))
            // Anything else a status carries is kept as an extension.
            for element in headerReader.all("TraceHeaderList") + headerReader.all("Signature") { ctx.unknown(element) }
            for element in envelopeReader.all("edXMLBody") + rootReader.all("AttachmentEncoded") { ctx.unknown(element) }
        } else {
            var doc = DocumentMessage(header: documentHeader(messageHeader, ctx))
            if let list = headerReader.one("TraceHeaderList", ctx) {
                (doc.traceHeaders, doc.business) = traceHeaderList(list, ctx)
            }
            doc.signatures = headerReader.all("Signature").map(signatureInfo)
            if let body = envelopeReader.one("edXMLBody", ctx) {
                let b = ElementReader(body, known: ["edXMLManifest"], context: ctx)
                if let manifest = b.one("edXMLManifest", ctx) {
                    doc.manifestVersion = manifest.attribute("version")
                    doc.manifest = ElementReader(manifest, known: ["Reference"], context: ctx).all("Reference").map { manifestReference($0, ctx) }
                }
            } else {
                doc.manifestVersion = nil
            }
            if let container = rootReader.one("AttachmentEncoded", ctx) {
                for element in ElementReader(container, known: ["Attachment"], context: ctx).all("Attachment") {
                    let (info, content) = attachment(element, ctx)
                    doc.attachments.append(info)
                    encoded.append(content)
                }
            }
            doc.extensions = ctx.extensions
            message = .document(doc)
        }
        let signatures = headerReader.all("Signature").filter { $0.namespaceURI == EdXMLNamespace.xmldsig }
        if case .status(var s) = message {
            s.extensions = ctx.extensions
            return ParsedMessage(message: .status(s), readFindings: ctx.findings, document: document, encodedContent: [],
                                 envelope: envelope, envelopeSignatureElements: signatures)
        }
        return ParsedMessage(message: message, readFindings: ctx.findings, document: document, encodedContent: encoded,
                             envelope: envelope, envelopeSignatureElements: signatures)
    }

    static func documentHeader(_ element: XMLElement, _ ctx: ReadContext) -> MessageHeader {
        let r = ElementReader(element, known: ["From", "To", "DocumentId", "Code", "PromulgationInfo", "DocumentType", "Subject",
                                               "Content", "SignerInfo", "DueDate", "OtherInfo", "ResponseFor", "SteeringType",
                                               "ToPlaces", "ApplicationType"], context: ctx)
        var h = MessageHeader()
        h.from = r.one("From", ctx).map { organization($0, ctx) }
        h.to = r.all("To").map { organization($0, ctx) }
        h.documentId = r.text("DocumentId", ctx)
        if let code = r.one("Code", ctx) {
            let c = ElementReader(code, known: ["CodeNumber", "CodeNotation"], context: ctx)
            h.code = DocumentCode(codeNumber: c.text("CodeNumber", ctx), codeNotation: c.text("CodeNotation", ctx))
        }
        if let info = r.one("PromulgationInfo", ctx) {
            let p = ElementReader(info, known: ["Place", "PromulgationDate"], context: ctx)
            h.promulgationInfo = PromulgationInfo(place: p.text("Place", ctx), promulgationDate: p.text("PromulgationDate", ctx).map(EdDate.init(raw:)))
        }
        if let type = r.one("DocumentType", ctx) {
            let t = ElementReader(type, known: ["Type", "TypeDetail", "TypeName"], context: ctx)
            h.documentType = DocumentType(type: t.text("Type", ctx), typeDetail: t.text("TypeDetail", ctx), typeName: t.text("TypeName", ctx))
        }
        h.subject = r.text("Subject", ctx)
        h.content = r.text("Content", ctx)
        if let signer = r.one("SignerInfo", ctx) {
            let s = ElementReader(signer, known: ["Competence", "Position", "FullName"], context: ctx)
            h.signerInfo = SignerInfo(competence: s.text("Competence", ctx), position: s.text("Position", ctx), fullName: s.text("FullName", ctx))
        }
        h.dueDate = r.text("DueDate", ctx).map(EdDate.init(raw:))
        if let other = r.one("OtherInfo", ctx) {
            let o = ElementReader(other, known: ["Priority", "SphereOfPromulgation", "TyperNotation", "PromulgationAmount",
                                                 "PageAmount", "Direction", "Appendixes"], context: ctx)
            h.otherInfo = OtherInfo(priority: o.text("Priority", ctx), sphereOfPromulgation: o.text("SphereOfPromulgation", ctx),
                                    typerNotation: o.text("TyperNotation", ctx), promulgationAmount: o.text("PromulgationAmount", ctx),
                                    pageAmount: o.text("PageAmount", ctx), direction: o.text("Direction", ctx),
                                    appendixes: o.one("Appendixes", ctx).map { ElementReader($0, known: ["Appendix"], context: ctx).texts("Appendix") })
        }
        h.responseFor = r.all("ResponseFor").map { responseFor($0, ctx) }
        h.steeringType = r.text("SteeringType", ctx)
        h.toPlaces = r.one("ToPlaces", ctx).map { ElementReader($0, known: ["Place"], context: ctx).texts("Place") }
        h.applicationType = r.text("ApplicationType", ctx)
        return h
    }

    static func status(_ element: XMLElement, _ ctx: ReadContext) -> StatusMessage {
        let r = ElementReader(element, known: ["From", "ResponseFor", "StaffInfo", "StatusCode", "Description", "Timestamp"], context: ctx)
        return StatusMessage(headerElementName: element.localName, from: r.one("From", ctx).map { organization($0, ctx) },
                             responseFor: r.one("ResponseFor", ctx).map { responseFor($0, ctx) },
                             staffInfo: r.one("StaffInfo", ctx).map { staffInfo($0, ctx) },
                             statusCode: r.text("StatusCode", ctx).map(StatusCode.init(text:)),
                             description: r.text("Description", ctx), timestamp: r.text("Timestamp", ctx).map(EdTimestamp.init(raw:)))
    }

    static func manifestReference(_ element: XMLElement, _ ctx: ReadContext) -> ManifestReference {
        let r = ElementReader(element, known: ["ContentId", "ContentType", "Description", "AttachmentName"], context: ctx)
        let href = element.attribute("href", namespaceURI: EdXMLNamespace.xlink) ?? element.attribute("href")
        return ManifestReference(contentId: r.text("ContentId", ctx), contentType: r.text("ContentType", ctx),
                                 description: r.text("Description", ctx), attachmentName: r.text("AttachmentName", ctx),
                                 href: href.flatMap { $0.isEmpty ? nil : $0 })
    }

    static func attachment(_ element: XMLElement, _ ctx: ReadContext) -> (AttachmentInfo, XMLElement?) {
        let r = ElementReader(element, known: ["ContentId", "AttachmentName", "Description", "ContentType",
                                               "ContentTransferEncoded", "FieldName", "MimeType"], context: ctx)
        let content = r.one("ContentTransferEncoded", ctx)
        let info = AttachmentInfo(contentId: r.text("ContentId", ctx), attachmentName: r.text("AttachmentName", ctx),
                                  description: r.text("Description", ctx), contentType: r.text("ContentType", ctx),
                                  mimeType: r.text("MimeType", ctx), fieldName: r.text("FieldName", ctx),
                                  encodedLength: content?.textByteCount ?? 0)
        return (info, content)
    }
}

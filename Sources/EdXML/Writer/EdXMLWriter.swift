import Foundation

/// Writes edXML in the national hub's layout: the root declares the edXML namespace as default,
/// `edXMLEnvelope` re-declares it with the prefix `edXML:` used by every header element, and the attachment
/// container is unprefixed except `ContentTransferEncoded`. Elements come in the VPCP sample order.
/// Extension elements and envelope signatures of a message that was read are not written.
package enum EdXMLWriter {
    static let ns = EdXMLNamespace.edxml

    /// A status message (header element always named `MessageHeader`, as the national hub expects).
    package static func write(_ s: StatusMessage) -> [UInt8] {
        var w = XMLTextWriter()
        w.open("edXML", [("xmlns", ns)])
        w.open("edXML:edXMLEnvelope", [("xmlns:edXML", ns)])
        w.open("edXML:edXMLHeader")
        w.open("edXML:MessageHeader")
        if let from = s.from { organization("edXML:From", from, &w) }
        if let r = s.responseFor { responseFor(r, &w) }
        if let staff = s.staffInfo { staffInfo(staff, statusOrder: true, &w) }
        w.leaf("edXML:StatusCode", s.statusCode?.rawValue)
        w.leaf("edXML:Description", s.description)
        w.leaf("edXML:Timestamp", s.timestamp?.canonical)
        w.close("edXML:MessageHeader")
        w.close("edXML:edXMLHeader")
        w.close("edXML:edXMLEnvelope")
        w.close("edXML")
        return Array(w.out.utf8)
    }

    /// A document message. `attachmentContent[i]` holds the decoded bytes of `d.attachments[i]`
    /// (written as base64 on one line, as the national library does).
    package static func write(_ d: DocumentMessage, attachmentContent: [[UInt8]]) -> [UInt8] {
        var w = XMLTextWriter()
        w.open("edXML", [("xmlns", ns)])
        w.open("edXML:edXMLEnvelope", [("xmlns:edXML", ns)])
        w.open("edXML:edXMLHeader")
        header(d.header, &w)
        if !d.traceHeaders.isEmpty || d.business != nil {
            w.open("edXML:TraceHeaderList")
            for t in d.traceHeaders {
                w.open("edXML:TraceHeader")
                w.leaf("edXML:OrganId", t.organId)
                w.leaf("edXML:Timestamp", t.timestamp?.canonical)
                w.close("edXML:TraceHeader")
            }
            if let b = d.business { business(b, &w) }
            w.close("edXML:TraceHeaderList")
        }
        w.close("edXML:edXMLHeader")
        w.open("edXML:edXMLBody")
        w.group("edXML:edXMLManifest", [("version", d.manifestVersion ?? "1.0")], always: true) { w in
            for r in d.manifest {
                w.group("edXML:Reference", always: true) { w in
                    w.leaf("edXML:ContentId", r.contentId)
                    w.leaf("edXML:ContentType", r.contentType)
                    w.leaf("edXML:Description", r.description)
                    w.leaf("edXML:AttachmentName", r.attachmentName)
                }
            }
        }
        w.close("edXML:edXMLBody")
        w.close("edXML:edXMLEnvelope")
        if !d.attachments.isEmpty {
            w.open("AttachmentEncoded")
            for (i, a) in d.attachments.enumerated() {
                w.open("Attachment")
                w.leaf("ContentId", a.contentId)
                w.leaf("AttachmentName", a.attachmentName)
                w.leaf("Description", a.description)
                w.leaf("ContentType", a.contentType)
                w.leaf("FieldName", a.fieldName)
                w.leaf("MimeType", a.mimeType)
                let content = i < attachmentContent.count ? Data(attachmentContent[i]).base64EncodedString() : ""
                w.leafRaw("edXML:ContentTransferEncoded", attributes: [("xmlns:edXML", ns)], content)
                w.close("Attachment")
            }
            w.close("AttachmentEncoded")
        }
        w.close("edXML")
        return Array(w.out.utf8)
    }

    static func header(_ h: MessageHeader, _ w: inout XMLTextWriter) {
        w.open("edXML:MessageHeader")
        if let from = h.from { organization("edXML:From", from, &w) }
        for to in h.to { organization("edXML:To", to, &w) }
        w.leaf("edXML:DocumentId", h.documentId)
        if let c = h.code {
            w.group("edXML:Code", always: true) { w in
                w.leaf("edXML:CodeNumber", c.codeNumber)
                w.leaf("edXML:CodeNotation", c.codeNotation)
            }
        }
        if let p = h.promulgationInfo {
            w.group("edXML:PromulgationInfo", always: true) { w in
                w.leaf("edXML:Place", p.place)
                w.leaf("edXML:PromulgationDate", p.promulgationDate?.canonical)
            }
        }
        if let t = h.documentType {
            w.group("edXML:DocumentType", always: true) { w in
                w.leaf("edXML:Type", t.type)
                w.leaf("edXML:TypeDetail", t.typeDetail)
                w.leaf("edXML:TypeName", t.typeName)
            }
        }
        w.leaf("edXML:Subject", h.subject)
        w.leaf("edXML:Content", h.content)
        if let s = h.signerInfo {
            w.group("edXML:SignerInfo", always: true) { w in
                w.leaf("edXML:Competence", s.competence)
                w.leaf("edXML:Position", s.position)
                w.leaf("edXML:FullName", s.fullName)
            }
        }
        w.leaf("edXML:DueDate", h.dueDate?.canonical)
        if let o = h.otherInfo {
            w.group("edXML:OtherInfo", always: true) { w in
                w.leaf("edXML:Priority", o.priority)
                w.leaf("edXML:SphereOfPromulgation", o.sphereOfPromulgation)
                w.leaf("edXML:TyperNotation", o.typerNotation)
                w.leaf("edXML:PromulgationAmount", o.promulgationAmount)
                w.leaf("edXML:PageAmount", o.pageAmount)
                w.leaf("edXML:Direction", o.direction)
                if let appendixes = o.appendixes {
                    w.group("edXML:Appendixes", always: true) { w in
                        for a in appendixes { w.leaf("edXML:Appendix", a) }
                    }
                }
            }
        }
        for r in h.responseFor { responseFor(r, &w) }
        w.leaf("edXML:SteeringType", h.steeringType)
        if let places = h.toPlaces {
            w.group("edXML:ToPlaces", always: true) { w in
                for p in places { w.leaf("edXML:Place", p) }
            }
        }
        w.leaf("edXML:ApplicationType", h.applicationType)
        w.close("edXML:MessageHeader")
    }

    static func organization(_ name: String, _ o: Organization, _ w: inout XMLTextWriter) {
        w.open(name)
        w.leaf("edXML:OrganId", o.organId)
        w.leaf("edXML:OrganizationInCharge", o.organizationInCharge)
        w.leaf("edXML:OrganName", o.organName)
        w.leaf("edXML:OrganAdd", o.organAdd)
        w.leaf("edXML:Email", o.email)
        w.leaf("edXML:Telephone", o.telephone)
        w.leaf("edXML:Fax", o.fax)
        w.leaf("edXML:Website", o.website)
        w.close(name)
    }

    static func responseFor(_ r: ResponseFor, _ w: inout XMLTextWriter) {
        w.group("edXML:ResponseFor", always: true) { w in
            w.leaf("edXML:OrganId", r.organId)
            w.leaf("edXML:Code", r.code)
            w.leaf("edXML:PromulgationDate", r.promulgationDate?.canonical)
            w.leaf("edXML:DocumentId", r.documentId)
        }
    }

    static func staffInfo(_ s: StaffInfo, statusOrder: Bool, _ w: inout XMLTextWriter) {
        w.group("edXML:StaffInfo", always: true) { w in
            w.leaf("edXML:Department", s.department)
            w.leaf("edXML:Staff", s.staff)
            if statusOrder {
                w.leaf("edXML:Mobile", s.mobile)
                w.leaf("edXML:Email", s.email)
            } else {
                w.leaf("edXML:Email", s.email)
                w.leaf("edXML:Mobile", s.mobile)
            }
            w.leaf("edXML:DepartmentId", s.departmentId)
            w.leaf("edXML:StaffId", s.staffId)
        }
    }

    static func business(_ b: Business, _ w: inout XMLTextWriter) {
        w.group("edXML:Bussiness", always: true) { w in
            w.leaf("edXML:DocumentId", b.documentId)
            w.leaf("edXML:BussinessDocType", b.docTypeText)
            w.leaf("edXML:BussinessDocReason", b.reason)
            w.leaf("edXML:Paper", b.paper)
            if let info = b.documentInfo {
                w.group("edXML:BussinessDocumentInfo", always: true) { w in
                    w.leaf("edXML:DocumentInfo", info.documentInfo)
                    w.leaf("edXML:DocumentReceiver", info.documentReceiver)
                    if let receivers = info.receivers {
                        w.group("edXML:ReceiverList", always: true) { w in
                            for r in receivers {
                                w.group("edXML:Receiver", always: true) { w in
                                    w.leaf("edXML:OrganId", r.organId)
                                    w.leaf("edXML:ReceiverType", r.receiverType)
                                }
                            }
                        }
                    }
                }
            }
            if let list = b.replacementInfoList {
                w.group("edXML:ReplacementInfoList", always: true) { w in
                    for r in list {
                        w.group("edXML:ReplacementInfo", always: true) { w in
                            w.leaf("edXML:DocumentId", r.documentId)
                            w.group("edXML:OrganIdList", always: true) { w in
                                for o in r.organIds { w.leaf("edXML:OrganId", o) }
                            }
                        }
                    }
                }
            }
            if let s = b.staffInfo { staffInfo(s, statusOrder: false, &w) }
        }
    }
}

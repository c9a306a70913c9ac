import TrucXML

/// Readers for the parts shared by document and status messages.
extension EdXMLReader {
    static let organizationNames: Set<String> = ["OrganId", "OrganizationInCharge", "OrganName", "OrganAdd", "Email", "Telephone", "Fax", "Website"]

    static func organization(_ element: XMLElement, _ ctx: ReadContext) -> Organization {
        let r = ElementReader(element, known: organizationNames, context: ctx)
        return Organization(organId: r.text("OrganId", ctx) ?? "", organizationInCharge: r.text("OrganizationInCharge", ctx),
                            organName: r.text("OrganName", ctx), organAdd: r.text("OrganAdd", ctx), email: r.text("Email", ctx),
                            telephone: r.text("Telephone", ctx), fax: r.text("Fax", ctx), website: r.text("Website", ctx))
    }

    static func staffInfo(_ element: XMLElement, _ ctx: ReadContext) -> StaffInfo {
        let r = ElementReader(element, known: ["Department", "Staff", "Email", "Mobile", "DepartmentId", "StaffId"], context: ctx)
        return StaffInfo(department: r.text("Department", ctx), staff: r.text("Staff", ctx), email: r.text("Email", ctx),
                         mobile: r.text("Mobile", ctx), departmentId: r.text("DepartmentId", ctx), staffId: r.text("StaffId", ctx))
    }

    static func responseFor(_ element: XMLElement, _ ctx: ReadContext) -> ResponseFor {
        let r = ElementReader(element, known: ["OrganId", "Code", "PromulgationDate", "DocumentId"], context: ctx)
        return ResponseFor(organId: r.text("OrganId", ctx), code: r.text("Code", ctx),
                           promulgationDate: r.text("PromulgationDate", ctx).map(EdDate.init(raw:)), documentId: r.text("DocumentId", ctx))
    }

    static func traceHeaderList(_ element: XMLElement, _ ctx: ReadContext) -> ([TraceHeader], Business?) {
        let r = ElementReader(element, known: ["TraceHeader", "Bussiness", "Business"], context: ctx)
        let traces = r.all("TraceHeader").map { trace -> TraceHeader in
            let t = ElementReader(trace, known: ["OrganId", "Timestamp"], context: ctx)
            return TraceHeader(organId: t.text("OrganId", ctx) ?? "", timestamp: t.text("Timestamp", ctx).map(EdTimestamp.init(raw:)))
        }
        // "Bussiness" is the standard's spelling; "Business" is accepted from senders who corrected it.
        let businessElement = r.one("Bussiness", ctx) ?? r.one("Business", ctx)
        return (traces, businessElement.map { business($0, ctx) })
    }

    static func business(_ element: XMLElement, _ ctx: ReadContext) -> Business {
        let r = ElementReader(element, known: ["DocumentId", "BussinessDocType", "BussinessDocReason", "Paper",
                                               "BussinessDocumentInfo", "ReplacementInfoList", "StaffInfo"], context: ctx)
        var result = Business(documentId: r.text("DocumentId", ctx), docTypeText: r.text("BussinessDocType", ctx),
                              reason: r.text("BussinessDocReason", ctx), paper: r.text("Paper", ctx))
        if let info = r.one("BussinessDocumentInfo", ctx) {
            let i = ElementReader(info, known: ["DocumentInfo", "DocumentReceiver", "ReceiverList"], context: ctx)
            var documentInfo = BusinessDocumentInfo(documentInfo: i.text("DocumentInfo", ctx), documentReceiver: i.text("DocumentReceiver", ctx))
            if let list = i.one("ReceiverList", ctx) {
                let l = ElementReader(list, known: ["Receiver"], context: ctx)
                documentInfo.receivers = l.all("Receiver").map { receiver in
                    let x = ElementReader(receiver, known: ["OrganId", "ReceiverType"], context: ctx)
                    return Receiver(organId: x.text("OrganId", ctx), receiverType: x.text("ReceiverType", ctx))
                }
            }
            result.documentInfo = documentInfo
        }
        if let list = r.one("ReplacementInfoList", ctx) {
            let l = ElementReader(list, known: ["ReplacementInfo"], context: ctx)
            result.replacementInfoList = l.all("ReplacementInfo").map { info in
                let i = ElementReader(info, known: ["DocumentId", "OrganIdList"], context: ctx)
                let organIds = i.one("OrganIdList", ctx).map { ElementReader($0, known: ["OrganId"], context: ctx).texts("OrganId") } ?? []
                return ReplacementInfo(documentId: i.text("DocumentId", ctx), organIds: organIds)
            }
        }
        result.staffInfo = r.one("StaffInfo", ctx).map { staffInfo($0, ctx) }
        return result
    }

    static func signatureInfo(_ element: XMLElement) -> EnvelopeSignatureInfo {
        let isDSig = element.namespaceURI == EdXMLNamespace.xmldsig
        let method = element.children.first { $0.localName == "SignedInfo" }?
            .children.first { $0.localName == "SignatureMethod" }?.attribute("Algorithm")
        return EnvelopeSignatureInfo(isXMLDSig: isDSig, path: element.path, signatureMethod: method)
    }
}

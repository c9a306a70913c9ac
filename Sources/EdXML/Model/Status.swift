/// A status code of a status message (QCVN 102:2016 status table).
package struct StatusCode: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    package let rawValue: String
    package init(rawValue: String) { self.rawValue = rawValue }

    package static let arrived = StatusCode(rawValue: "01")
    package static let rejected = StatusCode(rawValue: "02")
    package static let accepted = StatusCode(rawValue: "03")
    package static let assigned = StatusCode(rawValue: "04")
    package static let processing = StatusCode(rawValue: "05")
    package static let finished = StatusCode(rawValue: "06")
    package static let takeBackRequest = StatusCode(rawValue: "13")
    package static let changeAccepted = StatusCode(rawValue: "15")
    package static let changeRejected = StatusCode(rawValue: "16")

    package static let all: [StatusCode] = [.arrived, .rejected, .accepted, .assigned, .processing, .finished,
                                            .takeBackRequest, .changeAccepted, .changeRejected]

    /// Accepts "1" as well as "01".
    package init(text: String) {
        let t = text.trimmed
        self.rawValue = (t.count == 1 && t.allSatisfy(\.isASCIIDigit)) ? "0" + t : t
    }

    package var isKnown: Bool { StatusCode.all.contains(self) }

    /// English meaning.
    package var meaning: String {
        switch rawValue {
        case "01": "arrived (received by the document system)"
        case "02": "rejected by the clerk"
        case "03": "accepted (registered as incoming)"
        case "04": "assigned for handling"
        case "05": "being processed"
        case "06": "handling finished"
        case "13": "the sender asks to take the document back"
        case "15": "take-back/update accepted"
        case "16": "take-back/update refused"
        default: "unknown status code"
        }
    }

    /// Vietnamese name as used by the document systems.
    package var vietnamese: String {
        switch rawValue {
        case "01": "Đã đến"
        case "02": "Từ chối tiếp nhận"
        case "03": "Đã tiếp nhận"
        case "04": "Phân công"
        case "05": "Đang xử lý"
        case "06": "Hoàn thành"
        case "13": "Lấy lại"
        case "15": "Đồng ý cập nhật/lấy lại"
        case "16": "Từ chối cập nhật/lấy lại"
        default: "Không xác định"
        }
    }

    /// Code 13 travels from the original sender to the recipient; every other code the other way.
    package var travelsToRecipient: Bool { self == .takeBackRequest }

    package var description: String { rawValue }
}

/// A status message: the business receipt that travels back along a document's path (section 2).
package struct StatusMessage: Sendable, Equatable, Codable {
    /// `MessageHeader` (national hub) or `Status` (Bkav variant).
    package var headerElementName: String
    package var from: Organization?
    package var responseFor: ResponseFor?
    package var staffInfo: StaffInfo?
    package var statusCode: StatusCode?
    package var description: String?
    package var timestamp: EdTimestamp?
    package var extensions: [ExtensionElement]

    package init(headerElementName: String = "MessageHeader", from: Organization? = nil, responseFor: ResponseFor? = nil,
                 staffInfo: StaffInfo? = nil, statusCode: StatusCode? = nil, description: String? = nil,
                 timestamp: EdTimestamp? = nil, extensions: [ExtensionElement] = []) {
        self.headerElementName = headerElementName
        self.from = from
        self.responseFor = responseFor
        self.staffInfo = staffInfo
        self.statusCode = statusCode
        self.description = description
        self.timestamp = timestamp
        self.extensions = extensions
    }

    /// The agency the status is addressed to (`ResponseFor/OrganId`).
    package var addressee: String? { responseFor?.organId }
}

/// A document message (section 1).
package struct DocumentMessage: Sendable, Equatable, Codable {
    package var header: MessageHeader
    package var traceHeaders: [TraceHeader]
    package var business: Business?
    package var manifestVersion: String?
    package var manifest: [ManifestReference]
    package var attachments: [AttachmentInfo]
    package var signatures: [EnvelopeSignatureInfo]
    package var extensions: [ExtensionElement]

    package init(header: MessageHeader, traceHeaders: [TraceHeader] = [], business: Business? = nil, manifestVersion: String? = "1.0",
                 manifest: [ManifestReference] = [], attachments: [AttachmentInfo] = [], signatures: [EnvelopeSignatureInfo] = [],
                 extensions: [ExtensionElement] = []) {
        self.header = header
        self.traceHeaders = traceHeaders
        self.business = business
        self.manifestVersion = manifestVersion
        self.manifest = manifest
        self.attachments = attachments
        self.signatures = signatures
        self.extensions = extensions
    }
}

/// Either kind of edXML message.
package enum EdXMLMessage: Sendable, Equatable {
    case document(DocumentMessage)
    case status(StatusMessage)

    /// `edoc` or `status`, as the national hub names them.
    package var messageType: String {
        switch self {
        case .document: "edoc"
        case .status: "status"
        }
    }

    package var sender: String? {
        switch self {
        case .document(let d): d.header.from?.organId
        case .status(let s): s.from?.organId
        }
    }

    /// The document id this message carries (its own, or for a status the one it answers).
    package var documentId: String? {
        switch self {
        case .document(let d): d.header.documentId
        case .status(let s): s.responseFor?.documentId
        }
    }
}

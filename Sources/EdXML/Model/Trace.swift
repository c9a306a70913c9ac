/// One hop in `TraceHeaderList`, 2.1.
package struct TraceHeader: Sendable, Equatable, Codable {
    package var organId: String
    package var timestamp: EdTimestamp?

    package init(organId: String, timestamp: EdTimestamp?) {
        self.organId = organId
        self.timestamp = timestamp
    }
}

/// `BussinessDocType`: what the document does (spelled with double "s" in the standard).
package struct BusinessDocType: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    package let rawValue: Int
    package init(rawValue: Int) { self.rawValue = rawValue }

    package static let new = BusinessDocType(rawValue: 0)
    package static let revoke = BusinessDocType(rawValue: 1)
    package static let update = BusinessDocType(rawValue: 2)
    package static let replace = BusinessDocType(rawValue: 3)

    package var isKnown: Bool { (0...3).contains(rawValue) }

    package var name: String {
        switch rawValue {
        case 0: "new"
        case 1: "revoke"
        case 2: "update"
        case 3: "replace"
        default: "unknown"
        }
    }

    package var description: String { "\(rawValue) (\(name))" }
}

/// `BussinessDocumentInfo/ReceiverList/Receiver`.
package struct Receiver: Sendable, Equatable, Codable {
    package var organId: String?
    package var receiverType: String?

    package init(organId: String? = nil, receiverType: String? = nil) {
        self.organId = organId
        self.receiverType = receiverType
    }
}

/// `BussinessDocumentInfo` (updates).
package struct BusinessDocumentInfo: Sendable, Equatable, Codable {
    package var documentInfo: String?
    package var documentReceiver: String?
    package var receivers: [Receiver]?

    package init(documentInfo: String? = nil, documentReceiver: String? = nil, receivers: [Receiver]? = nil) {
        self.documentInfo = documentInfo
        self.documentReceiver = documentReceiver
        self.receivers = receivers
    }
}

/// `ReplacementInfoList/ReplacementInfo` (replacements).
package struct ReplacementInfo: Sendable, Equatable, Codable {
    package var documentId: String?
    package var organIds: [String]

    package init(documentId: String? = nil, organIds: [String] = []) {
        self.documentId = documentId
        self.organIds = organIds
    }
}

/// `TraceHeaderList/Bussiness`, 2.2.
package struct Business: Sendable, Equatable, Codable {
    /// The document acted on (revoke/update/replace).
    package var documentId: String?
    /// The raw `BussinessDocType` text; `docType` is its value when numeric.
    package var docTypeText: String?
    package var reason: String?
    package var paper: String?
    package var documentInfo: BusinessDocumentInfo?
    package var replacementInfoList: [ReplacementInfo]?
    package var staffInfo: StaffInfo?

    package init(documentId: String? = nil, docTypeText: String? = nil, reason: String? = nil, paper: String? = nil,
                 documentInfo: BusinessDocumentInfo? = nil, replacementInfoList: [ReplacementInfo]? = nil, staffInfo: StaffInfo? = nil) {
        self.documentId = documentId
        self.docTypeText = docTypeText
        self.reason = reason
        self.paper = paper
        self.documentInfo = documentInfo
        self.replacementInfoList = replacementInfoList
        self.staffInfo = staffInfo
    }

    package var docType: BusinessDocType? { docTypeText.flatMap { Int($0.trimmed) }.map(BusinessDocType.init(rawValue:)) }
}

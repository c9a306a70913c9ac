/// `Code`: document number and notation (số / ký hiệu), 1.3.
package struct DocumentCode: Sendable, Equatable, Codable {
    package var codeNumber: String?
    package var codeNotation: String?

    package init(codeNumber: String? = nil, codeNotation: String? = nil) {
        self.codeNumber = codeNumber
        self.codeNotation = codeNotation
    }

    /// "number/notation", as used in `ResponseFor/Code`.
    package var display: String {
        [codeNumber, codeNotation].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: "/")
    }
}

/// `PromulgationInfo`, 1.4.
package struct PromulgationInfo: Sendable, Equatable, Codable {
    package var place: String?
    package var promulgationDate: EdDate?

    package init(place: String? = nil, promulgationDate: EdDate? = nil) {
        self.place = place
        self.promulgationDate = promulgationDate
    }
}

/// `DocumentType`, 1.5.
package struct DocumentType: Sendable, Equatable, Codable {
    package var type: String?
    package var typeDetail: String?
    package var typeName: String?

    package init(type: String? = nil, typeDetail: String? = nil, typeName: String? = nil) {
        self.type = type
        self.typeDetail = typeDetail
        self.typeName = typeName
    }
}

/// `SignerInfo`, 1.8.
package struct SignerInfo: Sendable, Equatable, Codable {
    package var competence: String?
    package var position: String?
    package var fullName: String?

    package init(competence: String? = nil, position: String? = nil, fullName: String? = nil) {
        self.competence = competence
        self.position = position
        self.fullName = fullName
    }
}

/// `OtherInfo`, 1.11.
package struct OtherInfo: Sendable, Equatable, Codable {
    package var priority: String?
    package var sphereOfPromulgation: String?
    package var typerNotation: String?
    package var promulgationAmount: String?
    package var pageAmount: String?
    /// VNPT library extension (`Direction`, boolean).
    package var direction: String?
    package var appendixes: [String]?

    package init(priority: String? = nil, sphereOfPromulgation: String? = nil, typerNotation: String? = nil,
                 promulgationAmount: String? = nil, pageAmount: String? = nil, direction: String? = nil, appendixes: [String]? = nil) {
        self.priority = priority
        self.sphereOfPromulgation = sphereOfPromulgation
        self.typerNotation = typerNotation
        self.promulgationAmount = promulgationAmount
        self.pageAmount = pageAmount
        self.direction = direction
        self.appendixes = appendixes
    }
}

/// `MessageHeader` of a document message (QCVN 102:2016 section 1).
package struct MessageHeader: Sendable, Equatable, Codable {
    package var from: Organization?
    package var to: [Organization]
    package var documentId: String?
    package var code: DocumentCode?
    package var promulgationInfo: PromulgationInfo?
    package var documentType: DocumentType?
    package var subject: String?
    package var content: String?
    package var signerInfo: SignerInfo?
    package var dueDate: EdDate?
    package var otherInfo: OtherInfo?
    package var responseFor: [ResponseFor]
    package var steeringType: String?
    package var toPlaces: [String]?
    /// VNPT library / OpenCPS extension.
    package var applicationType: String?

    package init(from: Organization? = nil, to: [Organization] = [], documentId: String? = nil, code: DocumentCode? = nil,
                 promulgationInfo: PromulgationInfo? = nil, documentType: DocumentType? = nil, subject: String? = nil,
                 content: String? = nil, signerInfo: SignerInfo? = nil, dueDate: EdDate? = nil, otherInfo: OtherInfo? = nil,
                 responseFor: [ResponseFor] = [], steeringType: String? = nil, toPlaces: [String]? = nil, applicationType: String? = nil) {
        self.from = from
        self.to = to
        self.documentId = documentId
        self.code = code
        self.promulgationInfo = promulgationInfo
        self.documentType = documentType
        self.subject = subject
        self.content = content
        self.signerInfo = signerInfo
        self.dueDate = dueDate
        self.otherInfo = otherInfo
        self.responseFor = responseFor
        self.steeringType = steeringType
        self.toPlaces = toPlaces
        self.applicationType = applicationType
    }
}

/// An organisation as it appears in `From`, `To` (QCVN 102:2016 1.1/1.2).
package struct Organization: Sendable, Equatable, Codable {
    package var organId: String
    package var organizationInCharge: String?
    package var organName: String?
    package var organAdd: String?
    package var email: String?
    package var telephone: String?
    package var fax: String?
    package var website: String?

    package init(organId: String, organizationInCharge: String? = nil, organName: String? = nil, organAdd: String? = nil,
                 email: String? = nil, telephone: String? = nil, fax: String? = nil, website: String? = nil) {
        self.organId = organId
        self.organizationInCharge = organizationInCharge
        self.organName = organName
        self.organAdd = organAdd
        self.email = email
        self.telephone = telephone
        self.fax = fax
        self.website = website
    }
}

/// `StaffInfo`: the clerk who handled the message.
package struct StaffInfo: Sendable, Equatable, Codable {
    package var department: String?
    package var staff: String?
    package var email: String?
    package var mobile: String?
    /// VNPT library extensions.
    package var departmentId: String?
    package var staffId: String?

    package init(department: String? = nil, staff: String? = nil, email: String? = nil, mobile: String? = nil,
                 departmentId: String? = nil, staffId: String? = nil) {
        self.department = department
        self.staff = staff
        self.email = email
        self.mobile = mobile
        self.departmentId = departmentId
        self.staffId = staffId
    }
}

/// `ResponseFor`: the document a message answers (1.12).
package struct ResponseFor: Sendable, Equatable, Codable {
    /// In a status message: the addressee of the status.
    package var organId: String?
    /// "number/notation" of the original document.
    package var code: String?
    package var promulgationDate: EdDate?
    package var documentId: String?

    package init(organId: String? = nil, code: String? = nil, promulgationDate: EdDate? = nil, documentId: String? = nil) {
        self.organId = organId
        self.code = code
        self.promulgationDate = promulgationDate
        self.documentId = documentId
    }
}

/// An element Truc does not model, kept as it was received.
package struct ExtensionElement: Sendable, Equatable, Codable {
    /// Where it was found, e.g. `/edXML/edXMLEnvelope/edXMLHeader/MessageHeader/ApplicationType`.
    package var path: String
    package var localName: String
    package var namespaceURI: String?
    /// The element serialised as XML.
    package var xml: String

    package init(path: String, localName: String, namespaceURI: String?, xml: String) {
        self.path = path
        self.localName = localName
        self.namespaceURI = namespaceURI
        self.xml = xml
    }
}

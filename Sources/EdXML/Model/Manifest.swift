/// `edXMLManifest/Reference`: declares one attachment.
package struct ManifestReference: Sendable, Equatable, Codable {
    package var contentId: String?
    package var contentType: String?
    package var description: String?
    package var attachmentName: String?
    /// `xlink:href` attribute, when present.
    package var href: String?

    package init(contentId: String? = nil, contentType: String? = nil, description: String? = nil,
                 attachmentName: String? = nil, href: String? = nil) {
        self.contentId = contentId
        self.contentType = contentType
        self.description = description
        self.attachmentName = attachmentName
        self.href = href
    }
}

/// `AttachmentEncoded/Attachment`: the metadata of an inline attachment. Its content stays in the parsed
/// document until decoded (see `EdXMLMessage.decodeAttachments`).
package struct AttachmentInfo: Sendable, Equatable, Codable {
    package var contentId: String?
    package var attachmentName: String?
    package var description: String?
    package var contentType: String?
    /// VNPT library: the real type of a zipped file.
    package var mimeType: String?
    package var fieldName: String?
    /// Length of the base64 text, in bytes.
    package var encodedLength: Int

    package init(contentId: String? = nil, attachmentName: String? = nil, description: String? = nil, contentType: String? = nil,
                 mimeType: String? = nil, fieldName: String? = nil, encodedLength: Int = 0) {
        self.contentId = contentId
        self.attachmentName = attachmentName
        self.description = description
        self.contentType = contentType
        self.mimeType = mimeType
        self.fieldName = fieldName
        self.encodedLength = encodedLength
    }
}

/// What the envelope says about a `Signature` element in `edXMLHeader` (verification is separate).
package struct EnvelopeSignatureInfo: Sendable, Equatable, Codable {
    /// True when the element is in the XMLDSig namespace; other `Signature` elements (the national samples
    /// carry one in the edXML namespace, with placeholder values) are not signatures.
    package var isXMLDSig: Bool
    package var path: String
    package var signatureMethod: String?

    package init(isXMLDSig: Bool, path: String, signatureMethod: String?) {
        self.isXMLDSig = isXMLDSig
        self.path = path
        self.signatureMethod = signatureMethod
    }
}

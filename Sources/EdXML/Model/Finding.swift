/// A problem found in a message that could be read. Findings are values: the reader and validator
/// collect them all instead of stopping at the first.
package struct Finding: Sendable, Equatable, Codable, CustomStringConvertible {
    package enum Severity: String, Sendable, Codable {
        /// The message does not conform; a hub refuses it.
        case error
        /// Worth knowing, but the message is usable.
        case warning
    }

    package let code: FindingCode
    package let severity: Severity
    /// Element path, e.g. `/edXML/edXMLEnvelope/edXMLHeader/MessageHeader/To[2]/OrganId`.
    package let path: String
    package let message: String

    package init(_ code: FindingCode, _ path: String, _ message: String, severity: Severity = .error) {
        self.code = code
        self.severity = severity
        self.path = path
        self.message = message
    }

    package var description: String { "[\(severity.rawValue)] \(code) at \(path): \(message)" }
}

/// Stable finding codes. Callers match on these; new codes may be added.
package struct FindingCode: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    package let rawValue: String
    package init(rawValue: String) { self.rawValue = rawValue }
    package init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
    package func encode(to encoder: any Encoder) throws { var c = encoder.singleValueContainer(); try c.encode(rawValue) }
    package var description: String { rawValue }

    /// The XML Schema (Schemas/*.xsd) rejects the structure.
    package static let schema = FindingCode(rawValue: "schema")
    /// A required element is absent or empty.
    package static let missingElement = FindingCode(rawValue: "missing-element")
    /// An element that may appear once appears several times.
    package static let duplicateElement = FindingCode(rawValue: "duplicate-element")
    /// An element Truc does not know; kept, not used.
    package static let unknownElement = FindingCode(rawValue: "unknown-element")
    /// An agency code (OrganId) is not well-formed.
    package static let malformedAgencyCode = FindingCode(rawValue: "malformed-agency-code")
    /// A document message without any `To`.
    package static let noRecipient = FindingCode(rawValue: "no-recipient")
    /// The same agency appears twice among the `To` elements.
    package static let duplicateRecipient = FindingCode(rawValue: "duplicate-recipient")
    /// A manifest `Reference` whose attachment is not in `AttachmentEncoded`.
    package static let manifestWithoutAttachment = FindingCode(rawValue: "manifest-without-attachment")
    /// An attachment that no manifest `Reference` declares.
    package static let attachmentNotInManifest = FindingCode(rawValue: "attachment-not-in-manifest")
    /// Two attachments share a `ContentId`.
    package static let duplicateContentId = FindingCode(rawValue: "duplicate-content-id")
    /// A status code outside the QCVN 102 table (01-06, 13, 15, 16).
    package static let unknownStatusCode = FindingCode(rawValue: "unknown-status-code")
    /// A DocumentId longer than any real one (`documentIdLimit` bytes): it is stored, indexed and shown on pages.
    package static let documentIdTooLong = FindingCode(rawValue: "document-id-too-long")
    /// A status message without `ResponseFor` (or without its OrganId / DocumentId).
    package static let missingResponseFor = FindingCode(rawValue: "missing-response-for")
    /// A date that is neither `yyyy/MM/dd` nor `dd/MM/yyyy`, or not a real day.
    package static let invalidDate = FindingCode(rawValue: "invalid-date")
    /// A timestamp that is not `yyyy/MM/dd HH:mm:ss`.
    package static let invalidTimestamp = FindingCode(rawValue: "invalid-timestamp")
    /// `BussinessDocType` outside 0-3.
    package static let invalidBusinessDocType = FindingCode(rawValue: "invalid-business-doc-type")
    /// A revocation/update/replacement that does not say which document it acts on.
    package static let missingOriginal = FindingCode(rawValue: "missing-original-document")
    /// An attachment's content is not valid base64.
    package static let invalidBase64 = FindingCode(rawValue: "invalid-base64")
    /// A ZIP attachment that cannot be opened.
    package static let invalidZip = FindingCode(rawValue: "invalid-zip")
    /// A ZIP attachment over the decompression limits (size or ratio): a zip bomb.
    package static let zipBomb = FindingCode(rawValue: "zip-bomb")
    /// The document needs more work than the per-document budget allows (time spent decoding or verifying).
    package static let workBudget = FindingCode(rawValue: "work-budget")
    /// A file that declares more work than one document may cost (objects, cross-reference entries, inflated
    /// bytes, signatures or references per envelope): refused, never judged.
    package static let tooComplex = FindingCode(rawValue: "too-complex")
    /// An attachment over the size limit.
    package static let attachmentTooLarge = FindingCode(rawValue: "attachment-too-large")
    /// The declared content type does not match the content.
    package static let contentTypeMismatch = FindingCode(rawValue: "content-type-mismatch")
}

/// Why a message could not be read at all. `code` is stable (it reaches HTTP bodies and CLI output).
package struct EdXMLError: Error, Sendable, Equatable, CustomStringConvertible {
    package let code: String
    package let message: String
    package let line: Int?

    package init(code: String, message: String, line: Int? = nil) {
        self.code = code
        self.message = message
        self.line = line
    }

    /// Well-formed XML that is not an edXML message.
    package static func notEdXML(_ message: String) -> EdXMLError { EdXMLError(code: "not-edxml", message: message) }

    package var description: String {
        if let line { return "\(code): \(message) (line \(line))" }
        return "\(code): \(message)"
    }

    /// Errors are the same when their codes are (messages are for people).
    package static func == (a: EdXMLError, b: EdXMLError) -> Bool { a.code == b.code }
}

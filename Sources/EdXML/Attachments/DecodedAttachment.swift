package import TrucZlib

/// A file inside a ZIP attachment.
package struct ZipEntryContent: Sendable, Equatable, Codable {
    package var name: String
    package var size: Int
    package var compressedSize: Int
    package var sha256: String
    package var sniffedType: String
    /// The bytes, when decoding was asked to retain them.
    package var bytes: [UInt8]?
    /// Where the entry lies in its container, when it was too large to retain (inflate it again from
    /// `DecodedAttachment.bytes` with `ZipArchive.extract`).
    package var entry: ZipEntry?

    enum CodingKeys: String, CodingKey { case name, size, compressedSize, sha256, sniffedType }
}

/// An attachment after decoding: what it is, how big, its SHA-256, and (if ZIP) its entries.
package struct DecodedAttachment: Sendable, Equatable, Codable {
    /// Index in `DocumentMessage.attachments`.
    package var index: Int
    package var contentId: String?
    package var name: String?
    package var declaredType: String?
    package var sniffedType: String
    /// Decoded size in bytes (of the ZIP container when zipped).
    package var size: Int
    /// SHA-256 (hex) of the decoded bytes (empty when decoding was asked not to digest).
    package var sha256: String
    /// The files inside, when the attachment is a ZIP container (the national library zips each file).
    package var entries: [ZipEntryContent]?
    /// The decoded bytes, when decoding was asked to retain them.
    package var bytes: [UInt8]?

    enum CodingKeys: String, CodingKey { case index, contentId, name, declaredType, sniffedType, size, sha256, entries }
}

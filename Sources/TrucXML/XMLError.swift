/// An error from reading XML. Callers match on `code`; new codes do not break them.
package struct XMLError: Error, Equatable, CustomStringConvertible, Sendable {
    package struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        package let rawValue: String
        package init(rawValue: String) { self.rawValue = rawValue }
        package var description: String { rawValue }

        /// Not well-formed XML (truncated, bad tags, invalid UTF-8, undeclared entity...).
        package static let malformed = Code(rawValue: "malformed-xml")
        /// The input holds no document at all.
        package static let empty = Code(rawValue: "empty-document")
        /// A DOCTYPE declaration (DTDs and entity declarations are never processed).
        package static let forbiddenDTD = Code(rawValue: "forbidden-dtd")
        /// The input is larger than the configured limit.
        package static let tooLarge = Code(rawValue: "too-large")
        /// Elements nested deeper than the configured limit.
        package static let tooDeep = Code(rawValue: "too-deep")
        /// More elements than the configured limit.
        package static let tooManyElements = Code(rawValue: "too-many-elements")
        /// The document declares an encoding other than UTF-8, or is UTF-16/32.
        package static let unsupportedEncoding = Code(rawValue: "unsupported-encoding")
        /// libxml2 could not be driven at all (allocation failure, ...).
        package static let internalError = Code(rawValue: "xml-internal-error")
    }

    package let code: Code
    package let message: String
    /// 1-based line of the input where the problem was found, when known.
    package let line: Int?

    package init(_ code: Code, _ message: String, line: Int? = nil) {
        self.code = code
        self.message = message
        self.line = line
    }

    package var description: String {
        if let line { return "\(code): \(message) (line \(line))" }
        return "\(code): \(message)"
    }

    package static func == (lhs: XMLError, rhs: XMLError) -> Bool { lhs.code == rhs.code }
}

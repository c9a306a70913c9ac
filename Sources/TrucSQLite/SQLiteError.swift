import CSQLite

/// An SQLite failure: the result code (an open set, as SQLite adds extended codes) and its message.
package struct SQLiteError: Error, CustomStringConvertible, Sendable {
    package struct Code: RawRepresentable, Hashable, Sendable {
        package let rawValue: Int32
        package init(rawValue: Int32) { self.rawValue = rawValue }
        package static let busy = Code(rawValue: SQLITE_BUSY)
        package static let constraint = Code(rawValue: SQLITE_CONSTRAINT)
        package static let misuse = Code(rawValue: SQLITE_MISUSE)
        package static let ioErr = Code(rawValue: SQLITE_IOERR)
        /// The primary code of an extended code.
        package var primary: Code { Code(rawValue: rawValue & 0xFF) }
    }

    package let code: Code
    package let message: String

    package var description: String { "SQLite error \(code.rawValue): \(message)" }
}

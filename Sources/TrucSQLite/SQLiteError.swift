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
        package static let locked = Code(rawValue: SQLITE_LOCKED)
        package static let full = Code(rawValue: SQLITE_FULL)
        package static let cantOpen = Code(rawValue: SQLITE_CANTOPEN)
        package static let readOnly = Code(rawValue: SQLITE_READONLY)
        /// The primary code of an extended code.
        package var primary: Code { Code(rawValue: rawValue & 0xFF) }
    }

    package let code: Code
    package let message: String

    /// The database cannot be used for now (I/O error, disk full, busy, read-only): not the request's fault.
    package var isOutage: Bool { [.ioErr, .busy, .locked, .full, .cantOpen, .readOnly].contains(code.primary) }

    package var description: String { "SQLite error \(code.rawValue): \(message)" }
}

import Foundation
/// A client system of the national SDK's dialect: its `systemid`, a name and the agencies it acts for.
package struct ClientSystem: Sendable, Codable, Equatable {
    package var id: String
    package var name: String
    package var agencies: [String]
    package var createdAt: Int64
    /// May change the directory through the SDK dialect (registerAgency, deleteAgency): off unless the
    /// operator allows it (`truc systems add … --allow-directory-changes`).
    package var directoryChanges: Bool = false

    package init(id: String, name: String, agencies: [String], createdAt: Int64, directoryChanges: Bool = false) {
        self.id = id
        self.name = name
        self.agencies = agencies
        self.createdAt = createdAt
        self.directoryChanges = directoryChanges
    }
}

extension ClientSystem {
    /// A systemid: 1–64 letters, digits, `.`, `-` or `_`.
    package static func isValidId(_ id: String) -> Bool {
        !id.isEmpty && id.count <= 64 && id.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "." || $0 == "-" || $0 == "_"
        }
    }
}

/// The latest change of one directory entry (the SDK's getSynchronizeUnit).
package struct DirectoryChange: Sendable, Equatable {
    package var code: String
    package var name: String
    package var parent: String?
    package var deleted: Bool
    package var at: Int64
    /// The change's sequence number: grows with every change of the directory.
    package var version: Int64

    package init(code: String, name: String, parent: String?, deleted: Bool, at: Int64, version: Int64) {
        self.code = code
        self.name = name
        self.parent = parent
        self.deleted = deleted
        self.at = at
        self.version = version
    }
}

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

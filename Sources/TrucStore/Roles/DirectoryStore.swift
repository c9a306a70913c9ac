package import TrucCore

/// The agencies this hub serves: who they are, where their messages go.
package protocol DirectoryStore: Actor {
    func agency(_ code: String) async throws -> Agency?
    func agencies() async throws -> [Agency]
    func upsert(_ agency: Agency) async throws
    @discardableResult func removeAgency(_ code: String) async throws -> Bool
    func agenciesVersion() async throws -> Int64
}

/// How callers prove who they are: the agencies' API tokens (and viewer tokens) and TLS client certificates.
package protocol CredentialStore: Actor {
    func issueToken(for code: String) async throws -> String
    func issueViewerToken(for code: String) async throws -> String
    /// Revokes the agency's API tokens of `role` ("agency" or "viewer"; nil: every role); they stop working at
    /// once. The number revoked; `StoreError.notFound` for an unknown agency.
    func revokeTokens(of code: String, role: String?) async throws -> Int
    func credential(forToken token: String) async throws -> (agency: Agency, role: String)?
    func agency(forCertificateSHA256 fingerprint: String, identifiers: [String]) async throws -> Agency?
}

/// The client systems of the national SDK's dialect (each speaking for some agencies), the replay guard of
/// their signed headers, and the agency directory they read and edit.
package protocol ClientSystemStore: Actor {
    func system(_ id: String) async throws -> (ClientSystem, secret: [UInt8])?
    /// Registers a client system of the SDK dialect (or replaces it); returns its secret (shown once).
    func addSystem(id: String, name: String, agencies: [String], secret: String?, directoryChanges: Bool) async throws -> String
    func systems() async throws -> [ClientSystem]
    @discardableResult func removeSystem(_ id: String) async throws -> Bool
    func vxpHeaderFirstUse(hash: String, system: String, operation: String, at time: Int64) async throws -> String
    func directoryChanges() async throws -> [DirectoryChange]
    func registerAgency(_ agency: Agency, mail: String?, for system: String) async throws
    func deleteAgency(_ code: String, for system: String) async throws -> Bool
    func directory() async throws -> [(agency: Agency, mail: String?, system: String?, createdAt: Int64)]
    func directoryVersion() async throws -> String
}

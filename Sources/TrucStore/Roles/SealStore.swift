package import TrucCore

/// The organisation certificates bound to each agency: a seal counts as the sender's only when its certificate
/// is one of them (or the agency's TLS client certificate identifier). Several per agency, for renewals.
package protocol SealStore: Actor {
    /// The agency's bound seal identifiers, in the order they were bound.
    func seals(of agency: String) async throws -> [String]
    /// Replaces the agency's bound seal identifiers; `StoreError.notFound` for an unknown agency.
    func setSeals(_ identifiers: [String], of agency: String) async throws
}

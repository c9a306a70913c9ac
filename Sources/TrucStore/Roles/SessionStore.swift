package import TrucCore

/// The dashboard's operator sessions, kept in the store so that every node of a hub knows them (a login on one
/// node is valid behind the load balancer on the others, a logout ends it everywhere). Keyed by the SHA-256 of
/// the session id: the database alone gives no usable cookie.
package protocol SessionStore: Actor {
    /// Records a session (and forgets the expired ones).
    func createSession(idHash: String, csrf: String, expires: Int64) async throws
    /// The session's CSRF token while it has not expired and was used within `idleSeconds` (a use moves its
    /// last-seen time, at most once a minute).
    func sessionCSRF(idHash: String, now: Int64, idleSeconds: Int64) async throws -> String?
    func endSession(idHash: String) async throws
    /// Ends every dashboard session (`truc sessions revoke`); returns how many there were.
    func endAllSessions() async throws -> Int
}

extension SessionStore {
    /// The session's CSRF token while it has not expired (no idle limit).
    package func sessionCSRF(idHash: String, now: Int64) async throws -> String? {
        try await sessionCSRF(idHash: idHash, now: now, idleSeconds: .max)
    }
}

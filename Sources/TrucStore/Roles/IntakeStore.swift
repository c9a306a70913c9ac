package import TrucCore

/// Taking a message in: stored with its payload and deliveries, once (idempotent), durable on return.
package protocol IntakeStore: Actor {
    func accept(_ message: IncomingMessage, payload: [UInt8]) async throws -> AcceptOutcome
    func payload(of messageId: String, at location: String) async throws -> [UInt8]
    func message(_ id: String) async throws -> StoredMessage?
    func recipients(of id: String) async throws -> [String]
    func findMessages(_ key: String) async throws -> [FoundMessage]
}

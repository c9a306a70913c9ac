import Foundation
import NIOConcurrencyHelpers
import TrucCore

/// Agencies, API credentials and the directory's version as read from PostgreSQL, kept by a node that
/// listens for changes: every change to `agencies` or `tokens`, from any node or command, is announced at its
/// commit (`NOTIFY truc_directory`, schema version 7), and the node forgets everything it kept. Before, every
/// request read its credential and each recipient's agency from the database: two of a status message's three
/// round trips.
///
/// What keeps it true:
/// - It keeps nothing unless the node is listening (`live`): a command-line tool, or a node whose listening
///   connection is lost (notifications sent meanwhile are lost too), reads every time. Going live or losing
///   the connection forgets everything.
/// - A read that started before a change was announced is not kept (`generation`): the change may have
///   committed after the read's snapshot.
/// - This node's own changes forget everything at once, before their notification comes back.
/// - An entry lives `lifetime` at most: a listening connection that died without a word (a network cut) keeps
///   stale entries that long, no longer.
/// - Unknown tokens are not kept (no memory for a caller trying random tokens); at most `capacity` entries of
///   each kind, then everything is forgotten.
final class PostgresDirectoryCache: Sendable {
    struct Credential: Sendable {
        let agency: Agency
        let role: String
    }

    /// How long an entry is kept at most, in nanoseconds.
    let lifetime: UInt64
    static let capacity = 50_000

    init(lifetime: Duration = .seconds(5)) {
        self.lifetime = UInt64(lifetime.components.seconds) * 1_000_000_000 + UInt64(lifetime.components.attoseconds / 1_000_000_000)
    }

    private struct Entry<Value: Sendable>: Sendable {
        let value: Value
        let until: UInt64
    }

    private struct State: Sendable {
        var live = false
        var generation: UInt64 = 0
        var agencies: [String: Entry<Agency?>] = [:]
        var credentials: [String: Entry<Credential>] = [:]
        var version: Entry<Int64>?

        mutating func forget() {
            generation &+= 1
            agencies.removeAll(keepingCapacity: true)
            credentials.removeAll(keepingCapacity: true)
            version = nil
        }
    }

    private let state = NIOLockedValueBox(State())

    private static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// Listening began (true) or ended (false): either way, nothing kept so far can be trusted.
    func setLive(_ live: Bool) {
        state.withLockedValue { state in
            state.live = live
            state.forget()
        }
    }

    /// A change was announced (or made by this node).
    func forget() { state.withLockedValue { $0.forget() } }

    /// A ticket for a read that may be kept: nil when the node is not listening (read, do not keep).
    func ticket() -> UInt64? {
        state.withLockedValue { $0.live ? $0.generation : nil }
    }

    /// The agency under `code` (`.some(nil)`: known not to exist), or nil when not kept.
    func agency(_ code: String) -> Agency?? {
        state.withLockedValue { state in
            guard state.live, let entry = state.agencies[code], entry.until > Self.now() else { return nil }
            return .some(entry.value)
        }
    }

    func keep(agency: Agency?, for code: String, ticket: UInt64?) {
        keep(ticket) { state, until in
            if state.agencies.count >= Self.capacity { state.agencies.removeAll(keepingCapacity: true) }
            state.agencies[code] = Entry(value: agency, until: until)
        }
    }

    /// The credential of a token by its SHA-256, or nil when not kept.
    func credential(_ tokenHash: String) -> Credential? {
        state.withLockedValue { state in
            guard state.live, let entry = state.credentials[tokenHash], entry.until > Self.now() else { return nil }
            return entry.value
        }
    }

    func keep(credential: Credential, for tokenHash: String, ticket: UInt64?) {
        keep(ticket) { state, until in
            if state.credentials.count >= Self.capacity { state.credentials.removeAll(keepingCapacity: true) }
            state.credentials[tokenHash] = Entry(value: credential, until: until)
        }
    }

    /// The directory's version, or nil when not kept.
    func version() -> Int64? {
        state.withLockedValue { state in
            guard state.live, let entry = state.version, entry.until > Self.now() else { return nil }
            return entry.value
        }
    }

    func keep(version: Int64, ticket: UInt64?) {
        keep(ticket) { state, until in state.version = Entry(value: version, until: until) }
    }

    private func keep(_ ticket: UInt64?, _ body: (inout State, UInt64) -> Void) {
        guard let ticket else { return }
        state.withLockedValue { state in
            guard state.live, state.generation == ticket else { return }
            body(&state, Self.now() + lifetime)
        }
    }
}

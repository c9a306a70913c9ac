import Foundation

/// The evidence log's events for what happens to a message after it is stored, and for what operators change
/// (docs/evidence-log.md "Evidence log", version 1). Each is written by the store in the transaction of the change it records.
extension LogEvent {
    /// A recipient's delivery completed: pushed to its endpoint, forwarded to a peer hub, or taken from its inbox
    /// (`how`: push, forward, pull).
    package static func delivered(message: String, recipient: String, how: String, time: String) -> LogEvent {
        LogEvent(kind: "delivered", time: time, ["message": .string(message), "recipient": .string(recipient), "how": .string(how)])
    }

    /// A recipient acknowledged a message it pulled: `done` (taken) or `fail` (refused by its system).
    package static func acknowledged(message: String, recipient: String, outcome: String, time: String) -> LogEvent {
        LogEvent(kind: "acknowledged", time: time, ["message": .string(message), "recipient": .string(recipient), "outcome": .string(outcome)])
    }

    /// A delivery the hub gave up on after `attempts` attempts (an operator may requeue it).
    package static func dead(message: String, recipient: String, attempts: Int64, time: String) -> LogEvent {
        LogEvent(kind: "dead", time: time, ["message": .string(message), "recipient": .string(recipient), "attempts": .integer(attempts)])
    }

    /// A payload archive the hub wrote and synced before purging the payloads it holds: its sequence, the SHA-256
    /// of its `manifest.json` (which lists every message in it) and how many messages it holds. With the log, an
    /// archive cannot be removed or replaced unseen, not even the latest one.
    package static func archived(sequence: Int64, manifestSHA256: String, name: String, messages: Int64, time: String) -> LogEvent {
        LogEvent(kind: "archived", time: time, ["sequence": .integer(sequence), "manifest": .string(manifestSHA256), "file": .string(name),
                                                "messages": .integer(messages)])
    }

    /// An operator's change: `action` is one of agency-changed, agency-removed, token-issued, tokens-revoked,
    /// system-changed, system-removed, delivery-paused, delivery-resumed, requeued, trust-reloaded; `details` say
    /// what changed (never a secret: a credential is named by its SHA-256).
    package static func operatorAction(_ action: String, time: String, _ details: [String: Value?]) -> LogEvent {
        var members = details
        members["action"] = .string(action)
        return LogEvent(kind: "operator", time: time, members)
    }

    /// The agency record as an `agency-changed` event states it.
    package static func agencyDetails(code: String, name: String, parent: String?, certificateIdentifier: String?, certificateSHA256: String?,
                                      pushURL: String?, relay: Bool) -> [String: Value?] {
        ["agency": .string(code), "name": .string(name), "parent": parent.map { .string($0) },
         "certificateIdentifier": certificateIdentifier.map { .string($0) }, "certificateSHA256": certificateSHA256.map { .string($0) },
         "delivery": .string(pushURL == nil ? "pull" : "push"), "pushURL": pushURL.map { .string(Self.withoutSecrets($0)) },
         "relay": relay ? .string("yes") : nil]
    }

    /// A URL with its user information and query removed (they may carry credentials).
    static func withoutSecrets(_ url: String) -> String {
        guard var parts = URLComponents(string: url) else { return "(unreadable URL)" }
        parts.user = nil
        parts.password = nil
        parts.query = nil
        parts.fragment = nil
        return parts.string ?? "(unreadable URL)"
    }
}

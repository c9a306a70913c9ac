import Foundation
import TrucCore

/// The last outcome of talking to each peer hub (forward or poll), for the dashboard and admin API.
actor PeerStatusBoard {
    struct Entry: Sendable, Codable {
        let code: String
        let url: String
        let dialect: String
        var lastSuccess: Int64?
        var lastFailure: Int64?
        var lastError: String?
        /// Reachable when the last contact succeeded; unknown before any contact.
        var reachable: Bool?
    }

    private var entries: [String: Entry]
    private let targets: [String: String]

    init(peers: [PeerHub]) {
        entries = Dictionary(peers.map { ($0.code, Entry(code: $0.code, url: $0.url, dialect: $0.dialect.rawValue)) }, uniquingKeysWith: { a, _ in a })
        targets = Dictionary(peers.map { ($0.deliveryTarget, $0.code) }, uniquingKeysWith: { a, _ in a })
    }

    /// Records an attempt to a delivery target, if that target is a peer hub.
    func record(target: String, ok: Bool, error: String? = nil) {
        guard let code = targets[target] else { return }
        record(peer: code, ok: ok, error: error)
    }

    func record(peer code: String, ok: Bool, error: String? = nil) {
        guard var entry = entries[code] else { return }
        let now = Int64(Date().timeIntervalSince1970)
        if ok {
            entry.lastSuccess = now
        } else {
            entry.lastFailure = now
            entry.lastError = error.map { String($0.prefix(300)) }
        }
        entry.reachable = ok
        entries[code] = entry
    }

    func snapshot() -> [Entry] { entries.values.sorted { $0.code < $1.code } }
}

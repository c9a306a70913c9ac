import Foundation
package import TrucCore
import TrucCrypto
import TrucLog
import TrucSQLite
package import TrucStore
import TrucVocabulary

// The DirectoryStore role: agencies and their credentials (client systems: SQLiteStore+Systems.swift).
extension SQLiteStore {

    package func upsert(_ agency: Agency) throws {
        try db.transaction {
            let before = try writerAgency(agency.code)
            try logDirectoryChange(code: agency.code, name: agency.name, parent: agency.parent, deleted: false)
            try db.run("""
                INSERT INTO agencies(code, name, parent, cert_identifier, cert_sha256, push_url, relay, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(code) DO UPDATE SET name=excluded.name, parent=excluded.parent, cert_identifier=excluded.cert_identifier,
                  cert_sha256=excluded.cert_sha256, push_url=excluded.push_url, relay=excluded.relay
                """, [.text(agency.code), .text(agency.name), opt(agency.parent), opt(agency.certificateIdentifier),
                      opt(agency.certificateSHA256), opt(agency.pushURL), .integer(agency.relay ? 1 : 0), .integer(now())])
            if let before, before.pushURL != agency.pushURL { try retarget(agency.code, to: agency.pushURL) }
            if before != agency { try logAgencyChange(agency, by: nil) }
        }
    }

    /// The agency's waiting deliveries follow a change of how it takes delivery: switched to push, those
    /// awaiting its pull are queued for its endpoint; switched to pull, those queued for its old endpoint
    /// wait in its inbox; a new endpoint takes over the queue. Dead ones stay dead (the operator requeues them).
    func retarget(_ code: String, to pushURL: String?) throws {
        let now = now()
        if let pushURL {
            try db.run("""
                UPDATE deliveries SET state = 'queued', target = ?, next_attempt_at = ?, updated_at = ?
                WHERE recipient = ? AND state IN ('awaiting-pull', 'queued', 'waiting-retry')
                """, [.text(pushURL), .integer(now), .integer(now), .text(code)])
            try db.run("UPDATE deliveries SET target = ? WHERE recipient = ? AND state = 'dead' AND target IS NOT NULL",
                       [.text(pushURL), .text(code)])
        } else {
            try db.run("""
                UPDATE deliveries SET state = 'awaiting-pull', target = NULL, next_attempt_at = NULL, updated_at = ?
                WHERE recipient = ? AND state IN ('queued', 'sending', 'waiting-retry')
                """, [.integer(now), .text(code)])
        }
    }

    /// The agency with this code, as committed (read-only connection, off the store's thread).
    package nonisolated func agency(_ code: String) throws -> Agency? {
        try readers.read { try Self.agency(code, in: $0) }
    }

    /// The agency with this code, seen by the writer's connection (inside the store's own transactions).
    func writerAgency(_ code: String) throws -> Agency? { try Self.agency(code, in: db) }

    static func agency(_ code: String, in db: Database) throws -> Agency? {
        try db.query("SELECT code, name, parent, cert_identifier, cert_sha256, push_url, relay FROM agencies WHERE code = ?", [.text(code)], agencyRow).first
    }

    package func agencies() throws -> [Agency] {
        try db.query("SELECT code, name, parent, cert_identifier, cert_sha256, push_url, relay FROM agencies ORDER BY code", [], Self.agencyRow)
    }

    @discardableResult
    package func removeAgency(_ code: String) throws -> Bool {
        try db.transaction { try remove(code, by: nil) }
    }

    /// Removes an agency and its tokens, in the caller's transaction (`by`: the client system that asked).
    func remove(_ code: String, by system: String?) throws -> Bool {
        guard let existing = try writerAgency(code) else { return false }
        try db.run("DELETE FROM tokens WHERE agency = ?", [.text(code)])
        try logDirectoryChange(code: code, name: existing.name, parent: existing.parent, deleted: true)
        guard try db.run("DELETE FROM agencies WHERE code = ?", [.text(code)]) > 0 else { return false }
        try logOperator("agency-removed", ["agency": .string(code), "system": system.map { .string($0) }])
        return true
    }

    /// The evidence log's `agency-changed` event (`by`: the client system that registered it, nil for an operator).
    func logAgencyChange(_ agency: Agency, by system: String?) throws {
        var details = LogEvent.agencyDetails(code: agency.code, name: agency.name, parent: agency.parent,
                                             certificateIdentifier: agency.certificateIdentifier, certificateSHA256: agency.certificateSHA256,
                                             pushURL: agency.pushURL, relay: agency.relay)
        details["system"] = system.map { .string($0) }
        try logOperator("agency-changed", details)
    }

    func logDirectoryChange(code: String, name: String, parent: String?, deleted: Bool) throws {
        try db.run("INSERT INTO directory_log(code, name, parent, deleted, at) VALUES (?, ?, ?, ?, ?)",
                   [.text(code), .text(name), opt(parent), .integer(deleted ? 1 : 0), .integer(now())])
    }

    /// The directory as the SDK synchronises it: each code's latest change (its version is the change's
    /// sequence number), deletions included.
    package func directoryChanges() throws -> [DirectoryChange] {
        try db.query("""
            SELECT l.code, l.name, l.parent, l.deleted, l.at, l.seq FROM directory_log l
            JOIN (SELECT code, MAX(seq) AS seq FROM directory_log GROUP BY code) latest ON latest.seq = l.seq ORDER BY l.code
            """) { row in
            DirectoryChange(code: row.text(0) ?? "", name: row.text(1) ?? "", parent: row.text(2), deleted: row.int(3) != 0, at: row.int(4),
                            version: row.int(5))
        }
    }

    /// Issues a new API token for the agency; only its SHA-256 is stored. Returns the token (shown once).
    package func issueToken(for code: String) throws -> String {
        guard try writerAgency(code) != nil else { throw StoreError.notFound("no agency \(code)") }
        var random = [UInt8](repeating: 0, count: 32)
        for i in random.indices { random[i] = UInt8.random(in: 0...255) }
        let token = "truc_" + random.hexString
        try db.transaction {
            try db.run("INSERT INTO tokens(token_hash, agency, created_at) VALUES (?, ?, ?)",
                       [.text(Self.tokenHash(token)), .text(code), .integer(now())])
            try logOperator("token-issued", ["agency": .string(code), "role": .string("agency"), "credential": .string(Self.tokenHash(token))])
        }
        return token
    }

    package func revokeTokens(of code: String, role: String?) throws -> Int {
        guard try writerAgency(code) != nil else { throw StoreError.notFound("no agency \(code)") }
        return try db.transaction {
            let count = try role.map { try db.run("DELETE FROM tokens WHERE agency = ? AND role = ?", [.text(code), .text($0)]) }
                ?? db.run("DELETE FROM tokens WHERE agency = ?", [.text(code)])
            if count > 0 { try logOperator("tokens-revoked", ["agency": .string(code), "role": role.map { .string($0) }, "count": .integer(Int64(count))]) }
            return count
        }
    }

    /// The agency a token belongs to.
    package nonisolated func agency(forToken token: String) throws -> Agency? {
        try credential(forToken: token)?.agency
    }

    /// The agency a client certificate authenticates: pinned by fingerprint, else by its identifier.
    package nonisolated func agency(forCertificateSHA256 fingerprint: String, identifiers: [String]) throws -> Agency? {
        try readers.read { db in try Self.agency(forCertificateSHA256: fingerprint, identifiers: identifiers, in: db) }
    }

    static func agency(forCertificateSHA256 fingerprint: String, identifiers: [String], in db: Database) throws -> Agency? {
        if let pinned = try db.query("SELECT code, name, parent, cert_identifier, cert_sha256, push_url, relay FROM agencies WHERE cert_sha256 = ?",
                                     [.text(fingerprint)], Self.agencyRow).first { return pinned }
        for identifier in identifiers {
            let matches = try db.query("SELECT code, name, parent, cert_identifier, cert_sha256, push_url, relay FROM agencies WHERE cert_identifier = ? AND cert_sha256 IS NULL",
                                       [.text(identifier)], Self.agencyRow)
            if matches.count == 1 { return matches[0] }
        }
        return nil
    }

    static func tokenHash(_ token: String) -> String { Digest.sha256(Array(token.utf8)).hexString }
}

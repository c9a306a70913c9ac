import Foundation
package import Logging
import PostgresNIO
package import TrucCore
import TrucCrypto
import TrucLog
package import TrucStore
package import TrucConcurrency

extension PostgresStore: DirectoryStore, CredentialStore, ClientSystemStore {
    package func agency(_ code: String) async throws -> Agency? {
        if let kept = directoryCache.agency(code) { return kept }
        let ticket = directoryCache.ticket()
        let agency = try await client.execute(AgencyStatement(code: code), logger: logger).first.map(Self.agency)
        directoryCache.keep(agency: agency, for: code, ticket: ticket)
        return agency
    }

    package func agencies() async throws -> [Agency] {
        try await agencies("SELECT code, name, parent, cert_identifier, cert_sha256, push_url, relay FROM agencies ORDER BY code")
    }

    package func upsert(_ agency: Agency) async throws {
        defer { directoryCache.forget() } // this node's change, before its notification comes back
        let now = now()
        let retargeted = try await transaction { connection -> Bool in
            var stored: Agency?
            for try await c in try await connection.query("SELECT \(unescaped: Self.agencyColumns) FROM agencies WHERE code = \(agency.code) FOR UPDATE",
                                                           logger: self.logger).decode(AgencyColumns.self) { stored = Self.agency(c) }
            let before: String?? = stored.map { $0.pushURL }
            if stored != agency { try await Self.logAgencyChange(agency, by: nil, on: connection, logger: self.logger) }
            try await Self.logDirectoryChange(code: agency.code, name: agency.name, parent: agency.parent, deleted: false, at: self.now(), on: connection, logger: self.logger)
            try await connection.query("""
                INSERT INTO agencies(code, name, parent, cert_identifier, cert_sha256, push_url, relay, created_at)
                VALUES (\(agency.code), \(agency.name), \(agency.parent), \(agency.certificateIdentifier), \(agency.certificateSHA256),
                        \(agency.pushURL), \(agency.relay), \(now))
                ON CONFLICT(code) DO UPDATE SET name = excluded.name, parent = excluded.parent, cert_identifier = excluded.cert_identifier,
                  cert_sha256 = excluded.cert_sha256, push_url = excluded.push_url, relay = excluded.relay
                """, logger: self.logger)
            // The agency's waiting deliveries follow a change of how it takes delivery (see SQLiteStore.retarget).
            guard let previous = before, previous != agency.pushURL else { return false }
            if let url = agency.pushURL {
                try await connection.query("""
                    UPDATE deliveries SET state = 'queued', target = \(url), next_attempt_at = \(now), updated_at = \(now)
                    WHERE recipient = \(agency.code) AND state IN ('awaiting-pull', 'queued', 'waiting-retry')
                    """, logger: self.logger)
                try await connection.query("""
                    UPDATE deliveries SET target = \(url) WHERE recipient = \(agency.code) AND state = 'dead' AND target IS NOT NULL
                    """, logger: self.logger)
            } else {
                try await connection.query("""
                    UPDATE deliveries SET state = 'awaiting-pull', target = NULL, next_attempt_at = NULL, updated_at = \(now), claimed_by = NULL, lease_until = NULL
                    WHERE recipient = \(agency.code) AND state IN ('queued', 'sending', 'waiting-retry')
                    """, logger: self.logger)
            }
            return agency.pushURL != nil
        }
        if retargeted { try await notifyDeliveries() }
    }

    @discardableResult
    package func removeAgency(_ code: String) async throws -> Bool {
        defer { directoryCache.forget() } // this node's change, before its notification comes back
        return try await transaction { connection in
            try await Self.remove(code, by: nil, at: self.now(), on: connection, logger: self.logger)
        }
    }

    /// The evidence log's `agency-changed` event (`by`: the client system that registered it, nil for an operator).
    static func logAgencyChange(_ agency: Agency, by system: String?, on connection: PostgresConnection, logger: Logger) async throws {
        var details = LogEvent.agencyDetails(code: agency.code, name: agency.name, parent: agency.parent,
                                             certificateIdentifier: agency.certificateIdentifier, certificateSHA256: agency.certificateSHA256,
                                             pushURL: agency.pushURL, relay: agency.relay)
        details["system"] = system.map { .string($0) }
        try await logOperator("agency-changed", details, on: connection, logger: logger)
    }

    /// Removes an agency and its tokens in a transaction (`by`: the client system that asked).
    static func remove(_ code: String, by system: String?, at time: Int64, on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        var existing: (String, String?)?
        for try await row in try await connection.query("SELECT name, parent FROM agencies WHERE code = \(code) FOR UPDATE", logger: logger)
            .decode((String, String?).self) { existing = row }
        guard let existing else { return false }
        try await connection.query("DELETE FROM tokens WHERE agency = \(code)", logger: logger)
        try await logDirectoryChange(code: code, name: existing.0, parent: existing.1, deleted: true, at: time, on: connection, logger: logger)
        try await connection.query("DELETE FROM agencies WHERE code = \(code)", logger: logger)
        try await logOperator("agency-removed", ["agency": .string(code), "system": system.map { .string($0) }], on: connection, logger: logger)
        return true
    }

    static func logDirectoryChange(code: String, name: String, parent: String?, deleted: Bool, at time: Int64, on connection: PostgresConnection,
                                   logger: Logger) async throws {
        try await connection.query("""
            INSERT INTO directory_log(code, name, parent, deleted, at) VALUES (\(code), \(name), \(parent), \(deleted), \(time))
            """, logger: logger)
    }

    package func issueToken(for code: String) async throws -> String {
        try await issue(prefix: "truc_", role: "agency", for: code)
    }

    package func issueViewerToken(for code: String) async throws -> String {
        try await issue(prefix: "trucv_", role: "viewer", for: code)
    }

    private func issue(prefix: String, role: String, for code: String) async throws -> String {
        defer { directoryCache.forget() } // this node's change, before its notification comes back
        guard try await agency(code) != nil else { throw StoreError.notFound("no agency \(code)") }
        let token = prefix + (try secureRandomBytes(32)).hexString
        let hash = Self.tokenHash(token), now = now()
        do {
            try await transaction { connection in
                try await connection.query("INSERT INTO tokens(token_hash, agency, role, created_at) VALUES (\(hash), \(code), \(role), \(now))", logger: self.logger)
                try await Self.logOperator("token-issued", ["agency": .string(code), "role": .string(role), "credential": .string(hash)],
                                           on: connection, logger: self.logger)
            }
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23503" {
            throw StoreError.notFound("no agency \(code)") // removed meanwhile (foreign key)
        }
        return token
    }

    package func revokeTokens(of code: String, role: String?) async throws -> Int {
        defer { directoryCache.forget() } // this node's change, before its notification comes back
        return try await transaction { connection in
            var exists = false
            for try await _ in try await connection.query("SELECT 1 FROM agencies WHERE code = \(code)", logger: self.logger).decode(Int.self) { exists = true }
            guard exists else { throw StoreError.notFound("no agency \(code)") }
            var revoked = 0
            for try await _ in try await connection.query("""
                DELETE FROM tokens WHERE agency = \(code) AND (\(role)::text IS NULL OR role = \(role)) RETURNING 1
                """, logger: self.logger).decode(Int.self) { revoked += 1 }
            if revoked > 0 {
                try await Self.logOperator("tokens-revoked", ["agency": .string(code), "role": role.map { .string($0) }, "count": .integer(Int64(revoked))],
                                           on: connection, logger: self.logger)
            }
            return revoked
        }
    }

    package func credential(forToken token: String) async throws -> (agency: Agency, role: String)? {
        let hash = Self.tokenHash(token)
        if let kept = directoryCache.credential(hash) { return (kept.agency, kept.role) }
        let ticket = directoryCache.ticket()
        guard let c = try await client.execute(CredentialStatement(tokenHash: hash), logger: logger).first else { return nil }
        let credential = PostgresDirectoryCache.Credential(agency: Self.agency((c.0, c.1, c.2, c.3, c.4, c.5, c.6)), role: c.7)
        directoryCache.keep(credential: credential, for: hash, ticket: ticket)
        return (credential.agency, credential.role)
    }

    package func agency(forCertificateSHA256 fingerprint: String, identifiers: [String]) async throws -> Agency? {
        if let pinned = try await agencies("SELECT code, name, parent, cert_identifier, cert_sha256, push_url, relay FROM agencies WHERE cert_sha256 = \(fingerprint)").first {
            return pinned
        }
        for identifier in identifiers {
            let matches = try await agencies("""
                SELECT code, name, parent, cert_identifier, cert_sha256, push_url, relay FROM agencies
                WHERE cert_identifier = \(identifier) AND cert_sha256 IS NULL
                """)
            if matches.count == 1 { return matches[0] }
        }
        return nil
    }

    package func system(_ id: String) async throws -> (ClientSystem, secret: [UInt8])? {
        var found: (String, [UInt8], Int64, Bool)?
        for try await row in try await client.query("SELECT name, secret, created_at, directory_changes FROM systems WHERE id = \(id)", logger: logger)
            .decode((String, ByteBuffer, Int64, Bool).self) {
            found = (row.0, Array(row.1.readableBytesView), row.2, row.3)
        }
        guard let found else { return nil }
        let secret = try secretBox().open(found.1)
        return (ClientSystem(id: id, name: found.0, agencies: try await systemAgencies(id), createdAt: found.2, directoryChanges: found.3), secret)
    }

    /// Registers a client system (or replaces it): the same contract as `SQLiteStore.addSystem`.
    package func addSystem(id: String, name: String, agencies: [String], secret: String? = nil, directoryChanges: Bool = false) async throws -> String {
        guard ClientSystem.isValidId(id) else { throw StoreError.invalid("a systemid is 1–64 letters, digits, '.', '-' or '_'") }
        for code in agencies where try await agency(code) == nil { throw StoreError.notFound("no agency \(code)") }
        let plain = try secret ?? ("vxp_" + secureRandomBytes(24).hexString)
        guard !plain.isEmpty else { throw StoreError.invalid("the secret is empty") }
        let sealed = ByteBuffer(bytes: try secretBox().seal(Array(plain.utf8)))
        let now = now()
        try await transaction { connection in
            for code in agencies {
                for try await owner in try await connection.query("SELECT system_id FROM system_agencies WHERE agency = \(code) FOR UPDATE", logger: self.logger)
                    .decode(String.self) where owner != id {
                    throw StoreError.conflict("agency \(code) already belongs to system \(owner)")
                }
            }
            try await connection.query("""
                INSERT INTO systems(id, name, secret, created_at, directory_changes) VALUES (\(id), \(name), \(sealed), \(now), \(directoryChanges))
                ON CONFLICT(id) DO UPDATE SET name = excluded.name, secret = excluded.secret, directory_changes = excluded.directory_changes
                """, logger: self.logger)
            try await connection.query("DELETE FROM system_agencies WHERE system_id = \(id)", logger: self.logger)
            for code in agencies {
                try await connection.query("INSERT INTO system_agencies(agency, system_id, created_at) VALUES (\(code), \(id), \(now))", logger: self.logger)
            }
            try await Self.logOperator("system-changed", ["system": .string(id), "name": .string(name), "agencies": .strings(agencies),
                                                          "credential": .string(Digest.sha256(Array(plain.utf8)).hexString),
                                                          "directoryChanges": directoryChanges ? .string("yes") : nil], on: connection, logger: self.logger)
        }
        return plain
    }

    package func systems() async throws -> [ClientSystem] {
        var rows: [(String, String, Int64, Bool)] = []
        for try await r in try await client.query("SELECT id, name, created_at, directory_changes FROM systems ORDER BY id", logger: logger)
            .decode((String, String, Int64, Bool).self) { rows.append(r) }
        var result: [ClientSystem] = []
        for r in rows {
            result.append(ClientSystem(id: r.0, name: r.1, agencies: try await systemAgencies(r.0), createdAt: r.2, directoryChanges: r.3))
        }
        return result
    }

    @discardableResult
    package func removeSystem(_ id: String) async throws -> Bool {
        try await transaction { connection in
            try await connection.query("DELETE FROM system_agencies WHERE system_id = \(id)", logger: self.logger)
            var removed = false
            for try await _ in try await connection.query("DELETE FROM systems WHERE id = \(id) RETURNING id", logger: self.logger).decode(String.self) {
                removed = true
            }
            if removed { try await Self.logOperator("system-removed", ["system": .string(id)], on: connection, logger: self.logger) }
            return removed
        }
    }

    package func vxpHeaderFirstUse(hash: String, system: String, operation: String, at time: Int64) async throws -> String {
        let key = hash.lowercased()
        // The insert wins, or waits for the transaction that wins and does nothing; a second statement (a new
        // snapshot) then reads the winner — one statement would not see a row committed while it waited.
        for try await mine in try await client.query("""
            INSERT INTO vxp_headers(hash, system_id, operation, first_at) VALUES (\(key), \(system), \(operation), \(time))
            ON CONFLICT DO NOTHING RETURNING operation
            """, logger: logger).decode(String.self) {
            return mine
        }
        for try await first in try await client.query("SELECT operation FROM vxp_headers WHERE hash = \(key)", logger: logger).decode(String.self) {
            return first
        }
        return operation
    }

    package func directoryChanges() async throws -> [DirectoryChange] {
        let rows = try await client.query("""
            SELECT DISTINCT ON (code) code, name, parent, deleted, at, seq FROM directory_log ORDER BY code, seq DESC
            """, logger: logger)
        var changes: [DirectoryChange] = []
        for try await c in rows.decode((String, String, String?, Bool, Int64, Int64).self) {
            changes.append(DirectoryChange(code: c.0, name: c.1, parent: c.2, deleted: c.3, at: c.4, version: c.5))
        }
        return changes
    }

    package func registerAgency(_ agency: Agency, mail: String?, for system: String) async throws {
        defer { directoryCache.forget() } // this node's change, before its notification comes back
        let now = now()
        try await transaction { connection in
            var owner: String?
            for try await o in try await connection.query("SELECT system_id FROM system_agencies WHERE agency = \(agency.code) FOR UPDATE", logger: self.logger)
                .decode(String.self) { owner = o }
            if let owner {
                guard owner == system else { throw StoreError.conflict("agency \(agency.code) belongs to another system") }
            } else {
                var exists = false
                for try await _ in try await connection.query("SELECT 1 FROM agencies WHERE code = \(agency.code)", logger: self.logger).decode(Int.self) { exists = true }
                if exists { throw StoreError.conflict("agency \(agency.code) is registered at this hub and not bound to system \(system)") }
            }
            try await Self.logDirectoryChange(code: agency.code, name: agency.name, parent: agency.parent, deleted: false, at: self.now(), on: connection, logger: self.logger)
            try await connection.query("""
                INSERT INTO agencies(code, name, parent, mail, relay, created_at) VALUES (\(agency.code), \(agency.name), \(agency.parent), \(mail), false, \(now))
                ON CONFLICT(code) DO UPDATE SET name = excluded.name, parent = excluded.parent, mail = excluded.mail
                """, logger: self.logger)
            try await connection.query("""
                INSERT INTO system_agencies(agency, system_id, created_at) VALUES (\(agency.code), \(system), \(now)) ON CONFLICT DO NOTHING
                """, logger: self.logger)
            try await Self.logAgencyChange(agency, by: system, on: connection, logger: self.logger)
        }
    }

    package func deleteAgency(_ code: String, for system: String) async throws -> Bool {
        defer { directoryCache.forget() } // this node's change, before its notification comes back
        return try await transaction { connection in
            var owner: String?
            for try await o in try await connection.query("SELECT system_id FROM system_agencies WHERE agency = \(code) FOR UPDATE", logger: self.logger)
                .decode(String.self) { owner = o }
            guard let owner else {
                var exists = false
                for try await _ in try await connection.query("SELECT 1 FROM agencies WHERE code = \(code)", logger: self.logger).decode(Int.self) { exists = true }
                if exists { throw StoreError.conflict("agency \(code) is not bound to system \(system)") }
                return false
            }
            guard owner == system else { throw StoreError.conflict("agency \(code) belongs to another system") }
            try await connection.query("DELETE FROM system_agencies WHERE agency = \(code)", logger: self.logger)
            return try await Self.remove(code, by: system, at: self.now(), on: connection, logger: self.logger)
        }
    }

    package func directory() async throws -> [(agency: Agency, mail: String?, system: String?, createdAt: Int64)] {
        let rows = try await client.query("""
            SELECT a.code, a.name, a.parent, a.cert_identifier, a.cert_sha256, a.push_url, a.relay, a.mail, s.system_id, a.created_at
            FROM agencies a LEFT JOIN system_agencies s ON s.agency = a.code ORDER BY a.code
            """, logger: logger)
        var result: [(agency: Agency, mail: String?, system: String?, createdAt: Int64)] = []
        for try await c in rows.decode((String, String, String?, String?, String?, String?, Bool, String?, String?, Int64).self) {
            result.append((Self.agency((c.0, c.1, c.2, c.3, c.4, c.5, c.6)), c.7, c.8, c.9))
        }
        return result
    }

    package func directoryVersion() async throws -> String {
        let rows = try await client.query("""
            SELECT (SELECT value FROM meta WHERE key = 'directory_version'), (SELECT COUNT(*) FROM stat_agencies)
            """, logger: logger)
        for try await (version, counted) in rows.decode((Int64, Int64).self) { return "\(version)/\(counted)" }
        return "0/0"
    }

    package func agenciesVersion() async throws -> Int64 {
        if let kept = directoryCache.version() { return kept }
        let ticket = directoryCache.ticket()
        var version: Int64 = 0
        for try await value in try await client.query("SELECT value FROM meta WHERE key = 'directory_version'", logger: logger).decode(Int64.self) {
            version = value
        }
        directoryCache.keep(version: version, ticket: ticket)
        return version
    }

    private func systemAgencies(_ id: String) async throws -> [String] {
        var codes: [String] = []
        for try await code in try await client.query("SELECT agency FROM system_agencies WHERE system_id = \(id) ORDER BY agency", logger: logger)
            .decode(String.self) { codes.append(code) }
        return codes
    }

    /// The key that seals secrets (`secrets.key`, created with mode 0600 when missing; every node shares it).
    func secretBox() throws -> SecretBox {
        if let sealingKey { return sealingKey }
        let box = try SecretBox.loadOrCreate(keyFile: secretsKeyPath)
        sealingKey = box
        return box
    }
}


/// A statement run under a deadline (see `PostgresStore.deadlines`), its rows read within it: a query lost by
/// the driver on a connection the server just closed answers `PostgresStoreError.timeout` instead of never.

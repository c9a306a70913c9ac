package import TrucStore
import Foundation
package import TrucCore
package import TrucCrypto
import TrucLog
import TrucSQLite
#if canImport(Glibc)
import Glibc
#endif

extension SQLiteStore {
    /// Registers a client system (or replaces its name, secret and agencies). The secret is sealed with the
    /// data directory's `secrets.key` (created on first use, mode 0600): the HMAC needs the secret itself,
    /// so it cannot be hashed, but a copy of the database alone does not reveal it. With no secret given,
    /// one is generated. Returns the secret (shown once).
    package func addSystem(id: String, name: String, agencies: [String], secret: String? = nil, directoryChanges: Bool = false) throws -> String {
        guard ClientSystem.isValidId(id) else { throw StoreError.invalid("a systemid is 1–64 letters, digits, '.', '-' or '_'") }
        for code in agencies where try writerAgency(code) == nil { throw StoreError.notFound("no agency \(code)") }
        let plain = try secret ?? ("vxp_" + secureRandomBytes(24).hexString)
        guard !plain.isEmpty else { throw StoreError.invalid("the secret is empty") }
        let sealed = try secretBox().seal(Array(plain.utf8))
        try db.transaction {
            for code in agencies {
                if let owner = try systemOwning(code), owner != id {
                    throw StoreError.conflict("agency \(code) already belongs to system \(owner)")
                }
            }
            try db.run("""
                INSERT INTO systems(id, name, secret, created_at, directory_changes) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET name = excluded.name, secret = excluded.secret, directory_changes = excluded.directory_changes
                """, [.text(id), .text(name), .blob(sealed), .integer(now()), .integer(directoryChanges ? 1 : 0)])
            try db.run("DELETE FROM system_agencies WHERE system_id = ?", [.text(id)])
            for code in agencies {
                try db.run("INSERT INTO system_agencies(agency, system_id, created_at) VALUES (?, ?, ?)",
                           [.text(code), .text(id), .integer(now())])
            }
            try logOperator("system-changed", ["system": .string(id), "name": .string(name), "agencies": .strings(agencies),
                                               "credential": .string(Digest.sha256(Array(plain.utf8)).hexString),
                                               "directoryChanges": directoryChanges ? .string("yes") : nil])
        }
        return plain
    }

    package func systems() throws -> [ClientSystem] {
        let rows = try db.query("SELECT id, name, created_at, directory_changes FROM systems ORDER BY id") {
            ($0.text(0) ?? "", $0.text(1) ?? "", $0.int(2), $0.int(3) != 0)
        }
        return try rows.map { ClientSystem(id: $0.0, name: $0.1, agencies: try systemAgencies($0.0), createdAt: $0.2, directoryChanges: $0.3) }
    }

    /// The system and its secret, for checking a request's HMAC.
    package func system(_ id: String) throws -> (ClientSystem, secret: [UInt8])? {
        guard let row = try db.query("SELECT name, secret, created_at, directory_changes FROM systems WHERE id = ?", [.text(id)], {
            ($0.text(0) ?? "", $0.blob(1) ?? [], $0.int(2), $0.int(3) != 0)
        }).first else { return nil }
        let secret = try secretBox().open(row.1)
        return (ClientSystem(id: id, name: row.0, agencies: try systemAgencies(id), createdAt: row.2, directoryChanges: row.3), secret)
    }

    /// Remembers the SDK-dialect `hash-header` a system used, with the operation it first authorised.
    /// Returns that first operation (which is `operation` itself the first time). The SDK signs no
    /// operation name, so the same headers verify on every path: the caller refuses a header reused for a
    /// different state-changing operation.
    package func vxpHeaderFirstUse(hash: String, system: String, operation: String, at time: Int64) throws -> String {
        try db.transaction {
            try db.run("INSERT INTO vxp_headers(hash, system_id, operation, first_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                       [.text(hash.lowercased()), .text(system), .text(operation), .integer(time)])
            return try db.query("SELECT operation FROM vxp_headers WHERE hash = ?", [.text(hash.lowercased())]) { $0.text(0) ?? "" }.first ?? operation
        }
    }

    @discardableResult
    package func removeSystem(_ id: String) throws -> Bool {
        try db.transaction {
            try db.run("DELETE FROM system_agencies WHERE system_id = ?", [.text(id)])
            guard try db.run("DELETE FROM systems WHERE id = ?", [.text(id)]) > 0 else { return false }
            try logOperator("system-removed", ["system": .string(id)])
            return true
        }
    }

    package func systemOwning(_ agency: String) throws -> String? {
        try db.query("SELECT system_id FROM system_agencies WHERE agency = ?", [.text(agency)]) { $0.text(0) ?? "" }.first
    }

    /// `registerAgency`: creates or updates an agency the system acts for. Refused when the code belongs to
    /// another system, or is already registered here by the operator and not bound to this system.
    package func registerAgency(_ agency: Agency, mail: String?, for system: String) throws {
        try db.transaction {
            if let owner = try systemOwning(agency.code) {
                guard owner == system else { throw StoreError.conflict("agency \(agency.code) belongs to another system") }
            } else if try writerAgency(agency.code) != nil {
                throw StoreError.conflict("agency \(agency.code) is registered at this hub and not bound to system \(system)")
            }
            try logDirectoryChange(code: agency.code, name: agency.name, parent: agency.parent, deleted: false)
            try db.run("""
                INSERT INTO agencies(code, name, parent, mail, relay, created_at) VALUES (?, ?, ?, ?, 0, ?)
                ON CONFLICT(code) DO UPDATE SET name = excluded.name, parent = excluded.parent, mail = excluded.mail
                """, [.text(agency.code), .text(agency.name), agency.parent.map { .text($0) } ?? .null, mail.map { .text($0) } ?? .null,
                      .integer(now())])
            try db.run("INSERT OR IGNORE INTO system_agencies(agency, system_id, created_at) VALUES (?, ?, ?)",
                       [.text(agency.code), .text(system), .integer(now())])
            try logAgencyChange(agency, by: system)
        }
    }

    /// `deleteAgency`: removes an agency the system acts for. Returns false when no such agency exists
    /// (deleting again succeeds); throws when the agency is not the system's.
    package func deleteAgency(_ code: String, for system: String) throws -> Bool {
        try db.transaction {
            guard let owner = try systemOwning(code) else {
                if try writerAgency(code) != nil { throw StoreError.conflict("agency \(code) is not bound to system \(system)") }
                return false
            }
            guard owner == system else { throw StoreError.conflict("agency \(code) belongs to another system") }
            try db.run("DELETE FROM system_agencies WHERE agency = ?", [.text(code)])
            return try remove(code, by: system)
        }
    }

    /// The directory as the SDK's agency calls list it: code, name, parent, mail, the system that acts for
    /// it, and when it was registered.
    package func directory() throws -> [(agency: Agency, mail: String?, system: String?, createdAt: Int64)] {
        try db.query("""
            SELECT a.code, a.name, a.parent, a.cert_identifier, a.cert_sha256, a.push_url, a.relay, a.mail, s.system_id, a.created_at
            FROM agencies a LEFT JOIN system_agencies s ON s.agency = a.code ORDER BY a.code
            """) { row in (Self.agencyRow(row), row.text(7), row.text(8), row.int(9)) }
    }

    private func systemAgencies(_ id: String) throws -> [String] {
        try db.query("SELECT agency FROM system_agencies WHERE system_id = ? ORDER BY agency", [.text(id)]) { $0.text(0) ?? "" }
    }

    /// The key that seals secrets: `secrets.key` in the data directory, 32 random bytes, created once.
    func secretBox() throws -> SecretBox {
        if let sealingKey { return sealingKey }
        let box = try SecretBox.loadOrCreate(keyFile: dataDirectory + "/secrets.key")
        sealingKey = box
        return box
    }
}

import TrucSQLite
package import TrucStore

// The SealStore role on SQLite.
extension SQLiteStore {
    package nonisolated func seals(of agency: String) throws -> [String] {
        try readers.read { db in
            try db.query("SELECT identifier FROM agency_seals WHERE agency = ? ORDER BY position", [.text(agency)]) { $0.text(0) ?? "" }
        }
    }

    package func setSeals(_ identifiers: [String], of agency: String) throws {
        try db.transaction {
            guard try writerAgency(agency) != nil else { throw StoreError.notFound("no agency \(agency)") }
            try db.run("DELETE FROM agency_seals WHERE agency = ?", [.text(agency)])
            for (position, identifier) in identifiers.enumerated() {
                try db.run("INSERT OR IGNORE INTO agency_seals(agency, identifier, position) VALUES (?, ?, ?)",
                           [.text(agency), .text(identifier), .integer(Int64(position))])
            }
        }
    }
}

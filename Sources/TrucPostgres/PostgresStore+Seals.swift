import PostgresNIO
import TrucStore

// The SealStore role on PostgreSQL.
extension PostgresStore: SealStore {
    package func seals(of agency: String) async throws -> [String] {
        var result: [String] = []
        for try await identifier in try await client.query("""
            SELECT identifier FROM agency_seals WHERE agency = \(agency) ORDER BY position
            """, logger: logger).decode(String.self) { result.append(identifier) }
        return result
    }

    package func setSeals(_ identifiers: [String], of agency: String) async throws {
        try await transaction { connection in
            var known = false
            for try await _ in try await connection.query("SELECT code FROM agencies WHERE code = \(agency) FOR UPDATE",
                                                          logger: self.logger).decode(String.self) { known = true }
            guard known else { throw StoreError.notFound("no agency \(agency)") }
            try await connection.query("DELETE FROM agency_seals WHERE agency = \(agency)", logger: self.logger)
            for (position, identifier) in identifiers.enumerated() {
                try await connection.query("""
                    INSERT INTO agency_seals(agency, identifier, position) VALUES (\(agency), \(identifier), \(Int64(position)))
                    ON CONFLICT DO NOTHING
                    """, logger: self.logger)
            }
        }
    }
}

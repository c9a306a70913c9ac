import NIOCore
import PostgresNIO
package import TrucStore

// The witness side of the evidence log on PostgreSQL: cosignatures gathered, logs witnessed, forks seen.
extension PostgresStore: WitnessStore {
    package func saveCosignature(size: Int64, witness: String, line: String) async throws {
        try await client.query("""
            INSERT INTO log_cosignatures(size, witness, line, at) VALUES (\(size), \(witness), \(line), \(now())) ON CONFLICT DO NOTHING
            """, logger: logger)
    }

    package func cosignatures(size: Int64) async throws -> [(witness: String, line: String)] {
        var lines: [(witness: String, line: String)] = []
        for try await (witness, line) in try await client.query("SELECT witness, line FROM log_cosignatures WHERE size = \(size) ORDER BY witness",
                                                                logger: logger).decode((String, String).self) {
            lines.append((witness, line))
        }
        return lines
    }

    package func lastCosigned(by witness: String) async throws -> Int64? {
        for try await size in try await client.query("SELECT max(size) FROM log_cosignatures WHERE witness = \(witness)", logger: logger).decode(Int64?.self) {
            return size
        }
        return nil
    }

    package func witnessed(_ origin: String) async throws -> WitnessedCheckpoint? {
        for try await (size, root, note, at) in try await client.query("SELECT size, root, note, at FROM witnessed_logs WHERE origin = \(origin)",
                                                                       logger: logger).decode((Int64, ByteBuffer, String, Int64).self) {
            return WitnessedCheckpoint(size: size, root: Array(buffer: root), note: note, at: at)
        }
        return nil
    }

    package func advanceWitnessed(_ origin: String, from: Int64?, to checkpoint: WitnessedCheckpoint) async throws -> Bool {
        let root = ByteBuffer(bytes: checkpoint.root)
        let rows = try await client.query(from.map { old in """
            UPDATE witnessed_logs SET size = \(checkpoint.size), root = \(root), note = \(checkpoint.note), at = \(checkpoint.at)
            WHERE origin = \(origin) AND size = \(old) RETURNING origin
            """ } ?? """
            INSERT INTO witnessed_logs(origin, size, root, note, at) VALUES (\(origin), \(checkpoint.size), \(root), \(checkpoint.note), \(checkpoint.at))
            ON CONFLICT DO NOTHING RETURNING origin
            """, logger: logger)
        for try await _ in rows.decode(String.self) { return true }
        return false
    }

    package func recordFork(_ fork: WitnessFork) async throws {
        // Once per checkpoint shown (a forked log asks again and again), and at most 1,000 per log.
        try await transaction { connection in
            try await connection.query("""
                INSERT INTO witness_forks(origin, at, detail, known, shown) SELECT \(fork.origin), \(fork.at), \(fork.detail), \(fork.known), \(fork.shown)
                WHERE NOT EXISTS (SELECT 1 FROM witness_forks WHERE origin = \(fork.origin) AND shown = \(fork.shown))
                """, logger: self.logger)
            try await connection.query("""
                DELETE FROM witness_forks WHERE origin = \(fork.origin)
                  AND id NOT IN (SELECT id FROM witness_forks WHERE origin = \(fork.origin) ORDER BY id DESC LIMIT 1000)
                """, logger: self.logger)
        }
    }

    package func forkCount() async throws -> Int64 {
        for try await count in try await client.query("SELECT count(*) FROM witness_forks", logger: logger).decode(Int64.self) { return count }
        return 0
    }

    package func forks(limit: Int) async throws -> [WitnessFork] {
        var forks: [WitnessFork] = []
        for try await (origin, at, detail, known, shown) in try await client.query("""
            SELECT origin, at, detail, known, shown FROM witness_forks ORDER BY id DESC LIMIT \(limit)
            """, logger: logger).decode((String, Int64, String, String, String).self) {
            forks.append(WitnessFork(origin: origin, at: at, detail: detail, known: known, shown: shown))
        }
        return forks
    }
}

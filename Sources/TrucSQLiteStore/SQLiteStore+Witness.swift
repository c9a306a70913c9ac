import TrucSQLite
package import TrucStore

// The witness side of the evidence log on SQLite: cosignatures gathered, logs witnessed, forks seen.
extension SQLiteStore {
    package func saveCosignature(size: Int64, witness: String, line: String) throws {
        try db.run("INSERT OR IGNORE INTO log_cosignatures(size, witness, line, at) VALUES (?, ?, ?, ?)",
                   [.integer(size), .text(witness), .text(line), .integer(now())])
    }

    package nonisolated func cosignatures(size: Int64) throws -> [(witness: String, line: String)] {
        try readers.read { db in
            try db.query("SELECT witness, line FROM log_cosignatures WHERE size = ? ORDER BY witness", [.integer(size)]) { (witness: $0.text(0) ?? "", line: $0.text(1) ?? "") }
        }
    }

    package nonisolated func lastCosigned(by witness: String) throws -> Int64? {
        try readers.read { db in
            try db.query("SELECT max(size) FROM log_cosignatures WHERE witness = ?", [.text(witness)]) { $0.isNull(0) ? nil : $0.int(0) }.first ?? nil
        }
    }

    package func witnessed(_ origin: String) throws -> WitnessedCheckpoint? {
        try db.query("SELECT size, root, note, at FROM witnessed_logs WHERE origin = ?", [.text(origin)]) {
            WitnessedCheckpoint(size: $0.int(0), root: $0.blob(1) ?? [], note: $0.text(2) ?? "", at: $0.int(3))
        }.first
    }

    package func advanceWitnessed(_ origin: String, from: Int64?, to checkpoint: WitnessedCheckpoint) throws -> Bool {
        let values: [SQLiteValue] = [.integer(checkpoint.size), .blob(checkpoint.root), .text(checkpoint.note), .integer(checkpoint.at), .text(origin)]
        if let from {
            return try db.run("UPDATE witnessed_logs SET size = ?, root = ?, note = ?, at = ? WHERE origin = ? AND size = ?", values + [.integer(from)]) > 0
        }
        return try db.run("INSERT OR IGNORE INTO witnessed_logs(size, root, note, at, origin) VALUES (?, ?, ?, ?, ?)", values) > 0
    }

    package func recordFork(_ fork: WitnessFork) throws {
        // Once per checkpoint shown (a forked log asks again and again), and at most 1,000 per log.
        try db.transaction {
            try db.run("""
                INSERT INTO witness_forks(origin, at, detail, known, shown) SELECT ?, ?, ?, ?, ?
                WHERE NOT EXISTS (SELECT 1 FROM witness_forks WHERE origin = ? AND shown = ?)
                """, [.text(fork.origin), .integer(fork.at), .text(fork.detail), .text(fork.known), .text(fork.shown), .text(fork.origin), .text(fork.shown)])
            try db.run("""
                DELETE FROM witness_forks WHERE origin = ? AND id NOT IN (SELECT id FROM witness_forks WHERE origin = ? ORDER BY id DESC LIMIT 1000)
                """, [.text(fork.origin), .text(fork.origin)])
        }
    }

    package nonisolated func forkCount() throws -> Int64 {
        try readers.read { db in try db.query("SELECT count(*) FROM witness_forks") { $0.int(0) }.first ?? 0 }
    }

    package nonisolated func forks(limit: Int) throws -> [WitnessFork] {
        try readers.read { db in
            try db.query("SELECT origin, at, detail, known, shown FROM witness_forks ORDER BY id DESC LIMIT ?", [.integer(Int64(limit))]) {
                WitnessFork(origin: $0.text(0) ?? "", at: $0.int(1), detail: $0.text(2) ?? "", known: $0.text(3) ?? "", shown: $0.text(4) ?? "")
            }
        }
    }
}

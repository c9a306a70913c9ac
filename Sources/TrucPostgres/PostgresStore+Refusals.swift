import NIOCore
import Foundation
import PostgresNIO
import TrucCore
package import TrucStore
import TrucVocabulary

// The RefusalStore role on PostgreSQL: refused documents as records (never their payload).
extension PostgresStore: RefusalStore {
    package func recordRefusal(_ refusal: Refusal) async throws {
        let reasons = String(decoding: try JSONEncoder().encode(refusal.reasons), as: UTF8.self)
        let findings = String(decoding: try JSONEncoder().encode(refusal.findings), as: UTF8.self)
        let logger = logger
        // A diagnostic record, not a promise to a caller: it does not wait for its own flush (see SQLiteStore).
        try await transaction { connection in
            try await connection.query("SET LOCAL synchronous_commit = off", logger: logger)
            var id: Int64 = 0
            for try await inserted in try await connection.query("""
                INSERT INTO refusals(at, caller, sender, document_id, kind, code, reasons, sha256, size, agency, findings, verdict)
                VALUES (\(refusal.at), \(refusal.caller), \(refusal.sender), \(refusal.documentId), \(refusal.kind), \(refusal.code), \(reasons),
                        \(refusal.sha256), \(Int64(refusal.size)), \(refusal.agency), \(findings), \(refusal.verdictJSON))
                RETURNING id
                """, logger: logger).decode(Int64.self) { id = inserted }
            if let entry = refusal.logEntry, let insert = Self.eventInsert(entry, message: nil) {
                try await connection.query(insert, logger: logger)
            }
            guard !refusal.evidence.isEmpty || refusal.trustSnapshot != nil else { return }
            try await Self.keepObjects(refusal.evidence, snapshot: refusal.trustSnapshot, at: refusal.at, on: connection, logger: logger)
            if !refusal.evidence.isEmpty {
                try await connection.query("""
                    INSERT INTO refusal_objects(refusal_id, sha256) SELECT \(id), unnest(\(refusal.evidence.map(\.sha256))::TEXT[]) ON CONFLICT DO NOTHING
                    """, logger: logger)
            }
        }
    }

    package func refusalVerdict(_ id: Int64) async throws -> (refusal: Refusal, verdictJSON: String?, objects: [EvidenceRecord])? {
        let rows = try await client.query("""
            SELECT id, at, caller, sender, document_id, kind, code, reasons, sha256, size, agency, findings, verdict FROM refusals WHERE id = \(id)
            """, logger: logger)
        for try await r in rows.decode((Int64, Int64, String, String?, String?, String?, String, String, String, Int64, String?, String?, String?).self) {
            var refusal = Refusal(at: r.1, caller: r.2, sender: r.3, documentId: r.4, kind: r.5, code: r.6,
                                  reasons: (try? JSONDecoder().decode([String].self, from: Data(r.7.utf8))) ?? [], sha256: r.8, size: Int(r.9),
                                  agency: r.10)
            refusal.findings = Refusal.decodeFindings(r.11)
            refusal.id = r.0
            refusal.time = CivilCalendar.vietnamISO(refusal.at)
            var objects: [EvidenceRecord] = []
            for try await (sha256, kind, der) in try await client.query("""
                SELECT o.sha256, o.kind, o.der FROM refusal_objects f JOIN validation_objects o ON o.sha256 = f.sha256
                WHERE f.refusal_id = \(id) ORDER BY o.sha256
                """, logger: logger).decode((String, String, ByteBuffer).self) {
                objects.append(EvidenceRecord(sha256: sha256, kind: kind, der: Array(buffer: der)))
            }
            return (refusal, r.12, objects)
        }
        return nil
    }

    package func refusals(agency: String?, code: String?, from: Int64, to: Int64, limit: Int) async throws -> [Refusal] {
        let rows = try await client.query("""
            SELECT id, at, caller, sender, document_id, kind, code, reasons, sha256, size, agency, findings FROM refusals
            WHERE at >= \(from) AND at < \(to)
              AND (\(agency == nil) OR agency = \(agency))
              AND (\(code == nil) OR code = \(code))
            ORDER BY at DESC, id DESC LIMIT \(Int64(limit))
            """, logger: logger)
        var result: [Refusal] = []
        for try await r in rows.decode((Int64, Int64, String, String?, String?, String?, String, String, String, Int64, String?, String?).self) {
            var refusal = Refusal(at: r.1, caller: r.2, sender: r.3, documentId: r.4, kind: r.5, code: r.6,
                                  reasons: (try? JSONDecoder().decode([String].self, from: Data(r.7.utf8))) ?? [], sha256: r.8, size: Int(r.9),
                                  agency: r.10)
            refusal.findings = Refusal.decodeFindings(r.11)
            refusal.id = r.0
            refusal.time = CivilCalendar.vietnamISO(refusal.at)
            result.append(refusal)
        }
        return result
    }

    package func refusalCounts(from: Int64, to: Int64) async throws -> RefusalCounts {
        var byCode: [String: Int] = [:]
        for try await (code, n) in try await client.query("""
            SELECT code, COUNT(*) FROM refusals WHERE at >= \(from) AND at < \(to) GROUP BY code
            """, logger: logger).decode((String, Int64).self) { byCode[code] = Int(n) }
        var bySender: [RefusalCounts.SenderCount] = []
        for try await (who, n) in try await client.query("""
            SELECT agency AS who, COUNT(*) AS n FROM refusals WHERE at >= \(from) AND at < \(to)
            GROUP BY who ORDER BY n DESC, who LIMIT 20
            """, logger: logger).decode((String, Int64).self) { bySender.append(RefusalCounts.SenderCount(sender: who, count: Int(n))) }
        return RefusalCounts(total: byCode.values.reduce(0, +), byCode: byCode, bySender: bySender)
    }

    @discardableResult
    package func pruneRefusals(before: Int64) async throws -> Int {
        try await transaction { connection in
            try await connection.query("DELETE FROM refusal_objects WHERE refusal_id IN (SELECT id FROM refusals WHERE at < \(before))", logger: self.logger)
            var count = 0
            for try await _ in try await connection.query("DELETE FROM refusals WHERE at < \(before) RETURNING id", logger: self.logger).decode(Int64.self) {
                count += 1
            }
            return count
        }
    }
}

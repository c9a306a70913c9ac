package import TrucCore
import TrucSQLite
package import TrucStore

extension SQLiteStore {
    /// A bigger page cache for a bulk load (random inserts into national-scale indexes thrash a small one).
    package func setCacheSize(mebibytes: Int) throws {
        try db.execute("PRAGMA cache_size=-\(mebibytes * 1024)")
    }

    /// Registers many agencies in one transaction (benchmark set-up).
    package func bulkRegister(_ agencies: [Agency]) throws {
        try db.transaction {
            for agency in agencies {
                try db.run("INSERT OR REPLACE INTO agencies(code, name, parent, relay, created_at) VALUES (?, ?, ?, 0, ?)",
                           [.text(agency.code), .text(agency.name), agency.parent.map { .text($0) } ?? .null, .integer(now())])
            }
        }
    }

    /// Adds days of counters in one transaction, through the same counting code as the intake.
    package func addSynthetic(_ days: [SyntheticDay]) throws {
        try db.transaction {
            for day in days {
            for (key, n) in day.senders {
                try addCount(day: day.day, sender: key.sender, businessType: key.businessType, bucket: key.bucket, count: n)
            }
            for (key, n) in day.pairs {
                try addPairCount(day: day.day, sender: key.sender, recipient: key.recipient, businessType: key.businessType,
                                 bucket: key.bucket, count: n)
            }
            }
        }
    }
}

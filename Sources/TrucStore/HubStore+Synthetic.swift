package import TrucCore
import TrucSQLite

/// A day's worth of counters, as the intake would have kept them (for the statistics benchmark, which
/// fills a store with synthetic history instead of sending millions of messages).
package struct SyntheticDay: Sendable {
    package var day: String
    /// (sender, business type, bucket) → count
    package var senders: [SenderKey: Int] = [:]
    /// (sender, recipient, business type, bucket) → count
    package var pairs: [PairKey: Int] = [:]

    package struct SenderKey: Hashable, Sendable {
        package var sender: String, businessType: Int, bucket: String
        package init(sender: String, businessType: Int, bucket: String) {
            self.sender = sender
            self.businessType = businessType
            self.bucket = bucket
        }
    }

    package struct PairKey: Hashable, Sendable {
        package var sender: String, recipient: String, businessType: Int, bucket: String
        package init(sender: String, recipient: String, businessType: Int, bucket: String) {
            self.sender = sender
            self.recipient = recipient
            self.businessType = businessType
            self.bucket = bucket
        }
    }

    package init(day: String) { self.day = day }
}

extension HubStore {
    /// A bigger page cache for a bulk load (random inserts into national-scale indexes thrash a small one).
    package func setCacheSize(mebibytes: Int) throws {
        try db.execute("PRAGMA cache_size=-\(mebibytes * 1024)")
    }

    /// Registers many agencies in one transaction (benchmark set-up).
    package func bulkRegister(_ agencies: [Agency]) throws {
        try db.transaction {
            for agency in agencies {
                try db.run("INSERT OR REPLACE INTO agencies(code, name, parent, relay, created_at) VALUES (?, ?, ?, 0, ?)",
                           [.text(agency.code), .text(agency.name), agency.parent.map { .text($0) } ?? .null, .integer(Self.now())])
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

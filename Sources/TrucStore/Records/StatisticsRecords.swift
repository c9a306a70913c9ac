package struct DailyCount: Sendable, Equatable {
    package var day: String
    package var sender: String
    package var bucket: String
    package var count: Int

    package init(day: String, sender: String, bucket: String, count: Int) {
        self.day = day
        self.sender = sender
        self.bucket = bucket
        self.count = count
    }
}

/// A signer seen on an accepted message.
package struct Signer: Sendable, Equatable {
    package var kind: String
    /// A stable identity of the certificate (issuer and serial).
    package var certificate: String
    package init(kind: String, certificate: String) {
        self.kind = kind
        self.certificate = certificate
    }
}

/// Documents sent and received, and distinct signing certificates by kind, for one agency or period.
package struct VolumeRow: Sendable, Equatable {
    package var key: String
    package var sent: Int
    package var received: Int

    package init(key: String, sent: Int, received: Int) {
        self.key = key
        self.sent = sent
        self.received = received
    }
}

/// How `signedCounts` groups rows: by sender (the day is then `from`), by day or by month (the sender is
/// then empty, the day is the day or the month's first day).
package enum CountGrouping: Sendable {
    case sender, day, month
}

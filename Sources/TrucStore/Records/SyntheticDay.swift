import Foundation
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

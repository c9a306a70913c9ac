package import TrucConcurrency

/// Limits on decoding attachments (zip-bomb protection).
package struct AttachmentLimits: Sendable, Equatable {
    /// Largest decoded attachment (the bytes inside the base64), per attachment.
    package var maxDecodedBytes: Int
    /// Largest total of uncompressed ZIP entries, per message.
    package var maxUncompressedTotal: Int
    /// Largest uncompressed/compressed ratio of a ZIP entry, checked for entries over `ratioFloor` bytes.
    package var maxRatio: Int
    package var ratioFloor: Int
    /// Most entries in one ZIP attachment.
    package var maxEntries: Int
    /// The per-document work budget (CPU time of the thread that decodes and verifies): once spent, the document
    /// gets a `work-budget` finding instead of more work. Nil: no limit.
    package var budget: WorkBudget?

    /// True when the work budget is spent.
    package var budgetSpent: Bool { budget?.spent ?? false }

    package init(maxDecodedBytes: Int = 64 << 20, maxUncompressedTotal: Int = 256 << 20, maxRatio: Int = 100,
                 ratioFloor: Int = 1 << 20, maxEntries: Int = 256) {
        self.maxDecodedBytes = maxDecodedBytes
        self.maxUncompressedTotal = maxUncompressedTotal
        self.maxRatio = maxRatio
        self.ratioFloor = ratioFloor
        self.maxEntries = maxEntries
    }

    package static let `default` = AttachmentLimits()
}

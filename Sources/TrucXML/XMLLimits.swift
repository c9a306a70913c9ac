/// Resource limits applied while parsing untrusted XML.
package struct XMLLimits: Sendable, Equatable {
    /// Largest accepted input, in bytes (checked before parsing starts).
    package var maxBytes: Int
    /// Deepest accepted element nesting (the root is depth 1).
    package var maxDepth: Int
    /// Most elements accepted in one document.
    package var maxElements: Int

    package init(maxBytes: Int = 64 << 20, maxDepth: Int = 64, maxElements: Int = 200_000) {
        self.maxBytes = maxBytes
        self.maxDepth = maxDepth
        self.maxElements = maxElements
    }

    package static let `default` = XMLLimits()
}

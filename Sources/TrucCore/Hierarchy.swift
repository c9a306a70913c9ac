import TrucVocabulary

/// The agency hierarchy: a registered parent wins; otherwise the parent the code itself implies.
package struct Hierarchy: Sendable {
    package var parents: [String: String]

    package init(parents: [String: String]) { self.parents = parents }

    package func parent(of code: String) -> String? {
        parents[code] ?? (try? AgencyCode(code))?.parent?.raw
    }

    /// True when `code` is `ancestor` or lies below it.
    package func isWithin(_ code: String, of ancestor: String) -> Bool {
        var current: String? = code
        var steps = 0
        while let c = current, steps < 16 {
            if c == ancestor { return true }
            current = parent(of: c)
            steps += 1
        }
        return false
    }
}

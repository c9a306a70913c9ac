import Foundation
import Hummingbird
import NIOCore
import EdXML
import TrucCore
import TrucStore
import TrucVocabulary

/// The agency directory as the statistics need it (hierarchy, names, every agency registered or counted),
/// reloaded only when the store's directory version changes; subtrees cached per version.
actor StatisticsDirectory {
    struct Snapshot: Sendable {
        let version: String
        let hierarchy: Hierarchy
        let names: [String: String]
        let known: [String]
        /// The registered agencies by code (the dashboard's directory pages).
        let agencies: [String: Agency]
    }

    let store: any ClientSystemStore & DirectoryStore & StatisticsStore
    private var snapshot: Snapshot?
    private var subtrees: [String: [String]] = [:]

    init(store: any ClientSystemStore & DirectoryStore & StatisticsStore) { self.store = store }

    func current() async throws -> Snapshot {
        let version = try await store.directoryVersion()
        if let snapshot, snapshot.version == version { return snapshot }
        let agencies = try await store.agencies()
        let fresh = Snapshot(
            version: version,
            hierarchy: Hierarchy(parents: Dictionary(agencies.compactMap { a in a.parent.map { (a.code, $0) } }, uniquingKeysWith: { a, _ in a })),
            names: Dictionary(agencies.map { ($0.code, $0.name) }, uniquingKeysWith: { a, _ in a }),
            known: Set(agencies.map(\.code)).union(try await store.countedAgencies()).sorted(),
            agencies: Dictionary(agencies.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a }))
        snapshot = fresh
        subtrees = [:]
        return fresh
    }

    /// The agency and every agency below it (registered, or seen in the counters).
    func subtree(of agency: String, in snapshot: Snapshot) -> [String] {
        if snapshot.version == self.snapshot?.version, let cached = subtrees[agency] { return cached }
        let members = snapshot.known.filter { snapshot.hierarchy.isWithin($0, of: agency) }
        if snapshot.version == self.snapshot?.version { subtrees[agency] = members }
        return members
    }
}

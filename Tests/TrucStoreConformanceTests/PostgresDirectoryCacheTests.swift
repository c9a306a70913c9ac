import Foundation
import Testing
import TrucCore
@testable import TrucPostgres
import TrucStore
import TrucTestSupport
@testable import TrucConcurrency

@Suite("A node keeps agencies and credentials while it listens", .timeLimit(.minutes(30)))
struct DirectoryCacheTests {
    static let agency = Agency(code: "000.00.00.H14", name: "Bộ Tư pháp", parent: nil, certificateIdentifier: nil, certificateSHA256: nil,
                               pushURL: nil, relay: false)

    @Test("nothing is kept while not listening; a read that began before a change is not kept; entries expire")
    func rules() async throws {
        let cache = PostgresDirectoryCache(lifetime: .milliseconds(200))
        #expect(cache.ticket() == nil, "not listening: read every time")
        cache.keep(agency: Self.agency, for: Self.agency.code, ticket: cache.ticket())
        #expect(cache.agency(Self.agency.code) == nil)

        cache.setLive(true)
        let early = cache.ticket()
        cache.forget() // a change announced while the read was under way
        cache.keep(agency: Self.agency, for: Self.agency.code, ticket: early)
        #expect(cache.agency(Self.agency.code) == nil, "the read may predate the change")

        cache.keep(agency: Self.agency, for: Self.agency.code, ticket: cache.ticket())
        cache.keep(agency: nil, for: "000.00.00.X99", ticket: cache.ticket())
        cache.keep(credential: .init(agency: Self.agency, role: "agency"), for: "hash", ticket: cache.ticket())
        cache.keep(version: 7, ticket: cache.ticket())
        #expect(cache.agency(Self.agency.code) == .some(Self.agency))
        #expect(cache.agency("000.00.00.X99") == .some(nil), "known not to exist")
        #expect(cache.credential("hash")?.role == "agency")
        #expect(cache.version() == 7)

        try await Task.sleep(for: .milliseconds(300))
        #expect(cache.agency(Self.agency.code) == nil, "expired")
        #expect(cache.credential("hash") == nil)
        #expect(cache.version() == nil)

        cache.keep(credential: .init(agency: Self.agency, role: "agency"), for: "hash", ticket: cache.ticket())
        cache.setLive(false)
        #expect(cache.credential("hash") == nil, "listening lost: everything forgotten")
    }

    /// Polls `body` until it is true, for at most `limit`; the time it took, or nil.
    static func within(_ limit: Duration, _ body: () async throws -> Bool) async throws -> Duration? {
        let start = ContinuousClock.now
        while ContinuousClock.now - start < limit {
            if try await body() { return ContinuousClock.now - start }
            try await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    /// True when `node` keeps the token's credential after reading it, within 3 s (notifications of earlier
    /// changes, its own included, forget what was kept before they came).
    static func kept(_ token: String, by node: PostgresStore) async throws -> Bool {
        try await within(.seconds(3)) {
            _ = try await node.credential(forToken: token)
            return node.directoryCache.credential(PostgresStore.tokenHash(token)) != nil
        } != nil
    }

    @Test("changes made on another node reach a listening node by notification, well before an entry's lifetime",
          .enabled { await PostgresCluster.available })
    func otherNode() async throws {
        let s = try await StoreUnderTest.make(.postgres)
        defer { Task { await s.close() } }
        let a = try #require(s.store as? PostgresStore)
        await a.listenForDeliveries()
        let listening = try #require(a.deliveryWork)
        #expect(await listening.wait(upTo: .seconds(10)), "listening")
        let b = try #require(try await s.secondNode() as? PostgresStore)

        try await b.upsert(Self.agency)
        let token = try await b.issueToken(for: Self.agency.code)
        #expect(try await a.credential(forToken: token)?.agency.name == "Bộ Tư pháp")
        // Kept once the notifications of B's changes have come (each forgets everything).
        #expect(try await Self.kept(token, by: a), "kept while listening")
        #expect(try await a.agency("000.00.00.X99") == nil)
        let version = try await a.agenciesVersion()

        // A rename on B: A answers the new name (the notification, not the 5 s lifetime).
        var renamed = Self.agency
        renamed.name = "Bộ Tư pháp (mới)"
        try await b.upsert(renamed)
        let seen = try await Self.within(.seconds(3)) { try await a.credential(forToken: token)?.agency.name == "Bộ Tư pháp (mới)" }
        #expect(seen != nil, "the rename reached node A")
        #expect(try await a.agency(Self.agency.code)?.name == "Bộ Tư pháp (mới)")
        #expect(try await a.agenciesVersion() > version)

        // An agency unknown to A a moment ago, added on B.
        try await b.upsert(Agency(code: "000.00.00.X99", name: "Mới", parent: nil, certificateIdentifier: nil, certificateSHA256: nil, pushURL: nil, relay: false))
        #expect(try await Self.within(.seconds(3)) { try await a.agency("000.00.00.X99") != nil } != nil)

        // The token revoked on B: A refuses it; a new one works.
        #expect(try await b.revokeTokens(of: Self.agency.code, role: nil) == 1)
        #expect(try await Self.within(.seconds(3)) { try await a.credential(forToken: token) == nil } != nil, "the revocation reached node A")
        let token2 = try await b.issueToken(for: Self.agency.code)
        #expect(try await a.credential(forToken: token2) != nil)
        #expect(try await Self.kept(token2, by: a))

        // The agency removed on B (its tokens with it): A refuses the token.
        #expect(try await b.removeAgency(Self.agency.code))
        #expect(try await Self.within(.seconds(3)) { try await a.credential(forToken: token2) == nil } != nil, "the removal reached node A")
        #expect(try await a.agency(Self.agency.code) == nil)

        // A's own change is seen by A at once.
        try await a.upsert(Self.agency)
        #expect(try await a.agency(Self.agency.code) != nil)
        let own = try await a.issueToken(for: Self.agency.code)
        #expect(try await a.credential(forToken: own) != nil)
        #expect(try await a.removeAgency(Self.agency.code))
        #expect(try await a.credential(forToken: own) == nil)
        #expect(try await a.agency(Self.agency.code) == nil)
    }

    @Test("a change made while the node could not listen (PostgreSQL restarted) is seen after", .enabled { await PostgresCluster.available })
    func acrossRestart() async throws {
        let cluster = try await PostgresCluster.dedicated()
        defer { cluster.destroy() }
        let url = try await cluster.makeDatabase()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("truc-cache-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let a = try await PostgresStore(url: url, secretsKey: directory + "/secrets.key", node: "a", logger: quiet)
        await a.listenForDeliveries()
        let listening = try #require(a.deliveryWork)
        #expect(await listening.wait(upTo: .seconds(10)))
        try await a.upsert(Self.agency)
        let token = try await a.issueToken(for: Self.agency.code)
        #expect(try await a.credential(forToken: token) != nil)
        #expect(try await Self.kept(token, by: a))

        await cluster.stopServer()
        #expect(try await Self.within(.seconds(10)) { a.directoryCache.ticket() == nil } != nil, "not listening: nothing kept")
        try await cluster.startServer()
        // B removes the agency at once, perhaps before A listens again.
        let b = try await PostgresStore(url: url, secretsKey: directory + "/secrets.key", node: "b", logger: quiet)
        #expect(try await b.removeAgency(Self.agency.code))
        var reached = false, refused = false
        for _ in 0..<50 where !reached {
            do {
                refused = try await a.credential(forToken: token) == nil
                reached = true
            } catch {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        #expect(reached, "node A reaches PostgreSQL again")
        #expect(refused, "the token removed meanwhile is refused")
        await b.shutdown()
        await a.shutdown()
    }
}

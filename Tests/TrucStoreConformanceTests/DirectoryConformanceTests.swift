import Foundation
import Logging
import Testing
import TrucConcurrency
import TrucCore
import TrucPostgres
import TrucStore
import TrucTestSupport
@testable import TrucSQLiteStore
import TrucMemoryStore

/// The stores under test: the embedded SQLite store and PostgreSQL (a real server: `PostgresCluster`).
enum StoreKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case memory, sqlite, postgres
    var testDescription: String { rawValue }
}

/// A store of one kind in a fresh place (a temporary directory, or a new database), and how to drop it.
struct StoreUnderTest {
    let store: any MessageStoreRoles
    let directory: String
    let url: String?
    let close: @Sendable () async -> Void

    /// - Parameter clock: the store's time (leases, deliveries' updates, pauses, sessions).
    static func make(_ kind: StoreKind, clock: WallClock = .system) async throws -> StoreUnderTest {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("truc-conformance-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        switch kind {
        case .memory:
            return StoreUnderTest(store: InMemoryStore(clock: clock), directory: directory, url: nil) { try? FileManager.default.removeItem(atPath: directory) }
        case .sqlite:
            let store = try SQLiteStore(dataDirectory: directory, clock: clock)
            return StoreUnderTest(store: store, directory: directory, url: nil) { try? FileManager.default.removeItem(atPath: directory) }
        case .postgres:
            let url = try await PostgresCluster.require().makeDatabase()
            let store = try await PostgresStore(url: url, secretsKey: directory + "/secrets.key", clock: clock, logger: quiet)
            return StoreUnderTest(store: store, directory: directory, url: url) {
                await store.shutdown()
                try? FileManager.default.removeItem(atPath: directory)
            }
        }
    }

    /// A second node on the same database (PostgreSQL), or the same store (SQLite, memory: one node).
    func secondNode() async throws -> any MessageStoreRoles {
        guard let url else { return store }
        return try await PostgresStore(url: url, secretsKey: directory + "/secrets.key", logger: quiet)
    }
}

/// PostgresNIO logs a connection the pool was still opening at shutdown: not news in a test.
let quiet: Logger = {
    var logger = Logger(label: "truc.postgres.test")
    logger.logLevel = .error
    return logger
}()

/// Every role: every store implements them all.
typealias MessageStoreRoles = MessageStore

extension StoreKind {
    /// The kinds that run here: memory and SQLite always; PostgreSQL when a server can be started (under CI it must). Where it
    /// cannot, its cases are not run and `PostgresConformanceTests` says so as a skipped test.
    static var runnable: [StoreKind] {
        get async {
            let postgres = await PostgresCluster.available
            return allCases.filter { $0 != .postgres || postgres }
        }
    }
    /// The kinds that keep a schema (memory has none to version).
    static var persistent: [StoreKind] { get async { await runnable.filter { $0 != .memory } } }
}

@Suite("Store conformance on PostgreSQL", .timeLimit(.minutes(30)))
struct PostgresConformanceTests {
    @Test("the conformance suite's PostgreSQL cases run here (a real server: a throwaway cluster, or TRUC_TEST_POSTGRES_URL)",
          .enabled("no PostgreSQL here: every PostgreSQL case of the conformance suite is skipped (apt-get install postgresql, or TRUC_TEST_POSTGRES_URL)") { await PostgresCluster.available })
    func runsHere() async throws {
        #expect(await StoreKind.runnable.contains(.postgres))
        let s = try await StoreUnderTest.make(.postgres)
        #expect(await s.store.isWritable())
        await s.close()
    }
}

@Suite("Store conformance: the directory and credentials, on SQLite and PostgreSQL", .timeLimit(.minutes(30)))
struct DirectoryConformanceTests {
    static let g22 = Agency(code: "000.00.00.G22", name: "Văn phòng Chính phủ", parent: nil, certificateIdentifier: "MST:0100100001",
                            certificateSHA256: nil, pushURL: nil, relay: false)
    static let h41 = Agency(code: "000.00.00.H41", name: "UBND tỉnh Lào Cai", parent: nil, certificateIdentifier: nil,
                            certificateSHA256: "ab".padding(toLength: 64, withPad: "c", startingAt: 0), pushURL: "https://h41.example/inbox", relay: false)

    @Test("agencies: upsert, read, update, remove; the change log and the directory version follow", arguments: await StoreKind.runnable)
    func agencies(kind: StoreKind) async throws {
        let s = try await StoreUnderTest.make(kind)
        defer { Task { await s.close() } }
        let store = s.store
        let before = try await store.agenciesVersion()
        try await store.upsert(Self.h41)
        try await store.upsert(Self.g22)
        #expect(try await store.agency("000.00.00.G22") == Self.g22)
        #expect(try await store.agencies().map(\.code) == ["000.00.00.G22", "000.00.00.H41"])
        var renamed = Self.g22
        renamed.name = "Văn phòng Chính phủ (đổi tên)"
        renamed.parent = "000.00.00.H41"
        try await store.upsert(renamed)
        #expect(try await store.agency("000.00.00.G22") == renamed)
        #expect(try await store.agenciesVersion() >= before + 3)
        #expect(try await store.removeAgency("000.00.00.H41"))
        #expect(try await !store.removeAgency("000.00.00.H41"))
        #expect(try await store.agency("000.00.00.H41") == nil)
        let changes = try await store.directoryChanges()
        #expect(changes.map(\.code) == ["000.00.00.G22", "000.00.00.H41"], "\(changes)")
        #expect(changes.first?.name == renamed.name && changes.first?.deleted == false && changes.last?.deleted == true)
        #expect(changes[1].version > changes[0].version)
        let version = try await store.directoryVersion()
        #expect(version.hasSuffix("/0") && version != "0/0", "\(version)")
    }

    @Test("tokens: an agency token and a viewer token; unknown tokens and agencies; tokens go with their agency", arguments: await StoreKind.runnable)
    func tokens(kind: StoreKind) async throws {
        let s = try await StoreUnderTest.make(kind)
        defer { Task { await s.close() } }
        let store = s.store
        try await store.upsert(Self.g22)
        let token = try await store.issueToken(for: "000.00.00.G22")
        let viewer = try await store.issueViewerToken(for: "000.00.00.G22")
        #expect(token.hasPrefix("truc_") && viewer.hasPrefix("trucv_") && token != viewer)
        #expect(try await store.credential(forToken: token)?.agency == Self.g22)
        #expect(try await store.credential(forToken: token)?.role == "agency")
        #expect(try await store.credential(forToken: viewer)?.role == "viewer")
        #expect(try await store.credential(forToken: token + "x") == nil)
        await #expect(throws: StoreError.self) { _ = try await store.issueToken(for: "000.00.00.X99") }
        // Revoked by role, then all; the agency stays.
        let second = try await store.issueToken(for: "000.00.00.G22")
        #expect(try await store.revokeTokens(of: "000.00.00.G22", role: "agency") == 2)
        #expect(try await store.credential(forToken: token) == nil)
        #expect(try await store.credential(forToken: second) == nil)
        #expect(try await store.credential(forToken: viewer)?.role == "viewer")
        let third = try await store.issueToken(for: "000.00.00.G22")
        #expect(try await store.revokeTokens(of: "000.00.00.G22", role: nil) == 2)
        #expect(try await store.credential(forToken: third) == nil)
        #expect(try await store.credential(forToken: viewer) == nil)
        #expect(try await store.revokeTokens(of: "000.00.00.G22", role: nil) == 0)
        await #expect(throws: StoreError.self) { _ = try await store.revokeTokens(of: "000.00.00.X99", role: nil) }
        #expect(try await store.agency("000.00.00.G22") == Self.g22)
        let kept = try await store.issueToken(for: "000.00.00.G22")
        #expect(try await store.credential(forToken: kept) != nil)
        #expect(try await store.removeAgency("000.00.00.G22"))
        try await store.upsert(Self.g22)
        #expect(try await store.credential(forToken: kept) == nil, "a token must not outlive its agency")
    }

    @Test("client certificates: pinned by fingerprint, else by a unique identifier of an unpinned agency", arguments: await StoreKind.runnable)
    func certificates(kind: StoreKind) async throws {
        let s = try await StoreUnderTest.make(kind)
        defer { Task { await s.close() } }
        let store = s.store
        try await store.upsert(Self.g22)
        try await store.upsert(Self.h41)
        #expect(try await store.agency(forCertificateSHA256: Self.h41.certificateSHA256!, identifiers: [])?.code == "000.00.00.H41")
        #expect(try await store.agency(forCertificateSHA256: "00", identifiers: ["CCCD:1", "MST:0100100001"])?.code == "000.00.00.G22")
        var twin = Self.g22
        twin.code = "000.00.00.G99"
        try await store.upsert(twin)
        #expect(try await store.agency(forCertificateSHA256: "00", identifiers: ["MST:0100100001"]) == nil, "an ambiguous identifier names nobody")
    }

    @Test("client systems: sealed secrets, agencies owned by one system, registerAgency and deleteAgency", arguments: await StoreKind.runnable)
    func systems(kind: StoreKind) async throws {
        let s = try await StoreUnderTest.make(kind)
        defer { Task { await s.close() } }
        let store = s.store
        try await store.upsert(Self.g22)
        let secret = try await store.addSystem(id: "vpcp.edoc", name: "eDoc", agencies: ["000.00.00.G22"], secret: nil, directoryChanges: true)
        #expect(secret.hasPrefix("vxp_"))
        let (system, stored) = try #require(try await store.system("vpcp.edoc"))
        #expect(system.agencies == ["000.00.00.G22"] && system.directoryChanges && stored == Array(secret.utf8))
        #expect(try await store.system("nobody") == nil)
        await #expect(throws: StoreError.self) {
            _ = try await store.addSystem(id: "other", name: "Other", agencies: ["000.00.00.G22"], secret: "s", directoryChanges: false)
        }
        // registerAgency: new codes bind to the system; an operator's agency or another system's is refused
        let unit = Agency(code: "000.01.01.G22", name: "Vụ Tổng hợp", parent: "000.00.00.G22", certificateIdentifier: nil, certificateSHA256: nil,
                          pushURL: nil, relay: false)
        try await store.registerAgency(unit, mail: "vth@chinhphu.vn", for: "vpcp.edoc")
        let entry = try await store.directory().first { $0.agency.code == unit.code }
        #expect(entry?.mail == "vth@chinhphu.vn" && entry?.system == "vpcp.edoc" && entry?.agency.parent == "000.00.00.G22")
        try await store.upsert(Self.h41)
        await #expect(throws: StoreError.self) { try await store.registerAgency(Self.h41, mail: nil, for: "vpcp.edoc") }
        _ = try await store.addSystem(id: "other", name: "Other", agencies: [], secret: "s", directoryChanges: true)
        await #expect(throws: StoreError.self) { try await store.registerAgency(unit, mail: nil, for: "other") }
        await #expect(throws: StoreError.self) { _ = try await store.deleteAgency(unit.code, for: "other") }
        #expect(try await store.systems().map(\.id) == ["other", "vpcp.edoc"])
        #expect(try await store.systems().last?.agencies == ["000.00.00.G22", "000.01.01.G22"])
        #expect(try await store.removeSystem("other"))
        #expect(try await !store.removeSystem("other"))
        #expect(try await store.deleteAgency(unit.code, for: "vpcp.edoc"))
        #expect(try await !store.deleteAgency(unit.code, for: "vpcp.edoc"))
        #expect(try await store.agency(unit.code) == nil)
    }

    @Test("an SDK header is bound to the first operation it authorised, also when two nodes see it at once", arguments: await StoreKind.runnable)
    func headers(kind: StoreKind) async throws {
        let s = try await StoreUnderTest.make(kind)
        defer { Task { await s.close() } }
        let first = s.store
        let second = try await s.secondNode()
        #expect(try await first.vxpHeaderFirstUse(hash: "ABC", system: "x", operation: "sendEdoc", at: 1) == "sendEdoc")
        #expect(try await first.vxpHeaderFirstUse(hash: "abc", system: "x", operation: "getEdoc", at: 2) == "sendEdoc")
        // racing nodes: every caller sees the same winner
        let answers = try await withThrowingTaskGroup(of: String.self) { group in
            for i in 0..<20 {
                let node = i % 2 == 0 ? first : second
                group.addTask { try await node.vxpHeaderFirstUse(hash: "race", system: "x", operation: "op\(i)", at: Int64(i)) }
            }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(Set(answers).count == 1, "\(answers)")
        if let node = second as? PostgresStore, kind == .postgres { await node.shutdown() }
    }
}

@Suite("Store conformance: schema versions", .timeLimit(.minutes(30)))
struct SchemaConformanceTests {
    @Test("a store whose schema is newer than this truc is refused, and nothing is written to it", arguments: await StoreKind.persistent)
    func newerSchema(kind: StoreKind) async throws {
        let s = try await StoreUnderTest.make(kind)
        try await s.store.upsert(DirectoryConformanceTests.g22)
        switch kind {
        case .sqlite:
            let path = s.directory + "/truc.sqlite"
            let bump = try await Program.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c",
                "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('PRAGMA user_version=99'); c.commit()", path])
            #expect(bump.exitCode == 0, "\(bump.stderr)")
            #expect(throws: StoreError.self) { _ = try SQLiteStore(dataDirectory: s.directory) }
        case .memory:
            Issue.record("a store in memory has no schema")
        case .postgres:
            let url = try #require(s.url)
            let bump = try await Program.run(URL(fileURLWithPath: "/usr/bin/psql"), [url, "-c", "UPDATE truc_schema SET version = 99"])
            #expect(bump.exitCode == 0, "\(bump.stderr)")
            await #expect(throws: PostgresStoreError.self) {
                _ = try await PostgresStore(url: url, secretsKey: s.directory + "/secrets.key", logger: quiet)
            }
        }
        await s.close()
    }

    @Test("two PostgreSQL nodes starting at once on an empty database migrate it once", .enabled("no PostgreSQL here (apt-get install postgresql, or TRUC_TEST_POSTGRES_URL)") { await PostgresCluster.available })
    func concurrentMigration() async throws {
        let url = try await PostgresCluster.require().makeDatabase()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("truc-migrate-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let stores = try await withThrowingTaskGroup(of: PostgresStore.self) { group in
            for _ in 0..<4 { group.addTask { try await PostgresStore(url: url, secretsKey: directory + "/secrets.key", logger: quiet) } }
            return try await group.reduce(into: [PostgresStore]()) { $0.append($1) }
        }
        #expect(stores.count == 4)
        let version = try await Program.run(URL(fileURLWithPath: "/usr/bin/psql"), [url, "-tAc", "SELECT count(*), max(version) FROM truc_schema"])
        #expect(version.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "1|\(PostgresStore.schemaVersion)", "\(version.stdout)\(version.stderr)")
        for store in stores { await store.shutdown() }
    }
}

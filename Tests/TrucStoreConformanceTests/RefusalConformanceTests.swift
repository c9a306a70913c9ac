import Foundation
import Testing
import TrucStore
import TrucPostgres
import TrucTestSupport
import TrucCore

@Suite("Store conformance: refusals, on SQLite and PostgreSQL", .timeLimit(.minutes(30)))
struct RefusalConformanceTests {
    @Test("refusals are kept, filtered by sender, code and time, counted, and pruned", arguments: await StoreKind.runnable)
    func refusals(kind: StoreKind) async throws {
        let s = try await StoreUnderTest.make(kind)
        defer { Task { await s.close() } }
        let store = s.store
        let rows: [Refusal] = [
            Refusal(at: 1000, caller: "000.00.00.G22", sender: "000.00.00.G22", documentId: "d1", kind: "edoc", code: "invalid-signature",
                    reasons: ["revoked", "Chữ ký bị thu hồi"], sha256: "aa", size: 10),
            Refusal(at: 1001, caller: "000.00.00.G22", sender: "000.00.00.G22", documentId: "d2", kind: "edoc", code: "invalid-message",
                    reasons: ["missing-element"], sha256: "bb", size: 11),
            Refusal(at: 1002, caller: "000.00.00.H41", sender: nil, documentId: nil, kind: nil, code: "invalid-message", reasons: [],
                    sha256: "cc", size: 12),
            Refusal(at: 5000, caller: "system vpcp.edoc", sender: "000.00.00.H14", documentId: "d3", kind: "status", code: "invalid-signature",
                    reasons: ["expired"], sha256: "dd", size: 13),
        ]
        var withFindings = rows
        withFindings[0].findings = [Refusal.Finding(location: "attachment:van-ban.pdf", status: "invalid", codes: ["revoked", "digest-mismatch"],
                                                    detail: "Chữ ký bị thu hồi"),
                                    Refusal.Finding(location: "envelope", status: "indeterminate", codes: ["no-revocation-data"])]
        for refusal in withFindings { try await store.recordRefusal(refusal) }
        let all = try await store.refusals(agency: nil, code: nil, from: 0, to: 10_000, limit: 10)
        #expect(all.map(\.sha256) == ["dd", "cc", "bb", "aa"] && all.allSatisfy { $0.id > 0 && !$0.time.isEmpty })
        #expect(all.last?.findings == withFindings[0].findings && all.first?.findings == [], "findings kept as given, in order")
        #expect(all.last?.reasons == ["revoked", "Chữ ký bị thu hồi"] && all.last?.documentId == "d1")
        #expect(try await store.refusals(agency: "000.00.00.G22", code: nil, from: 0, to: 10_000, limit: 10).map(\.sha256) == ["bb", "aa"])
        #expect(try await store.refusals(agency: "000.00.00.H41", code: nil, from: 0, to: 10_000, limit: 10).map(\.sha256) == ["cc"])
        #expect(try await store.refusals(agency: nil, code: "invalid-signature", from: 0, to: 10_000, limit: 10).map(\.sha256) == ["dd", "aa"])
        #expect(try await store.refusals(agency: nil, code: nil, from: 1001, to: 5000, limit: 10).map(\.sha256) == ["cc", "bb"])
        #expect(try await store.refusals(agency: nil, code: nil, from: 0, to: 10_000, limit: 1).count == 1)
        let counts = try await store.refusalCounts(from: 0, to: 10_000)
        #expect(counts.total == 4 && counts.byCode == ["invalid-signature": 2, "invalid-message": 2])
        #expect(counts.bySender.first == RefusalCounts.SenderCount(sender: "000.00.00.G22", count: 2))
        #expect(try await store.pruneRefusals(before: 1002) == 2)
        #expect(try await store.refusals(agency: nil, code: nil, from: 0, to: 10_000, limit: 10).map(\.sha256) == ["dd", "cc"])
    }
}

@Suite("Store conformance: dashboard sessions, on SQLite and PostgreSQL", .timeLimit(.minutes(30)))
struct SessionConformanceTests {
    @Test("a session is found until it expires or ends; a second store on the same database sees it", arguments: await StoreKind.runnable)
    func sessions(kind: StoreKind) async throws {
        let s = try await StoreUnderTest.make(kind)
        defer { Task { await s.close() } }
        let store = s.store
        let now = Int64(Date().timeIntervalSince1970)
        // A day of lifetime: creating a session forgets those expired by the wall clock, and a loaded machine
        // may take minutes between these lines.
        try await store.createSession(idHash: "a1", csrf: "c1", expires: now + 86_400)
        try await store.createSession(idHash: "b2", csrf: "c2", expires: now + 86_400)
        #expect(try await store.sessionCSRF(idHash: "a1", now: now) == "c1")
        #expect(try await store.sessionCSRF(idHash: "a1", now: now + 86_400) == nil, "expired")
        #expect(try await store.sessionCSRF(idHash: "zz", now: now) == nil)
        let other = try await s.secondNode()
        #expect(try await other.sessionCSRF(idHash: "a1", now: now) == "c1", "another node knows the session")
        try await other.endSession(idHash: "a1")
        #expect(try await store.sessionCSRF(idHash: "a1", now: now) == nil, "ended on the other node, ended here")
        #expect(try await store.sessionCSRF(idHash: "b2", now: now) == "c2", "the other session is untouched")
        // An expired session is forgotten when the next one is created.
        try await store.createSession(idHash: "old", csrf: "c3", expires: now - 1)
        try await store.createSession(idHash: "new", csrf: "c4", expires: now + 86_400)
        #expect(try await store.sessionCSRF(idHash: "old", now: now - 10) == nil)
        #expect(try await store.sessionCSRF(idHash: "new", now: now) == "c4")
        // Idle: a session unused for longer than the idle time is no session; each use (at most once a minute)
        // moves its last-seen time.
        let clock = Int64(Date().timeIntervalSince1970)
        try await store.createSession(idHash: "idle", csrf: "c5", expires: clock + 86_400)
        #expect(try await store.sessionCSRF(idHash: "idle", now: clock + 10, idleSeconds: 5) == nil, "idle past 5 s")
        #expect(try await store.sessionCSRF(idHash: "idle", now: clock + 100, idleSeconds: 200) == "c5", "used at +100")
        #expect(try await store.sessionCSRF(idHash: "idle", now: clock + 250, idleSeconds: 200) == "c5", "150 s after its last use")
        #expect(try await other.sessionCSRF(idHash: "idle", now: clock + 500, idleSeconds: 200) == nil, "250 s after its last use, on any node")
    }
}

@Suite("PostgreSQL import (truc migrate)", .timeLimit(.minutes(30)))
struct ImportTests {
    @Test("COPY carries text with tabs, newlines, carriage returns and backslashes, nulls, booleans and bytes exactly",
          .enabled { await PostgresCluster.available })
    func copyEscapes() async throws {
        let s = try await StoreUnderTest.make(.postgres)
        defer { Task { await s.close() } }
        let store = try #require(s.store as? PostgresStore)
        let tricky = "tab\there\nnewline\r\nbackslash \\ \\N \\x00 \"quoted\" Tiếng Việt"
        let reasons = String(decoding: try JSONEncoder().encode([tricky]), as: UTF8.self)
        try await store.importing { importer in
            try await importer.insert(into: "refusals", columns: ["id", "at", "caller", "sender", "document_id", "kind", "code", "reasons", "sha256", "size"],
                                      rows: [[.integer(7), .integer(1000), .text(tricky), .null, .null, .null, .text("c"), .text(reasons), .text("aa"), .integer(3)]])
            try await importer.insert(into: "agencies", columns: ["code", "name", "relay", "created_at"],
                                      rows: [[.text("000.00.00.G22"), .text("VPCP\tx"), .integer(1), .integer(5)]])
            try await importer.insertPayloads([("m1", (0...255).map(UInt8.init) + [92, 78, 9, 10])])
            try await importer.advanceSequences()
        }
        let refusal = try #require(try await store.refusals(agency: nil, code: nil, from: 0, to: 2000, limit: 5).first)
        #expect(refusal.caller == tricky && refusal.reasons == [tricky] && refusal.sender == nil && refusal.id == 7)
        let agency = try #require(try await store.agency("000.00.00.G22"))
        #expect(agency.name == "VPCP\tx" && agency.relay)
        #expect(try await store.payload(of: "m1", at: PostgresStore.payloadMarker) == (0...255).map(UInt8.init) + [92, 78, 9, 10])
        // The sequence moved past the copied key.
        try await store.recordRefusal(Refusal(at: 1001, caller: "x", sender: nil, documentId: nil, kind: nil, code: "c", reasons: [], sha256: "bb", size: 1))
        #expect(try await store.refusals(agency: nil, code: nil, from: 0, to: 2000, limit: 5).map(\.id) == [8, 7])
    }
}

@Suite("Store conformance: seals bound to agencies, on SQLite and PostgreSQL", .timeLimit(.minutes(30)))
struct SealConformanceTests {
    @Test("seals are kept in order, replaced, refused for an unknown agency, and go with their agency", arguments: await StoreKind.runnable)
    func seals(kind: StoreKind) async throws {
        let s = try await StoreUnderTest.make(kind)
        defer { Task { await s.close() } }
        let store = s.store
        try await store.upsert(Agency(code: "000.00.00.H14", name: "UBND Tỉnh Cao Bằng"))
        #expect(try await store.seals(of: "000.00.00.H14").isEmpty)
        try await store.setSeals(["MST:4800100001", "sha256:" + String(repeating: "ab", count: 32)], of: "000.00.00.H14")
        #expect(try await store.seals(of: "000.00.00.H14") == ["MST:4800100001", "sha256:" + String(repeating: "ab", count: 32)])
        try await store.setSeals(["VATVN-4800100001"], of: "000.00.00.H14")
        #expect(try await store.seals(of: "000.00.00.H14") == ["VATVN-4800100001"], "replaced, not added")
        // Renaming the agency keeps its seals.
        try await store.upsert(Agency(code: "000.00.00.H14", name: "Ủy ban nhân dân tỉnh Cao Bằng"))
        #expect(try await store.seals(of: "000.00.00.H14") == ["VATVN-4800100001"])
        await #expect(throws: StoreError.self) { try await store.setSeals(["MST:1"], of: "000.00.00.X99") }
        try await store.removeAgency("000.00.00.H14")
        try await store.upsert(Agency(code: "000.00.00.H14", name: "UBND Tỉnh Cao Bằng"))
        #expect(try await store.seals(of: "000.00.00.H14").isEmpty, "a removed agency's seals go with it")
    }
}

@Suite("Store conformance: a refused document's verdict and validation data, on SQLite and PostgreSQL", .timeLimit(.minutes(30)))
struct RefusalEvidenceConformanceTests {
    @Test("kept with the refusal (objects once, shared with messages), read back by id, pruned with it", arguments: await StoreKind.runnable)
    func refusalEvidence(kind: StoreKind) async throws {
        let s = try await StoreUnderTest.make(kind)
        defer { Task { await s.close() } }
        let store = s.store
        let certificate = EvidenceConformanceTests.object("certificate", 800, seed: 3), crl = EvidenceConformanceTests.object("crl", 4000, seed: 4)
        var refused = Refusal(at: 5_000, caller: "000.00.00.G22", sender: "000.00.00.G22", documentId: "d1", kind: "edoc", code: "invalid-signature",
                              reasons: ["attachment:a.pdf: invalid [digest-mismatch]"], sha256: "cc", size: 12)
        refused.verdictJSON = #"{"signatures":[],"bucket":"invalid","invalid":true,"signed":"none"}"#
        refused.evidence = [certificate, crl, crl]
        refused.trustSnapshot = TrustSnapshotRecord(id: "sha256:" + String(repeating: "ab", count: 32), contents: Array("{}".utf8))
        try await store.recordRefusal(refused)
        try await store.recordRefusal(Refusal(at: 5_001, caller: "000.00.00.G22", sender: "000.00.00.G22", documentId: "d2", kind: "edoc",
                                              code: "invalid-message", reasons: ["x"], sha256: "dd", size: 1))
        let listed = try await store.refusals(agency: nil, code: nil, from: 0, to: 10_000, limit: 10)
        let id = try #require(listed.first { $0.code == "invalid-signature" }?.id)
        let read = try #require(try await store.refusalVerdict(id))
        #expect(read.verdictJSON == refused.verdictJSON && read.refusal.documentId == "d1")
        #expect(read.objects == [certificate, crl].sorted { $0.sha256 < $1.sha256 }, "each object once, exact bytes")
        #expect(try await store.trustSnapshot(refused.trustSnapshot!.id) != nil)
        let other = try #require(listed.first { $0.code == "invalid-message" }?.id)
        #expect(try await store.refusalVerdict(other)?.verdictJSON == nil)
        #expect(try await store.refusalVerdict(999_999) == nil)
        #expect(try await store.pruneRefusals(before: 6_000) == 2)
        #expect(try await store.refusalVerdict(id) == nil)
    }
}

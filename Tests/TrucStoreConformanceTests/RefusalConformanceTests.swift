import Foundation
import Testing
import TrucStore

@Suite("Store conformance: refusals, on SQLite and PostgreSQL")
struct RefusalConformanceTests {
    @Test("refusals are kept, filtered by sender, code and time, counted, and pruned", arguments: StoreKind.allCases)
    func refusals(kind: StoreKind) async throws {
        guard runs(kind) else { return }
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
        for refusal in rows { try await store.recordRefusal(refusal) }
        let all = try await store.refusals(sender: nil, code: nil, from: 0, to: 10_000, limit: 10)
        #expect(all.map(\.sha256) == ["dd", "cc", "bb", "aa"] && all.allSatisfy { $0.id > 0 && !$0.time.isEmpty })
        #expect(all.last?.reasons == ["revoked", "Chữ ký bị thu hồi"] && all.last?.documentId == "d1")
        #expect(try await store.refusals(sender: "000.00.00.G22", code: nil, from: 0, to: 10_000, limit: 10).map(\.sha256) == ["bb", "aa"])
        #expect(try await store.refusals(sender: "000.00.00.H41", code: nil, from: 0, to: 10_000, limit: 10).map(\.sha256) == ["cc"])
        #expect(try await store.refusals(sender: nil, code: "invalid-signature", from: 0, to: 10_000, limit: 10).map(\.sha256) == ["dd", "aa"])
        #expect(try await store.refusals(sender: nil, code: nil, from: 1001, to: 5000, limit: 10).map(\.sha256) == ["cc", "bb"])
        #expect(try await store.refusals(sender: nil, code: nil, from: 0, to: 10_000, limit: 1).count == 1)
        let counts = try await store.refusalCounts(from: 0, to: 10_000)
        #expect(counts.total == 4 && counts.byCode == ["invalid-signature": 2, "invalid-message": 2])
        #expect(counts.bySender.first == RefusalCounts.SenderCount(sender: "000.00.00.G22", count: 2))
        #expect(try await store.pruneRefusals(before: 1002) == 2)
        #expect(try await store.refusals(sender: nil, code: nil, from: 0, to: 10_000, limit: 10).map(\.sha256) == ["dd", "cc"])
    }
}

@Suite("Store conformance: dashboard sessions, on SQLite and PostgreSQL")
struct SessionConformanceTests {
    @Test("a session is found until it expires or ends; a second store on the same database sees it", arguments: StoreKind.allCases)
    func sessions(kind: StoreKind) async throws {
        guard runs(kind) else { return }
        let s = try await StoreUnderTest.make(kind)
        defer { Task { await s.close() } }
        let store = s.store
        let now = Int64(Date().timeIntervalSince1970)
        try await store.createSession(idHash: "a1", csrf: "c1", expires: now + 100)
        try await store.createSession(idHash: "b2", csrf: "c2", expires: now + 100)
        #expect(try await store.sessionCSRF(idHash: "a1", now: now) == "c1")
        #expect(try await store.sessionCSRF(idHash: "a1", now: now + 100) == nil, "expired")
        #expect(try await store.sessionCSRF(idHash: "zz", now: now) == nil)
        let other = try await s.secondNode()
        #expect(try await other.sessionCSRF(idHash: "a1", now: now) == "c1", "another node knows the session")
        try await other.endSession(idHash: "a1")
        #expect(try await store.sessionCSRF(idHash: "a1", now: now) == nil, "ended on the other node, ended here")
        #expect(try await store.sessionCSRF(idHash: "b2", now: now) == "c2", "the other session is untouched")
        // An expired session is forgotten when the next one is created.
        try await store.createSession(idHash: "old", csrf: "c3", expires: now - 1)
        try await store.createSession(idHash: "new", csrf: "c4", expires: now + 100)
        #expect(try await store.sessionCSRF(idHash: "old", now: now - 10) == nil)
        #expect(try await store.sessionCSRF(idHash: "new", now: now) == "c4")
    }
}

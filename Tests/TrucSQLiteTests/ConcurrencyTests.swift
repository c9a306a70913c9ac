import Foundation
import Testing
@testable import TrucSQLite

@Suite("SQLite read pool, background checkpoints, WAL sync", .timeLimit(.minutes(30)))
struct ConcurrencyTests {
    @Test("readers on several threads see what the writer committed, and never its open transaction")
    func readPool() async throws {
        let path = temporaryPath()
        let writer = try Database(path: path)
        try writer.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)")
        for k in 0..<200 { try writer.run("INSERT INTO t VALUES (?, ?)", [.integer(Int64(k)), .text("v\(k)")]) }
        let pool = try ReadPool(path: path, count: 2)
        // 8 tasks share 2 connections: every lookup answers its own key.
        let mismatches = await withTaskGroup(of: Int.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var bad = 0
                    for k in stride(from: worker, to: 200, by: 8) {
                        let v = try? pool.read { try $0.query("SELECT v FROM t WHERE k = ?", [.integer(Int64(k))]) { $0.text(0) }.first ?? nil }
                        if v != "v\(k)" { bad += 1 }
                    }
                    return bad
                }
            }
            return await group.reduce(0, +)
        }
        #expect(mismatches == 0)
        try writer.execute("BEGIN IMMEDIATE")
        try writer.run("INSERT INTO t VALUES (1000, 'open')")
        #expect(try pool.read { try $0.query("SELECT count(*) FROM t") { $0.int(0) } } == [200])
        try writer.execute("COMMIT")
        #expect(try pool.read { try $0.query("SELECT count(*) FROM t") { $0.int(0) } } == [201])
        // Read-only: a write through the pool is refused.
        #expect(throws: SQLiteError.self) { try pool.read { try $0.run("DELETE FROM t") } }
    }

    @Test("the checkpointer copies the writer's log into the database while the writer goes on")
    func checkpoint() throws {
        let path = temporaryPath()
        let writer = try Database(path: path)
        try writer.execute("PRAGMA wal_autocheckpoint=0")
        try writer.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB)")
        for k in 0..<100 { try writer.run("INSERT INTO t VALUES (?, ?)", [.integer(Int64(k)), .blob([UInt8](repeating: 7, count: 3000))]) }
        let checkpointer = try Checkpointer(path: path, interval: 3600)
        defer { checkpointer.stop() }
        let (log, copied) = checkpointer.checkpoint()
        #expect(log > 100)
        #expect(copied == log)
        // The database file alone now holds the rows: a copy of it without the log reads them all.
        let copy = temporaryPath()
        try FileManager.default.copyItem(atPath: path, toPath: copy)
        let reader = try Database(path: copy)
        #expect(try reader.query("SELECT count(*) FROM t") { $0.int(0) } == [100])
    }

    @Test("afterSync runs the waiting work after an fdatasync of the log, or passes the error on")
    func walSync() async throws {
        let path = temporaryPath()
        let writer = try Database(path: path)
        try writer.execute("CREATE TABLE t (k INTEGER)")
        try writer.execute("PRAGMA synchronous=NORMAL")
        try writer.run("INSERT INTO t VALUES (1)")
        let syncer = WALSyncer(databasePath: path)
        defer { syncer.stop() }
        let results = await withTaskGroup(of: String.self) { group in
            for _ in 0..<5 {
                group.addTask {
                    await withCheckedContinuation { continuation in
                        syncer.afterSync { error in continuation.resume(returning: error.map { "\($0)" } ?? "synced") }
                    }
                }
            }
            return await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(results == Array(repeating: "synced", count: 5))
        // No log at all: the work learns that its commit is not known to be on disk.
        let missing = WALSyncer(databasePath: temporaryPath())
        defer { missing.stop() }
        let failure = await withCheckedContinuation { continuation in
            missing.afterSync { error in continuation.resume(returning: error?.message ?? "") }
        }
        #expect(failure.contains("write-ahead log"))
    }
}

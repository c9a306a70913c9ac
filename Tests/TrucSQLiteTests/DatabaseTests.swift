import Foundation
import Testing
@testable import TrucSQLite

@Suite("SQLite wrapper", .timeLimit(.minutes(30)))
struct DatabaseTests {
    @Test("opens in WAL mode and round-trips every value type")
    func roundTrip() throws {
        let db = try Database(path: temporaryPath())
        try db.execute("CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, n TEXT)")
        try db.run("INSERT INTO t VALUES (?, ?, ?, ?, ?)", [.integer(42), .real(2.5), .text("Văn bản"), .blob([0, 1, 255]), .null])
        let rows = try db.query("SELECT i, r, s, b, n FROM t") { row in
            (row.int(0), row.double(1), row.text(2), row.blob(3), row.isNull(4))
        }
        #expect(rows.count == 1)
        #expect(rows[0].0 == 42 && rows[0].1 == 2.5 && rows[0].2 == "Văn bản" && rows[0].3 == [0, 1, 255] && rows[0].4)
        #expect(try db.query("PRAGMA journal_mode") { $0.text(0) } == ["wal"])
    }

    @Test("a throwing transaction rolls back; constraint errors carry their code")
    func transactions() throws {
        let db = try Database(path: temporaryPath())
        try db.execute("CREATE TABLE t (k TEXT PRIMARY KEY)")
        struct Abort: Error {}
        #expect(throws: Abort.self) {
            try db.transaction {
                try db.run("INSERT INTO t VALUES ('a')")
                throw Abort()
            }
        }
        #expect(try db.query("SELECT count(*) FROM t") { $0.int(0) } == [0])
        try db.run("INSERT INTO t VALUES ('a')")
        do {
            try db.run("INSERT INTO t VALUES ('a')")
            Issue.record("duplicate accepted")
        } catch {
            #expect(error.code.primary == .constraint)
        }
    }

    @Test("bad SQL is an error, not a crash")
    func badSQL() throws {
        let db = try Database(path: temporaryPath())
        #expect(throws: SQLiteError.self) { try db.execute("SELEC nonsense") }
    }
}

import CSQLite
import Foundation

/// A few read-only connections to a WAL database, usable from any thread: each read takes one connection
/// under its lock and runs on the caller's thread. In WAL mode readers do not wait for the writer, so hot
/// lookups (a token, an agency, an idempotency key) need not queue behind the writer's commits.
///
/// A read sees what was committed before it started; code that must see its own uncommitted writes reads
/// through the writer's connection instead.
package final class ReadPool: @unchecked Sendable {
    private let connections: [(lock: NSLock, db: Database)]
    private let counterLock = NSLock()
    private var counter = 0

    /// - Parameters:
    ///   - path: an existing database, already in WAL mode (the writer opens and migrates it first).
    ///   - count: connections in the pool (at least one).
    ///   - cacheKibibytes: page cache per connection.
    package init(path: String, count: Int, cacheKibibytes: Int = 16384) throws(SQLiteError) {
        var connections: [(NSLock, Database)] = []
        for _ in 0..<max(1, count) {
            let db = try Database(path: path)
            try db.execute("PRAGMA query_only=1")
            try db.execute("PRAGMA cache_size=-\(cacheKibibytes)")
            try db.execute("PRAGMA mmap_size=268435456")
            connections.append((NSLock(), db))
        }
        self.connections = connections
    }

    /// Runs `body` with one of the pool's connections, on the calling thread.
    package func read<T>(_ body: (Database) throws -> T) throws -> T {
        counterLock.lock()
        counter &+= 1
        let start = counter
        counterLock.unlock()
        // Take a free connection if there is one, else wait for the one chosen round-robin.
        for offset in 0..<connections.count {
            let entry = connections[(start &+ offset) % connections.count]
            if entry.lock.try() {
                defer { entry.lock.unlock() }
                return try body(entry.db)
            }
        }
        let entry = connections[start % connections.count]
        entry.lock.lock()
        defer { entry.lock.unlock() }
        return try body(entry.db)
    }
}

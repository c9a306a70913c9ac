import CSQLite
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Makes a WAL database's committed transactions durable off the writer's thread: the writer commits
/// without syncing (`synchronous=NORMAL` for that transaction), hands what must wait for durability to
/// `afterSync`, and goes on with the next transaction; this thread fsyncs the log (`fdatasync`, which
/// covers every frame written before it starts) and then runs the waiting work, that of several commits
/// after one sync when they queue up. Until then nothing that depends on those commits is acknowledged.
///
/// SQLite syncs the log header itself when it restarts the log (its checkpoint sync flags), so the frames
/// synced here are recovered after a power loss exactly as with `synchronous=FULL`.
package final class WALSyncer: @unchecked Sendable {
    private let path: String
    private var thread: BatchThread<@Sendable (SQLiteError?) -> Void>!
    /// Used only on the thread.
    private var fd: Int32 = -1
    private var inode: UInt64 = 0

    /// - Parameter databasePath: the database; its log is `databasePath-wal`.
    package init(databasePath: String) {
        path = databasePath + "-wal"
        thread = BatchThread(name: "truc-wal-sync") { [self] waiting in
            let error = self.sync()
            for work in waiting { work(error) }
        }
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Runs `work` once everything committed before this call is on disk (nil), or with the sync's error.
    package func afterSync(_ work: @escaping @Sendable (SQLiteError?) -> Void) {
        thread.submit(work)
    }

    /// Ends the thread once nothing waits.
    package func stop() { thread.stop() }

    /// fdatasync of the log, through a descriptor reopened if the log file was replaced.
    private func sync() -> SQLiteError? {
        var current = stat()
        guard stat(path, &current) == 0 else {
            return SQLiteError(code: .ioErr, message: "cannot find the write-ahead log \(path): \(String(cString: strerror(errno)))")
        }
        if fd < 0 || UInt64(current.st_ino) != inode {
            if fd >= 0 { close(fd) }
            fd = open(path, O_RDWR | O_CLOEXEC)
            guard fd >= 0 else {
                return SQLiteError(code: .ioErr, message: "cannot open the write-ahead log \(path): \(String(cString: strerror(errno)))")
            }
            inode = UInt64(current.st_ino)
        }
        guard FileSync.data(fd) == 0 else {
            return SQLiteError(code: .ioErr, message: "fdatasync of the write-ahead log failed: \(String(cString: strerror(errno)))")
        }
        return nil
    }
}

import Foundation
import TrucSQLite
package import TrucStore

/// A serial executor with its own thread, for the store actor: SQLite calls block (a commit waits for its
/// fsync), and on a dedicated thread they do not take one of the few cooperative threads that parse,
/// verify and answer requests.
final class StoreExecutor: SerialExecutor, @unchecked Sendable {
    private var thread: BatchThread<UnownedJob>!

    init(name: String) {
        thread = BatchThread(name: name) { [self] jobs in
            for job in jobs { job.runSynchronously(on: self.asUnownedSerialExecutor()) }
        }
    }

    func enqueue(_ job: consuming ExecutorJob) {
        thread.submit(UnownedJob(job))
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor { UnownedSerialExecutor(ordinary: self) }

    /// Lets the thread end once no job is left (the store's deinit).
    func stop() { thread.stop() }
}

import CThreadSched
import Foundation

/// A thread of its own that takes the items submitted to it in batches: everything queued since the last
/// batch began is handed to `handle` at once, in order. Blocking work (SQLite calls, fsync) runs there
/// instead of on the cooperative pool. After `stop()`, the items already queued are still handled.
package final class BatchThread<Item>: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [Item] = []
    private var stopped = false

    /// - Parameter handle: runs on the thread, once per batch. Only the thread holds it (released when the
    ///   thread ends), so it may hold the owner of this `BatchThread` strongly.
    package init(name: String, handle: @escaping @Sendable ([Item]) -> Void) {
        let thread = Thread { [self] in
            // Every intake's commit waits for this thread: it asks for the short slice the hub's request threads
            // ask for (a waking thread with a shorter slice preempts a long-running one at once; see CThreadSched).
            _ = truc_set_thread_slice(UInt64(TRUC_LATENCY_SLICE_NS))
            self.loop(handle)
        }
        thread.name = name
        thread.start()
    }

    package func submit(_ item: Item) {
        condition.lock()
        items.append(item)
        condition.signal()
        condition.unlock()
    }

    /// Lets the thread end once nothing is queued.
    package func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }

    private func loop(_ handle: @Sendable ([Item]) -> Void) {
        while true {
            condition.lock()
            while items.isEmpty && !stopped { condition.wait() }
            if items.isEmpty && stopped {
                condition.unlock()
                return
            }
            let batch = items
            items.removeAll(keepingCapacity: true)
            condition.unlock()
            handle(batch)
        }
    }
}

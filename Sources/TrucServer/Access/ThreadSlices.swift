import CThreadSched
package import NIOCore
import NIOPosix

/// The threads that answer requests ask the scheduler for short slices. Under Linux's EEVDF scheduler (6.12 and
/// later) a thread that wakes with a shorter slice than the running one preempts it at once; with the default
/// slices a waking event loop could wait up to a slice (about 1.5 ms on two cores) behind a thread that verifies
/// a large document or a PDF bomb at a lower priority, and a status message's latency doubled while bombs were
/// verified. On kernels without custom slices the request is refused and nothing changes.
package enum ThreadSlices {
    /// 0.1 ms, the shortest slice the kernel grants (`TRUC_LATENCY_SLICE_NS`; the store's commit threads ask for it too).
    package static let latencyNanoseconds = UInt64(TRUC_LATENCY_SLICE_NS)

    /// The calling thread's slice.
    package static func shortenCurrent() {
        _ = truc_set_thread_slice(latencyNanoseconds)
    }

    /// Every event loop's thread (`truc serve`'s are those of NIO's singleton group).
    package static func shortenEventLoops(of group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        for loop in group.makeIterator() { loop.execute { shortenCurrent() } }
    }

    /// The calling thread's slice in nanoseconds, as the kernel reports it (0: the default; -1: unknown).
    package static func currentSlice() -> Int64 { truc_thread_slice() }
}

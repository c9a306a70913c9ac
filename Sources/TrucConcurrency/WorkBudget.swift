#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The work one document may cost, counted in CPU time of the thread that does it (`CLOCK_THREAD_CPUTIME_ID`),
/// not in wall time: a thread kept waiting by a busy machine (a low-priority lane on two saturated cores) is not
/// charged for the wait, so how loaded the hub is never decides whether a document is "too complex". Made and
/// checked on the thread that does the work (the verification lanes run a document start to end on one thread);
/// checked on another thread it falls back to the wall time since it was made. Past ten times the budget in wall
/// time it is spent either way, so that no work is unbounded in time.
package struct WorkBudget: Sendable, Hashable {
    private let thread: UInt
    private let startCPU: Int64
    private let startWall: Int64
    private let budget: Int64

    package init(_ budget: Duration) {
        let (seconds, attoseconds) = budget.components
        let (nanoseconds, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        self.budget = overflow ? (seconds < 0 ? 0 : .max) : max(0, nanoseconds.addingReportingOverflow(attoseconds / 1_000_000_000).partialValue)
        thread = Self.threadId()
        startCPU = Self.nanoseconds(CLOCK_THREAD_CPUTIME_ID)
        startWall = Self.nanoseconds(CLOCK_MONOTONIC)
    }

    /// True once the budget is spent.
    package var spent: Bool {
        let wall = Self.nanoseconds(CLOCK_MONOTONIC) - startWall
        let (cap, overflow) = budget.multipliedReportingOverflow(by: 10)
        if budget == 0 || (!overflow && wall >= cap) { return true }
        guard Self.threadId() == thread else { return wall >= budget }
        return Self.nanoseconds(CLOCK_THREAD_CPUTIME_ID) - startCPU >= budget
    }

    private static func nanoseconds(_ clock: clockid_t) -> Int64 {
        var time = timespec()
        clock_gettime(clock, &time)
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }

    private static func threadId() -> UInt {
        #if canImport(Glibc)
        UInt(pthread_self())
        #else
        UInt(bitPattern: pthread_self())
        #endif
    }
}

import Foundation
import Synchronization
import Testing
@testable import TrucConcurrency

/// The work budget counts the CPU time of the thread doing the work, not the time it spent waiting.
@Suite("Work budget in thread CPU time", .timeLimit(.minutes(30)))
struct WorkBudgetTests {
    @Test("waiting costs nothing; work on the thread spends it; a zero budget is spent at once")
    func cpuTime() {
        let budget = WorkBudget(.milliseconds(400))
        Thread.sleep(forTimeInterval: 0.5) // more than the budget in wall time (under its tenfold cap), almost no CPU
        #expect(!budget.spent, "a thread made to wait is not charged for the wait")
        var x: UInt64 = 1
        let start = ProcessInfo.processInfo.systemUptime
        while !budget.spent && ProcessInfo.processInfo.systemUptime - start < 10 { for i in 0..<10_000 { x = x &* 6364136223846793005 &+ UInt64(i) } }
        #expect(budget.spent, "400 ms of CPU on this thread spend it (\(x & 1))")
        #expect(WorkBudget(.zero).spent)
    }

    @Test("budgets past what nanoseconds hold saturate instead of trapping; negative ones are spent at once")
    func extremes() {
        #expect(!WorkBudget(.seconds(Int64.max)).spent)
        #expect(!WorkBudget(.seconds(Int64.max / 1_000_000_000)).spent)
        #expect(WorkBudget(.seconds(-5)).spent)
        #expect(WorkBudget(.seconds(Int64.min)).spent)
    }

    @Test("past ten times the budget in wall time it is spent even without work, so no work is unbounded in time")
    func wallCap() {
        let budget = WorkBudget(.milliseconds(20))
        Thread.sleep(forTimeInterval: 0.25)
        #expect(budget.spent)
    }

    @Test("checked on another thread, it falls back to the wall time since it was made")
    func otherThread() {
        /// `budget.spent` read on a thread of its own, alive while this one is.
        func spentElsewhere(_ budget: WorkBudget) -> Bool {
            let done = DispatchSemaphore(value: 0)
            let result = Mutex(false)
            Thread { result.withLock { $0 = budget.spent }; done.signal() }.start()
            #expect(done.wait(timeout: .now() + 10) == .success, "the other thread answered")
            return result.withLock { $0 }
        }
        #expect(spentElsewhere(WorkBudget(.seconds(600))) == false)
        let short = WorkBudget(.milliseconds(100))
        Thread.sleep(forTimeInterval: 0.15)
        #expect(spentElsewhere(short), "150 ms of wall time, read on another thread, spend a 100 ms budget")
    }
}

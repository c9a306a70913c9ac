import Foundation
import Testing
import TrucConcurrency

@Suite("Deadlines of store calls", .timeLimit(.minutes(30)))
struct DeadlineTests {
    struct Expired: Error {}

    /// A call that never answers (as a query lost by the driver).
    static func never() async throws -> Int {
        try await withCheckedThrowingContinuation { (_: CheckedContinuation<Int, any Error>) in }
    }

    @Test("a call that never answers is given up between its limit and limit + period; answers and errors pass through")
    func watch() async throws {
        let watch = DeadlineWatch(period: .milliseconds(100))
        #expect(try await watch.run(.seconds(5), expired: { Expired() }) { 42 } == 42)
        await #expect(throws: CancellationError.self) { _ = try await watch.run(.seconds(5), expired: { Expired() }) { throw CancellationError() } }
        let start = ContinuousClock.now
        await #expect(throws: Expired.self) { _ = try await watch.run(.milliseconds(300), expired: { Expired() }) { try await Self.never() } }
        let waited = ContinuousClock.now - start
        // Not before its limit; the upper bound is loose: the whole suite shares two cores' cooperative threads.
        #expect(waited >= .milliseconds(300) && waited < .seconds(60), "\(waited)")
        // Thousands of quick calls at once, each answered with its own value.
        let sums = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<2_000 { group.addTask { try await watch.run(.seconds(5), expired: { Expired() }) { i } } }
            return try await group.reduce(0, +)
        }
        #expect(sums == (0..<2_000).reduce(0, +))
        watch.stop()
    }

    @Test("the one-off deadline answers with the call's value, or gives up")
    func oneOff() async throws {
        #expect(try await Deadline.run(.seconds(30), expired: { Expired() }) { 7 } == 7)
        await #expect(throws: Expired.self) { _ = try await Deadline.run(.milliseconds(200), expired: { Expired() }) { try await Self.never() } }
    }
}

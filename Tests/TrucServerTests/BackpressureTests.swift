import Foundation
import NIOCore
import NIOPosix
import Testing
import HTTPTypes
@testable import TrucServer

@Suite("Admission limits: the verification pool and the body budget", .timeLimit(.minutes(30)))
struct BackpressureTests {
    @Test("the pool runs jobs off the caller, and answers 503 busy with Retry-After when threads and queue are full")
    func pool() async throws {
        let pool = WorkPool(threads: 1, queueLimit: 1)
        let gate = DispatchSemaphore(value: 0)
        let first = Task { try await pool.run { gate.wait(); return Thread.isMainThread } }
        let second = Task { try await pool.run { 2 } }
        // Wait until both are admitted (one running, one queued).
        for _ in 0..<200 where pool.load < 2 { try await Task.sleep(for: .milliseconds(5)) }
        #expect(pool.load == 2)
        do {
            _ = try await pool.run { 3 }
            Issue.record("a third job was admitted")
        } catch let error as HubError {
            #expect(error.status == .serviceUnavailable && error.code == "busy" && error.retryAfter != nil)
        }
        gate.signal()
        #expect(try await first.value == false)
        #expect(try await second.value == 2)
        #expect(pool.load == 0)
        #expect(try await pool.run { 4 } == 4)
        await pool.shutdown()
    }

    struct Chunks: AsyncSequence {
        typealias Element = ByteBuffer
        let sizes: [Int]
        struct AsyncIterator: AsyncIteratorProtocol {
            var sizes: [Int]
            mutating func next() async -> ByteBuffer? {
                guard !sizes.isEmpty else { return nil }
                return ByteBuffer(repeating: 0x3C, count: sizes.removeFirst())
            }
        }
        func makeAsyncIterator() -> AsyncIterator { AsyncIterator(sizes: sizes) }
    }

    @Test("bodies are admitted while the hub holds less than its cap, counted as they arrive, released after")
    func budget() async throws {
        let budget = BodyBudget(limit: 1000)
        // Announced and within the cap; chunked (no length) and within.
        #expect(try await budget.collect(Chunks(sizes: [300, 300]), announced: 600, maxBytes: 800).count == 600)
        #expect(try await budget.collect(Chunks(sizes: [400, 400]), announced: nil, maxBytes: 900).count == 800)
        #expect(budget.inUse == 0)
        // Over the per-request limit: 413.
        await #expect(throws: HubError.self) { try await budget.collect(Chunks(sizes: [10]), announced: 5000, maxBytes: 800) }
        // While another body holds 700 bytes, one announcing 400 is refused at once: 503.
        #expect(budget.reserve(700))
        do {
            _ = try await budget.collect(Chunks(sizes: [400]), announced: 400, maxBytes: 800)
            Issue.record("admitted past the cap")
        } catch let error as HubError {
            #expect(error.code == "busy" && error.status == .serviceUnavailable)
        }
        // A chunked body is stopped when it grows past what is left.
        await #expect(throws: HubError.self) { try await budget.collect(Chunks(sizes: [200, 200]), announced: nil, maxBytes: 800) }
        #expect(budget.inUse == 700)
        budget.release(700)
        #expect(budget.inUse == 0)
    }

    @Test("a document that needs more than the work budget is refused as too-complex (422), and the hub goes on")
    func workBudget() async throws {
        try await LiveHub.run(configure: { $0.limits.workBudgetSeconds = 0 }) { hub in
            let g22 = try await hub.token("000.00.00.G22")
            let refused = try await hub.post("signatures/pdf-both-zip.edxml", token: g22)
            #expect(refused.status == 422 && refused.errorCode == "too-complex", "\(String(decoding: refused.body.prefix(300), as: UTF8.self))")
            // A status message (no attachment) is not held to it.
            let h41 = try await hub.token("000.00.00.H41")
            #expect(try await hub.post("vpcp/status_acceptance_03.edxml", token: h41).status == 202)
        }
    }

    @Test("the threads that answer requests ask for short scheduler slices; the large-document lane keeps its lower priority and the default slice")
    func slices() async throws {
        // Does this kernel grant custom slices (Linux 6.12+, EEVDF)? Asked on a scratch thread.
        let supported = await withCheckedContinuation { continuation in
            Thread {
                ThreadSlices.shortenCurrent()
                continuation.resume(returning: ThreadSlices.currentSlice() == Int64(ThreadSlices.latencyNanoseconds))
            }.start()
        }
        let small = WorkPool(threads: 2, queueLimit: 4, latencySensitive: true)
        let large = WorkPool(threads: 2, queueLimit: 4, niceness: 10)
        let smallSlice = try await small.run { ThreadSlices.currentSlice() }
        let (largeSlice, largeNice) = try await large.run { (ThreadSlices.currentSlice(), getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)) }
        #expect(largeNice == 10)
        if supported {
            #expect(smallSlice == Int64(ThreadSlices.latencyNanoseconds))
            #expect(largeSlice != Int64(ThreadSlices.latencyNanoseconds))
            // The event loops of NIO's singleton group (those truc serve runs on).
            let group = MultiThreadedEventLoopGroup.singleton
            ThreadSlices.shortenEventLoops(of: group)
            for loop in group.makeIterator() {
                #expect(try await loop.submit { ThreadSlices.currentSlice() }.get() == Int64(ThreadSlices.latencyNanoseconds))
            }
        } else {
            print("custom scheduler slices: not granted by this kernel (\(ProcessInfo.processInfo.operatingSystemVersionString)); nothing to check")
        }
        await small.shutdown()
        await large.shutdown()
    }
}

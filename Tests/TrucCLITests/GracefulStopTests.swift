import Foundation
import Testing
import TrucTestSupport

/// SIGTERM stops a hub promptly whatever its background services are doing: a service waiting between rounds
/// (a back-off after failures included) is woken, not waited for.
@Suite("truc serve stops promptly", .timeLimit(.minutes(30)))
struct GracefulStopTests {
    @Test("a hub whose evidence-log sequencer backs off 16 s (its secrets.key is not the one the log was sealed with) stops at once on SIGTERM")
    func backingOffSequencer() async throws {
        let first = try await HubEndToEndTests.Server()
        try await first.waitUntilReady()
        #expect(await first.stop(keepData: true) == 0)
        defer { try? FileManager.default.removeItem(atPath: first.data) }
        // Another node's key (an operator who forgot to copy secrets.key): every round of the sequencer fails
        // and it waits longer each time.
        var other = [UInt8](repeating: 0, count: 32)
        for i in other.indices { other[i] = UInt8.random(in: 0...255) }
        try Data(other).write(to: URL(fileURLWithPath: first.data + "/secrets.key"))

        let server = try await HubEndToEndTests.Server(keepLog: true, data: first.data)
        defer { server.process.kill() }
        try await server.waitUntilReady()
        let log = try #require(server.log)
        defer { try? FileManager.default.removeItem(at: log) }
        let deadline = ContinuousClock.now + .seconds(120)
        var text = ""
        while !text.contains("retryIn=16.0 seconds"), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
            text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        }
        try #require(text.contains("retryIn=16.0 seconds"), "the sequencer did not back off:\n\(text.suffix(1500))")

        let stopping = ContinuousClock.now
        #expect(await server.stop(keepData: true) == 0, "a graceful exit")
        let took = ContinuousClock.now - stopping
        // Waiting out the back-off would take 16 s; a stop takes about a second, more on a loaded machine.
        #expect(took < .seconds(12), "SIGTERM took \(took): a service's wait held up the shutdown")
    }
}

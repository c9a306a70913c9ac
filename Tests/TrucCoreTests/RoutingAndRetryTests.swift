import Testing
@testable import TrucCore

@Suite("Routing, loops and retries (pure logic)", .timeLimit(.minutes(30)))
struct RoutingAndRetryTests {
    let national = PeerHub(code: "000.00.00.W01", url: "https://national.example:8443")
    let north = PeerHub(code: "000.00.00.W41", url: "https://nghean.example:8443")

    @Test("local agencies first, then the table, then the default upstream")
    func routes() {
        let table = RoutingTable(entries: [.init(pattern: "H41", hub: north), .init(pattern: "000.00.99.*", hub: north), .init(pattern: "K", hub: north)],
                                 defaultUpstream: national)
        #expect(table.destination(for: "000.00.00.H41", local: Agency(code: "000.00.00.H41", name: "x")) == .pull)
        #expect(table.destination(for: "000.00.00.H41", local: Agency(code: "000.00.00.H41", name: "x", pushURL: "https://a/b")) == .push("https://a/b"))
        #expect(table.destination(for: "000.46.24.H41", local: nil) == .peer(north))      // level-1 H41
        #expect(table.destination(for: "H41.DN.001", local: nil) == .peer(north))          // QĐ 20 layout, same unit
        #expect(table.destination(for: "000.00.99.G22", local: nil) == .peer(north))       // prefix
        #expect(table.destination(for: "000.00.00.K54", local: nil) == .peer(north))       // group letter
        #expect(table.destination(for: "000.00.00.G22", local: nil) == .peer(national))    // default upstream
        #expect(RoutingTable().destination(for: "000.00.00.G22", local: nil) == .unroutable)
    }

    @Test("a message whose trace names this hub, or with too many hops, is refused")
    func loops() {
        #expect(LoopGuard.check(traceOrgans: ["000.00.00.W01"], hubCode: "000.00.00.W01", hopLimit: 8) == .alreadyPassed)
        #expect(LoopGuard.check(traceOrgans: ["000.00.00.W01"], hubCode: "000.00.00.W41", hopLimit: 8) == nil)
        #expect(LoopGuard.check(traceOrgans: (0..<9).map { "x\($0)" }, hubCode: "h", hopLimit: 8) == .tooManyHops(9))
        #expect(LoopGuard.check(traceOrgans: [], hubCode: "h", hopLimit: 8) == nil)
    }

    @Test("exponential backoff with bounded jitter, then dead")
    func backoff() {
        let policy = RetryPolicy(baseDelay: 2, maxDelay: 60, maxAttempts: 5, jitter: 0.2)
        #expect(policy.delay(afterFailedAttempts: 1, random: 0.5) == 2)
        #expect(policy.delay(afterFailedAttempts: 2, random: 0.5) == 4)
        #expect(policy.delay(afterFailedAttempts: 4, random: 0.5) == 16)
        #expect(policy.delay(afterFailedAttempts: 3, random: 0) == 8 * 0.8)
        #expect(policy.delay(afterFailedAttempts: 3, random: 0.999_999)! < 8 * 1.2 + 0.001)
        #expect(policy.delay(afterFailedAttempts: 5, random: 0.5) == nil)
        let capped = RetryPolicy(baseDelay: 10, maxDelay: 30, maxAttempts: 100, jitter: 0)
        #expect(capped.delay(afterFailedAttempts: 50, random: 0.5) == 30)
    }
}

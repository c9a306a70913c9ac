import Testing
@testable import TrucServer

/// An upstream message the hub cannot take is tried a bounded number of times, then set aside.
@Suite("VXP poller: a poison message is set aside", .timeLimit(.minutes(30)))
struct PoisonLedgerTests {
    @Test("the fifth failure sets the message aside; others are untouched; the ledger stays bounded")
    func setAside() async {
        let ledger = PoisonLedger()
        for attempt in 1...4 {
            #expect(await ledger.failed("W01|doc-1", maxTries: 5) == false, "attempt \(attempt)")
            #expect(await ledger.isSetAside("W01|doc-1") == false)
        }
        #expect(await ledger.failed("W01|doc-1", maxTries: 5) == true)
        #expect(await ledger.isSetAside("W01|doc-1"))
        #expect(await ledger.isSetAside("W01|doc-2") == false)
        // past its capacity the oldest entries are forgotten (memory stays bounded)
        for i in 0..<10_001 { _ = await ledger.failed("W01|other-\(i)", maxTries: 5) }
        #expect(await ledger.isSetAside("W01|doc-1") == false)
    }
}

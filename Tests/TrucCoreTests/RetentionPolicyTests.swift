import Testing
import TrucCore

@Suite("Retention policy: days per message, overrides, parsing", .timeLimit(.minutes(30)))
struct RetentionPolicyTests {
    @Test("the default applies without overrides; an override replaces it; the longest override wins; off is never")
    func days() throws {
        let policy = try RetentionPolicy.parse(days: "90", overrides: "000.00.00.G22=365, type:1=30,000.00.00.H41=off").get()
        #expect(policy.days(parties: ["000.00.00.H14"], businessType: 0) == 90)
        #expect(policy.days(parties: ["000.00.00.H14"], businessType: 1) == 30, "a revocation's override is shorter than the default")
        #expect(policy.days(parties: ["000.00.00.G22", "000.00.00.H14"], businessType: 1) == 365, "the sender's longer rule wins")
        #expect(policy.days(parties: ["000.00.00.G22", "000.00.00.H41"], businessType: 0) == nil, "off (never) wins over any number")
        #expect(policy.shortestDays == 30)
        #expect(policy.purgeable(parties: ["000.00.00.H14"], businessType: 0, finalAt: 1_000_000, now: 1_000_000 + 90 * 86_400))
        #expect(!policy.purgeable(parties: ["000.00.00.H14"], businessType: 0, finalAt: 1_000_000, now: 1_000_000 + 90 * 86_400 - 1))
        #expect(!policy.purgeable(parties: ["000.00.00.H41"], businessType: 0, finalAt: 0, now: Int64.max))
        #expect(try RetentionPolicy.parse(days: "off", overrides: nil).get().shortestDays == nil)
        #expect(try RetentionPolicy.parse(days: "0", overrides: "").get().days(parties: [], businessType: nil) == 0)
    }

    @Test("bad values are refused with the key named", arguments: [
        ("-1", nil), ("90d", nil), ("36501", nil), ("", nil), ("90", "G22"), ("90", "000.00.00.G22=forever"), ("90", "type:x=3"),
        ("90", "type:100=3"), ("90", "a/b=3"), ("90", "000.00.00.G22=1,000.00.00.G22=2"),
    ] as [(String, String?)])
    func refused(days: String, overrides: String?) {
        guard case .failure(let error) = RetentionPolicy.parse(days: days, overrides: overrides) else {
            Issue.record("\(days) / \(overrides ?? "-") was accepted")
            return
        }
        #expect(error.message.hasPrefix("--payload-retention"))
    }
}

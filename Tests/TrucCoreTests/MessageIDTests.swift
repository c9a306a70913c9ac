import Foundation
import Testing
@testable import TrucCore

@Suite("message ids (UUID version 7)", .timeLimit(.minutes(30)))
struct MessageIDTests {
    @Test("RFC 9562 layout: version 7, variant 10, the millisecond time in the first 48 bits")
    func layout() throws {
        var generator = SystemRandomNumberGenerator()
        let id = MessageID.make(milliseconds: 0x0192_3456_789A, using: &generator)
        #expect(id.count == 36)
        #expect(id.hasPrefix("01923456-789a-7"))
        let variant = id[id.index(id.startIndex, offsetBy: 19)]
        #expect("89ab".contains(variant))
        // Foundation reads it as a UUID and writes the same text back.
        #expect(UUID(uuidString: id)?.uuidString.lowercased() == id)
    }

    @Test("ids made later sort later; ids made in the same millisecond differ")
    func ordering() {
        var generator = SystemRandomNumberGenerator()
        let times: [UInt64] = [1_700_000_000_000, 1_700_000_000_001, 1_700_000_000_255, 1_700_000_000_256, 1_800_000_000_000]
        let ids = times.map { MessageID.make(milliseconds: $0, using: &generator) }
        #expect(ids == ids.sorted())
        let same = (0..<1000).map { _ in MessageID.make(milliseconds: 1_700_000_000_000, using: &generator) }
        #expect(Set(same).count == 1000)
        let now = MessageID.make()
        #expect(now > ids[0] && now < ids[4])
    }
}

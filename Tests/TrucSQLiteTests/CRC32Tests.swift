import Testing
import TrucZlib

@Suite("zlib CRC-32", .timeLimit(.minutes(30)))
struct CRC32Tests {
    @Test("the standard check value and incremental use")
    func checkValue() {
        var crc = CRC32()
        Array("123456789".utf8).withUnsafeBytes { crc.update($0) }
        #expect(crc.value == 0xCBF4_3926)
        var parts = CRC32()
        Array("1234".utf8).withUnsafeBytes { parts.update($0) }
        Array("56789".utf8).withUnsafeBytes { parts.update($0) }
        #expect(parts == crc)
    }
}

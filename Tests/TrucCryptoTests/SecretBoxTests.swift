import Foundation
import Testing
@testable import TrucCrypto

@Suite(.timeLimit(.minutes(30))) struct SecretBoxTests {
    @Test func sealsAndOpens() throws {
        let box = try SecretBox(key: try secureRandomBytes(32))
        let sealed = try box.seal(Array("vxp_secret".utf8))
        #expect(sealed.count == 1 + 12 + 10 + 16)
        #expect(try box.open(sealed) == Array("vxp_secret".utf8))
        #expect(try box.seal(Array("vxp_secret".utf8)) != sealed) // a fresh nonce each time
    }

    @Test func refusesAlteredOrForeign() throws {
        let box = try SecretBox(key: try secureRandomBytes(32))
        var sealed = try box.seal(Array("vxp_secret".utf8))
        sealed[15] ^= 1
        #expect(throws: CryptoError.self) { try box.open(sealed) }
        let other = try SecretBox(key: try secureRandomBytes(32))
        #expect(throws: CryptoError.self) { try other.open(try box.seal([1, 2, 3])) }
    }

    @Test func hmacRFC4231Case2() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let mac = HMAC.sha256(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
        #expect(mac.map { String(format: "%02x", $0) }.joined() == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }
}

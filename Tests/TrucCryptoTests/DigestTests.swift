import Testing
@testable import TrucCrypto

@Suite("OpenSSL digests", .timeLimit(.minutes(30)))
struct DigestTests {
    // FIPS 180-2 test vectors.
    @Test func sha256OfABC() {
        #expect(Digest.sha256(Array("abc".utf8)).hexString == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func incrementalEqualsOneShot() {
        let d = Digest(.sha256)
        d.update(Array("ab".utf8)); d.update(Array("c".utf8))
        #expect(d.finalize() == Digest.sha256(Array("abc".utf8)))
        // restarts after finalize
        d.update(Array("abc".utf8))
        #expect(d.finalize().hexString.hasPrefix("ba7816bf"))
    }

    @Test func otherAlgorithms() {
        let abc = Array("abc".utf8)
        #expect(abc.withUnsafeBytes { Digest.hash(.sha1, $0) }.hexString == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(abc.withUnsafeBytes { Digest.hash(.sha512, $0) }.count == 64)
        #expect(abc.withUnsafeBytes { Digest.hash(.sha384, $0) }.count == 48)
    }
}

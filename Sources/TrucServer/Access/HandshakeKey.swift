import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import TrucCrypto

/// The hub's TLS private key, signing handshakes off the event loops. An RSA-2048 signature per new connection
/// (~1.5 ms) on an event-loop thread holds up every request of the connections that loop serves: a client opening
/// connection after connection (an attacker's PDF bombs, one connection each) made status messages on established
/// connections wait for its handshakes. Here the signature is made by a small pool of threads at a lower priority,
/// the handshake waits for it (BoringSSL's asynchronous private key), and the loop goes on serving requests.
final class HandshakeKey: NIOSSLCustomPrivateKey, Hashable, @unchecked Sendable {
    private let key: PrivateKey
    private let der: [UInt8]
    private let pool: NIOThreadPool

    /// Reads the PEM private key at `path` (RSA or ECDSA), which must be the key of `certificate` (the chain's
    /// first); `threads` sign handshakes at `niceness` (Linux).
    init(pemFile path: String, certificate: Certificate, threads: Int = 2, niceness: Int32 = 5) throws {
        let pem = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        key = try PrivateKey(pem: pem)
        // (BoringSSL cannot check a key it does not hold: without this, a wrong key starts a hub whose every
        // handshake fails.)
        guard key.matches(certificate) else { throw CryptoError("\(path) is not the private key of the hub's certificate") }
        der = try NIOSSLPrivateKey(bytes: pem, format: .pem).derBytes
        pool = NIOThreadPool(numberOfThreads: max(1, threads))
        pool.start()
        if niceness > 0 { pool.lowerPriority(by: niceness, threads: max(1, threads)) }
    }

    deinit { pool.shutdownGracefully { _ in } }

    var signatureAlgorithms: [SignatureAlgorithm] {
        key.isEC ? [.ecdsaSecp256R1Sha256, .ecdsaSecp384R1Sha384, .ecdsaSecp521R1Sha512]
            : [.rsaPssRsaeSha256, .rsaPssRsaeSha384, .rsaPssRsaeSha512, .rsaPkcs1Sha256, .rsaPkcs1Sha384, .rsaPkcs1Sha512]
    }

    var derBytes: [UInt8] { der }

    func sign(channel: any Channel, algorithm: SignatureAlgorithm, data: ByteBuffer) -> EventLoopFuture<ByteBuffer> {
        let promise = channel.eventLoop.makePromise(of: ByteBuffer.self)
        let bytes = Array(data.readableBytesView)
        let key = self.key
        pool.submit { state in
            guard case .active = state else {
                promise.fail(ChannelError.ioOnClosedChannel)
                return
            }
            do {
                let (digest, pss) = try Self.scheme(algorithm)
                promise.succeed(ByteBuffer(bytes: try key.sign(bytes, digest: digest, pss: pss)))
            } catch {
                promise.fail(error)
            }
        }
        return promise.futureResult
    }

    /// The hub offers no RSA key exchange (every cipher suite it allows is ECDHE): nothing to decrypt.
    func decrypt(channel: any Channel, data: ByteBuffer) -> EventLoopFuture<ByteBuffer> {
        channel.eventLoop.makeFailedFuture(NIOSSLError.failedToLoadPrivateKey)
    }

    static func scheme(_ algorithm: SignatureAlgorithm) throws -> (DigestAlgorithm, pss: Bool) {
        switch algorithm {
        case .rsaPssRsaeSha256: (.sha256, true)
        case .rsaPssRsaeSha384: (.sha384, true)
        case .rsaPssRsaeSha512: (.sha512, true)
        case .rsaPkcs1Sha256, .ecdsaSecp256R1Sha256: (.sha256, false)
        case .rsaPkcs1Sha384, .ecdsaSecp384R1Sha384: (.sha384, false)
        case .rsaPkcs1Sha512, .ecdsaSecp521R1Sha512: (.sha512, false)
        default: throw NIOSSLError.failedToLoadPrivateKey
        }
    }

    static func == (a: HandshakeKey, b: HandshakeKey) -> Bool { a.der == b.der }
    func hash(into hasher: inout Hasher) { hasher.combine(der) }
}

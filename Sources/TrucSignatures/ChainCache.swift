import Foundation
import TrucCrypto

/// Chain results per signer certificate and hour of verification time: OpenSSL's chain building
/// costs about a million instructions, and the same agency certificates sign message after message.
/// Shared by all verifications; the lock guards only the dictionary.
final class ChainCache: @unchecked Sendable {
    private struct Key: Hashable {
        let der: [UInt8]
        let untrusted: [[UInt8]]
        let hour: Int64
        let documentSigning: Bool
    }

    private let lock = NSLock()
    private var results: [Key: ChainResult] = [:]
    private let capacity: Int

    init(capacity: Int = 4096) { self.capacity = capacity }

    private var parsed: [[UInt8]: Certificate] = [:]

    /// A parsed certificate for these DER bytes (OpenSSL 3's d2i_X509 costs about a million instructions;
    /// signers repeat).
    func certificate(der: [UInt8]) throws(CryptoError) -> Certificate {
        if let cached = lock.withLock({ parsed[der] }) { return cached }
        let certificate = try Certificate(der: der)
        lock.withLock {
            if parsed.count >= capacity { parsed.removeAll(keepingCapacity: true) }
            parsed[der] = certificate
        }
        return certificate
    }

    /// The path check (chain, validity, key usage; revocation is decided apart), cached per hour of `time`.
    func path(_ certificate: Certificate, untrusted: [Certificate], at time: Int64, trust: TrustStore, documentSigning: Bool = true) -> ChainResult {
        let key = Key(der: certificate.der, untrusted: untrusted.map(\.der), hour: time / 3600, documentSigning: documentSigning)
        if let cached = lock.withLock({ results[key] }) { return cached }
        let result = trust.path(certificate, untrusted: untrusted, at: time, documentSigning: documentSigning)
        lock.withLock {
            if results.count >= capacity { results.removeAll(keepingCapacity: true) }
            results[key] = result
        }
        return result
    }
}

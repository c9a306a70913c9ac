import Foundation
import Hummingbird
import NIOCore
import NIOSSL
import TrucCore
import TrucCrypto
import TrucStore

/// Who is calling.
package enum Caller: Sendable {
    case agency(Agency)
    case operatorRole

    var agencyCode: String? {
        if case .agency(let a) = self { return a.code }
        return nil
    }
}

/// The request context: Hummingbird's storage plus the channel, to read the TLS peer certificate.
package struct HubRequestContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    package let channel: any Channel

    package init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

/// Authenticates a request: an API token (`Authorization: Bearer …`, compared by SHA-256), the operator
/// token, or the TLS client certificate (pinned fingerprint or its `MST:` identifier), whose chain and
/// revocation are re-checked with OpenSSL (swift-nio-ssl has no CRL support).
struct Authenticator: Sendable {
    let store: HubStore
    let trust: TrustStore
    let operatorTokenHash: [UInt8]?

    func authenticate(_ request: Request, _ context: HubRequestContext) async throws -> Caller {
        if let header = request.headers[.authorization] {
            guard header.hasPrefix("Bearer ") else { throw HubError.unauthenticated }
            let token = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
            if let operatorTokenHash, constantTimeEqual(Digest.sha256(Array(token.utf8)), operatorTokenHash) { return .operatorRole }
            guard let agency = try await store.agency(forToken: token) else { throw HubError.unauthenticated }
            return .agency(agency)
        }
        guard let peer = try await context.channel.nioSSL_peerCertificate().get() else { throw HubError.unauthenticated }
        let certificate = try Certificate(der: try peer.toDERBytes())
        let check = trust.verify(certificate, at: Int64(Date().timeIntervalSince1970))
        if !check.problems.filter({ $0 != .keyUsage }).isEmpty {
            throw HubError(.forbidden, "certificate-rejected", "the client certificate is not acceptable: \(check.detail ?? "")")
        }
        guard let agency = try await store.agency(forCertificateSHA256: Digest.sha256(certificate.der).hexString,
                                                  identifiers: certificate.identifiers) else {
            throw HubError(.forbidden, "unknown-client", "the client certificate belongs to no registered agency")
        }
        return .agency(agency)
    }

    private func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for i in a.indices { diff |= a[i] ^ b[i] }
        return diff == 0
    }
}

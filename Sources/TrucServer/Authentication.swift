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
    /// A statistics viewer: reads the statistics of one agency and its subtree, nothing else.
    case viewer(Agency)
    case operatorRole

    var agencyCode: String? {
        if case .agency(let a) = self { return a.code }
        return nil
    }

    /// The agency whose subtree bounds what the caller may see in the statistics (nil: everything).
    var statisticsScope: String? {
        switch self {
        case .agency(let a), .viewer(let a): a.code
        case .operatorRole: nil
        }
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
    let store: any MessageStore
    let trust: TrustStore
    let operatorTokenHash: [UInt8]?

    func authenticate(_ request: Request, _ context: HubRequestContext) async throws -> Caller {
        if let header = request.headers[.authorization] {
            guard header.hasPrefix("Bearer ") else { throw HubError.unauthenticated }
            let token = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
            if let operatorTokenHash, constantTimeEqual(Digest.sha256(Array(token.utf8)), operatorTokenHash) { return .operatorRole }
            guard let credential = try await store.credential(forToken: token) else { throw HubError.unauthenticated }
            return credential.role == "viewer" ? .viewer(credential.agency) : .agency(credential.agency)
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

    private func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool { HMAC.constantTimeEqual(a, b) }

    /// Admin endpoints: the operator credential, or 403.
    func requireOperator(_ request: Request, _ context: HubRequestContext) async throws {
        guard case .operatorRole = try await authenticate(request, context) else {
            throw HubError.forbidden("this endpoint needs the operator credential")
        }
    }

    /// True when `token` is the operator's.
    func isOperatorToken(_ token: String) -> Bool {
        guard let operatorTokenHash else { return false }
        return constantTimeEqual(Digest.sha256(Array(token.utf8)), operatorTokenHash)
    }
}

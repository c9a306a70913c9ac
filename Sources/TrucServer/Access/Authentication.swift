import Foundation
package import Hummingbird
import NIOConcurrencyHelpers
package import NIOCore
import NIOSSL
package import TrucCore
import TrucCrypto
import TrucStore

/// Who is calling.
package enum Caller: Sendable {
    case agency(Agency)
    /// A statistics viewer: reads the statistics of one agency and its subtree, nothing else.
    case viewer(Agency)
    case operatorRole
    /// The metrics scraper (`--metrics-token`): reads `/metrics`, nothing else.
    case scraper

    var agencyCode: String? {
        if case .agency(let a) = self { return a.code }
        return nil
    }

    /// The agency whose subtree bounds what the caller may see in the statistics (nil: everything).
    var statisticsScope: String? {
        switch self {
        case .agency(let a), .viewer(let a): a.code
        case .operatorRole, .scraper: nil
        }
    }
}

/// The request context: Hummingbird's storage plus the channel, to read the TLS peer certificate.
package struct HubRequestContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    package let channel: any Channel
    /// The authenticated caller, set by the route's `AccessMiddleware`.
    package var caller: Caller?

    package init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

/// Authenticates a request: an API token (`Authorization: Bearer …`, compared by SHA-256), the operator
/// token, or the TLS client certificate (pinned fingerprint or its `MST:` identifier), whose chain and
/// revocation are re-checked with OpenSSL (swift-nio-ssl has no CRL support). A certificate that passed is
/// remembered (see `VerifiedCertificates`), so that a connection's later requests do not redo the checks.
struct Authenticator: Sendable {
    let store: any CredentialStore & DirectoryStore
    let trustState: TrustState
    let operatorTokenHash: [UInt8]?
    /// The metrics scraper's token (SHA-256): `/metrics` only.
    var metricsTokenHash: [UInt8]? = nil
    let verified: VerifiedCertificates
    /// Holds back addresses that send wrong tokens (API Bearer tokens and the dashboard login alike).
    let guesses: CredentialGuard
    /// The trust store in force now (it changes when the trust directory is reloaded).
    var trust: TrustStore { trustState.trust }

    func authenticate(_ request: Request, _ context: HubRequestContext) async throws -> Caller {
        if let header = request.headers[.authorization] {
            guard header.hasPrefix("Bearer ") else { throw HubError.unauthenticated }
            let token = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
            let source = Self.source(context.channel)
            try guesses.check(source)
            if let operatorTokenHash, constantTimeEqual(Digest.sha256(Array(token.utf8)), operatorTokenHash) {
                guesses.succeeded(source)
                return .operatorRole
            }
            if let metricsTokenHash, constantTimeEqual(Digest.sha256(Array(token.utf8)), metricsTokenHash) {
                guesses.succeeded(source)
                return .scraper
            }
            guard let credential = try await store.credential(forToken: token) else {
                guesses.failed(source)
                throw HubError.unauthenticated
            }
            guesses.succeeded(source)
            return credential.role == "viewer" ? .viewer(credential.agency) : .agency(credential.agency)
        }
        // A connection without TLS (the plain listener, an in-process request) has no certificate to present.
        let presented = try? await context.channel.nioSSL_peerCertificate().get()
        guard let peer = presented ?? nil else { throw HubError.unauthenticated }
        let der = try peer.toDERBytes()
        let fingerprint = Digest.sha256(der).hexString
        let now = Int64(Date().timeIntervalSince1970)
        let version = try await store.agenciesVersion()
        if let agency = verified.agency(fingerprint, version: version, at: now) { return .agency(agency) }
        let certificate = try Certificate(der: der)
        let check = trust.verify(certificate, at: now, documentSigning: false)
        if !check.problems.filter({ $0 != .keyUsage }).isEmpty {
            throw HubError(.certificateRejected, "the client certificate is not acceptable: \(check.detail ?? "")")
        }
        guard let agency = try await store.agency(forCertificateSHA256: fingerprint, identifiers: certificate.identifiers) else {
            throw HubError(.unknownClient, "the client certificate belongs to no registered agency")
        }
        verified.remember(fingerprint, agency: agency, version: version, notAfter: certificate.notAfter, at: now)
        return .agency(agency)
    }

    private func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool { HMAC.constantTimeEqual(a, b) }

    /// The address a request comes from, for `guesses`.
    static func source(_ channel: any Channel) -> String { channel.remoteAddress?.ipAddress ?? "unknown" }

    /// True when `token` is the operator's.
    func isOperatorToken(_ token: String) -> Bool {
        guard let operatorTokenHash else { return false }
        return constantTimeEqual(Digest.sha256(Array(token.utf8)), operatorTokenHash)
    }
}

/// Client certificates that passed the chain, revocation and directory checks, by the SHA-256 of their DER:
/// the agency each authenticates, under which version of the agency directory, and until when. An entry
/// holds for at most a minute, never past the certificate's notAfter, and only while the directory is
/// unchanged (adding, changing or removing any agency ends every entry at once). Reloading the trust
/// directory (new CRLs) ends every entry too.
final class VerifiedCertificates: Sendable {
    struct Entry {
        let agency: Agency
        let version: Int64
        let until: Int64
    }

    static let lifetime: Int64 = 60
    static let capacity = 10_000
    private let entries = NIOLockedValueBox<[String: Entry]>([:])

    func agency(_ fingerprint: String, version: Int64, at now: Int64) -> Agency? {
        entries.withLockedValue { entries in
            guard let entry = entries[fingerprint] else { return nil }
            guard entry.version == version, now < entry.until else {
                entries[fingerprint] = nil
                return nil
            }
            return entry.agency
        }
    }

    /// Forgets every remembered certificate (the trust directory, hence the CRLs, changed).
    func forgetAll() { entries.withLockedValue { $0.removeAll() } }

    func remember(_ fingerprint: String, agency: Agency, version: Int64, notAfter: Int64, at now: Int64) {
        entries.withLockedValue { entries in
            if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
            entries[fingerprint] = Entry(agency: agency, version: version, until: min(now + Self.lifetime, notAfter))
        }
    }
}

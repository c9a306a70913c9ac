package import Foundation
import Logging
import EdXML
import NIOConcurrencyHelpers
import ServiceLifecycle
import TrucStore
package import TrucCrypto
package import TrucSignatures
import UnixSignals
import TrucVocabulary

/// The trust directory as the hub uses it — the trust store (anchors, intermediates, CRLs) and the
/// signature verifier built on it — replaced as a whole when the directory is reloaded (SIGHUP,
/// `systemctl reload`, or `POST /v1/admin/trust/reload`): a new CRL takes effect without a restart. A
/// directory that no longer loads leaves the previous state in place.
package final class TrustState: Sendable {
    let directory: String
    let policy: VerificationPolicy
    /// Where revocation answers come from (kept across reloads: its caches survive them).
    package let revocation: any RevocationSource
    private let state: NIOLockedValueBox<(trust: TrustStore, verifier: SignatureVerifier, loadedAt: Date)>
    /// Called after each reload (the client-certificate cache forgets what it remembered).
    let onReload: @Sendable () -> Void

    package init(directory: String, policy: VerificationPolicy, revocation: any RevocationSource = OfflineRevocation(),
                 onReload: @escaping @Sendable () -> Void = {}) throws {
        self.directory = directory
        self.policy = policy
        self.revocation = revocation
        self.onReload = onReload
        state = NIOLockedValueBox(try Self.load(directory, policy, revocation))
    }

    static func load(_ directory: String, _ policy: VerificationPolicy, _ revocation: any RevocationSource) throws
        -> (trust: TrustStore, verifier: SignatureVerifier, loadedAt: Date) {
        let verifier = try SignatureVerifier(directory: directory, policy: policy, revocation: revocation)
        return (verifier.trust, verifier, Date())
    }

    package var trust: TrustStore { state.withLockedValue { $0.trust } }
    package var verifier: SignatureVerifier { state.withLockedValue { $0.verifier } }
    package var loadedAt: Date { state.withLockedValue { $0.loadedAt } }

    /// What the trust directory holds now: each anchor (subject, SHA-256, expiry), how many intermediates and
    /// CRLs (each CRL's issuer and next update): said in the start log, the reload answer and `GET /v1/admin/trust`.
    package var summary: TrustSummary {
        let (trust, verifier, loadedAt) = state.withLockedValue { ($0.trust, $0.verifier, $0.loadedAt) }
        return TrustSummary(
            directory: directory, loadedTime: CivilCalendar.vietnamISO(Int64(loadedAt.timeIntervalSince1970)), snapshot: verifier.trustSnapshot,
            anchors: trust.anchors.map { .init(subject: $0.subject, sha256: $0.sha256, notAfter: CivilCalendar.isoUTC($0.notAfter)) },
            intermediates: trust.intermediates.map(\.subject),
            crls: trust.crls.map { crl in .init(issuer: crl.issuer, nextUpdate: crl.nextUpdate.map { CivilCalendar.isoUTC($0) }) })
    }

    /// Reads the directory again; throws (and keeps the previous state) when it does not load.
    package func reload() throws {
        let fresh = try Self.load(directory, policy, revocation)
        state.withLockedValue { $0 = fresh }
        onReload()
    }
}

/// Reloads the trust directory on SIGHUP. An error is logged and counted; the previous trust stays.
struct TrustReloadService: Service {
    let trust: TrustState
    let store: any EvidenceLogStore
    let metrics: HubMetrics
    let logger: Logger

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            for await _ in signals {
                do {
                    try trust.reload()
                    logger.notice("reloaded the trust directory (SIGHUP)", metadata: trust.summary.logMetadata)
                    do {
                        try await store.appendLogEvent(EvidenceEvents.trustReloaded(trust.summary, via: "sighup"))
                    } catch {
                        logger.error("the trust reload is not in the evidence log: the store failed", metadata: ["error": "\(error)"])
                    }
                } catch {
                    metrics.serviceError(service: "trust-reload")
                    logger.error("cannot reload the trust directory; the previous one stays in use", metadata: [
                        "directory": "\(trust.directory)", "error": "\(error)"])
                }
            }
        }
    }
}

/// The trust directory as loaded.
package struct TrustSummary: Sendable, Encodable {
    package struct Anchor: Sendable, Encodable {
        let subject: String
        let sha256: String
        let notAfter: String
    }
    package struct Revocations: Sendable, Encodable {
        let issuer: String
        let nextUpdate: String?
    }
    let directory: String
    let loadedTime: String
    /// The trust snapshot id every verdict made under this trust carries.
    let snapshot: String
    let anchors: [Anchor]
    let intermediates: [String]
    let crls: [Revocations]

    /// What the log says of a load or reload: where, and how many anchors, intermediates and CRLs.
    var logMetadata: Logger.Metadata {
        ["directory": "\(directory)", "anchors": "\(anchors.count)", "intermediates": "\(intermediates.count)", "crls": "\(crls.count)"]
    }
}

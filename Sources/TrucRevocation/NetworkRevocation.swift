import AsyncHTTPClient
import Foundation
package import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
package import TrucCrypto
package import TrucSignatures

/// Revocation answers from the network, cached: OCSP (RFC 6960) from the certificate's AIA, CRLs from its
/// distribution points (also kept on disk and refreshed in the background), then the trust directory's
/// CRL files and the revocation data embedded in the document.
///
/// Bounded by construction: it is only asked about certificates of a path that reached a configured anchor;
/// only `http`/`https` URLs, no redirects, a time limit and a size limit per fetch, a limit of concurrent
/// fetches per host, one fetch per URL/certificate at a time (callers wait for the same one). A caller waits
/// at most until its deadline; a fetch that answers later still fills the cache. An answer past the
/// freshness but still current (before its `nextUpdate`) is used at once and refreshed behind the caller.
package final class NetworkRevocation: RevocationSource, Sendable {
    package struct Configuration: Sendable {
        package var mode: RevocationMode
        /// Seconds an OCSP answer or a fetched CRL is used before it is asked again (X-Road: 3,600).
        package var freshness: Int64
        /// Time limit of one fetch.
        package var fetchTimeout: Duration
        package var maxOCSPBytes: Int
        package var maxCRLBytes: Int
        package var perHostConcurrency: Int
        /// Where fetched CRLs are kept (`DATA/revocation`); nil keeps them in memory only.
        package var cacheDirectory: String?
        /// Why the hub must not fetch from a URL (a loopback or link-local address…), or nil: the hub's
        /// outbound policy, checked before every fetch.
        package var refuseTarget: @Sendable (String) -> String? = { _ in nil }
        /// Address rewriting for OCSP and CRL URLs written in certificates (`http://ocsp.ca.ptc` resolves only
        /// inside government networks): the first rule whose `from` prefixes the URL (scheme and host compared
        /// without case) replaces that prefix with `to`. The rewritten URL is the one fetched and reported.
        package var rewrites: [(from: String, to: String)] = []
        /// Fetch an issuer certificate a document does not carry from the caIssuers address of the certificate
        /// it issued (off by default): bounded like CRL fetches, rewritten and checked like them, and a
        /// candidate only — a path must still reach a configured anchor.
        package var fetchIssuers = false
        /// The largest issuer certificate (DER or PEM) fetched.
        package var maxIssuerBytes = 64 << 10

        /// The URL to fetch for `url`.
        package func rewritten(_ url: String) -> String {
            for rule in rewrites where url.lowercased().hasPrefix(rule.from.lowercased()) {
                return rule.to + url.dropFirst(rule.from.count)
            }
            return url
        }

        package init(mode: RevocationMode = .preferOCSP, freshness: Int64 = 3600, fetchTimeout: Duration = .seconds(10),
                     maxOCSPBytes: Int = 64 << 10, maxCRLBytes: Int = 32 << 20, perHostConcurrency: Int = 4, cacheDirectory: String? = nil) {
            self.mode = mode
            self.freshness = freshness
            self.fetchTimeout = fetchTimeout
            self.maxOCSPBytes = maxOCSPBytes
            self.maxCRLBytes = maxCRLBytes
            self.perHostConcurrency = perHostConcurrency
            self.cacheDirectory = cacheDirectory
        }
    }

    package let configuration: Configuration
    private let clientConfiguration: HTTPClient.Configuration
    /// Made on the first fetch (most hubs of a test suite never fetch), shut down by `shutdown()`.
    private let client = NIOLockedValueBox<(client: HTTPClient?, closed: Bool)>((nil, false))
    let logger: Logger
    let state = NIOLockedValueBox(State())

    struct State {
        var ocsp: [String: CachedOCSP] = [:]
        var crls: [String: CachedCRL] = [:]
        /// Issuer certificates fetched from caIssuers addresses, by URL.
        var issuerCertificates: [String: [Certificate]] = [:]
        var inflight: [String: Inflight] = [:]
        var perHost: [String: Int] = [:]
        var responders: [String: ResponderStatistics] = [:]
        /// The issuer each fetched CRL is checked against (for the background refresh).
        var crlIssuers: [String: Certificate] = [:]
    }

    struct CachedOCSP {
        let answer: OCSPAnswer
        /// The response as the responder sent it (the evidence a verdict keeps).
        let response: [UInt8]
        let url: String
        let fetchedAt: Int64
    }

    struct CachedCRL {
        let crl: CRL
        let fetchedAt: Int64
    }

    package init(configuration: Configuration, logger: Logger = Logger(label: "truc.revocation")) {
        self.configuration = configuration
        self.logger = logger
        var client = HTTPClient.Configuration()
        client.redirectConfiguration = .disallow
        client.timeout = .init(connect: .seconds(3), read: .seconds(Int64(configuration.fetchTimeout.components.seconds)))
        client.decompression = .disabled
        // A responder that refuses connections is answered at once (revocation unknown, the caches and the refresh
        // service try again later), not reconnected to until the deadline on the event loops that serve requests.
        client.connectionPool.retryConnectionEstablishment = false
        clientConfiguration = client
        if let directory = configuration.cacheDirectory {
            try? FileManager.default.createDirectory(atPath: directory + "/crl", withIntermediateDirectories: true)
        }
    }

    package func shutdown() async {
        try? await takeClient()?.shutdown()
    }

    /// For synchronous callers (`truc verify`), outside any event loop.
    package func shutdownNow() {
        try? takeClient()?.syncShutdown()
    }

    deinit {
        // Never shut down (a hub whose services did not run): release the client without blocking.
        takeClient()?.shutdown(queue: .global()) { _ in }
    }

    private func takeClient() -> HTTPClient? {
        client.withLockedValue { state in
            defer { state = (nil, true) }
            return state.client
        }
    }

    /// The HTTP client, made on first use; nil once shut down.
    var http: HTTPClient? {
        client.withLockedValue { state in
            if state.closed { return nil }
            if let existing = state.client { return existing }
            let made = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
            state.client = made
            return made
        }
    }

    // MARK: RevocationSource

    package func status(of certificate: Certificate, issuer: Certificate, embedded: EmbeddedRevocation, trust: TrustStore,
                        deadline: ContinuousClock.Instant) -> RevocationStatus {
        let now = Int64(Date().timeIntervalSince1970)
        var problems: [String] = []
        var hadSource = false
        // Every source is asked and every answer is evidence: a "good" from one never hides a revocation in
        // another (RevocationStatus.combine). CRLs are cached per issuer, so asking them too costs a fetch per
        // CRL period, not per document.
        var answers: [RevocationStatus] = []
        if configuration.mode == .preferOCSP {
            for written in certificate.ocspURLs.prefix(2) {
                let url = configuration.rewritten(written)
                guard Self.fetchable(url) else { continue }
                let source = "ocsp \(url)" + (url == written ? "" : " (rewritten from \(written))")
                hadSource = true
                switch ocsp(certificate, issuer: issuer, url: url, trust: trust, now: now, deadline: deadline) {
                case .success(let cached) where cached.answer.status != .unknown:
                    let answer = cached.answer, evidence = [EvidenceObject(.ocsp, cached.response)]
                    answers.append(answer.status == .revoked
                        ? RevocationStatus(.revoked(at: answer.revokedAt ?? answer.thisUpdate, reason: answer.reason), source: source, evidence: evidence)
                        : RevocationStatus(.good, source: source, evidence: evidence))
                case .success:
                    problems.append("the OCSP responder \(url) does not know the certificate")
                case .failure(let problem):
                    problems.append("OCSP \(url): \(problem.message)")
                }
            }
        }
        if configuration.mode != .offline {
            for written in certificate.crlDistributionURLs.prefix(2) {
                let url = configuration.rewritten(written)
                guard Self.fetchable(url) else { continue }
                let source = "crl \(url)" + (url == written ? "" : " (rewritten from \(written))")
                hadSource = true
                switch crl(url, issuer: issuer, now: now, deadline: deadline) {
                case .success(let complete):
                    // Delta CRLs published at the certificate's freshestCRL addresses, read over this one when they apply.
                    let (evidence, deltaSource) = delta(over: complete, certificate: certificate, issuer: issuer, now: now, deadline: deadline,
                                                        problems: &problems)
                    let source = source + (deltaSource.map { " + delta \($0)" } ?? "")
                    if let entry = evidence.revocation(of: certificate) {
                        answers.append(RevocationStatus(.revoked(at: entry.revokedAt, reason: entry.reason), source: source, evidence: EvidenceObject.crl(evidence)))
                    } else if let scope = evidence.scopeProblem(for: certificate) {
                        problems.append("CRL \(url) is no evidence about this certificate: \(scope)")
                    } else {
                        answers.append(RevocationStatus(.good, source: source, evidence: EvidenceObject.crl(evidence)))
                    }
                case .failure(let problem):
                    problems.append("CRL \(url): \(problem.message)")
                }
            }
        }
        // Then what needs no network: the trust directory's CRL files and the document's embedded data.
        answers += OfflineRevocation.answers(certificate, issuer: issuer, embedded: embedded, trust: trust, now: now, problems: &problems)
        if let combined = RevocationStatus.combine(answers) { return combined }
        if !hadSource, problems.isEmpty { return RevocationStatus(.noSource) }
        return RevocationStatus(.unknown, detail: problems.isEmpty ? "no revocation source answered" : problems.joined(separator: "; "))
    }

    package func issuers(of certificate: Certificate, deadline: ContinuousClock.Instant) -> [Certificate] {
        guard configuration.fetchIssuers, configuration.mode != .offline else { return [] }
        var found: [Certificate] = []
        for written in certificate.caIssuersURLs.prefix(2) {
            let url = configuration.rewritten(written)
            guard Self.fetchable(url) else { continue }
            if let cached = state.withLockedValue({ $0.issuerCertificates[url] }) {
                found += cached
                continue
            }
            let inflight = fetch(key: "issuer|" + url, url: url, method: .GET, body: nil, contentType: nil, limit: configuration.maxIssuerBytes) { [weak self] bytes in
                var certificates = (try? Certificate.fromPEM(bytes)) ?? []
                if certificates.isEmpty { certificates = [try Certificate(der: bytes)] }
                self?.state.withLockedValue { $0.issuerCertificates[url] = Array(certificates.prefix(4)) }
            }
            if case .success? = inflight.wait(until: deadline) {
                found += state.withLockedValue { $0.issuerCertificates[url] } ?? []
            } else {
                logger.notice("cannot fetch an issuer certificate", metadata: ["url": "\(url)"])
            }
        }
        return found
    }

    static func fetchable(_ url: String) -> Bool {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = parsed.host, !host.isEmpty else { return false }
        return true
    }

    // MARK: OCSP

    private func ocsp(_ certificate: Certificate, issuer: Certificate, url: String, trust: TrustStore, now: Int64,
                      deadline: ContinuousClock.Instant) -> Result<CachedOCSP, FetchProblem> {
        let key = "ocsp|" + Digest.sha256(issuer.der).hexString + "|" + certificate.serialHex
        let cached = state.withLockedValue { $0.ocsp[key] }
        if let cached, current(cached.answer, now: now) {
            record(url) { $0.hits += 1 }
            if now - cached.fetchedAt >= configuration.freshness { startOCSP(key: key, certificate, issuer: issuer, url: url, trust: trust) }
            return .success(cached)
        }
        record(url) { $0.misses += 1 }
        let inflight = startOCSP(key: key, certificate, issuer: issuer, url: url, trust: trust)
        switch inflight.wait(until: deadline) {
        case .none:
            return .failure(FetchProblem("no answer within the revocation budget (the answer, when it comes, is cached)"))
        case .failure(let problem)?:
            return .failure(problem)
        case .success?:
            if let fresh = state.withLockedValue({ $0.ocsp[key] }) { return .success(fresh) }
            return .failure(FetchProblem("the answer was not usable"))
        }
    }

    private func current(_ answer: OCSPAnswer, now: Int64) -> Bool {
        answer.thisUpdate <= now + 300 && (answer.nextUpdate.map { now <= $0 } ?? true)
            && (answer.nextUpdate != nil || now - answer.thisUpdate < configuration.freshness)
    }

    @discardableResult
    private func startOCSP(key: String, _ certificate: Certificate, issuer: Certificate, url: String, trust: TrustStore) -> Inflight {
        let request: OCSPRequest
        do { request = try OCSPRequest(certificate: certificate, issuer: issuer) } catch {
            return Inflight(failed: FetchProblem("cannot make the OCSP request: \(error)"))
        }
        return fetch(key: key, url: url, method: .POST, body: request.der, contentType: "application/ocsp-request",
                     limit: configuration.maxOCSPBytes) { [weak self] bytes in
            guard let self else { return }
            let answer = try request.check(response: bytes, issuer: issuer, trust: trust, now: Int64(Date().timeIntervalSince1970))
            state.withLockedValue { $0.ocsp[key] = CachedOCSP(answer: answer, response: bytes, url: url, fetchedAt: Int64(Date().timeIntervalSince1970)) }
        }
    }

    // MARK: CRLs

    private func crl(_ url: String, issuer: Certificate, now: Int64, deadline: ContinuousClock.Instant) -> Result<CRL, FetchProblem> {
        let key = "crl|" + url
        var cached = state.withLockedValue { state in
            if state.crlIssuers[url] == nil { state.crlIssuers[url] = issuer }
            return state.crls[url]
        }
        if cached == nil, let fromDisk = loadFromDisk(url, issuer: issuer) {
            cached = fromDisk
            state.withLockedValue { $0.crls[url] = fromDisk }
        }
        if let cached, cached.crl.names(issuer: issuer), cached.crl.isCurrent(at: now) {
            record(url) { $0.hits += 1 }
            if now - cached.fetchedAt >= configuration.freshness || refreshDue(cached.crl, now: now) { startCRL(key: key, url: url, issuer: issuer) }
            return .success(cached.crl)
        }
        record(url) { $0.misses += 1 }
        switch startCRL(key: key, url: url, issuer: issuer).wait(until: deadline) {
        case .none: return .failure(FetchProblem("no answer within the revocation budget (the CRL, when it comes, is cached)"))
        case .failure(let problem)?: return .failure(problem)
        case .success?:
            if let fresh = state.withLockedValue({ $0.crls[url] }), fresh.crl.isCurrent(at: now) { return .success(fresh.crl) }
            return .failure(FetchProblem("the CRL is not current"))
        }
    }

    /// The complete CRL `complete` read with a current delta CRL from the certificate's freshestCRL addresses that
    /// applies to it (RFC 5280 §5.2.4), and the delta's address; `complete` alone when there is none.
    private func delta(over complete: CRL, certificate: Certificate, issuer: Certificate, now: Int64, deadline: ContinuousClock.Instant,
                       problems: inout [String]) -> (CRLEvidence, String?) {
        for written in certificate.freshestCRLURLs.prefix(2) {
            let url = configuration.rewritten(written)
            guard Self.fetchable(url) else { continue }
            switch crl(url, issuer: issuer, now: now, deadline: deadline) {
            case .success(let delta) where complete.isBase(of: delta):
                return (CRLEvidence(crl: delta, base: complete), url)
            case .success:
                problems.append("the delta CRL at \(url) does not apply to the complete CRL held (issuer, scope or numbers differ)")
            case .failure(let problem):
                problems.append("delta CRL \(url): \(problem.message)")
            }
        }
        return (CRLEvidence(crl: complete, base: nil), nil)
    }

    /// Refresh before `nextUpdate`: in the last tenth of the CRL's validity (at least the last hour).
    private func refreshDue(_ crl: CRL, now: Int64) -> Bool {
        guard let next = crl.nextUpdate else { return false }
        return next - now <= max(3600, (next - crl.thisUpdate) / 10)
    }

    @discardableResult
    private func startCRL(key: String, url: String, issuer: Certificate) -> Inflight {
        fetch(key: key, url: url, method: .GET, body: nil, contentType: nil, limit: configuration.maxCRLBytes) { [weak self] bytes in
            guard let self else { return }
            let crl = try CRL(bytes: bytes)
            guard crl.isSigned(by: issuer) else { throw FetchProblem("the CRL is not signed by \(issuer.subject)") }
            let now = Int64(Date().timeIntervalSince1970)
            if let next = crl.nextUpdate, next < now { throw FetchProblem("the CRL is stale: its nextUpdate \(isoUTC(next)) has passed") }
            let previous = state.withLockedValue { $0.crls[url] }
            if let previous, previous.crl.thisUpdate > crl.thisUpdate { throw FetchProblem("the CRL is older than the one already held") }
            state.withLockedValue { $0.crls[url] = CachedCRL(crl: crl, fetchedAt: now) }
            saveToDisk(url, crl)
        }
    }

    private func diskPath(_ url: String) -> String? {
        configuration.cacheDirectory.map { $0 + "/crl/" + Digest.sha256(Array(url.utf8)).hexString + ".crl" }
    }

    private func loadFromDisk(_ url: String, issuer: Certificate) -> CachedCRL? {
        guard let path = diskPath(url), let data = FileManager.default.contents(atPath: path), let crl = try? CRL(bytes: Array(data)),
              crl.isSigned(by: issuer) else { return nil }
        let modified = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date).map { Int64($0.timeIntervalSince1970) }
        return CachedCRL(crl: crl, fetchedAt: modified ?? crl.thisUpdate)
    }

    private func saveToDisk(_ url: String, _ crl: CRL) {
        guard let path = diskPath(url) else { return }
        let temporary = path + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(crl.der)) else { return }
        _ = rename(temporary, path)
    }

    // MARK: Background refresh

    /// Fetches again every cached CRL that is due (in the last tenth of its validity, or older than the
    /// freshness). Called periodically by the hub's revocation service.
    package func refreshCRLs() {
        let now = Int64(Date().timeIntervalSince1970)
        let due = state.withLockedValue { state in
            state.crls.filter { now - $0.value.fetchedAt >= configuration.freshness || refreshDue($0.value.crl, now: now) }
                .compactMap { entry in state.crlIssuers[entry.key].map { (entry.key, $0) } }
        }
        for (url, issuer) in due { startCRL(key: "crl|" + url, url: url, issuer: issuer) }
    }
}

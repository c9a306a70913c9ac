import AsyncHTTPClient
import Foundation
package import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
package import TrucCrypto
package import TrucSignatures

extension NetworkRevocation {
    // MARK: Fetching

    func fetch(key: String, url: String, method: HTTPMethod, body: [UInt8]?, contentType: String?, limit: Int,
                       accept: @escaping @Sendable ([UInt8]) throws -> Void) -> Inflight {
        let host = URL(string: url)?.host ?? url
        let (inflight, start) = state.withLockedValue { state -> (Inflight, Bool) in
            if let running = state.inflight[key] { return (running, false) }
            if state.perHost[host, default: 0] >= configuration.perHostConcurrency {
                state.responders[url, default: ResponderStatistics()].failures += 1
                return (Inflight(failed: FetchProblem("too many fetches to \(host) at once")), false)
            }
            let fresh = Inflight()
            state.inflight[key] = fresh
            state.perHost[host, default: 0] += 1
            return (fresh, true)
        }
        guard start else { return inflight }
        let started = ContinuousClock.now
        let finish: @Sendable (Result<Void, FetchProblem>) -> Void = { [weak self] result in
            guard let self else { return inflight.complete(result) }
            let elapsed = ContinuousClock.now - started
            state.withLockedValue { state in
                state.inflight[key] = nil
                state.perHost[host, default: 1] -= 1
                var stats = state.responders[url, default: ResponderStatistics()]
                stats.fetches += 1
                stats.fetchSeconds += Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                if case .failure = result { stats.failures += 1 }
                state.responders[url] = stats
            }
            if case .failure(let problem) = result {
                logger.warning("revocation fetch failed", metadata: ["url": "\(url)", "problem": "\(problem.message)"])
            }
            inflight.complete(result)
        }
        guard let http else {
            finish(.failure(FetchProblem("the revocation source is shut down")))
            return inflight
        }
        if let refused = configuration.refuseTarget(url) {
            finish(.failure(FetchProblem("target-denied: \(refused)")))
            return inflight
        }
        do {
            var request = try HTTPClient.Request(url: url, method: method)
            if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
            if let body { request.body = .bytes(body) }
            let accumulator = ResponseAccumulator(request: request, maxBodySize: limit)
            let timeout = configuration.fetchTimeout
            http.execute(request: request, delegate: accumulator,
                         deadline: .now() + .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000))
                .futureResult.whenComplete { result in
                    switch result {
                    case .success(let response):
                        guard response.status == .ok, var buffer = response.body else {
                            return finish(.failure(FetchProblem("HTTP \(response.status.code)")))
                        }
                        let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
                        do {
                            try accept(bytes)
                            finish(.success(()))
                        } catch let problem as FetchProblem {
                            finish(.failure(problem))
                        } catch {
                            finish(.failure(FetchProblem("\(error)")))
                        }
                    case .failure(let error):
                        finish(.failure(FetchProblem(error is ResponseAccumulator.ResponseTooBigError ? "the answer is larger than \(limit) bytes"
                                                                                                       : "\(error)")))
                    }
                }
        } catch {
            finish(.failure(FetchProblem("\(error)")))
        }
        return inflight
    }

    // MARK: Statistics

    package struct ResponderStatistics: Sendable, Equatable {
        package var hits = 0
        package var misses = 0
        package var fetches = 0
        package var failures = 0
        package var fetchSeconds = 0.0
    }

    package struct CRLState: Sendable, Equatable {
        package let url: String
        package let issuer: String
        package let thisUpdate: Int64
        package let nextUpdate: Int64?
        package let fetchedAt: Int64
    }

    /// Per OCSP responder / CRL URL: cache hits and misses, fetches, failures, total fetch time.
    package var responders: [String: ResponderStatistics] { state.withLockedValue { $0.responders } }

    /// The fetched CRLs held, with their ages.
    package var crlStates: [CRLState] {
        state.withLockedValue { state in
            state.crls.map { CRLState(url: $0.key, issuer: $0.value.crl.issuer, thisUpdate: $0.value.crl.thisUpdate,
                                      nextUpdate: $0.value.crl.nextUpdate, fetchedAt: $0.value.fetchedAt) }.sorted { $0.url < $1.url }
        }
    }

    func record(_ url: String, _ change: (inout ResponderStatistics) -> Void) {
        state.withLockedValue { change(&$0.responders[url, default: ResponderStatistics()]) }
    }
}

/// Why a fetch gave no usable answer.
struct FetchProblem: Error, Sendable {
    let message: String
    init(_ message: String) { self.message = message }
}

/// One fetch that callers wait for (with a deadline) and that completes once.
/// The result is guarded by the condition's own lock, hence `@unchecked Sendable`.
final class Inflight: @unchecked Sendable {
    private var result: Result<Void, FetchProblem>?
    private let signal = NSCondition()

    init(failed: FetchProblem? = nil) { result = failed.map { .failure($0) } }

    func complete(_ result: Result<Void, FetchProblem>) {
        signal.lock()
        self.result = result
        signal.broadcast()
        signal.unlock()
    }

    /// The result, or nil when the deadline passed first.
    func wait(until deadline: ContinuousClock.Instant) -> Result<Void, FetchProblem>? {
        signal.lock()
        defer { signal.unlock() }
        while true {
            if let result { return result }
            let remaining = ContinuousClock.now.duration(to: deadline)
            if remaining <= .zero { return nil }
            let seconds = Double(remaining.components.seconds) + Double(remaining.components.attoseconds) / 1e18
            _ = signal.wait(until: Date(timeIntervalSinceNow: seconds))
        }
    }
}

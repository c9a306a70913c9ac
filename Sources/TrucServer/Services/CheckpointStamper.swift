import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import TrucCrypto
import TrucSignatures
import TrucStore

/// Asks the configured RFC 3161 TSA (`--tsa-url`) for a time-stamp of each signed checkpoint of the evidence log
/// (over the whole signed note), newest first, and keeps the token once it checks (imprint, signature, a TSA
/// certificate with id-kp-timeStamping chaining to the trust directory). A TSA that fails or answers nonsense is
/// retried with backoff (1 s doubling to 5 min); intake never waits for it.
struct CheckpointStamper: Service {
    let store: any EvidenceLogStore
    let url: String
    let trust: TrustState
    let logger: Logger

    func run() async throws {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
        // A TSA that refuses connections fails the attempt at once: this loop's backoff decides when to try again.
        // (With the client's own retries, an unreachable TSA kept reconnecting on the event loops the hub serves
        // requests on: status messages lost 10 % and their p99 went from 66 to 160–220 ms while it was down.)
        configuration.connectionPool.retryConnectionEstablishment = false
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        var backoff: Duration = .seconds(1)
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            var wait: Duration = .seconds(2)
            do {
                for checkpoint in try await store.checkpointsAwaitingTimeStamp(limit: 20) {
                    try await stamp(checkpoint, client: client)
                }
                backoff = .seconds(1)
            } catch {
                logger.warning("cannot time-stamp the evidence log's checkpoint; trying again", metadata: [
                    "tsa": "\(url)", "error": "\(error)", "retryIn": "\(backoff)"])
                wait = backoff
                backoff = min(backoff * 2, .seconds(300))
            }
            await pauseUnlessStopping(for: wait)
        }
        try? await client.shutdown()
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    func stamp(_ checkpoint: StoredCheckpoint, client: HTTPClient) async throws {
        let note = Array(checkpoint.note.utf8)
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/timestamp-query")
        request.body = .bytes(ByteBuffer(bytes: TimeStampQuery.request(sha256: Digest.sha256(note), nonce: try secureRandomBytes(8))))
        let response = try await client.execute(request, timeout: .seconds(10))
        guard response.status == .ok else { throw Failure(description: "the TSA answered HTTP \(response.status.code)") }
        let body = try await response.body.collect(upTo: 64 << 10)
        let token = try TimeStampQuery.token(fromResponse: Array(buffer: body))
        let checked = TimeStampQuery.check(token, over: note, trust: trust.trust)
        guard let time = checked.time else { throw Failure(description: "the TSA's token proves nothing: \(checked.problem ?? "unknown")") }
        try await store.saveCheckpointTimeStamp(size: checkpoint.size, token: token, time: time)
        logger.info("time-stamped a checkpoint of the evidence log", metadata: ["size": "\(checkpoint.size)", "tsa": "\(checked.tsa ?? url)"])
    }
}

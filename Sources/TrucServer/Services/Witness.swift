import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import TrucCore
import TrucCrypto
import TrucLog
import TrucStore

/// This hub as a witness of other hubs' evidence logs (docs/evidence-log.md "Witnesses"): `POST /v1/log/witness` takes a peer
/// hub's signed checkpoint with a consistency proof from the last checkpoint this hub cosigned of that log, checks
/// both, and answers its cosignature (C2SP tlog-cosignature, the hub's log key). A checkpoint that does not extend
/// what was cosigned before — the log showed two histories — is refused (`409 log-forked`), kept with the
/// checkpoint it contradicts, and logged as an error. Only logs whose verifier key is configured
/// (`--witness-for`) are witnessed; only a peer hub (a relay agency) may ask.
struct WitnessRoutes: Sendable {
    let store: any EvidenceLogStore & WitnessStore
    let hubCode: String
    /// The verifier keys of the logs this hub witnesses, by origin.
    let logs: [String: String]
    let logger: Logger

    /// The request: the checkpoint, the size of the last one the witness cosigned (0 the first time) and the
    /// RFC 9162 consistency proof between them (base64 hashes).
    struct Submission: Decodable {
        let checkpoint: String
        let oldSize: Int64
        let proof: [String]
    }

    var name: String { "truc-log/\(hubCode)" }

    func register(on router: AccessRouter) {
        router.post("/v1/log/witness", .peerHub) { request, context in
            _ = try context.requireCaller()
            let body = try await request.body.collect(upTo: 256 << 10)
            guard let asked = try? JSONDecoder().decode(Submission.self, from: Data(body.readableBytesView)) else {
                throw HubError(.invalidBody, "send {\"checkpoint\": signed note, \"oldSize\": n, \"proof\": [base64 hashes]}")
            }
            let line = try await cosign(asked)
            return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: line + "\n")))
        }
        router.get("/v1/log/witness/key", .reader) { _, context in
            _ = try context.requireCaller()
            let key = try Ed25519Key(seed: try await store.logSigningSeed())
            return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: Cosignature.verifierKey(name: name, publicKey: key.publicKey) + "\n")))
        }
        router.get("/v1/log/witness/forks", .operatorOnly) { _, _ in
            JSONText.response(["forks": try await store.forks(limit: 100)])
        }
    }

    func cosign(_ asked: Submission) async throws -> String {
        let origin = asked.checkpoint.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? ""
        guard let verifier = logs[origin] else { throw HubError(.unknownLog, "this hub does not witness the log \(origin) (--witness-for)") }
        guard let checkpoint = Checkpoint.verify(note: asked.checkpoint, verifier: verifier) else {
            throw HubError(.checkpointUnsigned, "the checkpoint does not verify with the key this hub holds for \(origin)")
        }
        let proof = asked.proof.compactMap { Data(base64Encoded: $0).map { Array($0) } }
        guard proof.count == asked.proof.count, proof.count <= 128, asked.oldSize >= 0 else {
            throw HubError(.invalidBody, "the proof is a list of at most 128 base64 SHA-256 hashes")
        }
        let known = try await store.witnessed(origin)
        guard asked.oldSize == (known?.size ?? 0) else {
            throw HubError(.oldSizeMismatch, "this witness last cosigned \(origin) at size \(known?.size ?? 0): prove consistency from there",
                           details: ["witnessedSize": "\(known?.size ?? 0)"])
        }
        if let known {
            let consistent = checkpoint.size == known.size ? checkpoint.root == known.root
                : checkpoint.size > known.size && MerkleTree.verifyConsistency(old: Int(known.size), new: Int(checkpoint.size), oldRoot: known.root,
                                                                                newRoot: checkpoint.root, proof: proof)
            guard consistent else {
                let detail = checkpoint.size < known.size ? "the log shows \(checkpoint.size) leaves after \(known.size) were cosigned"
                    : "the checkpoint of \(checkpoint.size) leaves does not extend the one of \(known.size) cosigned before"
                try await store.recordFork(WitnessFork(origin: origin, at: Int64(Date().timeIntervalSince1970), detail: detail, known: known.note,
                                                       shown: asked.checkpoint))
                logger.error("a witnessed log showed two histories (a fork): refused to cosign", metadata: ["origin": "\(origin)", "detail": "\(detail)"])
                throw HubError(.logForked, "\(detail): this witness saw another history of \(origin) and will not cosign this one")
            }
        }
        let now = Int64(Date().timeIntervalSince1970)
        if known?.size != checkpoint.size {
            guard try await store.advanceWitnessed(origin, from: known?.size,
                                                   to: WitnessedCheckpoint(size: checkpoint.size, root: checkpoint.root, note: asked.checkpoint, at: now)) else {
                throw HubError(.oldSizeMismatch, "another checkpoint of \(origin) was cosigned meanwhile: ask again")
            }
        }
        let key = try Ed25519Key(seed: try await store.logSigningSeed())
        return try Cosignature.sign(checkpoint, name: name, key: key, time: now)
    }
}

/// Gathers cosignatures of this hub's latest checkpoint from the witnesses configured (`--witnesses`): sends each
/// the checkpoint with a consistency proof from the last size it cosigned (or the size it says it holds), keeps
/// the line it answers. A witness that refuses (a fork) or fails is logged and asked again later (backoff to 5 min).
struct WitnessGatherer: Service {
    let store: any EvidenceLogStore & WitnessStore
    let witnesses: [String]
    let client: HTTPClient
    let metrics: HubMetrics
    let logger: Logger

    func run() async throws {
        var backoff: [String: (until: ContinuousClock.Instant, wait: Duration)] = [:]
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            if let checkpoint = try? await store.checkpoint(size: nil) {
                for witness in witnesses where (backoff[witness]?.until ?? .now) <= .now {
                    do {
                        try await gather(checkpoint, from: witness)
                        backoff[witness] = nil
                    } catch {
                        // A witness that holds a larger tree than this log (its store rolled back) is asked again
                        // every 2 s, so the fork shows as soon as the log passes that size; other failures back off.
                        let wait = (error as? Refused)?.ahead == true ? .seconds(2) : min(max((backoff[witness]?.wait ?? .zero) * 2, .seconds(2)), .seconds(300))
                        backoff[witness] = (.now + wait, wait)
                        metrics.serviceError(service: "log-witness")
                        logger.error("a witness did not cosign the evidence log's checkpoint", metadata: [
                            "witness": "\(witness)", "size": "\(checkpoint.size)", "error": "\(error)", "retryIn": "\(wait)"])
                    }
                }
            }
            await pauseUnlessStopping(for: .seconds(1))
        }
        try? await client.shutdown()
    }

    struct Refused: Error, CustomStringConvertible {
        let description: String
        /// The witness cosigned more leaves than this log has.
        var ahead = false
    }

    func gather(_ checkpoint: StoredCheckpoint, from witness: String) async throws {
        var oldSize = try await store.lastCosigned(by: witness) ?? 0
        guard oldSize < checkpoint.size else { return }
        for _ in 0..<2 {
            let proof = oldSize == 0 ? [] : try await LogProofs.consistency(of: store, old: oldSize, new: checkpoint.size)
            var request = HTTPClientRequest(url: witness.hasSuffix("/") ? witness + "v1/log/witness" : witness + "/v1/log/witness")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            struct Body: Encodable {
                let checkpoint: String
                let oldSize: Int64
                let proof: [String]
            }
            request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(Body(checkpoint: checkpoint.note, oldSize: oldSize,
                                                                                   proof: proof.map { Data($0).base64EncodedString() }))))
            let response = try await client.execute(request, timeout: .seconds(10))
            let body = String(buffer: try await response.body.collect(upTo: 64 << 10))
            if response.status == .ok, let line = body.split(separator: "\n").first {
                try await store.saveCosignature(size: checkpoint.size, witness: witness, line: String(line))
                logger.info("a witness cosigned the evidence log's checkpoint", metadata: ["witness": "\(witness)", "size": "\(checkpoint.size)"])
                return
            }
            // The witness holds another size: prove consistency from there, once.
            if response.status == .conflict,
               let answer = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
               let held = ((answer["error"] as? [String: Any])?["witnessedSize"] as? NSNumber)?.int64Value,
               held != oldSize {
                guard held <= checkpoint.size else {
                    throw Refused(description: "the witness cosigned \(held) leaves of this log, which has \(checkpoint.size): was the store rolled back?", ahead: true)
                }
                oldSize = held
                continue
            }
            throw Refused(description: "HTTP \(response.status.code): \(body.prefix(300))")
        }
        throw Refused(description: "the witness changed its size twice")
    }
}

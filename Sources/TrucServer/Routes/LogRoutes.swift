import EdXML
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TrucCore
import TrucCrypto
import TrucLog
import TrucStore
import TrucVocabulary

/// The evidence log over HTTP: the latest signed checkpoint and the log's verifier key, inclusion proofs (of a
/// message's event for those who may read the message; of any leaf for the operator), consistency proofs between
/// two tree sizes, and the entries (operator).
extension HubRoutes {
    func registerLog(on router: AccessRouter) {
        router.get("/v1/log/checkpoint", .reader) { _, context in
            _ = try context.requireCaller()
            guard let checkpoint = try await store.checkpoint(size: nil) else {
                throw HubError(.noCheckpoint, "the evidence log has no checkpoint yet (the first comes within --checkpoint-interval of the first event)")
            }
            // The witnesses' cosignatures follow the log's own signature line (C2SP signed note: one line each).
            let cosignatures = try await store.cosignatures(size: checkpoint.size).map { $0.line + "\n" }.joined()
            return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8", .init("X-Truc-Log-Key")!: try await verifierKey()],
                            body: .init(byteBuffer: ByteBuffer(string: checkpoint.note + cosignatures)))
        }
        router.get("/v1/log/timestamp", .reader) { request, context in
            _ = try context.requireCaller()
            let size = try request.uri.queryParameters.get("size").map { text -> Int64 in
                guard let n = ASCIINumber.parse(text, in: 1...Int64.max) else { throw HubError(.invalidParameter, "size is a tree size") }
                return n
            }
            guard let checkpoint = try await store.checkpoint(size: size) else { throw HubError(.noCheckpoint, "no such checkpoint") }
            guard let token = checkpoint.timeStampToken, let time = checkpoint.timeStampTime else {
                throw HubError(.notTimeStamped, "checkpoint \(checkpoint.size) has no time-stamp (yet, or no --tsa-url)")
            }
            struct Answer: Encodable {
                let size: Int64
                let time: String
                let token: String
                let checkpoint: String
            }
            return JSONText.response(Answer(size: checkpoint.size, time: CivilCalendar.isoUTC(time), token: Data(token).base64EncodedString(),
                                            checkpoint: checkpoint.note))
        }
        router.get("/v1/log/key", .reader) { _, context in
            _ = try context.requireCaller()
            return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: try await verifierKey() + "\n")))
        }
        router.get("/v1/log/proof/inclusion", .reader) { request, context in try await inclusion(request, context) }
        router.get("/v1/log/proof/consistency", .reader) { request, context in try await consistency(request, context) }
        router.get("/v1/log/entries", .reader) { request, context in
            let caller = try context.requireCaller()
            let q = request.uri.queryParameters
            guard let start = ASCIINumber.parse(q.get("start") ?? "0", in: 0...Int64.max),
                  let count = ASCIINumber.parse(q.get("count") ?? "100", in: 1...1000) else {
                throw HubError(.invalidParameter, "start is a leaf index, count 1 to 1000")
            }
            struct Entry: Encodable {
                let index: Int64
                let entry: String
            }
            struct Page: Encodable {
                let entries: [Entry]
                /// Where the next page starts (the leaves after those read, whether shown or not).
                let next: Int64
            }
            let entries = try await store.logEntries(from: start, count: Int(count))
            let next = (entries.last?.index).map { $0 + 1 } ?? start
            var shown = entries
            switch caller {
            case .operatorRole: break
            case .agency(let agency):
                // An agency sees the events that name it (as sender, recipient, caller or agency), of the leaves read.
                shown = entries.filter { Self.names(agency.code, LogEvent.parse($0.entry)) }
            default: throw HubError.forbidden("the evidence log's entries are for the operator and for agencies (their own)")
            }
            return JSONText.response(Page(entries: shown.map { Entry(index: $0.index, entry: String(decoding: $0.entry, as: UTF8.self)) }, next: next))
        }
    }

    /// Whether an event names the agency `code` (as its sender, a recipient, its caller or its agency).
    static func names(_ code: String, _ event: LogEvent?) -> Bool {
        guard let event else { return false }
        return ["sender", "recipient", "caller", "agency"].contains { event.string($0) == code } || event.strings("recipients")?.contains(code) == true
    }

    /// The log's verifier key ("name+id+base64"), as a signed note's verifier reads it.
    func verifierKey() async throws -> String {
        let key = try Ed25519Key(seed: try await store.logSigningSeed())
        let name = "truc-log/\(receipts.hubCode)"
        return Checkpoint.verifierKey(name: name, publicKey: key.publicKey)
    }

    /// `?message=ID` (its sender, recipients, the operator) or `?index=N` (operator), `&size=M` (default: the latest
    /// checkpoint's): the event, its leaf index and the audit path to the root of that size, with the checkpoint.
    func inclusion(_ request: Request, _ context: HubRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        let q = request.uri.queryParameters
        let index: Int64
        if let id = q.get("message") {
            let message = try await authorisedMessage(id, caller)
            guard let found = try await store.logIndex(ofMessage: message.id) else {
                throw HubError(.notLoggedYet, "the event of message \(id) has no leaf yet (sequenced within a second), or it predates the log")
            }
            index = found
        } else {
            guard let parsed = ASCIINumber.parse(q.get("index") ?? "", in: 0...Int64.max) else {
                throw HubError(.invalidParameter, "give message=ID or index=N")
            }
            guard case .operatorRole = caller else { throw HubError.forbidden("a leaf by index is for the operator; agencies ask by message") }
            index = parsed
        }
        let (checkpoint, size) = try await treeSize(q.get("size"))
        guard index < size else {
            throw HubError(.notInCheckpoint, "leaf \(index) is not in the tree of \(size) leaves yet: ask again after the next checkpoint")
        }
        guard let entry = try await store.logEntries(from: index, count: 1).first, entry.index == index else { throw HubError.notFound("no leaf \(index)") }
        let proof = try await LogProofs.inclusion(of: store, index: index, size: size)
        struct Answer: Encodable {
            let index: Int64
            let size: Int64
            let entry: String
            let leafHash: String
            let proof: [String]
            let checkpoint: String?
        }
        return JSONText.response(Answer(index: index, size: size, entry: String(decoding: entry.entry, as: UTF8.self),
                                        leafHash: MerkleTree.leafHash(entry.entry).hexString, proof: proof.map { Data($0).base64EncodedString() },
                                        checkpoint: checkpoint?.note))
    }

    /// `?first=M&second=N` (second: default the latest checkpoint's size): the RFC 9162 consistency proof.
    func consistency(_ request: Request, _ context: HubRequestContext) async throws -> Response {
        _ = try context.requireCaller()
        let q = request.uri.queryParameters
        let (checkpoint, second) = try await treeSize(q.get("second"))
        guard let first = ASCIINumber.parse(q.get("first") ?? "", in: 1...Int64.max), first <= second else {
            throw HubError(.invalidParameter, "first is a tree size from 1 to second (\(second))")
        }
        let proof = try await LogProofs.consistency(of: store, old: first, new: second)
        struct Answer: Encodable {
            let first: Int64
            let second: Int64
            let proof: [String]
            let checkpoint: String?
        }
        return JSONText.response(Answer(first: first, second: second, proof: proof.map { Data($0).base64EncodedString() }, checkpoint: checkpoint?.note))
    }

    /// The tree size asked (`size` text) and its checkpoint, else the latest checkpoint's; 404 without one, 400
    /// for a size beyond the tree.
    func treeSize(_ text: String?) async throws -> (StoredCheckpoint?, Int64) {
        if let text {
            guard let size = ASCIINumber.parse(text, in: 1...Int64.max), size <= (try await store.logSize()) else {
                throw HubError(.invalidParameter, "size is a tree size from 1 to the log's size")
            }
            return (try await store.checkpoint(size: size), size)
        }
        guard let latest = try await store.checkpoint(size: nil) else {
            throw HubError(.noCheckpoint, "the evidence log has no checkpoint yet")
        }
        return (latest, latest.size)
    }
}

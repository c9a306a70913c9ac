import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TrucCrypto
import TrucLog
import TrucCore

extension LogCommand {
    /// `truc log monitor`: what a witness or an auditor runs from cron against a hub — fetch its latest signed
    /// checkpoint, check the signature with the key pinned on the first run, and check that it extends the last
    /// checkpoint seen (RFC 9162 consistency proof); keep it as the new state. Exit 0 when consistent, 1 on a fork, a
    /// rollback, a changed key or a bad signature (the state is then left as it was), 3 when the hub cannot be reached.
    struct Monitor: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check a hub's latest checkpoint against the last one seen; exit 1 on a fork.")
        @OptionGroup var connection: HubConnection
        @Option(help: "The state file (the pinned key and the last checkpoint seen); made on the first run.") var state: String

        struct State: Codable {
            var key: String
            var size: Int64
            var root: String
            var note: String
        }

        func run() async throws {
            let client = try connection.client()
            do {
                try await check(client)
                try await client.shutdown()
            } catch {
                try? await client.shutdown()
                throw error
            }
        }

        func get(_ client: HTTPClient, _ path: String) async throws -> String {
            var request = HTTPClientRequest(url: connection.baseURL + path)
            if let token = connection.token ?? ProcessInfo.processInfo.environment["TRUC_TOKEN"], connection.cert == nil {
                request.headers.add(name: "Authorization", value: "Bearer \(token)")
            }
            let response: HTTPClientResponse
            do { response = try await client.execute(request, timeout: .seconds(30)) } catch {
                throw CommandFailure(.hubUnreachable, HubConnection.explain(error, connection.baseURL)).report()
            }
            let body = String(buffer: try await response.body.collect(upTo: 1 << 20))
            guard response.status.code == 200 else {
                throw CommandFailure(.hubRefused, "\(path): HTTP \(response.status.code) \(body.prefix(300))").report()
            }
            return body
        }

        func fail(_ message: String) -> CommandFailure { CommandFailure(.logInconsistent, message) }

        func check(_ client: HTTPClient) async throws {
            // A state that exists and does not read is an error, never a first run: that would pin whatever key the hub serves now.
            var previous: State?
            if let bytes = FileManager.default.contents(atPath: state) {
                guard let read = try? JSONDecoder().decode(State.self, from: bytes) else {
                    throw CommandFailure(.stateUnreadable, "\(state) is not a state this command wrote: restore it, or remove it to pin the hub's key again").report()
                }
                previous = read
            }
            let served = try await get(client, "/v1/log/key").trimmingCharacters(in: .whitespacesAndNewlines)
            let key = previous?.key ?? served
            if served != key { throw fail("the hub's log key changed: pinned \(key), now \(served)").report() }
            let note = try await get(client, "/v1/log/checkpoint")
            guard let checkpoint = Checkpoint.verify(note: note, verifier: key) else {
                throw fail("the checkpoint's signature does not verify with the pinned key").report()
            }
            if let previous {
                guard let oldRoot = Data(base64Encoded: previous.root).map(Array.init) else { throw fail("the state file is damaged").report() }
                if checkpoint.size < previous.size {
                    throw fail("the log shrank: it showed \(previous.size) leaves, now \(checkpoint.size) (a rollback or a fork)").report()
                }
                if checkpoint.size == previous.size, checkpoint.root != oldRoot {
                    throw fail("two roots for \(checkpoint.size) leaves: a fork").report()
                }
                if checkpoint.size > previous.size {
                    let body = try await get(client, "/v1/log/proof/consistency?first=\(previous.size)&second=\(checkpoint.size)")
                    let proof = ((try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])?["proof"] as? [String] ?? [])
                        .compactMap { Data(base64Encoded: $0).map(Array.init) }
                    guard MerkleTree.verifyConsistency(old: Int(previous.size), new: Int(checkpoint.size), oldRoot: oldRoot, newRoot: checkpoint.root, proof: proof) else {
                        throw fail("checkpoint \(checkpoint.size) does not extend checkpoint \(previous.size): a fork").report()
                    }
                }
            }
            let next = State(key: key, size: checkpoint.size, root: Data(checkpoint.root).base64EncodedString(), note: note)
            try JSONEncoder().encode(next).write(to: URL(fileURLWithPath: state), options: .atomic)
            print("checkpoint \(checkpoint.size) of \(checkpoint.origin) (root \(checkpoint.root.hexString))"
                  + (previous.map { " extends \($0.size)" } ?? ": first seen; key pinned"))
        }
    }
}

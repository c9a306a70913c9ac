import Foundation
import NIOHTTP1
import Testing
import TrucCrypto
import TrucLog
import TrucServer

/// `POST /v1/log/witness` as a watched hub that lies, forks or sends rubbish would use it: every refusal has its
/// code, a fork is kept once however often it is shown, and only a checkpoint that extends the last one cosigned
/// is cosigned (the honest path runs between two hub processes in EvidenceBundleTests).
@Suite("Witness: the route refuses what does not extend what it cosigned", .timeLimit(.minutes(30)))
struct WitnessRouteTests {
    static let origin = "truc-log/000.00.00.W41"

    /// A log of `size` leaves (distinct entries) and its tree.
    static func tree(_ size: Int, salt: UInt8 = 0) -> MerkleLevels {
        var levels = MerkleLevels()
        for i in 0..<size { levels.append(MerkleTree.leafHash([salt, UInt8(truncatingIfNeeded: i), UInt8(truncatingIfNeeded: i >> 8)])) }
        return levels
    }

    static func body(_ note: String, oldSize: Int64, proof: [[UInt8]] = []) -> [UInt8] {
        let object: [String: Any] = ["checkpoint": note, "oldSize": oldSize, "proof": proof.map { Data($0).base64EncodedString() }]
        return Array(try! JSONSerialization.data(withJSONObject: object))
    }

    @Test("rubbish, an unknown log, another key, a stale old size, a shorter or rewritten history, an oversized proof: each refused with its code; a fork kept once")
    func hostile() async throws {
        let key = try Ed25519Key(seed: [UInt8](repeating: 41, count: 32)), other = try Ed25519Key(seed: [UInt8](repeating: 42, count: 32))
        let verifier = Checkpoint.verifierKey(name: Self.origin, publicKey: key.publicKey)
        try await LiveHub.run(clientCertificate: "hub", hubCode: "000.00.00.W00", relays: ["000.00.00.W41"], configure: { $0.witnessFor = [verifier] }) { hub in
            func post(_ body: [UInt8]) async throws -> LiveHub.Reply {
                try await hub.request(.POST, "/v1/log/witness", body: body, headers: [("Content-Type", "application/json")])
            }
            let five = Self.tree(5), eight = Self.tree(8)
            let note5 = try Checkpoint(origin: Self.origin, size: 5, root: five.root).signed(name: Self.origin, key: key)
            #expect(try await post(Array("{not json".utf8)).errorCode == "invalid-body")
            let stranger = try Checkpoint(origin: "truc-log/000.00.00.W99", size: 5, root: five.root).signed(name: "truc-log/000.00.00.W99", key: key)
            #expect(try await post(Self.body(stranger, oldSize: 0)).errorCode == "unknown-log")
            let forged = try Checkpoint(origin: Self.origin, size: 5, root: five.root).signed(name: Self.origin, key: other)
            #expect(try await post(Self.body(forged, oldSize: 0)).errorCode == "checkpoint-unsigned")
            #expect(try await post(Self.body(note5, oldSize: 0, proof: Array(repeating: [UInt8](repeating: 0, count: 32), count: 129))).errorCode == "invalid-body")

            // The first checkpoint is cosigned; the line verifies under the witness's key over that checkpoint.
            let first = try await post(Self.body(note5, oldSize: 0))
            #expect(first.status == 200, "\(String(decoding: first.body, as: UTF8.self))")
            let witnessKey = String(decoding: try await hub.request(.GET, "/v1/log/witness/key", token: hub.operatorToken).body, as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let line = String(decoding: first.body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(Cosignature.verify(line: line, checkpoint: Checkpoint(origin: Self.origin, size: 5, root: five.root), verifier: witnessKey) != nil, "\(line)")
            // Replayed: the same checkpoint is cosigned again (nothing new to check); from a stale size, told the size held.
            #expect(try await post(Self.body(note5, oldSize: 5)).status == 200)
            let stale = try await post(Self.body(note5, oldSize: 0))
            #expect(stale.status == 409 && stale.errorCode == "old-size-mismatch"
                    && (stale.json?["error"] as? [String: Any])?["witnessedSize"] as? Int == 5, "\(String(decoding: stale.body, as: UTF8.self))")
            // An honest extension with its consistency proof is cosigned.
            let note8 = try Checkpoint(origin: Self.origin, size: 8, root: eight.root).signed(name: Self.origin, key: key)
            let proof = MerkleTree.consistencyProof(old: 5, new: 8) { level, index in eight.subtree(level, index) }
            #expect(try await post(Self.body(note8, oldSize: 5, proof: proof)).status == 200)
            // A rewritten history of 9 leaves (leaf 0 differs), with the proof of that history: a fork, kept once however often shown.
            let rewritten = Self.tree(9, salt: 1)
            let note9 = try Checkpoint(origin: Self.origin, size: 9, root: rewritten.root).signed(name: Self.origin, key: key)
            let lying = MerkleTree.consistencyProof(old: 8, new: 9) { level, index in rewritten.subtree(level, index) }
            for _ in 0..<3 {
                let forked = try await post(Self.body(note9, oldSize: 8, proof: lying))
                #expect(forked.status == 409 && forked.errorCode == "log-forked", "\(String(decoding: forked.body, as: UTF8.self))")
            }
            // A shorter history than the one cosigned: a fork too.
            #expect(try await post(Self.body(note5, oldSize: 8)).errorCode == "log-forked")
            let forks = try #require(try await hub.request(.GET, "/v1/log/witness/forks", token: hub.operatorToken).json?["forks"] as? [[String: Any]])
            #expect(forks.count == 2 && forks.allSatisfy { ($0["known"] as? String)?.contains("\n8\n") == true }, "\(forks)")
            // The witness still holds 8 leaves: the honest log goes on from there.
            let twelve = Self.tree(12)
            let note12 = try Checkpoint(origin: Self.origin, size: 12, root: twelve.root).signed(name: Self.origin, key: key)
            #expect(try await post(Self.body(note12, oldSize: 8, proof: MerkleTree.consistencyProof(old: 8, new: 12) { twelve.subtree($0, $1) })).status == 200)
        }
    }
}

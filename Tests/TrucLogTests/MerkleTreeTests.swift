import Foundation
import Testing
import TrucCrypto
import TrucLog
import TrucTestSupport

/// RFC 9162 Merkle trees: Truc's roots and proofs, checked by pymerkle (roots) and by RFC 9162's verification
/// algorithms written independently in Python (Tests/Fixtures/log/rfc9162_check.py), and by Truc's own verifiers,
/// which must also refuse every altered proof.
@Suite("Merkle tree (RFC 9162): roots, inclusion and consistency proofs", .timeLimit(.minutes(30)))
struct MerkleTreeTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/log")
    static var pymerkle: Bool { get async { (try? await Program.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", "import pymerkle"]))?.exitCode == 0 } }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    /// A tree of `count` distinct leaves (their lengths vary, the empty entry included).
    static func tree(_ count: Int) -> (entries: [[UInt8]], levels: MerkleLevels) {
        var levels = MerkleLevels()
        let entries = (0..<count).map { i in (0..<(i % 7)).map { UInt8(truncatingIfNeeded: i &* 31 &+ $0) } }
        for entry in entries { levels.append(MerkleTree.leafHash(entry)) }
        return (entries, levels)
    }

    @Test("the tree's own verifiers accept every proof it makes, for every size to 70, and refuse a flipped bit, a wrong index or size, a dropped or extra hash")
    func selfConsistent() {
        let (_, full) = Self.tree(70)
        var prefix = MerkleLevels()
        var roots: [[UInt8]] = [MerkleTree.emptyRoot]
        for size in 1...70 {
            prefix.append(full.subtree(0, size - 1))
            roots.append(prefix.root)
        }
        for size in 1...70 {
            for index in 0..<size {
                let proof = MerkleTree.inclusionProof(index: index, size: size, subtree: full.subtree)
                let leaf = full.subtree(0, index)
                #expect(MerkleTree.verifyInclusion(leafHash: leaf, index: index, size: size, proof: proof, root: roots[size]), "\(index) in \(size)")
                if size > 1 {
                    #expect(!MerkleTree.verifyInclusion(leafHash: leaf, index: (index + 1) % size, size: size, proof: proof, root: roots[size]))
                    var flipped = proof
                    flipped[0][0] ^= 1
                    #expect(!MerkleTree.verifyInclusion(leafHash: leaf, index: index, size: size, proof: flipped, root: roots[size]))
                    #expect(!MerkleTree.verifyInclusion(leafHash: leaf, index: index, size: size, proof: Array(proof.dropLast()), root: roots[size]))
                    #expect(!MerkleTree.verifyInclusion(leafHash: leaf, index: index, size: size, proof: proof + [leaf], root: roots[size]))
                }
            }
            for old in 0...size {
                let proof = MerkleTree.consistencyProof(old: old, new: size, subtree: full.subtree)
                #expect(MerkleTree.verifyConsistency(old: old, new: size, oldRoot: roots[old], newRoot: roots[size], proof: proof), "\(old) -> \(size)")
                if old > 0, old < size {
                    var flipped = proof
                    flipped[flipped.count - 1][5] ^= 0x10
                    #expect(!MerkleTree.verifyConsistency(old: old, new: size, oldRoot: roots[old], newRoot: roots[size], proof: flipped))
                    #expect(!MerkleTree.verifyConsistency(old: old, new: size, oldRoot: roots[old - 1 == 0 ? 1 : old - 1], newRoot: roots[size], proof: proof)
                            || old == 1)
                    #expect(!MerkleTree.verifyConsistency(old: old, new: size, oldRoot: roots[old], newRoot: roots[size], proof: Array(proof.dropFirst())))
                }
            }
        }
    }

    @Test("roots agree with pymerkle at every size to 150; proofs verify with RFC 9162's algorithms written in Python; altered ones do not", .enabled { await pymerkle })
    func independent() async throws {
        let (entries, full) = Self.tree(150)
        var prefix = MerkleLevels()
        var roots: [String] = []
        var rootBytes: [[UInt8]] = [MerkleTree.emptyRoot]
        for i in 0..<entries.count {
            prefix.append(full.subtree(0, i))
            rootBytes.append(prefix.root)
            roots.append(Self.hex(prefix.root))
        }
        var inclusion: [[String: Any]] = []
        var consistency: [[String: Any]] = []
        for size in [1, 2, 3, 5, 8, 13, 64, 65, 99, 150] {
            for index in Set([0, size / 2, size - 1, (size * 7) % size]) {
                let proof = MerkleTree.inclusionProof(index: index, size: size, subtree: full.subtree)
                let base: [String: Any] = ["leaf": Self.hex(full.subtree(0, index)), "index": index, "size": size, "path": proof.map(Self.hex),
                                           "root": Self.hex(rootBytes[size])]
                inclusion.append(base)
                if !proof.isEmpty {
                    var wrong = base
                    wrong["index"] = (index + 1) % size
                    wrong["valid"] = false
                    inclusion.append(wrong)
                }
            }
            for old in Set([1, 2, size / 3, size / 2, size - 1].filter { $0 >= 1 && $0 < size }) {
                let proof = MerkleTree.consistencyProof(old: old, new: size, subtree: full.subtree)
                consistency.append(["old": old, "new": size, "oldRoot": Self.hex(rootBytes[old]), "newRoot": Self.hex(rootBytes[size]), "path": proof.map(Self.hex)])
                var tampered = proof
                tampered[0][0] ^= 0x80
                consistency.append(["old": old, "new": size, "oldRoot": Self.hex(rootBytes[old]), "newRoot": Self.hex(rootBytes[size]),
                                    "path": tampered.map(Self.hex), "valid": false])
            }
        }
        let cases: [String: Any] = ["roots": ["leaves": entries.map(Self.hex), "roots": roots], "inclusion": inclusion, "consistency": consistency]
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("truc-merkle-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try JSONSerialization.data(withJSONObject: cases).write(to: file)
        let run = try await Program.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", Self.fixtures.appendingPathComponent("rfc9162_check.py").path, file.path])
        #expect(run.exitCode == 0 && run.stdout.hasPrefix("ok "), "\(run.stdout)\(run.stderr)")
    }

    @Test("the empty tree's root is SHA-256 of nothing; one leaf's root is its leaf hash")
    func smallTrees() {
        #expect(Self.hex(MerkleTree.emptyRoot) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        var one = MerkleLevels()
        one.append(MerkleTree.leafHash([]))
        #expect(one.root == MerkleTree.leafHash([]) && Self.hex(one.root) == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")
    }
}

@Suite("Checkpoints: C2SP signed notes with Ed25519", .timeLimit(.minutes(30)))
struct CheckpointTests {
    @Test("a signed checkpoint verifies with its verifier key and with no other; a changed size, root or signature does not")
    func signedNote() throws {
        var found = 0
        for seed in 0..<24 {
            // Keys whose base64 holds '+' and '/' are among these (the verifier key splits on the first two '+').
            let key = try Ed25519Key(seed: [UInt8](repeating: UInt8(seed), count: 32))
            let checkpoint = Checkpoint(origin: "truc-log/000.00.00.G22", size: 12_345, root: Digest.sha256([UInt8(seed)]))
            let note = try checkpoint.signed(name: checkpoint.origin, key: key)
            let verifier = Checkpoint.verifierKey(name: checkpoint.origin, publicKey: key.publicKey)
            if verifier.split(separator: "+").count > 3 { found += 1 }
            #expect(Checkpoint.verify(note: note, verifier: verifier) == checkpoint, "\(note)")
            #expect(note.hasPrefix("truc-log/000.00.00.G22\n12345\n") && note.contains("\n\n\u{2014} truc-log/000.00.00.G22 "))
            #expect(Checkpoint.verify(note: note.replacingOccurrences(of: "\n12345\n", with: "\n12346\n"), verifier: verifier) == nil)
            let other = try Ed25519Key(seed: [UInt8](repeating: UInt8(seed + 100), count: 32))
            #expect(Checkpoint.verify(note: note, verifier: Checkpoint.verifierKey(name: checkpoint.origin, publicKey: other.publicKey)) == nil)
            var bytes = Array(note.utf8)
            bytes[bytes.count - 10] = bytes[bytes.count - 10] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
            #expect(Checkpoint.verify(note: String(decoding: bytes, as: UTF8.self), verifier: verifier) == nil)
        }
        #expect(found > 0, "some verifier key carried '+' in its base64")
    }
}

import Foundation
import Testing
import TrucCrypto
import TrucLog

/// The offline check of an evidence bundle, on bundles built here from a tree of real events: what it proves,
/// and that every hostile variant (a file changed or added, a lying proof, an index beyond the tree, a proof of
/// a thousand hashes, a note under another key, a cosignature by a key not given) is named and proves nothing.
@Suite("Evidence bundles: the offline check", .timeLimit(.minutes(30)))
struct EvidenceBundleCheckTests {
    static let origin = "truc-log/000.00.00.W00"

    /// A bundle of message "m1": its accepted event at leaf 2 and an acknowledgement at leaf 5 of a 9-leaf tree,
    /// signed by `key`, cosigned by `witness`.
    static func bundle(key: Ed25519Key, witness: Ed25519Key) throws -> [String: [UInt8]] {
        let message = Array("<edXML>the document</edXML>".utf8), verdict = Array("{\"bucket\":\"organisation\"}".utf8)
        var entries: [[UInt8]] = (0..<9).map { i in
            LogEvent.operatorAction("token-issued", time: "2026-12-07T00:00:0\(i)Z", ["agency": .string("000.00.00.H41"), "count": .integer(Int64(i))]).canonical
        }
        entries[2] = LogEvent(kind: "accepted", time: "2026-12-07T00:00:02Z", [
            "message": .string("m1"), "messageKind": .string("edoc"), "sender": .string("000.00.00.G22"), "recipients": .strings(["000.00.00.H41"]),
            "sha256": .string(Digest.sha256(message).hexString), "verdict": .string(Digest.sha256(verdict).hexString),
        ]).canonical
        entries[5] = LogEvent.acknowledged(message: "m1", recipient: "000.00.00.H41", outcome: "done", time: "2026-12-07T00:00:05Z").canonical
        var levels = MerkleLevels()
        for entry in entries { levels.append(MerkleTree.leafHash(entry)) }
        let checkpoint = Checkpoint(origin: origin, size: 9, root: levels.root)
        var contents: [String: [UInt8]] = [
            "message.edxml": message, "verdict.json": verdict,
            "checkpoint.note": Array(try checkpoint.signed(name: origin, key: key).utf8),
            "log-key.txt": Array(Checkpoint.verifierKey(name: origin, publicKey: key.publicKey).utf8),
            "cosignatures.txt": Array((try Cosignature.sign(checkpoint, name: "truc-log/000.00.00.W01", key: witness, time: 1_796_600_000) + "\n").utf8),
        ]
        for index in [2, 5] {
            contents["events/\(index).json"] = entries[index]
            let proof = MerkleTree.inclusionProof(index: index, size: 9) { level, i in levels.subtree(level, i) }
            contents["proofs/\(index).json"] = Array(try JSONEncoder().encode(EvidenceBundle.Proof(index: Int64(index), size: 9, proof: proof)))
        }
        return Dictionary(uniqueKeysWithValues: try EvidenceBundle.files(origin: origin, message: "m1", generated: "2026-12-07T00:00:09Z", contents: contents,
                                                                         pending: [Array("{\"kind\":\"dead\"}".utf8)]))
    }

    static func check(_ files: [String: [UInt8]], key: Ed25519Key, witness: Ed25519Key?) -> EvidenceBundle.Findings {
        EvidenceBundle.check(files: files, pinnedKey: Checkpoint.verifierKey(name: origin, publicKey: key.publicKey),
                             witnessKeys: witness.map { [Cosignature.verifierKey(name: "truc-log/000.00.00.W01", publicKey: $0.publicKey)] } ?? []) { _, _ in
            (nil, nil, "no TSA here")
        }
    }

    /// Rewrites a file and its manifest digest (an attacker who also fixes the manifest).
    static func replacing(_ files: [String: [UInt8]], _ name: String, with bytes: [UInt8]) throws -> [String: [UInt8]] {
        var files = files
        files[name] = bytes
        var manifest = try JSONDecoder().decode(EvidenceBundle.Manifest.self, from: Data(files["manifest.json"]!))
        manifest.files[name] = Digest.sha256(bytes).hexString
        files["manifest.json"] = Array(try JSONEncoder().encode(manifest))
        return files
    }

    @Test("a bundle proves the message's bytes, its verdict, the acknowledgement and the cosignature; what is pending is listed, not proven")
    func proves() throws {
        let key = try Ed25519Key(seed: [UInt8](repeating: 7, count: 32)), witness = try Ed25519Key(seed: [UInt8](repeating: 8, count: 32))
        let findings = Self.check(try Self.bundle(key: key, witness: witness), key: key, witness: witness)
        #expect(findings.problems.isEmpty, "\(findings.problems)")
        #expect(findings.proves.first?.hasPrefix("message m1 (edoc) from 000.00.00.G22, to 000.00.00.H41: these exact bytes") == true, "\(findings.proves)")
        #expect(findings.proves.contains("acknowledged by 000.00.00.H41 (done) at 2026-12-07T00:00:05Z (leaf 5)"), "\(findings.proves)")
        #expect(findings.cosignedBy == ["truc-log/000.00.00.W01 at 2026-12-06T23:33:20Z"] && findings.pending == ["{\"kind\":\"dead\"}"], "\(findings)")
        #expect(findings.checkpointSize == 9 && findings.logKeyPinned)
        // Without the witness's key the cosignature counts for nothing; a token that proves nothing is named.
        #expect(Self.check(try Self.bundle(key: key, witness: witness), key: key, witness: nil).cosignedBy.isEmpty)
        let stamped = try Self.replacing(try Self.bundle(key: key, witness: witness), "checkpoint.tsr", with: [0x30, 0x03, 0x02, 0x01, 0x00])
        #expect(Self.check(stamped, key: key, witness: witness).problems == ["checkpoint.tsr does not prove a time for the checkpoint: no TSA here"])
    }

    @Test("changed, added, lying or oversized contents are each named; none proves anything it should not")
    func hostile() throws {
        let key = try Ed25519Key(seed: [UInt8](repeating: 7, count: 32)), witness = try Ed25519Key(seed: [UInt8](repeating: 8, count: 32))
        let good = try Self.bundle(key: key, witness: witness)
        func problems(_ files: [String: [UInt8]]) -> [String] { Self.check(files, key: key, witness: witness).problems }

        var flipped = good
        flipped["message.edxml"]![3] ^= 1
        #expect(problems(flipped).contains("message.edxml: its SHA-256 is not the manifest's"))
        let swapped = try Self.replacing(good, "message.edxml", with: Array("<edXML>another document</edXML>".utf8))
        #expect(problems(swapped) == ["message.edxml is not the message whose SHA-256 the accepted event (leaf 2) records"])
        let verdict = try Self.replacing(good, "verdict.json", with: Array("{\"bucket\":\"both\"}".utf8))
        #expect(problems(verdict) == ["verdict.json is not the verdict the accepted event (leaf 2) records"])
        var added = good
        added["events/7.json"] = Array("{}".utf8)
        #expect(problems(added).contains("events/7.json: not in the manifest"))
        // An event rewritten with its manifest entry: its proof no longer leads to the root, and the accepted event is gone.
        let event = try Self.replacing(good, "events/2.json", with: Array(String(decoding: good["events/2.json"]!, as: UTF8.self)
            .replacingOccurrences(of: "000.00.00.G22", with: "000.00.00.G17").utf8))
        #expect(problems(event).contains("events/2.json: its inclusion proof does not lead to the checkpoint's root (the event was changed, or is not in the log)"))
        #expect(problems(event).contains("no proven `accepted` event for message m1"))
        // A proof claiming a leaf beyond the tree, a proof of a thousand hashes, an index that is not a number.
        for proof in [EvidenceBundle.Proof(index: 99, size: 9, proof: []), EvidenceBundle.Proof(index: 5, size: 9, proof: Array(repeating: [UInt8](repeating: 1, count: 32), count: 1_000))] {
            let lying = try Self.replacing(good, "proofs/5.json", with: Array(try JSONEncoder().encode(proof)))
            #expect(problems(lying).contains { $0.hasPrefix("events/5.json: ") }, "\(problems(lying))")
        }
        let named = try Self.replacing(good, "events/x.json", with: Array("{}".utf8))
        #expect(problems(named).contains("events/x.json: not named by a leaf index"))
        // A note signed by another key; a manifest of another version; not a bundle at all.
        let other = try Ed25519Key(seed: [UInt8](repeating: 9, count: 32))
        let forged = try Self.bundle(key: other, witness: witness)
        #expect(problems(forged).first?.hasPrefix("checkpoint.note does not verify with the log key") == true)
        var version = good
        version["manifest.json"] = Array(String(decoding: good["manifest.json"]!, as: UTF8.self).replacingOccurrences(of: "\"version\" : 1", with: "\"version\" : 2").utf8)
        #expect(problems(version) == ["manifest.json is missing, unreadable, or of another version than 1"], "\(problems(version))")
        var plain = good
        plain["mimetype"] = Array("application/zip".utf8)
        #expect(problems(plain) == ["not an evidence bundle (its mimetype is not application/vnd.truc.evidence+zip)"])
    }

    @Test("a cosignature verifies under its witness key only, and not over another checkpoint or with another time")
    func cosignature() throws {
        let witness = try Ed25519Key(seed: [UInt8](repeating: 3, count: 32))
        let checkpoint = Checkpoint(origin: Self.origin, size: 42, root: Digest.sha256([1]))
        let line = try Cosignature.sign(checkpoint, name: "truc-log/000.00.00.W01", key: witness, time: 1_796_600_000)
        let verifier = Cosignature.verifierKey(name: "truc-log/000.00.00.W01", publicKey: witness.publicKey)
        #expect(Cosignature.verify(line: line, checkpoint: checkpoint, verifier: verifier) == 1_796_600_000)
        #expect(Cosignature.verify(line: line, checkpoint: Checkpoint(origin: Self.origin, size: 43, root: checkpoint.root), verifier: verifier) == nil)
        #expect(Cosignature.verify(line: line, checkpoint: checkpoint,
                                   verifier: Checkpoint.verifierKey(name: "truc-log/000.00.00.W01", publicKey: witness.publicKey)) == nil, "a note key (0x01) is not a cosignature key (0x04)")
        var blob = Array(Data(base64Encoded: String(line.split(separator: " ")[2]))!)
        blob[11] ^= 1 // the time
        #expect(Cosignature.verify(line: "\u{2014} truc-log/000.00.00.W01 " + Data(blob).base64EncodedString(), checkpoint: checkpoint, verifier: verifier) == nil)
    }
}

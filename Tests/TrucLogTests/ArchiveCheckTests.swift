import Foundation
import Testing
import TrucCrypto
import TrucLog

/// The offline check of payload archives, on archives built here: one archive's files and signature, and the chain
/// of several (a gap, a replaced or reordered archive, two files of one sequence).
@Suite("Payload archives: the offline check of one archive and of the chain", .timeLimit(.minutes(30)))
struct ArchiveCheckTests {
    static let origin = "truc-log/000.00.00.W00"

    /// A stand-in for an evidence bundle: its files as JSON (the archive check only opens it through `openBundle`).
    static func bundle(_ message: [UInt8]) -> [UInt8] {
        Array(try! JSONEncoder().encode(["message.edxml": Data(message).base64EncodedString()]))
    }

    static func open(_ bytes: [UInt8]) throws -> [String: [UInt8]] {
        let decoded = try JSONDecoder().decode([String: String].self, from: Data(bytes))
        return decoded.compactMapValues { Data(base64Encoded: $0).map { Array($0) } }
    }

    /// The files of archive `sequence` after `previous`, holding messages `ids`.
    static func archive(_ sequence: Int64, previous: String?, ids: [String], key: Ed25519Key) throws -> (files: [String: [UInt8]], name: String, digest: String) {
        var contents: [(entry: Archive.Entry, bundle: [UInt8], trace: [UInt8])] = []
        for id in ids {
            let message = Array("<edXML>\(id)</edXML>".utf8)
            let bundle = bundle(message), trace = Array("{\"id\":\"\(id)\"}".utf8)
            contents.append((Archive.Entry(id: id, kind: "edoc", sender: "000.00.00.G22", recipients: ["000.00.00.H41"], businessType: 0,
                                           receivedAt: 1_796_000_000, finalAt: 1_796_000_100, sha256: Digest.sha256(message).hexString,
                                           size: message.count, bundle: bundle, trace: trace), bundle, trace))
        }
        let manifest = Archive.Manifest(origin: origin, sequence: sequence, previous: previous, created: "2026-12-07T00:00:00Z", checkpoint: nil,
                                        messages: contents.map(\.entry))
        let written = try Archive.files(manifest: manifest, contents: contents, key: key)
        return (Dictionary(uniqueKeysWithValues: written.files.map { ($0.name, $0.bytes) }), written.fileName, written.manifestSHA256)
    }

    static func check(_ name: String, _ files: [String: [UInt8]], key: String?) -> Archive.Findings {
        Archive.check(file: name, files: files, pinnedKey: key, openBundle: open) { _, _ in [] }.0
    }

    @Test("an archive checks under the hub's key; a changed message, trace or manifest, an extra file, another key or another name are each named")
    func one() throws {
        let key = try Ed25519Key(seed: try Ed25519Key.newSeed())
        let verifier = Checkpoint.verifierKey(name: Self.origin, publicKey: key.publicKey)
        let (files, name, digest) = try Self.archive(1, previous: nil, ids: ["m1", "m2"], key: key)
        let good = Self.check(name, files, key: verifier)
        #expect(good.problems.isEmpty && good.messages == 2 && good.sequence == 1 && good.manifestSHA256 == digest, "\(good.problems)")
        #expect(Archive.sequence(ofFileName: name) == 1 && name.hasPrefix("truc-archive-0000000001-"))

        var changed = files
        changed["messages/m1.zip"] = Self.bundle(Array("<edXML>900 tỷ</edXML>".utf8))
        #expect(Self.check(name, changed, key: verifier).problems.contains { $0.hasPrefix("messages/m1.zip") })
        changed = files
        changed["messages/m2.trace.json"]?[0] ^= 1
        #expect(Self.check(name, changed, key: verifier).problems.contains { $0.hasPrefix("messages/m2.trace.json") })
        changed = files
        changed["manifest.json"] = Array(String(decoding: files["manifest.json"]!, as: UTF8.self).replacingOccurrences(of: "\"m2\"", with: "\"m3\"").utf8)
        #expect(Self.check(name, changed, key: verifier).problems.contains { $0.contains("manifest.note") }, "a changed manifest no longer matches its signature")
        changed = files
        changed["messages/extra.zip"] = [1, 2, 3]
        #expect(Self.check(name, changed, key: verifier).problems.contains { $0.hasPrefix("messages/extra.zip: not in the manifest") })
        let other = try Ed25519Key(seed: try Ed25519Key.newSeed())
        #expect(Self.check(name, files, key: Checkpoint.verifierKey(name: Self.origin, publicKey: other.publicKey)).problems.contains { $0.contains("does not verify") })
        // Signed by another key and carrying that key: passes only when nothing is pinned, and says so.
        let (forged, forgedName, _) = try Self.archive(1, previous: nil, ids: ["m1"], key: other)
        #expect(Self.check(forgedName, forged, key: nil).logKeyPinned == false)
        #expect(!Self.check(forgedName, forged, key: verifier).problems.isEmpty)
        #expect(Self.check("truc-archive-0000000002-" + digest.prefix(8) + ".zip", files, key: verifier).problems.contains { $0.contains("name does not match") })
        changed = files
        changed["mimetype"] = Array("application/zip".utf8)
        #expect(Self.check(name, changed, key: verifier).problems.contains { $0.contains("not a Truc archive") })
    }

    @Test("the chain: complete, a missing archive, a replaced one, two files of one sequence, a first archive naming a previous")
    func chain() throws {
        let key = try Ed25519Key(seed: try Ed25519Key.newSeed())
        let verifier = Checkpoint.verifierKey(name: Self.origin, publicKey: key.publicKey)
        let a1 = try Self.archive(1, previous: nil, ids: ["m1"], key: key)
        let a2 = try Self.archive(2, previous: a1.digest, ids: ["m2"], key: key)
        let a3 = try Self.archive(3, previous: a2.digest, ids: ["m3"], key: key)
        let findings = [a1, a2, a3].map { Self.check($0.name, $0.files, key: verifier) }
        #expect(Archive.checkChain(findings).isEmpty)
        #expect(Archive.checkChain([findings[0], findings[2]]) == ["archive 2 is missing: the chain breaks before archive 3"])
        #expect(Archive.checkChain([findings[2]]).first?.contains("archives 1 to 2 are missing") == true)
        #expect(Archive.checkChain([findings[2]], from: 3).isEmpty, "older archives moved elsewhere: checked from 3")
        // Archive 2 replaced by another signed archive 2 that does not follow archive 1.
        let replaced = try Self.archive(2, previous: String(repeating: "0", count: 64), ids: ["mX"], key: key)
        let replacedFindings = Self.check(replaced.name, replaced.files, key: verifier)
        #expect(Archive.checkChain([findings[0], replacedFindings, findings[2]]).contains { $0.contains("archive 2") && $0.contains("does not name the manifest of archive 1") })
        #expect(Archive.checkChain([findings[0], findings[1], replacedFindings, findings[2]]).contains { $0.contains("2 files claim archive 2") })
        let early = try Self.archive(1, previous: a3.digest, ids: ["m0"], key: key)
        #expect(Archive.checkChain([Self.check(early.name, early.files, key: verifier)]) == ["archive 1 names a previous archive"])
    }
}

import Foundation
package import TrucCrypto

/// An evidence bundle (docs/evidence-log.md "Evidence bundles"): one ZIP an auditor keeps about one message, checkable with no
/// hub and no network. Layout, version 1 (every file but `mimetype` and `manifest.json` is named in the manifest
/// with its SHA-256):
///
/// - `mimetype` — `application/vnd.truc.evidence+zip`, first and stored;
/// - `manifest.json` — version, the log's origin, the message id, the files and their SHA-256, the events not yet
///   under a checkpoint;
/// - `message.edxml` — the exact bytes the hub accepted; `verdict.json` — the verdict it stored at receipt;
///   `validation-report.xml` — the hub-signed ETSI TS 119 102-2 report of that verdict;
///   `validation/<sha256>.der` — the certificates, CRLs, OCSP responses and time-stamp tokens the verdict used;
/// - `receipts/<id>.edxml` — the receipts the hub issued about the message;
/// - `events/<leaf>.json` — each event about the message and its receipts (canonical JSON, the leaf's bytes);
///   `proofs/<leaf>.json` — its RFC 9162 inclusion proof to the checkpoint;
/// - `checkpoint.note` — the signed checkpoint (C2SP signed note); `log-key.txt` — the log's verifier key;
///   `checkpoint.tsr` — the RFC 3161 time-stamp token over `checkpoint.note`, when the TSA gave one;
///   `cosignatures.txt` — the witnesses' cosignature lines (C2SP tlog-cosignature) of the checkpoint, when any.
package enum EvidenceBundle {
    package static let mediaType = "application/vnd.truc.evidence+zip"
    package static let version = 1

    package struct Manifest: Codable, Sendable, Equatable {
        package var version: Int
        package var origin: String
        package var message: String
        package var generated: String
        /// File name → SHA-256 (hex).
        package var files: [String: String]
        /// The canonical bytes (as text) of events about the message not yet under the bundle's checkpoint.
        package var pending: [String]

        package init(origin: String, message: String, generated: String, files: [String: String], pending: [String]) {
            self.version = EvidenceBundle.version
            self.origin = origin
            self.message = message
            self.generated = generated
            self.files = files
            self.pending = pending
        }
    }

    /// An inclusion proof as `proofs/<leaf>.json` holds it.
    package struct Proof: Codable, Sendable, Equatable {
        package var index: Int64
        package var size: Int64
        /// Base64 hashes, from the leaf's sibling up.
        package var proof: [String]

        package init(index: Int64, size: Int64, proof: [[UInt8]]) {
            self.index = index
            self.size = size
            self.proof = proof.map { Data($0).base64EncodedString() }
        }
    }

    /// The files of a bundle for `message`, with the manifest and mimetype added.
    package static func files(origin: String, message: String, generated: String, contents: [String: [UInt8]], pending: [[UInt8]]) throws -> [(String, [UInt8])] {
        let manifest = Manifest(origin: origin, message: message, generated: generated,
                                files: contents.mapValues { Digest.sha256($0).hexString },
                                pending: pending.map { String(decoding: $0, as: UTF8.self) })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return [("mimetype", Array(mediaType.utf8)), ("manifest.json", Array(try encoder.encode(manifest)))]
            + contents.keys.sorted().map { ($0, contents[$0]!) }
    }

    /// What a bundle proves, and what in it does not hold.
    package struct Findings: Sendable, Encodable {
        package var message: String = ""
        package var origin: String = ""
        /// The verifier key the checkpoint was checked with, and whether the caller pinned it.
        package var logKey: String = ""
        package var logKeyPinned = false
        package var checkpointSize: Int64?
        package var timeStamp: String?
        package var timeStampAuthority: String?
        package var cosignedBy: [String] = []
        /// One sentence per proven fact (accepted, delivered, acknowledged, receipt issued, ...).
        package var proves: [String] = []
        /// Events about the message the bundle lists as not yet under its checkpoint (not proven).
        package var pending: [String] = []
        package var problems: [String] = []
        package init() {}
    }

    /// Checks a bundle's files: the manifest's digests, the checkpoint's signature (with `pinnedKey` when given,
    /// else the bundle's own key, which proves less and is said), each event's inclusion proof, that the message,
    /// verdict and receipts are the bytes their events record, the time-stamp (`timeStamp(token, note)` answers the
    /// time, the TSA and a problem; neither time nor problem: not checked) and the cosignatures of `witnessKeys` (C2SP tlog-cosignature verifier keys).
    package static func check(files: [String: [UInt8]], pinnedKey: String?, witnessKeys: [String],
                              timeStamp: (_ token: [UInt8], _ note: [UInt8]) -> (time: Int64?, tsa: String?, problem: String?)) -> Findings {
        var findings = Findings()
        guard files["mimetype"].map({ String(decoding: $0, as: UTF8.self) }) == mediaType else {
            findings.problems.append("not an evidence bundle (its mimetype is not \(mediaType))")
            return findings
        }
        guard let raw = files["manifest.json"], let manifest = try? JSONDecoder().decode(Manifest.self, from: Data(raw)), manifest.version == version else {
            findings.problems.append("manifest.json is missing, unreadable, or of another version than \(version)")
            return findings
        }
        findings.message = manifest.message
        findings.origin = manifest.origin
        findings.pending = manifest.pending
        for (name, digest) in manifest.files.sorted(by: { $0.key < $1.key }) {
            guard let bytes = files[name] else { findings.problems.append("\(name): listed in the manifest, absent"); continue }
            if Digest.sha256(bytes).hexString != digest { findings.problems.append("\(name): its SHA-256 is not the manifest's") }
        }
        for name in files.keys.sorted() where name != "mimetype" && name != "manifest.json" && manifest.files[name] == nil {
            findings.problems.append("\(name): not in the manifest")
        }
        // The checkpoint, under the pinned key (or the bundle's own).
        let bundledKey = files["log-key.txt"].map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
        let key = pinnedKey ?? bundledKey ?? ""
        findings.logKey = key
        findings.logKeyPinned = pinnedKey != nil
        guard let noteBytes = files["checkpoint.note"] else {
            findings.problems.append("the bundle has no checkpoint: none of its events is proven")
            return findings
        }
        let note = String(decoding: noteBytes, as: UTF8.self)
        guard let checkpoint = Checkpoint.verify(note: note, verifier: key) else {
            findings.problems.append("checkpoint.note does not verify with the log key \(key)")
            return findings
        }
        guard checkpoint.origin == manifest.origin, key.hasPrefix(manifest.origin + "+") else {
            findings.problems.append("the checkpoint's origin \(checkpoint.origin) is not the manifest's \(manifest.origin)")
            return findings
        }
        findings.checkpointSize = checkpoint.size
        if let token = files["checkpoint.tsr"] {
            let stamped = timeStamp(token, noteBytes)
            if let time = stamped.time {
                findings.timeStamp = isoTime(time)
                findings.timeStampAuthority = stamped.tsa
            } else if let problem = stamped.problem {
                findings.problems.append("checkpoint.tsr does not prove a time for the checkpoint: \(problem)")
            }
        }
        if let text = files["cosignatures.txt"].map({ String(decoding: $0, as: UTF8.self) }) {
            for line in text.split(separator: "\n") where !line.isEmpty {
                for witness in witnessKeys {
                    guard let time = Cosignature.verify(line: String(line), checkpoint: checkpoint, verifier: witness) else { continue }
                    findings.cosignedBy.append((witness.split(separator: "+").first.map(String.init) ?? witness) + " at " + isoTime(time))
                }
            }
        }
        // Each event under the checkpoint.
        var events: [(index: Int64, event: LogEvent, bytes: [UInt8])] = []
        for name in files.keys.sorted() where name.hasPrefix("events/") && name.hasSuffix(".json") {
            guard let index = Int64(name.dropFirst(7).dropLast(5)), index >= 0, let entry = files[name] else {
                findings.problems.append("\(name): not named by a leaf index")
                continue
            }
            guard let proofBytes = files["proofs/\(index).json"], let proof = try? JSONDecoder().decode(Proof.self, from: Data(proofBytes)),
                  proof.index == index, proof.size == checkpoint.size else {
                findings.problems.append("\(name): no inclusion proof to the checkpoint of \(checkpoint.size) leaves")
                continue
            }
            let hashes = proof.proof.compactMap { Data(base64Encoded: $0).map { Array($0) } }
            guard hashes.count == proof.proof.count, index < checkpoint.size,
                  MerkleTree.verifyInclusion(leafHash: MerkleTree.leafHash(entry), index: Int(index), size: Int(checkpoint.size), proof: hashes, root: checkpoint.root) else {
                findings.problems.append("\(name): its inclusion proof does not lead to the checkpoint's root (the event was changed, or is not in the log)")
                continue
            }
            guard let event = LogEvent.parse(entry) else {
                findings.problems.append("\(name): not a canonical event")
                continue
            }
            events.append((index, event, entry))
        }
        events.sort { $0.index < $1.index }
        // The message and its verdict are the bytes the accepted event records.
        guard let accepted = events.first(where: { $0.event.kind == "accepted" && $0.event.string("message") == manifest.message }) else {
            findings.problems.append("no proven `accepted` event for message \(manifest.message)")
            return findings
        }
        let a = accepted.event
        if let bytes = files["message.edxml"], Digest.sha256(bytes).hexString == a.string("sha256") {
            findings.proves.append("message \(manifest.message) (\(a.string("messageKind") ?? "-")) from \(a.string("sender") ?? "-")"
                + (a.string("documentId").map { ", DocumentId \($0)" } ?? "") + ", to " + (a.strings("recipients") ?? []).joined(separator: ", ")
                + ": these exact bytes (SHA-256 \(a.string("sha256") ?? "")) were accepted by the hub at \(a.string("time") ?? "-") (leaf \(accepted.index))"
                + (a.string("backfilled") != nil ? " — a backfilled event: it proves the hub held the message when the log began, not when it arrived" : ""))
        } else {
            findings.problems.append("message.edxml is not the message whose SHA-256 the accepted event (leaf \(accepted.index)) records")
        }
        if let verdict = a.string("verdict") {
            if let bytes = files["verdict.json"], Digest.sha256(bytes).hexString == verdict {
                findings.proves.append("verdict.json is the signature verdict the hub stored at receipt")
            } else {
                findings.problems.append("verdict.json is not the verdict the accepted event (leaf \(accepted.index)) records")
            }
        }
        // Receipts, deliveries, acknowledgements and operator actions on the message.
        for name in files.keys.sorted() where name.hasPrefix("receipts/") && name.hasSuffix(".edxml") {
            let id = String(name.dropFirst(9).dropLast(6))
            let bytes = files[name] ?? []
            if let event = events.first(where: { $0.event.kind == "accepted" && $0.event.string("message") == id }),
               event.event.string("sha256") == Digest.sha256(bytes).hexString {
                findings.proves.append("receipt \(id) (these exact bytes) was issued by the hub at \(event.event.string("time") ?? "-") (leaf \(event.index))")
            } else {
                findings.problems.append("\(name): no proven event records a receipt with these bytes")
            }
        }
        for (index, event, _) in events where event.string("message") == manifest.message {
            let recipient = event.string("recipient") ?? "-", time = event.string("time") ?? "-"
            switch event.kind {
            case "delivered": findings.proves.append("delivered to \(recipient) (\(event.string("how") ?? "-")) at \(time) (leaf \(index))")
            case "acknowledged": findings.proves.append("acknowledged by \(recipient) (\(event.string("outcome") ?? "-")) at \(time) (leaf \(index))")
            case "dead": findings.proves.append("delivery to \(recipient) given up at \(time) (leaf \(index))")
            case "operator": findings.proves.append("operator: \(event.string("action") ?? "-") for \(recipient) at \(time) (leaf \(index))")
            default: break
            }
        }
        for witness in findings.cosignedBy {
            findings.proves.append("checkpoint \(checkpoint.size) was cosigned by the witness \(witness): it saw no other history of this log")
        }
        if let time = findings.timeStamp {
            findings.proves.append("checkpoint \(checkpoint.size) (which includes every event above) existed at \(time), time-stamped by \(findings.timeStampAuthority ?? "the TSA")")
        }
        return findings
    }

    static func isoTime(_ seconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }
}

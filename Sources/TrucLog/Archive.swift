import Foundation
package import TrucCrypto

/// A payload archive (docs/operating.md "Retention and archives"): one ZIP holding the messages whose payloads one purge
/// round took out of the store, written and synced before any of them is purged, chained to the archive before it
/// and signed by the hub's log key. Layout, version 1:
///
/// - `mimetype` — `application/vnd.truc.archive+zip`, first and stored;
/// - `manifest.json` — version, the log's origin, the sequence number, the SHA-256 of the previous archive's
///   `manifest.json` (none for the first), when it was written, the log's checkpoint at that time, and one entry per
///   message (its id, sender, recipients, SHA-256, size, and the SHA-256 of its two files);
/// - `manifest.note` — a C2SP signed note by the log key whose body names the format, the origin, the sequence and
///   the SHA-256 of `manifest.json`; `log-key.txt` — the log's verifier key;
/// - `messages/<id>.zip` — the message's evidence bundle (docs/evidence-log.md "Evidence bundles": the exact bytes, the verdict,
///   the signed ETSI report, the validation data, the receipts, the events and their inclusion proofs);
/// - `messages/<id>.trace.json` — its deliveries, receipts and answering statuses as the hub recorded them.
///
/// The file is named `truc-archive-<sequence, 10 digits>-<first 8 hex digits of the manifest's SHA-256>.zip`.
package enum Archive {
    package static let mediaType = "application/vnd.truc.archive+zip"
    package static let version = 1
    static let noteHeader = "truc-archive/v1"

    package struct Entry: Codable, Sendable, Equatable {
        package var id: String
        package var kind: String
        package var sender: String
        package var recipients: [String]
        package var businessType: Int?
        package var receivedAt: Int64
        package var finalAt: Int64
        package var sha256: String
        package var size: Int
        package var bundle: String
        package var bundleSHA256: String
        package var trace: String
        package var traceSHA256: String

        package init(id: String, kind: String, sender: String, recipients: [String], businessType: Int?, receivedAt: Int64, finalAt: Int64,
                     sha256: String, size: Int, bundle: [UInt8], trace: [UInt8]) {
            self.id = id
            self.kind = kind
            self.sender = sender
            self.recipients = recipients
            self.businessType = businessType
            self.receivedAt = receivedAt
            self.finalAt = finalAt
            self.sha256 = sha256
            self.size = size
            self.bundle = "messages/\(id).zip"
            self.bundleSHA256 = Digest.sha256(bundle).hexString
            self.trace = "messages/\(id).trace.json"
            self.traceSHA256 = Digest.sha256(trace).hexString
        }
    }

    package struct Manifest: Codable, Sendable, Equatable {
        package var version: Int
        package var origin: String
        package var sequence: Int64
        /// SHA-256 (hex) of the previous archive's `manifest.json`; nil for the first archive.
        package var previous: String?
        package var created: String
        /// The log's latest signed checkpoint when the archive was written (the bundles' proofs lead to it).
        package var checkpoint: String?
        package var messages: [Entry]

        package init(origin: String, sequence: Int64, previous: String?, created: String, checkpoint: String?, messages: [Entry]) {
            self.version = Archive.version
            self.origin = origin
            self.sequence = sequence
            self.previous = previous
            self.created = created
            self.checkpoint = checkpoint
            self.messages = messages
        }
    }

    /// What one archive's writer hands over: its files in order, the manifest's SHA-256 and the file's name.
    package struct Written: Sendable {
        package var files: [(name: String, bytes: [UInt8], deflate: Bool)]
        package var manifestSHA256: String
        package var fileName: String
    }

    package static func fileName(sequence: Int64, manifestSHA256: String) -> String {
        let digits = String(sequence)
        return "truc-archive-" + String(repeating: "0", count: max(0, 10 - digits.count)) + digits + "-" + manifestSHA256.prefix(8) + ".zip"
    }

    /// The sequence number a file name carries, when it is an archive's name.
    package static func sequence(ofFileName name: String) -> Int64? {
        guard name.hasPrefix("truc-archive-"), name.hasSuffix(".zip") else { return nil }
        let middle = name.dropFirst(13).dropLast(4)
        let parts = middle.split(separator: "-")
        guard parts.count == 2, parts[0].count == 10, parts[1].count == 8, let sequence = Int64(parts[0]) else { return nil }
        return sequence
    }

    /// The files of an archive: `messages` pairs each entry with its bundle and trace bytes.
    package static func files(manifest: Manifest, contents: [(entry: Entry, bundle: [UInt8], trace: [UInt8])], key: Ed25519Key) throws -> Written {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let manifestBytes = Array(try encoder.encode(manifest))
        let digest = Digest.sha256(manifestBytes).hexString
        let note = try SignedNote.sign(body: noteBody(origin: manifest.origin, sequence: manifest.sequence, manifestSHA256: digest),
                                       name: manifest.origin, key: key)
        var files: [(name: String, bytes: [UInt8], deflate: Bool)] = [
            ("mimetype", Array(mediaType.utf8), false),
            ("manifest.json", manifestBytes, true),
            ("manifest.note", Array(note.utf8), true),
            ("log-key.txt", Array((Checkpoint.verifierKey(name: manifest.origin, publicKey: key.publicKey) + "\n").utf8), true),
        ]
        for (entry, bundle, trace) in contents {
            // A bundle is a ZIP of deflated files already.
            files.append((entry.bundle, bundle, false))
            files.append((entry.trace, trace, true))
        }
        return Written(files: files, manifestSHA256: digest, fileName: fileName(sequence: manifest.sequence, manifestSHA256: digest))
    }

    static func noteBody(origin: String, sequence: Int64, manifestSHA256: String) -> String {
        "\(noteHeader)\n\(origin)\n\(sequence)\n\(manifestSHA256)\n"
    }

    /// What one archive file holds and what in it does not hold.
    package struct Findings: Sendable, Encodable {
        package var file: String
        package var sequence: Int64?
        package var previous: String?
        package var manifestSHA256: String?
        package var created: String?
        package var messages: Int = 0
        package var logKey: String = ""
        package var logKeyPinned = false
        package var problems: [String] = []

        package init(file: String) { self.file = file }
    }

    /// Checks one archive's files: mimetype, the manifest and its signed note under `pinnedKey` (else the archive's
    /// own key, which proves less), every file's SHA-256, no file the manifest does not list, and each message's
    /// bundle: `openBundle` reads its files and `checkBundle` answers its problems (the evidence bundle check); the
    /// message inside must be the bytes the manifest names.
    /// Checks an archive's mimetype, manifest, signed note (under `pinnedKey`, else the archive's own key) and name.
    package static func checkManifest(file: String, files: [String: [UInt8]], pinnedKey: String?) -> (Findings, Manifest?) {
        var findings = Findings(file: file)
        guard files["mimetype"].map({ String(decoding: $0, as: UTF8.self) }) == mediaType else {
            findings.problems.append("not a Truc archive (its mimetype is not \(mediaType))")
            return (findings, nil)
        }
        guard let raw = files["manifest.json"], let manifest = try? JSONDecoder().decode(Manifest.self, from: Data(raw)), manifest.version == version else {
            findings.problems.append("manifest.json is missing, unreadable, or of another version than \(version)")
            return (findings, nil)
        }
        let digest = Digest.sha256(raw).hexString
        findings.sequence = manifest.sequence
        findings.previous = manifest.previous
        findings.manifestSHA256 = digest
        findings.created = manifest.created
        findings.messages = manifest.messages.count
        let bundledKey = files["log-key.txt"].map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
        let key = pinnedKey ?? bundledKey ?? ""
        findings.logKey = key
        findings.logKeyPinned = pinnedKey != nil
        let expected = noteBody(origin: manifest.origin, sequence: manifest.sequence, manifestSHA256: digest)
        if let note = files["manifest.note"].map({ String(decoding: $0, as: UTF8.self) }), let body = SignedNote.verify(note: note, verifier: key) {
            if body != expected { findings.problems.append("manifest.note is signed but names another manifest, sequence or log") }
            if !key.hasPrefix(manifest.origin + "+") { findings.problems.append("the log key \(key) is not the key of the manifest's log \(manifest.origin)") }
        } else {
            findings.problems.append("manifest.note is missing or does not verify with the log key \(key)")
        }
        let base = file.split(separator: "/").last.map(String.init) ?? file
        if fileName(sequence: manifest.sequence, manifestSHA256: digest) != base {
            findings.problems.append("the file's name does not match its manifest (sequence \(manifest.sequence), manifest \(digest.prefix(8)))")
        }
        return (findings, manifest)
    }

    package static func check(file: String, files: [String: [UInt8]], pinnedKey: String?,
                              openBundle: ([UInt8]) throws -> [String: [UInt8]],
                              checkBundle: ([String: [UInt8]], String) -> [String]) -> (Findings, Manifest?) {
        var (findings, checked) = checkManifest(file: file, files: files, pinnedKey: pinnedKey)
        guard let manifest = checked else { return (findings, nil) }
        var listed: Set<String> = ["mimetype", "manifest.json", "manifest.note", "log-key.txt"]
        var seen: Set<String> = []
        for entry in manifest.messages {
            if !seen.insert(entry.id).inserted { findings.problems.append("message \(entry.id) is listed twice") }
            listed.insert(entry.bundle)
            listed.insert(entry.trace)
            guard entry.bundle == "messages/\(entry.id).zip", entry.trace == "messages/\(entry.id).trace.json" else {
                findings.problems.append("message \(entry.id): its files are not named by its id")
                continue
            }
            guard let trace = files[entry.trace], Digest.sha256(trace).hexString == entry.traceSHA256 else {
                findings.problems.append("\(entry.trace): absent, or its SHA-256 is not the manifest's")
                continue
            }
            guard let bundle = files[entry.bundle], Digest.sha256(bundle).hexString == entry.bundleSHA256 else {
                findings.problems.append("\(entry.bundle): absent, or its SHA-256 is not the manifest's")
                continue
            }
            let bundleFiles: [String: [UInt8]]
            do { bundleFiles = try openBundle(bundle) } catch {
                findings.problems.append("\(entry.bundle): not a readable bundle: \(error)")
                continue
            }
            guard let message = bundleFiles["message.edxml"], Digest.sha256(message).hexString == entry.sha256, message.count == entry.size else {
                findings.problems.append("\(entry.bundle): its message.edxml is not the message the manifest names (SHA-256 \(entry.sha256))")
                continue
            }
            for problem in checkBundle(bundleFiles, findings.logKey) { findings.problems.append("\(entry.bundle): \(problem)") }
        }
        for name in files.keys.sorted() where !listed.contains(name) {
            findings.problems.append("\(name): not in the manifest")
        }
        return (findings, manifest)
    }

    /// Checks the chain of archives by their findings: sequences from 1 (or `from`) without a gap, each naming the
    /// manifest before it; two files of one sequence are reported (one of them was not recorded by the hub).
    package static func checkChain(_ archives: [Findings], from first: Int64 = 1) -> [String] {
        var problems: [String] = []
        let readable = archives.filter { $0.sequence != nil && $0.manifestSHA256 != nil }
        let bySequence = Dictionary(grouping: readable, by: { $0.sequence! })
        var prior: [String]? = nil
        var lastSequence = first - 1
        for sequence in bySequence.keys.sorted() where sequence >= first {
            let here = bySequence[sequence]!
            let expected = lastSequence + 1
            lastSequence = sequence
            if sequence != expected {
                problems.append(sequence == expected + 1 ? "archive \(expected) is missing: the chain breaks before archive \(sequence)"
                                : "archives \(expected) to \(sequence - 1) are missing: the chain breaks before archive \(sequence)")
                prior = nil
            }
            if sequence == 1, here.contains(where: { $0.previous != nil }) {
                problems.append("archive 1 names a previous archive")
            } else if let prior, !here.contains(where: { prior.contains($0.previous ?? "") }) {
                problems.append("archive \(sequence) (\(here.map(\.file).joined(separator: ", "))) does not name the manifest of archive \(sequence - 1): the chain was reordered or an archive replaced")
            }
            if here.count > 1 {
                problems.append("\(here.count) files claim archive \(sequence) (\(here.map(\.file).joined(separator: ", "))): the hub recorded only one of them")
            }
            prior = here.compactMap(\.manifestSHA256)
        }
        return problems
    }
}

/// A C2SP signed note with one Ed25519 signature: the body (text ending in a newline), a blank line, and the line
/// "— <key name> <base64(key ID ‖ signature)>" (the key ID as `Checkpoint.keyID`).
package enum SignedNote {
    package static func sign(body: String, name: String, key: Ed25519Key) throws -> String {
        let signature = try key.sign(Array(body.utf8))
        return body + "\n" + "\u{2014} \(name) \(Data(Checkpoint.keyID(name: name, publicKey: key.publicKey) + signature).base64EncodedString())\n"
    }

    /// The body of `note` when a signature line of the verifier key `verifier` ("name+id+key") verifies it.
    package static func verify(note: String, verifier: String) -> String? {
        let parts = verifier.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, let raw = Data(base64Encoded: String(parts[2])), raw.count == 33, raw.first == 0x01 else { return nil }
        let name = String(parts[0]), publicKey = Array(raw.dropFirst())
        guard Checkpoint.keyID(name: name, publicKey: publicKey).hexString == parts[1], let split = note.range(of: "\n\n") else { return nil }
        let body = String(note[..<split.lowerBound]) + "\n"
        for line in note[split.upperBound...].split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count == 3, fields[0] == "\u{2014}", fields[1] == name, let blob = Data(base64Encoded: String(fields[2])), blob.count == 68,
                  Array(blob.prefix(4)) == Checkpoint.keyID(name: name, publicKey: publicKey) else { continue }
            if Ed25519Key.verify(publicKey: publicKey, signature: Array(blob.dropFirst(4)), message: Array(body.utf8)) { return body }
        }
        return nil
    }
}

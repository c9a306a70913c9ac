import ArgumentParser
import Foundation
import TrucCrypto
import TrucLog
import TrucSignatures
import TrucStore
import TrucZlib
import TrucCore

/// `truc archive …`: the payload archives the hub wrote before purging payloads (docs/operating.md "Retention and archives").
struct ArchiveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "archive", abstract: "Payload archives: check them offline, take a message out.",
                                                    subcommands: [Verify.self, Get.self])

    /// An archive file is at most this large (the hub writes about 64 MiB, or one message larger than that).
    static let maxBytes = 2 << 30

    /// The archive files of a directory, by name (other files are ignored).
    static func archiveFiles(in directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).filter { Archive.sequence(ofFileName: $0) != nil }.sorted()
    }

    /// The files inside one archive (with `only`, just those it names).
    static func read(_ path: String, only: ((String) -> Bool)? = nil) throws -> [String: [UInt8]] {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        guard let size = attributes[.size] as? Int, size <= maxBytes else { throw ZipError("larger than \(maxBytes) bytes") }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        return try bytes.withUnsafeBytes { raw in try ZipFiles.all(raw, maxEntries: 50_000, maxInflated: 2 * maxBytes, only: only) }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every archive of a directory offline: files, signatures, the evidence bundle of each message, and the chain.",
            discussion: """
                Exit 0 when every archive holds and the chain from archive --from is complete; 1 when something does not (named); 2 when the \
                directory or a key cannot be read. With --data or --database, every archive the hub recorded must be present with the recorded \
                manifest (this also catches the removal of the latest archive).
                """)
        @Argument(help: "The archive directory (truc serve --archive-dir).") var directory: String
        @Option(help: "The hub's log key (its text, or a file holding it: GET /v1/log/key), pinned; without it each archive's own key is used, which proves less.")
        var logKey: String?
        @Option(help: "The first archive expected (older ones were moved elsewhere). Default 1.") var from: Int64 = 1
        @Option(help: "Data directory of the hub whose records the archives are compared with.") var data: String?
        @Option(help: "The hub's PostgreSQL store, whose records the archives are compared with.") var database: String?
        @Flag(help: "Print JSON.") var json = false

        struct Report: Encodable {
            var archives: [Archive.Findings] = []
            var messages = 0
            var chain: [String] = []
            var records: [String] = []
            var problems: Int { archives.reduce(0) { $0 + $1.problems.count } + chain.count + records.count }
        }

        func run() async throws {
            let names: [String]
            do { names = try ArchiveCommand.archiveFiles(in: directory) } catch {
                throw CommandFailure(.archiveUnreadable, "\(directory): \(error)").report()
            }
            let pinned = try logKey.map(EvidenceCommand.Verify.keyText)
            var report = Report()
            for name in names {
                let files: [String: [UInt8]]
                do { files = try ArchiveCommand.read(directory + "/" + name) } catch {
                    var findings = Archive.Findings(file: name)
                    findings.sequence = Archive.sequence(ofFileName: name)
                    findings.problems.append("not a readable archive: \(error)")
                    report.archives.append(findings)
                    continue
                }
                let (findings, _) = Archive.check(file: name, files: files, pinnedKey: pinned, openBundle: EvidenceCommand.Verify.files(of:)) { bundle, key in
                    // The archive's key is the log's: the bundle's checkpoint must verify under it. Its time-stamp is not
                    // checked here (truc evidence verify --trust does, for one message).
                    EvidenceBundle.check(files: bundle, pinnedKey: key, witnessKeys: []) { _, _ in (nil, nil, nil) }.problems
                }
                report.messages += findings.messages
                report.archives.append(findings)
            }
            report.chain = Archive.checkChain(report.archives.filter { ($0.sequence ?? 0) >= from }, from: from)
            if data != nil || database != nil {
                let store = try await AgenciesCommand.StoreOption.parse(
                    (data.map { ["--data", $0] } ?? []) + (database.map { ["--database", $0] } ?? [])).openExisting()
                var after = from - 1
                while true {
                    let page = try await store.archives(after: after, limit: 1_000)
                    guard let last = page.last else { break }
                    for record in page {
                        let found = report.archives.first { $0.file == record.name }
                        if found == nil {
                            report.records.append("archive \(record.sequence) (\(record.name)), recorded by the hub, is not in \(directory)")
                        } else if found?.manifestSHA256 != record.manifestSHA256 {
                            report.records.append("archive \(record.sequence) (\(record.name)) is not the archive the hub recorded (manifest \(record.manifestSHA256))")
                        }
                    }
                    after = last.sequence
                }
            }
            if json {
                print(try Output.json(report))
            } else {
                for archive in report.archives {
                    print("\(archive.file): archive \(archive.sequence.map(String.init) ?? "?"), \(archive.messages) messages, written \(archive.created ?? "-")"
                          + (archive.problems.isEmpty ? "" : ", \(archive.problems.count) problems"))
                    for problem in archive.problems.prefix(20) { print("FAILS: \(archive.file): \(problem)") }
                }
                for problem in report.chain + report.records { print("FAILS: \(problem)") }
                if let key = report.archives.first?.logKey, !key.isEmpty {
                    print("log key: \(key)" + (pinned != nil ? " (pinned)" : " (the archives' own: pin the hub's key with --log-key to prove they are the hub's)"))
                }
                if report.problems == 0 {
                    print("\(report.archives.count) archives, \(report.messages) messages: every file, signature, bundle and link of the chain holds")
                }
            }
            if report.problems > 0 { throw ExitCode(1) }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Take one message back out of the archives: its exact bytes (checked against the manifest), or its evidence bundle.")
        @Argument(help: "The message id.") var id: String
        @Option(help: "The archive directory (truc serve --archive-dir).") var archive: String
        @Option(help: "Write the message's bytes here (default: standard output).") var out: String?
        @Option(help: "Also write the message's evidence bundle (check it with truc evidence verify).") var bundle: String?
        @Option(help: "The hub's log key (text or file): the archive's signature must verify under it.") var logKey: String?

        func run() async throws {
            let names: [String]
            do { names = try ArchiveCommand.archiveFiles(in: archive) } catch {
                throw CommandFailure(.archiveUnreadable, "\(archive): \(error)").report()
            }
            let pinned = try logKey.map(EvidenceCommand.Verify.keyText)
            // Newest first: a message archived twice (a round interrupted after writing) is the same bytes in both.
            for name in names.reversed() {
                // The manifest first (the other archives' bundles are not inflated), then this message's files.
                guard let head = try? ArchiveCommand.read(archive + "/" + name, only: { !$0.hasPrefix("messages/") }),
                      let raw = head["manifest.json"], let manifest = try? JSONDecoder().decode(Archive.Manifest.self, from: Data(raw)),
                      let entry = manifest.messages.first(where: { $0.id == id }),
                      let files = try? ArchiveCommand.read(archive + "/" + name, only: { !$0.hasPrefix("messages/") || $0 == entry.bundle })
                else { continue }
                let (findings, _) = Archive.checkManifest(file: name, files: files, pinnedKey: pinned)
                guard findings.problems.isEmpty, let bundleBytes = files[entry.bundle], Digest.sha256(bundleBytes).hexString == entry.bundleSHA256,
                      let bundleFiles = try? EvidenceCommand.Verify.files(of: bundleBytes),
                      let bytes = bundleFiles["message.edxml"], Digest.sha256(bytes).hexString == entry.sha256 else {
                    throw CommandFailure(.archiveDamaged, "\(name) holds message \(id) but does not verify: "
                                         + (findings.problems.isEmpty ? "its bundle or bytes are not those the manifest names" : findings.problems.joined(separator: "; "))).report()
                }
                do {
                    if let bundle { try Data(bundleBytes).write(to: URL(fileURLWithPath: bundle)) }
                    if let out {
                        try Data(bytes).write(to: URL(fileURLWithPath: out))
                    } else {
                        FileHandle.standardOutput.write(Data(bytes))
                    }
                } catch {
                    throw CommandFailure(.writeFailed, "\(error)").report()
                }
                FileHandle.standardError.write(Data("message \(id) from \(name) (archive \(manifest.sequence)): \(bytes.count) bytes, SHA-256 \(entry.sha256)\n".utf8))
                return
            }
            throw CommandFailure(.notArchived, "no archive in \(archive) holds message \(id)").report()
        }
    }
}

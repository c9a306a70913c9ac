import ArgumentParser
import Foundation
import TrucLog
import TrucCrypto
import TrucSignatures
import TrucZlib
import TrucCore

/// `truc evidence verify BUNDLE`: checks an evidence bundle (`GET /v1/messages/{id}/evidence`) with no hub and no
/// network, and says what it proves. Exit 0 when everything in it holds, 1 when something does not (named), 2 when
/// the bundle or the trust directory cannot be read.
struct EvidenceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "evidence", abstract: "Evidence bundles: check one offline.",
                                                    subcommands: [Verify.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check an evidence bundle offline and say what it proves.")
        @Argument(help: "The bundle (a ZIP from GET /v1/messages/{id}/evidence).") var bundle: String
        @Option(help: "The trust directory whose anchors the checkpoint's time-stamp authority must chain to.") var trust: String?
        @Option(help: "The hub's log key (its text, or a file holding it: GET /v1/log/key), pinned; without it the bundle's own key is used, which proves less.")
        var logKey: String?
        @Option(help: "A witness's cosignature verifier key (text or file); repeat for each witness whose cosignature counts.")
        var witnessKey: [String] = []
        @Flag(help: "Print JSON.") var json = false

        /// A bundle is at most this large (a message is at most the hub's body limit; its receipts and proofs add little).
        static let maxBytes = 256 << 20

        func run() async throws {
            let files: [String: [UInt8]]
            do {
                files = try Self.read(bundle)
            } catch {
                throw CommandFailure(.bundleUnreadable, "\(bundle): \(error)").report()
            }
            let store: TrustStore?
            do {
                store = try trust.map { try TrustStore(directory: $0) }
            } catch {
                throw CommandFailure(.trustUnreadable, "\(trust ?? ""): \(error)").report()
            }
            let findings = EvidenceBundle.check(files: files, pinnedKey: try logKey.map(Self.keyText), witnessKeys: try witnessKey.map(Self.keyText)) { token, note in
                guard let store else { return (nil, nil, "no --trust directory to check the time-stamp authority against") }
                return TimeStampQuery.check(token, over: note, trust: store)
            }
            if json {
                print(try Output.json(findings))
            } else {
                print("evidence bundle of message \(findings.message) (log \(findings.origin))")
                print("log key: \(findings.logKey)" + (findings.logKeyPinned ? " (pinned)" : " (the bundle's own: pin the hub's key with --log-key to prove it is the hub's)"))
                for fact in findings.proves { print("PROVES: \(fact)") }
                for event in findings.pending { print("NOT YET PROVEN (after the bundle's checkpoint): \(event)") }
                for problem in findings.problems { print("FAILS: \(problem)") }
                if findings.problems.isEmpty { print("every file, event and signature in the bundle holds") }
            }
            if !findings.problems.isEmpty { throw ExitCode(1) }
        }

        /// A key given as its text, or as a file holding it.
        static func keyText(_ given: String) throws -> String {
            if given.contains("+"), !FileManager.default.fileExists(atPath: given) { return given }
            do {
                return try String(contentsOfFile: given, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            } catch {
                throw CommandFailure(.keyUnreadable, "\(given): \(error)").report()
            }
        }

        /// The bundle's files (a bounded ZIP: at most 100,000 entries, each at most the bundle's limit inflated).
        static func read(_ path: String) throws -> [String: [UInt8]] {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            guard let size = attributes[.size] as? Int, size <= maxBytes else { throw ZipError("larger than \(maxBytes) bytes") }
            return try files(of: try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))))
        }

        /// The files of a bundle held in memory.
        static func files(of bytes: [UInt8]) throws -> [String: [UInt8]] {
            guard bytes.count <= maxBytes else { throw ZipError("larger than \(maxBytes) bytes") }
            return try bytes.withUnsafeBytes { raw in try ZipFiles.all(raw, maxEntries: 100_000, maxInflated: maxBytes) }
        }
    }
}

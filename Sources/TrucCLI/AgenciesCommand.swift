import ArgumentParser
import Foundation
import TrucCore
import Logging
import TrucPostgres
import TrucStore
import EdXML
import TrucSignatures
import TrucVocabulary
import TrucSQLiteStore

/// `truc agencies …`: the agency directory in the store.
struct AgenciesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agencies", abstract: "Manage the agencies a hub serves.",
        subcommands: [Add.self, List.self, Remove.self, Token.self, RevokeTokens.self, Seals.self])

    struct StoreOption: ParsableArguments {
        @Option(help: "Data directory of the hub (env TRUC_DATA_DIR).") var data: String?
        @Option(help: "The hub's PostgreSQL store, when it runs on one (env TRUC_DATABASE_URL).") var database: String?
        var directory: String { data ?? ProcessInfo.processInfo.environment["TRUC_DATA_DIR"] ?? "./data" }
        var databaseURL: String? { database ?? ProcessInfo.processInfo.environment["TRUC_DATABASE_URL"] }

        /// The hub's store: PostgreSQL when `--database` (or TRUC_DATABASE_URL) names one, else the data
        /// directory's SQLite.
        func open() async throws -> any MessageStore {
            if let url = databaseURL {
                var logger = Logger(label: "truc.postgres")
                logger.logLevel = .error
                do {
                    return try await PostgresStore(url: url, secretsKey: directory + "/secrets.key", logger: logger)
                } catch {
                    throw CommandFailure(.storeUnavailable, "cannot open the PostgreSQL store (--database): \(error)").report()
                }
            }
            try Preflight.dataDirectory(directory)
            do {
                return try SQLiteStore(dataDirectory: directory)
            } catch {
                throw CommandFailure(.dataUnusable, "cannot open the store in \(directory): \(error); check the directory (--data or TRUC_DATA_DIR) and its permissions").report()
            }
        }

        /// The store of an existing hub: a directory holding no store is an error, never a new empty store
        /// (for commands that only read, such as reports).
        func openExisting() async throws -> any MessageStore {
            guard databaseURL != nil || FileManager.default.fileExists(atPath: directory + "/truc.sqlite") else {
                throw CommandFailure(.noStore, "\(directory) holds no Truc store (truc.sqlite); pass --data with a hub's data directory, or --database").report()
            }
            return try await open()
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register (or update) an agency.")
        @OptionGroup var store: StoreOption
        @Argument(help: "The agency code (mã định danh).") var code: String
        @Option(help: "The agency's name.") var name: String
        @Option(help: "The parent agency's code (default: derived from the code).") var parent: String?
        @Option(name: .customLong("cert-identifier"), help: "The identifier in its client certificate, e.g. MST:0100100001.") var certIdentifier: String?
        @Option(name: .customLong("cert-sha256"), help: "Pin one client certificate by its SHA-256 fingerprint (hex).") var certSHA256: String?
        @Option(name: .customLong("push-url"), help: "Where to push its messages (default: it pulls).") var pushURL: String?
        @Flag(help: "A peer hub: it may send on behalf of the agencies behind it (pin its certificate with --cert-sha256).") var relay = false

        @OptionGroup var errorOutput: ErrorOutput


        func run() async throws {
            let agency: Agency
            do {
                agency = try Agency(code: code, name: name, parent: parent, certificateIdentifier: certIdentifier,
                                    certificateSHA256: certSHA256?.lowercased(), pushURL: pushURL, relay: relay).validated()
            } catch {
                throw CommandFailure(.malformedAgencyCode, error.description).report()
            }
            if let problem = agency.fieldProblem { throw CommandFailure(.invalidAgency, problem).report() }
            try await store.open().upsert(agency)
            print("registered \(agency.code) \(agency.name)" + (agency.parent.map { " (parent \($0))" } ?? ""))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the registered agencies.")
        @OptionGroup var store: StoreOption
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let agencies = try await store.open().agencies()
            if json { print(try Output.json(agencies)); return }
            for a in agencies {
                print([a.code, a.name, a.parent.map { "parent \($0)" }, a.certificateIdentifier.map { "cert \($0)" },
                       a.pushURL.map { "push \($0)" } ?? "pull", a.relay ? "relay" : nil].compactMap { $0 }.joined(separator: "  "))
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove an agency and its tokens.")
        @OptionGroup var store: StoreOption
        @Argument var code: String

        @OptionGroup var errorOutput: ErrorOutput


        func run() async throws {
            guard try await store.open().removeAgency(code) else {
                throw CommandFailure(.notFound, "no agency \(code)").report()
            }
            print("removed \(code)")
        }
    }

    struct Token: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Issue an API token for an agency (shown once; only its hash is kept).")
        @OptionGroup var store: StoreOption
        @Argument var code: String
        @Flag(help: "A statistics viewer token: reads the statistics of the agency and its subtree, nothing else.") var viewer = false

        @OptionGroup var errorOutput: ErrorOutput


        func run() async throws {
            do {
                let hub = try await store.open()
                print(viewer ? try await hub.issueViewerToken(for: code) : try await hub.issueToken(for: code))
            } catch let error as StoreError {
                throw CommandFailure(.notFound, error.description).report()
            }
        }
    }

    struct RevokeTokens: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "revoke-tokens",
            abstract: "Revoke an agency's API tokens (a leaked token: revoke, then issue a new one). They stop working at once, on every node.")
        @OptionGroup var store: StoreOption
        @Argument var code: String
        @Option(help: "Only the tokens of this role: agency or viewer (default: every token).") var role: String?

        @OptionGroup var errorOutput: ErrorOutput


        func validate() throws {
            guard role == nil || role == "agency" || role == "viewer" else { throw ValidationError("--role is agency or viewer") }
        }

        func run() async throws {
            do {
                let revoked = try await store.openExisting().revokeTokens(of: code, role: role)
                print("revoked \(revoked) token\(revoked == 1 ? "" : "s") of \(code)")
            } catch let error as StoreError {
                throw CommandFailure(.notFound, error.description).report()
            }
        }
    }
}

extension AgenciesCommand {
    /// `truc agencies seals CODE [--add ID] [--remove ID]`: the organisation certificates whose seal counts as
    /// the agency's own.
    struct Seals: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show or change the organisation certificates bound to an agency: only their seals count as its own in the signed ratio.",
            discussion: """
                A seal is a certificate identifier (MST:0100100001, an organizationIdentifier such as VATVN-0100100001) or \
                sha256:<hex> of one certificate; several per agency (renewals). The identifier of the agency's TLS client \
                certificate (--cert-identifier) is bound as well. An agency with nothing bound has no seal that counts \
                (signer-unbound).
                """)
        @OptionGroup var store: StoreOption
        @Argument(help: "The agency code.") var code: String
        @Option(help: "Bind this seal (repeatable).") var add: [String] = []
        @Option(help: "Unbind this seal (repeatable).") var remove: [String] = []
        /// `--json`: the answer (and a failure) as JSON.
        @OptionGroup var errorOutput: ErrorOutput
        var json: Bool { errorOutput.json }

        func run() async throws {
            let hub = try await store.open()
            guard let agency = try await hub.agency(code) else {
                throw CommandFailure(.notFound, "no agency \(code)").report()
            }
            var seals = try await hub.seals(of: code)
            if !add.isEmpty || !remove.isEmpty {
                let removed = Set(remove.map { $0.trimmingCharacters(in: .whitespaces).uppercased() })
                seals = seals.filter { !removed.contains($0.uppercased()) } + add
                switch SealBinding.normalised(seals) {
                case .success(let values): seals = values
                case .failure(let problem): throw CommandFailure(.invalidSeal, problem.description).report()
                }
                try await hub.setSeals(seals, of: code)
            }
            let tls = [agency.certificateIdentifier, agency.certificateSHA256.map { "sha256:" + $0 }].compactMap { $0 }
            if json {
                struct Out: Encodable { let agency: String; let seals: [String]; let tlsCertificate: [String]; let bound: Bool }
                print(try Output.json(Out(agency: code, seals: seals, tlsCertificate: tls, bound: !(seals + tls).isEmpty)))
                return
            }
            print("\(code): " + (seals.isEmpty ? "no seal bound" : "seals " + seals.joined(separator: ", "))
                  + (tls.isEmpty ? "" : "; TLS client certificate " + tls.joined(separator: ", ")))
            if (seals + tls).isEmpty { print("no organisation seal counts as \(code)'s own until one is bound (signer-unbound)") }
        }
    }
}

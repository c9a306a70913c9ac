import ArgumentParser
import Foundation
import TrucStore
import TrucCore

/// `truc systems …`: client systems of the national SDK's dialect (VXP) and their secrets.
struct SystemsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "systems", abstract: "Manage the VXP client systems (national SDK) and their secrets.",
        subcommands: [Add.self, List.self, Remove.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register (or update) a client system; prints its secret once.",
            discussion: """
                The system signs its calls with HMAC-SHA256 under the secret. Without --secret-file a new random secret \
                is generated; to keep an SDK deployment's configured secret, put it in a file and pass --secret-file.
                """)
        @OptionGroup var store: AgenciesCommand.StoreOption
        @Argument(help: "The systemid the SDK sends (XroadVnpt-systemid), e.g. 000.00.00.H41.W01.") var id: String
        @Option(help: "A name for operators.") var name: String?
        @Option(name: .customLong("agency"), help: "An agency code the system acts for (repeatable; registered agencies).") var agencies: [String] = []
        @Option(name: .customLong("secret-file"), help: "Read the secret from this file (trailing newline dropped) instead of generating one.")
        var secretFile: String?
        @Flag(name: .customLong("allow-directory-changes"),
              help: "Let the system add and remove its agencies through the SDK (registerAgency, deleteAgency); off by default.")
        var allowDirectoryChanges = false

        @OptionGroup var errorOutput: ErrorOutput


        func run() async throws {
            var secret: String?
            if let secretFile {
                guard let text = try? String(contentsOfFile: secretFile, encoding: .utf8) else {
                    throw CommandFailure(.fileUnreadable, "cannot read \(secretFile)").report()
                }
                secret = text.trimmingCharacters(in: .newlines)
            }
            do {
                let issued = try await store.open().addSystem(id: id, name: name ?? id, agencies: agencies, secret: secret,
                                                          directoryChanges: allowDirectoryChanges)
                print("registered system \(id) for \(agencies.isEmpty ? "no agency yet" : agencies.joined(separator: ", "))")
                if secret == nil { print("secret: \(issued)") }
            } catch let error as StoreError {
                throw CommandFailure(Self.code(error), error.description).report()
            }
        }

        static func code(_ error: StoreError) -> ErrorCode {
            switch error {
            case .notFound: .notFound
            case .conflict: .conflict
            case .invalid: .invalidArgument
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the client systems (never their secrets).")
        @OptionGroup var store: AgenciesCommand.StoreOption
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let systems = try await store.open().systems()
            if json { print(try Output.json(systems)); return }
            for s in systems {
                print("\(s.id)  \(s.name)  agencies: \(s.agencies.isEmpty ? "-" : s.agencies.joined(separator: ","))"
                      + (s.directoryChanges ? "  (may change the directory)" : ""))
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a client system (its agencies stay registered).")
        @OptionGroup var store: AgenciesCommand.StoreOption
        @Argument var id: String

        @OptionGroup var errorOutput: ErrorOutput


        func run() async throws {
            guard try await store.open().removeSystem(id) else {
                throw CommandFailure(.notFound, "no system \(id)").report()
            }
            print("removed system \(id)")
        }
    }
}

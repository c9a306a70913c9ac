import ArgumentParser
import Foundation
import TrucStore

/// `truc sessions revoke`: ends every dashboard session at once, on every node (they are in the store).
/// Rotating the operator token does the same (a session is bound to the token that opened it).
struct SessionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sessions", abstract: "Manage the operator's dashboard sessions.", subcommands: [Revoke.self])

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "End every dashboard session now (each browser must log in again).")
        @OptionGroup var store: AgenciesCommand.StoreOption
        @OptionGroup var errorOutput: ErrorOutput

        func run() async throws {
            let ended = try await store.open().endAllSessions()
            print("ended \(ended) dashboard session\(ended == 1 ? "" : "s")")
        }
    }
}

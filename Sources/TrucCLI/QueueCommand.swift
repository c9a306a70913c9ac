import ArgumentParser
import Foundation
import TrucCore
import TrucStore

/// `truc queue …`: the operator's view of deliveries in the store (the running hub picks requeued ones up).
struct QueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue", abstract: "List deliveries by state and requeue dead ones.", subcommands: [List.self, Retry.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List deliveries (default: the dead ones).")
        @OptionGroup var store: AgenciesCommand.StoreOption
        @Option(help: "awaiting-pull, queued, sending, waiting-retry, delivered, failed, dead or all.") var state: String = "dead"
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let filter: DeliveryState? = state == "all" ? nil : DeliveryState(rawValue: state)
            if state != "all" && filter == nil { throw ValidationError("unknown state \(state)") }
            let deliveries = try await store.open().deliveries(state: filter)
            if json { print(try Output.json(deliveries)); return }
            for d in deliveries {
                print([d.messageId, d.recipient, d.state, "attempts \(d.attempts)", d.target, d.reason].compactMap { $0 }.joined(separator: "  "))
            }
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Requeue a dead delivery (attempts reset).")
        @OptionGroup var store: AgenciesCommand.StoreOption
        @Argument(help: "The message id.") var id: String
        @Argument(help: "The recipient's code.") var recipient: String

        @OptionGroup var errorOutput: ErrorOutput


        func run() async throws {
            guard try await store.open().requeue(messageId: id, recipient: recipient) else {
                throw CommandFailure(.notFound, "no dead delivery of \(id) to \(recipient)").report()
            }
            print("requeued \(id) → \(recipient)")
        }
    }
}

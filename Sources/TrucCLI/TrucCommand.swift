import ArgumentParser
import Foundation
import NIOCore
import NIOPosix

/// `truc`: the hub daemon and its tools.
package struct TrucCommand: AsyncParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "truc",
        abstract: "Truc: an edXML document-exchange hub (QCVN 102:2016).",
        version: TrucVersion.string,
        subcommands: [ServeCommand.self, AgenciesCommand.self, SystemsCommand.self, QueueCommand.self, StatsCommand.self, SendCommand.self, InboxCommand.self, FetchCommand.self, AckCommand.self,
                      InspectCommand.self, VerifyCommand.self, BenchCommand.self]
    )

    package init() {}
}

package enum TrucVersion {
    package static let string = "0.1.0"
}

extension TrucCommand {
    /// The program's entry point. (Calling `main()` from the executable target resolves to
    /// ArgumentParser's synchronous overload, which refuses an async root; this is its async body.)
    /// For `truc serve`: Swift Concurrency's tasks run on NIO's event-loop threads, so a request is read,
    /// handled and answered without hopping between the event loops and the cooperative pool (measured on
    /// two cores: fewer context switches per small message). Must run on the main thread before any task.
    package static func prepareExecutor(arguments: [String] = CommandLine.arguments) {
        guard arguments.dropFirst().first == "serve",
              ProcessInfo.processInfo.environment["TRUC_DEFAULT_EXECUTOR"] == nil else { return }
        _ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    }

    package static func start() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}

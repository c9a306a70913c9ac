package import ArgumentParser
import Foundation
import TrucCore
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOPosix

/// `truc`: the hub daemon and its tools.
package struct TrucCommand: AsyncParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "truc",
        abstract: "Truc: an edXML document-exchange hub (QCVN 102:2016).",
        version: TrucVersion.string,
        subcommands: [ServeCommand.self, TrustCommand.self, ArchiveCommand.self, AgenciesCommand.self, SystemsCommand.self, SessionsCommand.self, QueueCommand.self, StatsCommand.self, SendCommand.self, InboxCommand.self, FetchCommand.self, AckCommand.self,
                      InspectCommand.self, VerifyCommand.self, RevalidateCommand.self, LogCommand.self, EvidenceCommand.self, BackupCommand.self, RestoreCommand.self, MigrateCommand.self, BenchCommand.self]
    )

    package init() {}
}


extension TrucCommand {
    /// For `truc serve`, before anything else runs (on the main thread, before any task):
    /// - Swift Concurrency's tasks run on NIO's event-loop threads, so a request is read, handled and answered
    ///   without hopping between the event loops and the cooperative pool (fewer context switches per message);
    ///   `TRUC_DEFAULT_EXECUTOR=1` keeps the standard executor.
    /// - malloc keeps up to 256 MiB of freed memory for reuse and serves blocks below 32 MiB from its heap:
    ///   each document's buffers (hundreds of KiB) otherwise come from fresh mmap'd pages, faulted in and
    ///   zeroed by the kernel every time (measured: about 1 ms of CPU less per typical signed document).
    package static func prepareServe(arguments: [String] = CommandLine.arguments) {
        guard arguments.dropFirst().first == "serve" else { return }
        tuneMalloc()
        if ProcessInfo.processInfo.environment["TRUC_DEFAULT_EXECUTOR"] == nil {
            _ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        }
    }

    /// See `prepareServe`.
    package static func tuneMalloc() {
        #if canImport(Glibc)
        // mallopt(3) is not in Swift's Glibc module; glibc's M_TRIM_THRESHOLD is -1, M_MMAP_THRESHOLD -3.
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") {
            let mallopt = unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
            _ = mallopt(-1, 256 << 20)
            _ = mallopt(-3, 32 << 20)
        }
        #endif
    }

    /// The program's entry point. (Calling `main()` from the executable target resolves to
    /// ArgumentParser's synchronous overload, which refuses an async root; this is its async body.)
    package static func start() async {
        var parsed: (any ParsableCommand)?
        do {
            var command = try parseAsRoot()
            parsed = command
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let code as ExitCode {
            exit(withError: code) // already reported where it happened
        } catch {
            // Help and version requests print as ArgumentParser does; every failure in the one style. A usage
            // error found while running names the help of the command that ran.
            if exitCode(for: error) == .success { exit(withError: error) }
            let help = parsed.flatMap { commandPath(to: type(of: $0)) }.map { "See '\($0.joined(separator: " ")) --help'" }
            exit(withError: CommandFailure.reportUncaught(error) { error in
                (message(for: error), help ?? fullMessage(for: error), exitCode(for: error) == .validationFailure)
            })
        }
    }

    /// The names from `truc` down to a subcommand (`["truc", "agencies", "add"]`).
    static func commandPath(to command: any ParsableCommand.Type) -> [String]? {
        func walk(_ node: any ParsableCommand.Type, _ prefix: [String]) -> [String]? {
            let here = prefix + [node.configuration.commandName ?? String(describing: node).lowercased()]
            if ObjectIdentifier(node) == ObjectIdentifier(command) { return here }
            for sub in node.configuration.subcommands {
                if let path = walk(sub, here) { return path }
            }
            return nil
        }
        return walk(TrucCommand.self, [])
    }
}

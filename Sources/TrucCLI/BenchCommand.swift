import ArgumentParser

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "Benchmarks (run them in release mode: scripts/bench.sh).",
                                                    subcommands: [])
}

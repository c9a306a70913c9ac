import ArgumentParser
import Foundation
import TrucCore
import TrucServer
import TrucSignatures
import TrucVocabulary

/// `truc revalidate`: re-judges the documents a hub received in a period from what it kept (their bytes, the
/// validation data stored at receipt, the trust snapshot of each verdict or `--trust DIR`), without any network,
/// at their receipt (`--at receipt`, the default: the verdict should be the same) or now (`--at now`: what is
/// known today — a CA compromise published since, a new algorithm policy). Reports beside the stored verdicts;
/// changes nothing, statistics included. Exit 0 when nothing changed, 1 when a verdict changed or a document
/// could not be re-judged, 2 for bad options or no store.
struct RevalidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revalidate",
        abstract: "Re-judge the documents received in a period from the data kept with them (no network); report what changed.")

    @OptionGroup var store: AgenciesCommand.StoreOption
    @Option(help: "First day (yyyy-MM-dd, Vietnam time).") var from: String
    @Option(help: "Last day (yyyy-MM-dd, Vietnam time), included.") var to: String
    @Option(help: "receipt (judge each document at the time it was received) or now.") var at: String = Revalidation.Moment.receipt.rawValue
    @Option(help: "A trust directory to judge under (default: the trust snapshot each verdict was made under, as kept).") var trust: String?
    @Option(name: .customLong("algorithm-policy"), help: "An algorithm policy file (default: the shipped policy).") var algorithmPolicy: String?
    @Flag(name: .customLong("require-revocation"), help: "A signer with no revocation data at all is indeterminate.") var requireRevocation = false
    @Flag(help: "Print JSON.") var json = false

    /// The period, the moment and the policy, or the option that is wrong.
    func options() throws(CommandFailure) -> (DayRange, Revalidation.Moment, VerificationPolicy) {
        let range: DayRange
        switch DayRange.parse(from: from, to: to) {
        case .success(let parsed): range = parsed
        case .failure(let problem): throw CommandFailure(.invalidDate, problem.description)
        }
        guard let moment = Revalidation.Moment(rawValue: at) else {
            throw CommandFailure(.invalidOption, "--at is receipt or now")
        }
        var policy = VerificationPolicy(requireRevocationData: requireRevocation)
        if let algorithmPolicy { policy.algorithms = try AlgorithmPolicyFile.read(algorithmPolicy) }
        return (range, moment, policy)
    }

    func run() async throws {
        let parsed: (DayRange, Revalidation.Moment, VerificationPolicy)
        do { parsed = try options() } catch { throw error.report() }
        let (range, moment, policy) = parsed
        let opened = try await store.openExisting()
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("truc-revalidate-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let (start, end) = Revalidation.period(range)
        let outcomes: [Revalidation.Outcome]
        do {
            outcomes = try await Revalidation(store: opened, policy: policy, trustDirectory: trust, scratch: scratch).run(from: start, to: end, at: moment)
        } catch {
            throw CommandFailure(.revalidationFailed, "\(error)").report()
        }
        let report = Revalidation.Report(range: range, at: moment, outcomes: outcomes)
        if json {
            print(try Output.json(report))
        } else {
            for o in outcomes {
                let state = o.bucketNow == nil ? "NOT RE-JUDGED" : o.changed ? "CHANGED" : "same"
                print("\(o.id)  \(o.documentId ?? "-")  received \(o.receivedTime)  \(o.bucket) → \(o.bucketNow ?? "?")  \(state)")
                for why in o.why { print("    \(why)") }
            }
            print("\(outcomes.count) documents re-judged at \(moment == .receipt ? "receipt" : "now") from the kept data: \(report.changed) changed or not re-judged")
        }
        if report.changed > 0 { throw ExitCode(1) }
    }
}

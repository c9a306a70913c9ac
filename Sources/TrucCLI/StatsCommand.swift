import ArgumentParser
import Foundation
import TrucCore
import TrucStore
import TrucVocabulary

/// `truc stats`: the signed-ratio report from the store (the same report as `GET /v1/stats/signed-ratio`).
struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats", abstract: "Print the signed-ratio report from a hub's store.")
    @OptionGroup var store: AgenciesCommand.StoreOption
    @Option(help: "First day, yyyy-MM-dd (Vietnam time).") var from: String?
    @Option(help: "Last day, yyyy-MM-dd.") var to: String?
    @Option(help: "A calendar month, yyyy-MM (instead of --from and --to).") var month: String?
    @Option(help: "Order of the groups: key, name, total, invalid, indeterminate, unsigned, signedRatio, organisationSignedRatio or fullySignedRatio.")
    var sort: String = "key"
    @Option(help: "asc or desc.") var order: String = "asc"
    @Option(help: "CSV separator: comma, or semicolon (with decimal commas, for spreadsheets in a Vietnamese locale).") var separator: String = "comma"
    @Option(help: "Sender agency (default: all).") var agency: String?
    @Option(help: "self or subtree.") var scope: String = "self"
    @Option(help: "Only documents addressed to this agency.") var recipient: String?
    @Option(name: .customLong("group-by"), help: "agency, day or month.") var groupBy: String = "agency"
    @Option(name: .customLong("business-type"), help: "Comma-separated business types 0-3.") var businessType: String?
    @Flag(help: "CSV (UTF-8 with BOM) instead of JSON.") var csv = false

    @OptionGroup var errorOutput: ErrorOutput


    func validate() throws {
        if month == nil, from == nil || to == nil {
            throw ValidationError("give '--from <from>' and '--to <to>' (yyyy-MM-dd, Vietnam days), or '--month <month>' (yyyy-MM)")
        }
    }

    func run() async throws {
        guard let grouping = SignedRatioReport.Grouping(rawValue: groupBy) else {
            throw CommandFailure(.invalidParameter, "--group-by is agency, day or month").report()
        }
        let range: DayRange
        guard let sortKey = SignedRatioReport.SortKey(rawValue: sort), order == "asc" || order == "desc" else {
            throw CommandFailure(.invalidParameter, "--sort is one of \(SignedRatioReport.SortKey.allCases.map(\.rawValue).joined(separator: ", ")); --order is asc or desc").report()
        }
        guard let style = SignedRatioReport.CSVStyle(rawValue: separator) else {
            throw CommandFailure(.invalidParameter, "--separator is comma or semicolon").report()
        }
        switch DayRange.parse(from: from, to: to, month: month) {
        case .success(let r): range = r
        case .failure(let problem): throw CommandFailure(.invalidDate, "\(problem)").report()
        }
        let (from, to) = (range.from.description, range.to.description)
        let hub = try await store.openExisting()
        let agencies = try await hub.agencies()
        let hierarchy = Hierarchy(parents: Dictionary(agencies.compactMap { a in a.parent.map { (a.code, $0) } }, uniquingKeysWith: { a, _ in a }))
        // As the API answers: a code that is neither registered nor counted is a mistake, not an empty report.
        let counted = Set(try await hub.countedAgencies())
        for code in [agency, recipient].compactMap({ $0 }) where !agencies.contains(where: { $0.code == code }) && !counted.contains(code) {
            throw CommandFailure(.unknownAgency, "no agency \(code) is registered at this hub or has sent documents through it").report()
        }
        var senders: [String]?
        if let agency {
            senders = scope == "subtree"
                ? Set(agencies.map(\.code)).union(try await hub.countedAgencies()).filter { hierarchy.isWithin($0, of: agency) }.sorted()
                : [agency]
        }
        let types = (businessType ?? "").split(separator: ",").compactMap { Int($0) }
        let counts = try await hub.signedCounts(from: from, to: to, senders: senders, businessTypes: types, recipient: recipient,
                                                grouping: grouping == .agency ? .sender : grouping == .day ? .day : .month)
        // As the API: every agency of the scope is a row, those that sent nothing included.
        let report = SignedRatioReport(from: from, to: to, groupBy: grouping, recipient: recipient,
                                       counts: counts.map { ($0.day, $0.sender, $0.bucket, $0.count) },
                                       names: Dictionary(agencies.map { ($0.code, $0.name) }, uniquingKeysWith: { a, _ in a }),
                                       scope: senders ?? agencies.filter { !$0.relay }.map(\.code))
            .sorted(by: sortKey, descending: order == "desc")
        if csv {
            // The CSV on stdout starts with its header; the definition goes to stderr.
            FileHandle.standardError.write(Data("# \(SignedRatioReport.definitionText)\n".utf8))
            FileHandle.standardOutput.write(Data(report.csv(style)))
        } else {
            print(try Output.json(report))
        }
    }
}

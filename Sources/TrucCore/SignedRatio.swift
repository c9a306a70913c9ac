/// The signed-ratio report (docs/statistics.md "Signed-ratio definition"): counts per bucket and the three ratios,
/// per group and in total. Pure: built from daily counts.
package struct SignedRatioReport: Sendable, Codable, Equatable {
    package struct Counts: Sendable, Codable, Equatable {
        package var total = 0
        package var invalid = 0
        package var indeterminate = 0
        package var both = 0
        package var organisation = 0
        package var personal = 0
        package var unsigned = 0

        package init() {}

        mutating func add(bucket: String, count: Int) {
            total += count
            switch bucket {
            case "invalid": invalid += count
            case "indeterminate": indeterminate += count
            case "both": both += count
            case "organisation": organisation += count
            case "personal": personal += count
            default: unsigned += count
            }
        }

        /// (both + organisation + personal) / total.
        package var signedRatio: Double? { total == 0 ? nil : Double(both + organisation + personal) / Double(total) }
        /// (both + organisation) / total.
        package var organisationSignedRatio: Double? { total == 0 ? nil : Double(both + organisation) / Double(total) }
        /// both / total.
        package var fullySignedRatio: Double? { total == 0 ? nil : Double(both) / Double(total) }

        enum CodingKeys: String, CodingKey {
            case total, invalid, indeterminate, both, organisation, personal, unsigned, signedRatio, organisationSignedRatio, fullySignedRatio
        }

        package func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(total, forKey: .total)
            try c.encode(invalid, forKey: .invalid)
            try c.encode(indeterminate, forKey: .indeterminate)
            try c.encode(both, forKey: .both)
            try c.encode(organisation, forKey: .organisation)
            try c.encode(personal, forKey: .personal)
            try c.encode(unsigned, forKey: .unsigned)
            try c.encode(signedRatio, forKey: .signedRatio)
            try c.encode(organisationSignedRatio, forKey: .organisationSignedRatio)
            try c.encode(fullySignedRatio, forKey: .fullySignedRatio)
        }

        package init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            total = try c.decode(Int.self, forKey: .total)
            invalid = try c.decode(Int.self, forKey: .invalid)
            indeterminate = try c.decode(Int.self, forKey: .indeterminate)
            both = try c.decode(Int.self, forKey: .both)
            organisation = try c.decode(Int.self, forKey: .organisation)
            personal = try c.decode(Int.self, forKey: .personal)
            unsigned = try c.decode(Int.self, forKey: .unsigned)
        }
    }

    package struct Group: Sendable, Codable, Equatable {
        package var key: String
        package var name: String?
        package var counts: Counts

        package init(key: String, name: String?, counts: Counts) {
            self.key = key
            self.name = name
            self.counts = counts
        }
    }

    package enum Grouping: String, Sendable, Codable { case agency, day, month }

    package var from: String
    package var to: String
    package var groupBy: Grouping
    package var recipient: String?
    package var definition: String
    package var groups: [Group]
    package var totals: Counts

    /// The definition, written once: stated word for word in docs/statistics.md, the JSON report, the CSV, the
    /// dashboard and `truc stats`.
    package static let definitionText = """
        Population: one entry per distinct document (sender + DocumentId + business type) that reached the hub \
        in the period, counted on the Vietnam day (UTC+7) of its first arrival, whether it was accepted or refused \
        for an invalid signature; re-sending a document never adds an entry. Its bucket is the verdict of its \
        accepted copy if one was accepted, else invalid (the verdict of its refused attempts). Buckets, first \
        match wins: invalid (a signature is wrong), indeterminate (none wrong, some undecided), both (valid \
        personal and organisation signatures), organisation, personal, unsigned (no signature that counts). An \
        organisation signature counts only when its certificate is bound to the sending agency (its seals or its \
        TLS client certificate); another organisation's seal, or one of an agency with no certificate bound, is \
        reported (signer-not-sender, signer-unbound) and does not count. \
        signedRatio = (both+organisation+personal)/total; organisationSignedRatio = (both+organisation)/total; \
        fullySignedRatio = both/total.
        """

    /// - Parameter names: agency names by code, for readable groups.
    /// - Parameter scope: grouped by agency, every agency of the report's scope: those that sent nothing are
    ///   listed with zero totals (an agency that sends nothing is the one a ministry most needs to see).
    package init(from: String, to: String, groupBy: Grouping, recipient: String?, counts: [(day: String, sender: String, bucket: String, count: Int)],
                 names: [String: String], scope: [String]? = nil) {
        self.from = from
        self.to = to
        self.groupBy = groupBy
        self.recipient = recipient
        definition = Self.definitionText
        var byKey: [String: Counts] = [:]
        var totals = Counts()
        for c in counts {
            let key: String
            switch groupBy {
            case .agency: key = c.sender
            case .day: key = c.day
            case .month: key = String(c.day.prefix(7))
            }
            byKey[key, default: Counts()].add(bucket: c.bucket, count: c.count)
            totals.add(bucket: c.bucket, count: c.count)
        }
        if groupBy == .agency, let scope {
            for code in scope where byKey[code] == nil { byKey[code] = Counts() }
        }
        groups = byKey.keys.sorted().map { Group(key: $0, name: groupBy == .agency ? names[$0] : nil, counts: byKey[$0]!) }
        self.totals = totals
    }

    /// How groups are ordered: by key (the default: agency code, day or month), name, or a count or ratio.
    package enum SortKey: String, Sendable, CaseIterable {
        case key, name, total, invalid, indeterminate, unsigned, signedRatio, organisationSignedRatio, fullySignedRatio
    }

    /// The report with its groups in that order (ties by key; groups without a ratio — nothing sent — last,
    /// whichever the direction).
    package func sorted(by sortKey: SortKey, descending: Bool) -> SignedRatioReport {
        func number(_ g: Group) -> Double? {
            switch sortKey {
            case .key, .name: nil
            case .total: Double(g.counts.total)
            case .invalid: Double(g.counts.invalid)
            case .indeterminate: Double(g.counts.indeterminate)
            case .unsigned: Double(g.counts.unsigned)
            case .signedRatio: g.counts.signedRatio
            case .organisationSignedRatio: g.counts.organisationSignedRatio
            case .fullySignedRatio: g.counts.fullySignedRatio
            }
        }
        var copy = self
        copy.groups = groups.sorted { a, b in
            switch sortKey {
            case .key: return descending ? a.key > b.key : a.key < b.key
            case .name:
                let (x, y) = (a.name ?? a.key, b.name ?? b.key)
                return x == y ? a.key < b.key : (descending ? x > y : x < y)
            default:
                switch (number(a), number(b)) {
                case (nil, nil): return a.key < b.key
                case (nil, _): return false
                case (_, nil): return true
                case (let x?, let y?): return x == y ? a.key < b.key : (descending ? x > y : x < y)
                }
            }
        }
        return copy
    }

    /// How a CSV is written: commas and decimal points, or semicolons and decimal commas (for spreadsheets set
    /// to a locale whose decimal mark is a comma, as Vietnamese ones are).
    package enum CSVStyle: String, Sendable {
        case comma, semicolon
    }

    /// CSV for spreadsheets: UTF-8 with a byte-order mark, the header on line 1, one row per group then the
    /// total, ratios as decimals beside the counts. The definition is not in the file (it travels in the JSON
    /// report, the `Truc-Definition` header and docs/statistics.md).
    package var csv: [UInt8] { csv(.comma) }

    package func csv(_ style: CSVStyle) -> [UInt8] {
        let separator: Character = style == .comma ? "," : ";"
        func cell(_ s: String) -> String { CSVText.field(s, numeric: false, separator: separator) }
        func ratio(_ r: Double?) -> String {
            guard let r else { return "" }
            let text = String(format: "%.4f", r)
            return style == .comma ? text : text.replacingOccurrences(of: ".", with: ",")
        }
        func row(_ key: String, _ name: String?, _ c: Counts) -> String {
            [cell(key), cell(name ?? ""), "\(c.total)", "\(c.invalid)", "\(c.indeterminate)", "\(c.both)", "\(c.organisation)", "\(c.personal)",
             "\(c.unsigned)", ratio(c.signedRatio), ratio(c.organisationSignedRatio), ratio(c.fullySignedRatio)].joined(separator: String(separator))
        }
        var lines = [["\(groupBy.rawValue)", "name", "total", "invalid", "indeterminate", "both", "organisation", "personal", "unsigned",
                      "signedRatio", "organisationSignedRatio", "fullySignedRatio"].joined(separator: String(separator))]
        lines += groups.map { row($0.key, $0.name, $0.counts) }
        lines.append(row("total", nil, totals))
        return [0xEF, 0xBB, 0xBF] + Array((lines.joined(separator: "\r\n") + "\r\n").utf8)
    }
}

import Foundation

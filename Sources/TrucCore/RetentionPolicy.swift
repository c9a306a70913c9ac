import TrucVocabulary
/// How long the hub keeps a message's payload after the message is final (every recipient's delivery delivered,
/// failed or dead): the default, and overrides per agency (sender or recipient) and per business type. The longest
/// retention that applies to a message wins, so an override can only keep a message longer than another party's
/// rule would, never shorten what another agency asked for. `nil` days means "never purge".
///
/// Metadata, verdicts, receipts, traces, statistics and the evidence log are not governed by this policy: they are
/// kept for as long as the store (docs/operating.md "Retention").
package struct RetentionPolicy: Sendable, Equatable {
    package enum Scope: Sendable, Hashable {
        case agency(String)
        case businessType(Int)
    }

    /// Days after a message is final before its payload is purged; nil: never.
    package var defaultDays: Int?
    package var overrides: [Scope: Int?]

    package init(defaultDays: Int?, overrides: [Scope: Int?] = [:]) {
        self.defaultDays = defaultDays
        self.overrides = overrides
    }

    /// The days the payload of a message between `parties` (its sender and recipients) of `businessType` is kept
    /// after it is final; nil when it is never purged.
    package func days(parties: [String], businessType: Int?) -> Int? {
        var applicable: [Int?] = parties.compactMap { overrides[.agency($0)] }
        if let businessType, let days = overrides[.businessType(businessType)] { applicable.append(days) }
        guard !applicable.isEmpty else { return defaultDays }
        // The longest wins; "never" is longest of all. An override replaces the default (it may be shorter).
        if applicable.contains(where: { $0 == nil }) { return nil }
        return applicable.compactMap { $0 }.max()
    }

    /// Whether the payload may be purged at `now` (seconds) for a message final since `finalAt`.
    package func purgeable(parties: [String], businessType: Int?, finalAt: Int64, now: Int64) -> Bool {
        guard let days = days(parties: parties, businessType: businessType) else { return false }
        let (keep, overflow) = Int64(days).multipliedReportingOverflow(by: 86_400)
        guard !overflow else { return false }
        return finalAt <= now - keep
    }

    /// The shortest retention any message can have (the candidates to look at are final before `now` minus this);
    /// nil when nothing is ever purged.
    package var shortestDays: Int? {
        let all = [defaultDays] + Array(overrides.values)
        return all.compactMap { $0 }.min()
    }

    /// Reads `--payload-retention-days` ("off" or whole days) and `--payload-retention-overrides`
    /// ("AGENCY=DAYS,type:N=DAYS,…", DAYS being whole days or "off").
    package static func parse(days: String, overrides text: String?) -> Result<RetentionPolicy, RetentionPolicyError> {
        guard let defaultDays = parseDays(days) else {
            return .failure(RetentionPolicyError(message: "--payload-retention-days is off or a whole number of days (0 to 36500), not \(days)"))
        }
        var policy = RetentionPolicy(defaultDays: defaultDays)
        for item in (text ?? "").split(separator: ",").map(trimmed) where !item.isEmpty {
            let parts = item.split(separator: "=", maxSplits: 1).map(trimmed)
            guard parts.count == 2, !parts[0].isEmpty, let days = parseDays(parts[1]) else {
                return .failure(RetentionPolicyError(message: "--payload-retention-overrides: \(item) is not AGENCY=DAYS or type:N=DAYS (DAYS: 0 to 36500 or off)"))
            }
            let scope: Scope
            if parts[0].hasPrefix("type:") {
                guard let type = Int(parts[0].dropFirst(5)), (0...99).contains(type) else {
                    return .failure(RetentionPolicyError(message: "--payload-retention-overrides: \(parts[0]) is not type:N with N a business type (0 to 99)"))
                }
                scope = .businessType(type)
            } else {
                guard AgencyCodeText.isPlausible(parts[0]) else {
                    return .failure(RetentionPolicyError(message: "--payload-retention-overrides: \(parts[0]) is not an agency code"))
                }
                scope = .agency(parts[0])
            }
            guard policy.overrides[scope] == nil else {
                return .failure(RetentionPolicyError(message: "--payload-retention-overrides: \(parts[0]) is given twice"))
            }
            policy.overrides[scope] = .some(days)
        }
        return .success(policy)
    }

    static func trimmed(_ text: Substring) -> String {
        String(text.drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }

    /// "off" → .some(nil); a whole number 0…36500 → .some(n); anything else nil.
    static func parseDays(_ text: String) -> Int?? {
        if text == "off" { return .some(nil) }
        guard let n = Int(text), (0...36_500).contains(n) else { return nil }
        return .some(n)
    }

    /// The policy as one line (the log at start, `--print-config`).
    package var summary: String {
        func text(_ days: Int?) -> String { days.map { "\($0) days" } ?? "never" }
        var parts = ["payloads purged \(text(defaultDays)) after their message is final"]
        for (scope, days) in overrides.sorted(by: { "\($0.key)" < "\($1.key)" }) {
            switch scope {
            case .agency(let code): parts.append("\(code): \(text(days))")
            case .businessType(let type): parts.append("business type \(type): \(text(days))")
            }
        }
        return parts.joined(separator: "; ")
    }
}

package struct RetentionPolicyError: Error, Sendable, CustomStringConvertible {
    package let message: String
    package var description: String { message }
}

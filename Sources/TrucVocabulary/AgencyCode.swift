/// An agency identifier (mã định danh).
///
/// Two layouts exist:
/// - QCVN 102:2016, read right to left: `V1V2V3.Z1Z2.Y1Y2.MX1X2`, e.g. `000.00.00.G22` (Government
///   Office) or `000.46.24.H44`; unused levels are zeros. Short forms without the leading groups
///   (`28.22.H17`, `00.53.W00`) occur in real traffic and are accepted.
/// - QĐ 20/2020/QĐ-TTg, grown left to right from the level-1 code: `H37.DN.001`, at most 35 characters of
///   `0-9`, `A-Z` and `.`.
package struct AgencyCode: Sendable, Hashable, Codable, CustomStringConvertible {
    package enum Layout: String, Sendable, Codable {
        case qcvn102 = "QCVN 102:2016"
        case qd20 = "QĐ 20/2020"
    }

    package let raw: String
    package let layout: Layout
    /// The level-1 unit, e.g. `G22`, `H41`.
    package let level1: String
    /// The groups from level 1 down to the most specific level present (zeros included for QCVN 102).
    package let groupsFromLevel1: [String]

    /// The level-1 group letter: G ministries, H provincial People's Committees, ...
    package var groupLetter: Character { level1.first! }

    /// The level of the unit: 1 for a level-1 unit (`000.00.00.G22`, `H37`), up to 4.
    package var level: Int {
        switch layout {
        case .qd20: return groupsFromLevel1.count
        case .qcvn102:
            let lower = groupsFromLevel1.dropFirst()
            guard let last = lower.lastIndex(where: { !$0.allSatisfy { $0 == "0" } }) else { return 1 }
            return last - lower.startIndex + 2
        }
    }

    /// The parent unit, or nil for a level-1 unit. For QCVN 102 the most specific non-zero group is
    /// zeroed (`000.46.24.H44` → `000.00.24.H44`); for QĐ 20 the last group is dropped.
    package var parent: AgencyCode? {
        guard level > 1 else { return nil }
        switch layout {
        case .qd20:
            return try? AgencyCode(groupsFromLevel1.dropLast().joined(separator: "."))
        case .qcvn102:
            var groups = groupsFromLevel1
            groups[level - 1] = String(repeating: "0", count: groups[level - 1].count)
            // Written with as many groups as this code was (`28.22.H17` → `00.22.H17`).
            return try? AgencyCode(groups.prefix(rawGroupCount).reversed().joined(separator: "."))
        }
    }

    /// Name of the level-1 group in English (Vietnamese in `groupNameVietnamese`).
    package var groupName: String { AgencyCode.groupNames[groupLetter]?.0 ?? "unassigned group \(groupLetter)" }
    package var groupNameVietnamese: String { AgencyCode.groupNames[groupLetter]?.1 ?? "nhóm \(groupLetter)" }

    package var description: String { raw }

    private var rawGroupCount: Int { raw.split(separator: ".").count }

    static let groupNames: [Character: (String, String)] = [
        "A": ("Party organs", "Cơ quan của Đảng"),
        "B": ("Office of the President", "Văn phòng Chủ tịch nước"),
        "C": ("National Assembly organs", "Cơ quan của Quốc hội"),
        "D": ("Supreme People's Court", "Tòa án nhân dân tối cao"),
        "E": ("Supreme People's Procuracy", "Viện kiểm sát nhân dân tối cao"),
        "F": ("State Audit Office", "Kiểm toán nhà nước"),
        "G": ("ministries and government agencies", "Bộ, cơ quan ngang bộ, cơ quan thuộc Chính phủ"),
        "H": ("provincial People's Committees", "Ủy ban nhân dân tỉnh, thành phố"),
        "I": ("central socio-political organisations", "Tổ chức chính trị - xã hội trung ương"),
        "J": ("central social and professional organisations", "Tổ chức xã hội - nghề nghiệp trung ương"),
        "K": ("provincial People's Councils", "Hội đồng nhân dân tỉnh, thành phố"),
        "W": ("systems and hubs", "Hệ thống, trục liên thông"),
    ]

    /// Parses and checks a code; throws with a message that says what is wrong.
    package init(_ text: String) throws(AgencyCodeError) {
        let raw = text
        guard !raw.isEmpty else { throw AgencyCodeError(raw, "the code is empty") }
        guard raw.utf8.count <= 35 else { throw AgencyCodeError(raw, "the code has \(raw.count) characters; at most 35 are allowed") }
        if let bad = raw.utf8.firstIndex(where: { !(($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || $0 == 0x2E) }) {
            let character = raw[bad...].first.map(String.init) ?? "?"
            throw AgencyCodeError(raw, "the character \"\(character)\" is not allowed; use 0-9, A-Z and dots")
        }
        let groups = raw.utf8.split(separator: 0x2E, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        if groups.contains(where: \.isEmpty) { throw AgencyCodeError(raw, "a group between dots is empty") }

        if let last = groups.last, AgencyCode.isLevel1(last), groups.count > 1 {
            // QCVN 102:2016, right to left: ... Z1Z2 . Y1Y2 . MX1X2
            let lower = groups.dropLast()
            guard lower.count <= 3 else { throw AgencyCodeError(raw, "a QCVN 102 code has at most 4 groups") }
            let widths = [2, 2, 3] // Y, Z, V reading right to left
            var fromLevel1 = [last]
            for (i, group) in lower.reversed().enumerated() {
                guard group.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                    throw AgencyCodeError(raw, "group \"\(group)\" must be digits (QCVN 102 layout, level \(i + 2))")
                }
                guard group.utf8.count == widths[i] else {
                    throw AgencyCodeError(raw, "group \"\(group)\" must have \(widths[i]) digits (QCVN 102 layout, level \(i + 2))")
                }
                fromLevel1.append(group)
            }
            while fromLevel1.count < 4 { fromLevel1.append(String(repeating: "0", count: widths[fromLevel1.count - 1])) }
            self.raw = raw
            self.layout = .qcvn102
            self.level1 = last
            self.groupsFromLevel1 = fromLevel1
        } else if let first = groups.first, AgencyCode.isLevel1(first) {
            // QĐ 20/2020, left to right from the level-1 code.
            self.raw = raw
            self.layout = .qd20
            self.level1 = first
            self.groupsFromLevel1 = groups
        } else {
            throw AgencyCodeError(raw, "no level-1 group (a capital letter and two digits, such as G22 or H41) at either end")
        }
    }

    static func isLevel1(_ group: String) -> Bool {
        let b = Array(group.utf8)
        return b.count == 3 && b[0] >= 0x41 && b[0] <= 0x5A && b[1] >= 0x30 && b[1] <= 0x39 && b[2] >= 0x30 && b[2] <= 0x39
    }
}

/// Why a text is not an agency code.
package struct AgencyCodeError: Error, Sendable, Equatable, CustomStringConvertible {
    package let code: String
    package let reason: String
    init(_ code: String, _ reason: String) {
        self.code = code
        self.reason = reason
    }
    package var description: String { "\"\(code)\" is not a valid agency code: \(reason)" }
}

/// A light check of an agency code's shape (the registry decides which codes exist): letters, digits, dots and
/// dashes, 1 to 64 characters.
package enum AgencyCodeText {
    package static func isPlausible(_ code: String) -> Bool {
        !code.isEmpty && code.utf8.count <= 64 && code.utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2E || b == 0x2D || b == 0x5F
        }
    }
}

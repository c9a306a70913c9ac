import TrucVocabulary

/// How promptly agencies handle the documents they receive, from the status messages they send back:
/// the decree on clerical work asks for notice of receipt (01 or 03) the same day.
package struct TimelinessReport: Sendable, Codable, Equatable {
    package struct Agency: Sendable, Codable, Equatable {
        package var agency: String
        package var name: String?
        package var documents: Int
        /// Documents with a status 01 or 03 on the day they arrived (Vietnam days).
        package var acknowledgedSameDay: Int
        package var sameDayRatio: Double?
        package var medianHoursToAcceptance: Double?
        package var medianHoursToCompletion: Double?
        package var withDueDate: Int
        package var completedByDueDate: Int
        package var completedByDueDateRatio: Double?
        /// Documents past their DueDate without a status 06.
        package var overdue: [Overdue]

        enum CodingKeys: String, CodingKey {
            case agency, name, documents, acknowledgedSameDay, sameDayRatio, medianHoursToAcceptance, medianHoursToCompletion, withDueDate,
                 completedByDueDate, completedByDueDateRatio, overdue
        }

        /// Ratios and medians that cannot be computed are written as null, never left out (as in every report).
        package func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(agency, forKey: .agency)
            try c.encode(name, forKey: .name)
            try c.encode(documents, forKey: .documents)
            try c.encode(acknowledgedSameDay, forKey: .acknowledgedSameDay)
            try c.encode(sameDayRatio, forKey: .sameDayRatio)
            try c.encode(medianHoursToAcceptance, forKey: .medianHoursToAcceptance)
            try c.encode(medianHoursToCompletion, forKey: .medianHoursToCompletion)
            try c.encode(withDueDate, forKey: .withDueDate)
            try c.encode(completedByDueDate, forKey: .completedByDueDate)
            try c.encode(completedByDueDateRatio, forKey: .completedByDueDateRatio)
            try c.encode(overdue, forKey: .overdue)
        }
    }

    package struct Overdue: Sendable, Codable, Equatable {
        package var messageId: String
        package var documentId: String
        package var sender: String
        package var dueDate: String
    }

    /// A document received by an agency, with the earliest time of each status code the agency sent about it.
    package struct Document: Sendable, Equatable {
        package var messageId: String
        package var documentId: String
        package var sender: String
        package var recipient: String
        package var receivedAt: Int64
        package var dueDate: String?
        package var statusTimes: [String: Int64]

        package init(messageId: String, documentId: String, sender: String, recipient: String, receivedAt: Int64, dueDate: String?,
                     statusTimes: [String: Int64]) {
            self.messageId = messageId
            self.documentId = documentId
            self.sender = sender
            self.recipient = recipient
            self.receivedAt = receivedAt
            self.dueDate = dueDate
            self.statusTimes = statusTimes
        }
    }

    package var from: String
    package var to: String
    package var agencies: [Agency]
    package var definition = """
        Per recipient agency, documents received in the period (Vietnam days, UTC+7). acknowledgedSameDay: a status \
        01 or 03 from the agency on the day of arrival. Median hours from arrival to the first 03 (accepted) and \
        06 (finished). completedByDueDate: a 06 on or before the document's DueDate. overdue: DueDate passed, no 06.
        """

    package init(from: String, to: String, documents: [Document], names: [String: String], today: String) {
        self.from = from
        self.to = to
        var result: [Agency] = []
        for (agency, docs) in Dictionary(grouping: documents, by: \.recipient).sorted(by: { $0.key < $1.key }) {
            let sameDay = docs.filter { d in
                let arrived = CivilCalendar.vietnamDay(d.receivedAt)
                return ["01", "03"].contains { d.statusTimes[$0].map(CivilCalendar.vietnamDay) == arrived }
            }.count
            func median(_ code: String) -> Double? {
                let hours = docs.compactMap { d in d.statusTimes[code].map { Double($0 - d.receivedAt) / 3600 } }.sorted()
                guard !hours.isEmpty else { return nil }
                return hours.count % 2 == 1 ? hours[hours.count / 2] : (hours[hours.count / 2 - 1] + hours[hours.count / 2]) / 2
            }
            let due = docs.filter { $0.dueDate != nil }
            let onTime = due.filter { d in d.statusTimes["06"].map { CivilCalendar.vietnamDay($0) <= d.dueDate! } ?? false }.count
            let overdue = due.filter { $0.statusTimes["06"] == nil && $0.dueDate! < today }
                .map { Overdue(messageId: $0.messageId, documentId: $0.documentId, sender: $0.sender, dueDate: $0.dueDate!) }
            result.append(Agency(agency: agency, name: names[agency], documents: docs.count, acknowledgedSameDay: sameDay,
                                 sameDayRatio: docs.isEmpty ? nil : Double(sameDay) / Double(docs.count),
                                 medianHoursToAcceptance: median("03"), medianHoursToCompletion: median("06"),
                                 withDueDate: due.count, completedByDueDate: onTime,
                                 completedByDueDateRatio: due.isEmpty ? nil : Double(onTime) / Double(due.count), overdue: overdue))
        }
        agencies = result
    }
}

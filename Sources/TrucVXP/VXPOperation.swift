/// The nine operations of the national hub's SDK, by their path names (case as written).
package enum VXPOperation: String, Sendable, CaseIterable {
    case sendEdoc, getReceivedEdocList, getEdoc, updateStatus, getSentEdocList
    case getAgenciesList, getSynchronizeUnit, registerAgency, deleteAgency

    /// True for the operations that change what the hub holds (a document, a delivery state, the directory).
    package var changesState: Bool {
        switch self {
        case .sendEdoc, .updateStatus, .registerAgency, .deleteAgency: true
        case .getReceivedEdocList, .getEdoc, .getSentEdocList, .getAgenciesList, .getSynchronizeUnit: false
        }
    }

    /// The parameters the operation reads (exact case); they must carry their signed values.
    package var usedParameters: [String] {
        switch self {
        case .sendEdoc: ["messagetype", "hash-file"]
        case .getReceivedEdocList: ["messagetype"]
        case .getEdoc: ["docId"]
        case .updateStatus: ["docid", "docId", "status"]
        case .getSentEdocList: ["docId"]
        case .getAgenciesList, .getSynchronizeUnit, .registerAgency: []
        case .deleteAgency: ["AgencyCode"]
        }
    }
}

/// Answers as the SDK reads them (vxp-wire.md §5–6): `status`, `ErrorCode`, `ErrorDesc` always, as
/// strings; `DocId` and `data` present on failures too; never a JSON null.
package enum VXPAnswer {
    package static let successDesc = "Thành công"

    package static func success(_ extra: [(String, VXPValue)] = []) -> VXPValue {
        .object([("status", .string("OK")), ("ErrorCode", .string("0")), ("ErrorDesc", .string(successDesc))] + extra)
    }

    package static func failure(_ failure: VXPFailure) -> VXPValue {
        .object([("status", .string("FAILED")), ("ErrorCode", .string(String(failure.errorCode))),
                 ("ErrorDesc", .string("\(failure.code): \(failure.reason)")), ("DocId", .string("")), ("data", .string(""))])
    }

    /// A list item: the given members, with nil values left out (a null would make the SDK drop the list).
    package static func item(_ members: [(String, String?)]) -> VXPValue {
        .object(members.compactMap { key, value in value.map { (key, .string($0)) } })
    }
}

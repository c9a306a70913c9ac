import Foundation
@testable import EdXML

/// Test data lives in `Tests/Fixtures`; the VPCP samples are copies of `shared/samples/vpcp`.
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func bytes(_ relative: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: root.appendingPathComponent(relative)))
    }

    static func sample(_ name: String) throws -> [UInt8] { try bytes("vpcp/\(name)") }

    static func read(_ name: String) throws -> ParsedMessage { try EdXMLReader.read(sample(name)) }

    static func document(_ name: String) throws -> (ParsedMessage, DocumentMessage) {
        let parsed = try read(name)
        guard case .document(let d) = parsed.message else { throw FixtureError("\(name) is not a document message") }
        return (parsed, d)
    }

    static func status(_ name: String) throws -> (ParsedMessage, StatusMessage) {
        let parsed = try read(name)
        guard case .status(let s) = parsed.message else { throw FixtureError("\(name) is not a status message") }
        return (parsed, s)
    }

    static let vpcpDocuments = ["edoc_new.edxml", "edoc_update.edxml", "edoc_replacement.edxml", "edoc_revocation.edxml",
                                "edoc_new_variant_dc0bdef0.edxml", "edoc-integrator_edoc-service_edoc_new.edxml",
                                "edoc-integrator_edoc-webapp_edoc_update.edxml"]
    static let vpcpStatuses = ["status.edxml", "status_inbox_01.edxml", "status_rejection_02.edxml", "status_acceptance_03.edxml",
                               "status_assignment_04.edxml", "status_processing_05.edxml", "edoc-integrator_edoc-service_status_processing_05.edxml",
                               "status_finish_06.edxml", "status_cancellation_13.edxml", "status_change-acceptance_15.edxml",
                               "status_change-rejection_16.edxml"]
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

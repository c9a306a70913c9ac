import Testing
import Foundation
@testable import EdXML

/// Each semantic rule, proven on a real sample changed in exactly one place.
@Suite("Validation findings", .timeLimit(.minutes(30)))
struct ValidationTests {
    func findings(_ sample: String, replacing old: String, with new: String) throws -> [Finding] {
        let text = String(decoding: try Fixtures.sample(sample), as: UTF8.self)
        #expect(text.contains(old), "fixture does not contain \(old)")
        let changed = text.replacingAll(old, with: new)
        return try EdXMLReader.read(Array(changed.utf8)).validate()
    }

    func codes(_ f: [Finding]) -> Set<String> { Set(f.filter { $0.severity == .error }.map(\.code.rawValue)) }

    @Test func missingFrom() throws {
        let text = String(decoding: try Fixtures.sample("edoc_new_variant_dc0bdef0.edxml"), as: UTF8.self)
            .replacingAll("<edXML:From>", with: "<edXML:Sender>").replacingAll("</edXML:From>", with: "</edXML:Sender>")
        let f = try EdXMLReader.read(Array(text.utf8)).validate()
        #expect(codes(f) == ["missing-element"])
        #expect(f.contains { $0.code == .unknownElement && $0.path.hasSuffix("/Sender") })
    }

    @Test func malformedSender() throws {
        let f = try findings("edoc_new.edxml", replacing: "<edXML:OrganId>000.00.00.A80</edXML:OrganId>", with: "<edXML:OrganId>000-00-00-G22</edXML:OrganId>")
        let finding = try #require(f.first { $0.code == .malformedAgencyCode })
        #expect(finding.path == "/edXML/edXMLEnvelope/edXMLHeader/MessageHeader/From/OrganId")
    }

    @Test func noRecipient() throws {
        let text = String(decoding: try Fixtures.sample("edoc_new.edxml"), as: UTF8.self)
        let start = try #require(text.range(of: "<edXML:To>")), end = try #require(text.range(of: "</edXML:To>"))
        let changed = String(text[..<start.lowerBound] + text[end.upperBound...])
        #expect(codes(try EdXMLReader.read(Array(changed.utf8)).validate()).contains("no-recipient"))
    }

    @Test func duplicateRecipient() throws {
        let f = try findings("edoc_update.edxml", replacing: "<edXML:OrganId>000.00.00.G17</edXML:OrganId>", with: "<edXML:OrganId>000.00.00.H41</edXML:OrganId>")
        let finding = try #require(f.first { $0.code == .duplicateRecipient })
        #expect(finding.path == "/edXML/edXMLEnvelope/edXMLHeader/MessageHeader/To[3]/OrganId")
    }

    @Test func manifestWithoutAttachment() throws {
        let f = try findings("edoc_new_variant_dc0bdef0.edxml", replacing: "<ContentId>cid:209</ContentId>", with: "<ContentId>cid:210</ContentId>")
        #expect(codes(f).contains("manifest-without-attachment"))
        #expect(f.contains { $0.code == .attachmentNotInManifest && $0.severity == .warning })
    }

    @Test func unknownStatusCode() throws {
        let f = try findings("status_finish_06.edxml", replacing: "<edXML:StatusCode>06</edXML:StatusCode>", with: "<edXML:StatusCode>09</edXML:StatusCode>")
        #expect(codes(f) == ["unknown-status-code"])
    }

    @Test func nonNumericStatusCodeFailsTheSchema() throws {
        let f = try findings("status_finish_06.edxml", replacing: "<edXML:StatusCode>06</edXML:StatusCode>", with: "<edXML:StatusCode>done</edXML:StatusCode>")
        #expect(codes(f).isSuperset(of: ["schema", "unknown-status-code"]))
    }

    @Test func missingResponseFor() throws {
        let text = String(decoding: try Fixtures.sample("status_inbox_01.edxml"), as: UTF8.self)
        let start = try #require(text.range(of: "<edXML:ResponseFor>")), end = try #require(text.range(of: "</edXML:ResponseFor>"))
        let changed = String(text[..<start.lowerBound] + text[end.upperBound...])
        #expect(codes(try EdXMLReader.read(Array(changed.utf8)).validate()) == ["missing-response-for"])
    }

    @Test func invalidDates() throws {
        let f = try findings("edoc_new.edxml", replacing: "<edXML:DueDate>2018/09/28</edXML:DueDate>", with: "<edXML:DueDate>2018-13-45</edXML:DueDate>")
        #expect(f.first { $0.code == .invalidDate }?.path == "/edXML/edXMLEnvelope/edXMLHeader/MessageHeader/DueDate")
        let t = try findings("status_finish_06.edxml", replacing: "2015/09/20 11:08:36", with: "20/09/2015 11h08")
        #expect(codes(t) == ["invalid-timestamp"])
    }

    @Test func businessDocType() throws {
        let f = try findings("edoc_update.edxml", replacing: "<edXML:BussinessDocType>2</edXML:BussinessDocType>", with: "<edXML:BussinessDocType>7</edXML:BussinessDocType>")
        #expect(codes(f) == ["invalid-business-doc-type"])
        let g = try findings("edoc_update.edxml", replacing: "<edXML:DocumentId>000.00.00.G22,2014/02/30,7806/VPCP-TTĐT</edXML:DocumentId>", with: "")
        #expect(codes(g) == ["missing-original-document"])
    }

    @Test("a schema violation carries the element path")
    func schemaPath() throws {
        let f = try findings("edoc_new.edxml", replacing: "<edXML:PageAmount>22</edXML:PageAmount>", with: "<edXML:PageAmount>many</edXML:PageAmount>")
        let finding = try #require(f.first { $0.code == .schema })
        #expect(finding.path == "/edXML/edXMLEnvelope/edXMLHeader/MessageHeader/OtherInfo/PageAmount")
    }

    @Test("an unknown extension element is kept, with a warning only")
    func extensionElement() throws {
        let text = String(decoding: try Fixtures.sample("edoc_new.edxml"), as: UTF8.self)
            .replacingAll("<edXML:SteeringType>1</edXML:SteeringType>", with: "<edXML:SteeringType>1</edXML:SteeringType><edXML:LocalPriority level=\"x\">high</edXML:LocalPriority><other:Tag xmlns:other=\"urn:other\">y</other:Tag>")
        let parsed = try EdXMLReader.read(Array(text.utf8))
        let f = parsed.validate()
        #expect(f.filter { $0.severity == .error }.isEmpty, "\(f)")
        guard case .document(let d) = parsed.message else { Issue.record("not a document"); return }
        #expect(d.extensions.map(\.localName) == ["LocalPriority", "Tag"])
        #expect(d.extensions[0].xml.contains("high"))
        #expect(d.extensions[1].namespaceURI == "urn:other")
        #expect(f.filter { $0.code == .unknownElement }.count == 2)
    }

    @Test("the Bkav variant names the status header <Status>")
    func statusHeaderVariant() throws {
        let text = String(decoding: try Fixtures.sample("status_acceptance_03.edxml"), as: UTF8.self)
            .replacingAll("edXML:MessageHeader>", with: "edXML:Status>")
        let parsed = try EdXMLReader.read(Array(text.utf8))
        guard case .status(let s) = parsed.message else { Issue.record("not a status"); return }
        #expect(s.headerElementName == "Status" && s.statusCode == .accepted)
        #expect(parsed.validate().filter { $0.severity == .error }.isEmpty)
    }

    @Test("a message without any namespace reads and validates")
    func noNamespace() throws {
        let text = String(decoding: try Fixtures.sample("status_processing_05.edxml"), as: UTF8.self)
            .replacingAll(" xmlns=\"http://www.mic.gov.vn/TBT/QCVN_102_2016\"", with: "")
            .replacingAll(" xmlns:edXML=\"http://www.mic.gov.vn/TBT/QCVN_102_2016\"", with: "")
            .replacingAll("edXML:", with: "")
        let parsed = try EdXMLReader.read(Array(text.utf8))
        #expect(parsed.message.sender == "000.00.00.H41")
        let f = parsed.validate()
        #expect(f.isEmpty, "\(f)")
    }

    @Test("well-formed XML that is not edXML", arguments: [
        "<html><body/></html>", "<edXML xmlns=\"urn:other\"/>", "<edXML xmlns=\"http://www.mic.gov.vn/TBT/QCVN_102_2016\"/>",
        "<edXML xmlns=\"http://www.mic.gov.vn/TBT/QCVN_102_2016\"><edXMLEnvelope><edXMLHeader/></edXMLEnvelope></edXML>",
    ])
    func notEdXML(text: String) {
        #expect(throws: EdXMLError.notEdXML("")) { try EdXMLReader.read(Array(text.utf8)) }
    }
}

import Testing
import Foundation
@testable import EdXML

@Suite("Canonical writer", .timeLimit(.minutes(30)))
struct WriterTests {
    @Test("document samples: read → write → read keeps every modelled field and the attachment bytes", arguments: Fixtures.vpcpDocuments)
    func documentRoundTrip(name: String) throws {
        let (parsed, original) = try Fixtures.document(name)
        let (decoded, _) = parsed.decodeAttachments(retainContent: true)
        let written = EdXMLWriter.write(original, attachmentContent: decoded.map { $0.bytes ?? [] })
        let reread = try EdXMLReader.read(written)
        guard case .document(var again) = reread.message else { Issue.record("not a document"); return }
        // Envelope signatures are not re-emitted (they could not verify over new bytes).
        #expect(again.signatures.isEmpty)
        again.signatures = original.signatures
        again.attachments = zip(again.attachments, original.attachments).map { a, o in var a = a; a.encodedLength = o.encodedLength; return a }
        #expect(again == original)
        #expect(reread.validate().filter { $0.severity == .error }.isEmpty)
        #expect(reread.decodeAttachments().0.map(\.sha256) == decoded.map(\.sha256))
    }

    @Test("status samples round-trip", arguments: Fixtures.vpcpStatuses)
    func statusRoundTrip(name: String) throws {
        let (_, original) = try Fixtures.status(name)
        let reread = try EdXMLReader.read(EdXMLWriter.write(original))
        #expect(reread.message == .status(original))
        #expect(reread.validate().isEmpty)
    }

    @Test("the output has the national sample's namespace layout and element order")
    func layout() throws {
        let status = StatusMessage(
            from: Organization(organId: "000.00.00.H41", organName: "UBND Tỉnh Nghệ An"),
            responseFor: ResponseFor(organId: "000.00.00.G22", code: "7816/VPCP-TTĐT", promulgationDate: EdDate(year: 2015, month: 9, day: 30),
                                     documentId: "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT"),
            staffInfo: StaffInfo(department: "Văn thư", staff: "Trâm & Co <test>"),
            statusCode: .accepted, description: "Đã tiếp nhận", timestamp: EdTimestamp(year: 2026, month: 11, day: 22, hour: 8, minute: 5, second: 0))
        let text = String(decoding: EdXMLWriter.write(status), as: UTF8.self)
        #expect(text.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<edXML xmlns=\"http://www.mic.gov.vn/TBT/QCVN_102_2016\">\n  <edXML:edXMLEnvelope xmlns:edXML=\"http://www.mic.gov.vn/TBT/QCVN_102_2016\">"))
        let order = ["<edXML:From>", "<edXML:ResponseFor>", "<edXML:StaffInfo>", "<edXML:StatusCode>03<", "<edXML:Description>", "<edXML:Timestamp>2026/11/22 08:05:00<"]
        let positions = order.map { text.range(of: $0)?.lowerBound }
        #expect(positions.allSatisfy { $0 != nil })
        #expect(positions.compactMap { $0 } == positions.compactMap { $0 }.sorted())
        #expect(text.contains("Trâm &amp; Co &lt;test&gt;"))
    }
}

@Suite("Trace stamp", .timeLimit(.minutes(30)))
struct TraceStampTests {
    @Test("appends a TraceHeader in the sample's prefix, changing nothing else; status messages have no trace")
    func stamp() throws {
        let original = try Fixtures.sample("edoc_new.edxml")
        let stamped = try #require(TraceStamp.append(to: original, organId: "000.00.00.W01", timestamp: "2026/11/22 10:00:00"))
        let parsed = try EdXMLReader.read(stamped)
        guard case .document(let before) = try EdXMLReader.read(original).message, case .document(let after) = parsed.message else {
            Issue.record("not a document")
            return
        }
        #expect(after.traceHeaders.count == before.traceHeaders.count + 1)
        #expect(after.traceHeaders.last?.organId == "000.00.00.W01")
        #expect(after.header == before.header)
        let inserted = Array("<edXML:TraceHeader><edXML:OrganId>000.00.00.W01</edXML:OrganId><edXML:Timestamp>2026/11/22 10:00:00</edXML:Timestamp></edXML:TraceHeader>".utf8)
        #expect(stamped.count == original.count + inserted.count)
        #expect(TraceStamp.append(to: try Fixtures.sample("status_acceptance_03.edxml"), organId: "x", timestamp: "y") == nil)
        #expect(TraceStamp.timestamp(1_795_281_193) == "2026/11/22 00:13:13")
    }
}

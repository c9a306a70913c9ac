import Testing
@testable import EdXML

@Suite("Addressing: who a message is for, the hubs it passed", .timeLimit(.minutes(30)))
struct AddressingTests {
    @Test("recipients: every To for a document; ResponseFor/OrganId for a status")
    func addressing() throws {
        let status = StatusMessage(from: Organization(organId: "000.00.00.G22"), responseFor: ResponseFor(organId: "000.00.00.H41", documentId: "d"),
                                   statusCode: .takeBackRequest)
        #expect(Addressing.recipients(of: .status(status)) == ["000.00.00.H41"])
        let doc = DocumentMessage(header: MessageHeader(to: [Organization(organId: "A"), Organization(organId: "B"), Organization(organId: "A")]))
        #expect(Addressing.recipients(of: .document(doc)) == ["A", "B"])
    }

    @Test("the trace's organs in order; none for a status message")
    func traceOrgans() {
        let passed = DocumentMessage(header: MessageHeader(), traceHeaders: [TraceHeader(organId: "000.00.00.W01", timestamp: nil),
                                                                           TraceHeader(organId: "000.00.00.W41", timestamp: nil)])
        #expect(EdXMLMessage.document(passed).traceOrgans == ["000.00.00.W01", "000.00.00.W41"])
        let status = StatusMessage(from: Organization(organId: "000.00.00.G22"), responseFor: nil, statusCode: .takeBackRequest)
        #expect(EdXMLMessage.status(status).traceOrgans.isEmpty)
    }
}

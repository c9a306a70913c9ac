import Foundation
import Testing
@testable import TrucSignatures
import TrucTestSupport

/// The report is made from text signers write (a certificate's subject, a verdict's detail): hostile markup and
/// control characters must leave well-formed XML, their text intact where XML can carry it.
@Suite("ETSI report: hostile text from certificates and details", .timeLimit(.minutes(30)))
struct ETSIReportTests {
    @Test("markup, quotes and control characters in a signer's name and a detail leave a well-formed report")
    func hostileText() async throws {
        var verdict = SignatureVerdict(location: "attachment:a\"b<c>.pdf", kind: .organisation, reasons: [.digestMismatch],
                                       signer: SignerDescription(subject: "CN=A&B</Signer><x>", commonName: "A&B</Signer>\u{01}\u{1F}<x y=\"z\">",
                                                                 identifier: nil, issuer: "CN=CA", serial: "01", sha256: String(repeating: "ab", count: 32)),
                                       detail: "]]><!-- \u{00}\u{07} -->&amp;", refuseWeak: false)
        verdict.etsi = ETSIIndications.judge(verdict, validationTime: 1_800_000_000)
        var message = MessageVerdict(signatures: [verdict])
        message.validationTime = "2027-01-15T08:00:00Z"
        let xml = ETSIReport.xml(message, documentSHA256: String(repeating: "cd", count: 32), validator: .init(product: "Truc <test> & \"q\""))
        #expect(!xml.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" && $0 != "\t" && $0 != "\r" }, "no control character XML cannot carry")
        #expect(xml.contains("A&amp;B&lt;/Signer&gt;&lt;x y=&quot;z&quot;&gt;") && xml.contains("urn:etsi:019102:subindication:HASH_FAILURE"))
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("truc-report-\(UUID().uuidString).xml")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(xml.utf8).write(to: file)
        let lint = try await Program.run(URL(fileURLWithPath: "/usr/bin/env"), ["xmllint", "--noout", "--nonet", file.path])
        #expect(lint.exitCode == 0, "well-formed: \(lint.stderr)")
    }
}

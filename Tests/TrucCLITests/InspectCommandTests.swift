import Foundation
import Testing

/// `truc inspect` as a user runs it: the real binary, real files, exit codes and output.
@Suite("truc inspect", .timeLimit(.minutes(30)))
struct InspectCommandTests {
    @Test("every VPCP sample inspects with exit 0", arguments: [
        "edoc_new.edxml", "edoc_update.edxml", "edoc_replacement.edxml", "edoc_revocation.edxml", "edoc_new_variant_dc0bdef0.edxml",
        "edoc-integrator_edoc-service_edoc_new.edxml", "edoc-integrator_edoc-webapp_edoc_update.edxml", "status.edxml",
        "status_inbox_01.edxml", "status_rejection_02.edxml", "status_acceptance_03.edxml", "status_assignment_04.edxml",
        "status_processing_05.edxml", "edoc-integrator_edoc-service_status_processing_05.edxml", "status_finish_06.edxml",
        "status_cancellation_13.edxml", "status_change-acceptance_15.edxml", "status_change-rejection_16.edxml",
    ])
    func samples(name: String) async throws {
        let run = try await TrucRun.run(["inspect", CLIFixtures.path("vpcp/\(name)"), "--json"])
        #expect(run.exitCode == 0, "\(run.stdout)\(run.stderr)")
        let json = try #require(run.json)
        #expect(json["valid"] as? Bool == true)
        #expect((json["kind"] as? String) == (name.contains("status") ? "status" : "edoc"))
        #expect(run.stderr.isEmpty)
    }

    @Test("the JSON report carries the real values")
    func jsonValues() async throws {
        let run = try await TrucRun.run(["inspect", CLIFixtures.path("vpcp/edoc_update.edxml"), "--json"])
        let json = try #require(run.json)
        #expect((json["sender"] as? [String: Any])?["organId"] as? String == "000.00.00.G22")
        #expect((json["recipients"] as? [[String: Any]])?.compactMap { $0["organId"] as? String } == ["000.00.00.H41", "000.00.00.H14", "000.00.00.G17"])
        #expect(json["documentId"] as? String == "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT")
        #expect(json["code"] as? String == "7816/VPCP-TTĐT")
        #expect((json["businessType"] as? [String: Any])?["name"] as? String == "update")
        let attachment = try #require((json["attachments"] as? [[String: Any]])?.first)
        #expect(attachment["sha256"] as? String == "51653b9613f7f0275b43f80704033299740c702f354f44a06f55770cfbb0b135")
        #expect(attachment["size"] as? Int == 270_823)
        #expect(attachment["sniffedType"] as? String == "application/zip")
        #expect((attachment["entries"] as? [[String: Any]])?.first?["size"] as? Int == 388_347)
    }

    @Test("the text report is readable Vietnamese")
    func text() async throws {
        let run = try await TrucRun.run(["inspect", CLIFixtures.path("vpcp/status_acceptance_03.edxml")])
        #expect(run.exitCode == 0)
        #expect(run.stdout.contains("03 accepted"))
        #expect(run.stdout.contains("UBND Tỉnh Nghệ An"))
        #expect(run.stdout.contains("Findings: none"))
    }

    @Test("a message with error findings exits 1 and lists them")
    func findings() async throws {
        let text = try CLIFixtures.sample("status_finish_06.edxml").replacingOccurrences(of: "<edXML:StatusCode>06<", with: "<edXML:StatusCode>09<")
        let run = try await TrucRun.run(["inspect", try CLIFixtures.temporary(text), "--json"])
        #expect(run.exitCode == 1)
        let findings = try #require(run.json?["findings"] as? [[String: Any]])
        #expect(findings.first?["code"] as? String == "unknown-status-code")
        #expect(findings.first?["path"] as? String == "/edXML/edXMLEnvelope/edXMLHeader/MessageHeader/StatusCode")
    }

    static let billionLaughs: String = {
        var dtd = "<!ENTITY lol \"lol\">"
        for i in 1...9 { dtd += "<!ENTITY lol\(i) \"" + String(repeating: "&lol\(i == 1 ? "" : String(i - 1));", count: 10) + "\">" }
        return "<?xml version=\"1.0\"?><!DOCTYPE lolz [\(dtd)]><lolz>&lol9;</lolz>"
    }()

    @Test("hostile and broken input: exit 2, a stable code on stdout, one line on stderr", arguments: [
        ("<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><r>&x;</r>", "forbidden-dtd"),
        (billionLaughs, "forbidden-dtd"),
        ("<edXML xmlns=\"http://www.mic.gov.vn/TBT/QCVN_102_2016\"><edXMLEnvelope><edXMLHea", "malformed-xml"),
        ("", "empty-document"),
        ("<note><to>Tove</to></note>", "not-edxml"),
        ("<?xml version=\"1.0\" encoding=\"windows-1258\"?><edXML/>", "unsupported-encoding"),
    ])
    func hostile(text: String, code: String) async throws {
        let run = try await TrucRun.run(["inspect", try CLIFixtures.temporary(text), "--json"])
        // Refused before anything is expanded: a billion laughs expanded takes gigabytes and minutes.
        #expect(run.duration < .seconds(2))
        #expect(run.exitCode == 2)
        let error = try #require(run.json?["error"] as? [String: Any])
        #expect(error["code"] as? String == code)
        #expect(!(error["message"] as? String ?? "").isEmpty)
        #expect(run.stderr.split(separator: "\n").count == 1)
        #expect(run.stderr.hasPrefix("truc: \(code): "))
        #expect(!run.stdout.contains("root:"), "the XXE target must never be read")
    }

    @Test("a 100 MB file over the 64 MiB limit is refused without being read")
    func tooLarge() async throws {
        let path = try CLIFixtures.temporary("")
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: 100 << 20) // sparse: nothing to read
        try handle.close()
        let run = try await TrucRun.run(["inspect", path, "--json"])
        #expect(run.exitCode == 2)
        #expect((run.json?["error"] as? [String: Any])?["code"] as? String == "too-large")
    }

    @Test("a missing file")
    func missing() async throws {
        let run = try await TrucRun.run(["inspect", "/nonexistent/truc.edxml", "--json"])
        #expect(run.exitCode == 2)
        #expect((run.json?["error"] as? [String: Any])?["code"] as? String == "file-unreadable")
        let text = try await TrucRun.run(["inspect", "/nonexistent/truc.edxml"])
        #expect(text.exitCode == 2 && text.stdout.isEmpty && text.stderr.hasPrefix("truc: file-unreadable: "), "without --json: stderr only")
    }

    @Test("attachment problems are findings: invalid base64 and a zip bomb", arguments: [
        ("AAAA*AAA", "invalid-base64"), ("bomb", "zip-bomb"),
    ])
    func attachments(content: String, code: String) async throws {
        var base64 = content
        if content == "bomb" { base64 = try Data(contentsOf: URL(fileURLWithPath: CLIFixtures.path("attachments/bomb.zip"))).base64EncodedString() }
        let sample = try CLIFixtures.sample("edoc_new_variant_dc0bdef0.edxml")
        let open = try #require(sample.range(of: "<edXML:ContentTransferEncoded xmlns:edXML=\"http://www.mic.gov.vn/TBT/QCVN_102_2016\">"))
        let close = try #require(sample.range(of: "</edXML:ContentTransferEncoded>"))
        let text = String(sample[..<open.upperBound]) + base64 + String(sample[close.lowerBound...])
        let run = try await TrucRun.run(["inspect", try CLIFixtures.temporary(text), "--json"])
        #expect(run.exitCode == 1)
        let findings = try #require(run.json?["findings"] as? [[String: Any]])
        #expect(findings.map { $0["code"] as? String } == [code])
    }
}

@Suite("truc verify", .timeLimit(.minutes(30)))
struct VerifyCommandTests {
    @Test("a document signed personal + organisation: JSON shape and exit 0")
    func valid() async throws {
        let run = try await TrucRun.run(["verify", CLIFixtures.path("signatures/env-valid-inclusive.edxml"), "--json",
                                   "--trust", CLIFixtures.root.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Certs/demo/trust").path])
        #expect(run.exitCode == 0, "\(run.stdout)\(run.stderr)")
        let json = try #require(run.json)
        let document = try #require(json["document"] as? [String: Any])
        #expect(document["documentId"] as? String == "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT")
        #expect(document["from"] as? String == "000.00.00.G22")
        #expect((document["to"] as? [String])?.count == 3)
        #expect(document["messageType"] as? String == "edoc")
        #expect(json["signed"] as? String == "both")
        #expect(json["invalid"] as? Bool == false)
        #expect(json["bucket"] as? String == "both")
        let signatures = try #require(json["signatures"] as? [[String: Any]])
        #expect(signatures.map { $0["location"] as? String } == ["envelope", "attachment:van-ban.pdf", "attachment:van-ban.pdf"])
        #expect(signatures.map { $0["kind"] as? String } == ["organisation", "personal", "organisation"])
        for s in signatures {
            #expect(s["status"] as? String == "valid")
            #expect((s["reasons"] as? [String]) == [])
            let signer = try #require(s["signer"] as? [String: Any])
            for key in ["subject", "commonName", "identifier", "issuer", "serial"] { #expect(signer[key] is String, "\(key)") }
        }
    }

    @Test("an invalid signature exits 1; the default trust is the demo PKI")
    func invalid() async throws {
        let run = try await TrucRun.run(["verify", CLIFixtures.path("signatures/pdf-tampered.edxml"), "--json"])
        #expect(run.exitCode == 1)
        #expect(run.json?["bucket"] as? String == "invalid")
        #expect(run.json?["invalid"] as? Bool == true)
    }

    @Test("an unsigned sample exits 1 with bucket unsigned; unreadable input exits 2")
    func unsignedAndBroken() async throws {
        let unsigned = try await TrucRun.run(["verify", CLIFixtures.path("vpcp/edoc_new.edxml"), "--json"])
        #expect(unsigned.exitCode == 1)
        #expect(unsigned.json?["bucket"] as? String == "unsigned")
        #expect(unsigned.json?["signed"] as? String == "none")
        let broken = try await TrucRun.run(["verify", CLIFixtures.path("vpcp/edoc.edxml"), "--json"])
        #expect(broken.exitCode == 2)
        #expect((broken.json?["error"] as? [String: Any])?["code"] as? String == "malformed-xml")
    }

    @Test("--at moves the verification time")
    func at() async throws {
        let run = try await TrucRun.run(["verify", CLIFixtures.path("signatures/env-valid-exclusive.edxml"), "--at", "2049-01-01T00:00:00Z", "--json"])
        #expect(run.exitCode == 1)
        let reasons = (run.json?["signatures"] as? [[String: Any]])?.first?["reasons"] as? [String]
        #expect(reasons == ["expired"])
    }
}

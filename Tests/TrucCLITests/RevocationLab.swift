import Foundation
import Testing
import TrucTestSupport
@testable import TrucVocabulary

extension RevocationLiveTests {
    /// The lab: a Python process serving OCSP, CRLs and time-stamps on 127.0.0.1.
    final class Lab {
        let process = SpawnedProcess()
        let work: String
        let info: [String: Any]

        init() async throws {
            work = FileManager.default.temporaryDirectory.appendingPathComponent("truc-lab-\(UUID().uuidString)").path
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", CLIFixtures.path("revocation/lab.py"), work]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try await Program.launch(process)
            let file = work + "/lab.json"
            var loaded: [String: Any]?
            for _ in 0..<300 {
                if let data = FileManager.default.contents(atPath: file), let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
                    loaded = json
                    break
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            guard let loaded else {
                process.kill()
                throw CancellationError()
            }
            info = loaded
            try await Task.sleep(for: .milliseconds(300)) // lab.json is written just before the socket listens
        }

        deinit {
            // SIGKILL with what it started: the lab's responders outlived a SIGTERM.
            process.kill()
            try? FileManager.default.removeItem(atPath: work)
        }

        var base: String { info["base"] as! String }
        var trust: String { info["trust"] as! String }

        func signer(_ name: String) -> (key: String, cert: String) {
            let signers = info["signers"] as! [String: [String: String]]
            return (signers[name]!["key"]!, signers[name]!["cert"]!)
        }

        /// A new G22 document (its own DocumentId) signed on the envelope by the lab signer `name`, with xmlsec1.
        func document(signedBy name: String) async throws -> String {
            let template = try String(contentsOfFile: CLIFixtures.path("signatures/pdf-unsigned.edxml"), encoding: .utf8)
                .replacingOccurrences(of: "7816/VPCP-TTĐT", with: "\(UUID().uuidString.prefix(8))/VPCP")
            let signature = try String(contentsOfFile: FailClosedTests.repo.appendingPathComponent("docs/signature-template.xml").path, encoding: .utf8)
            let input = work + "/unsigned-\(UUID().uuidString).xml", output = work + "/\(name)-\(UUID().uuidString).edxml"
            try template.replacingOccurrences(of: "</edXML:edXMLHeader>", with: signature + "</edXML:edXMLHeader>")
                .write(toFile: input, atomically: true, encoding: .utf8)
            let (key, cert) = signer(name)
            let run = try await FailClosedTests.run("xmlsec1", ["--sign", "--privkey-pem", "\(key),\(cert)", "--output", output, input])
            #expect(run.exitCode == 0, "xmlsec1: \(run.stderr)")
            return output
        }
    }
}

import Foundation
import Testing
import TrucTestSupport

/// The hub signs TLS handshakes off its event loops (`HandshakeKey`): every signature scheme a client may ask for
/// must still come out right, checked by an independent client (openssl s_client) against a live hub.
@Suite("TLS handshakes signed off the event loops", .timeLimit(.minutes(30)),
       .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl")))
struct HandshakeKeyTests {
    @Test("TLS 1.2 with RSA PKCS#1 and RSA-PSS, TLS 1.3 with RSA-PSS SHA-256 and SHA-512: each handshake verifies")
    func schemes() async throws {
        try await LiveHub.run { hub in
            for (arguments, type, digest) in [(["-tls1_2", "-sigalgs", "RSA+SHA256"], "RSA", "SHA256"),
                                              (["-tls1_2", "-sigalgs", "RSA-PSS+SHA384"], "RSA-PSS", "SHA384"),
                                              (["-tls1_3"], "RSA-PSS", "SHA256"),
                                              (["-tls1_3", "-sigalgs", "rsa_pss_rsae_sha512"], "RSA-PSS", "SHA512")] {
                let run = try await Program.run(URL(fileURLWithPath: "/usr/bin/openssl"), [
                    "s_client", "-connect", "127.0.0.1:\(hub.port)", "-CAfile", LiveHub.demo("trust/root-ca.pem"), "-verify_return_error",
                    "-brief",
                ] + arguments, timeLimit: 30)
                let text = run.stdout + run.stderr
                #expect(run.exitCode == 0 && text.contains("Verification: OK"), "\(arguments): \(text.prefix(600))")
                #expect(text.contains("Signature type: \(type)\n") && text.contains("Hash used: \(digest)\n"), "\(arguments): \(text.prefix(600))")
            }
        }
    }
}

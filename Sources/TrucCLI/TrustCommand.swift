import ArgumentParser
import EdXML
import Foundation
import TrucCrypto
import TrucSignatures
import TrucVocabulary
import TrucCore

/// `truc trust`: what a trust directory holds — each anchor and intermediate (subject, SHA-256, validity,
/// whether a CRL of its own is there), each CRL (issuer, next update) — the trust snapshot id the hub's
/// verdicts made under it carry, and what will fail: an expired or not yet valid certificate, a CRL past its
/// next update, a CA without a CRL while revocation data is required. Exit 1 when there is a warning.
struct TrustCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trust", abstract: "List a trust directory (anchors, intermediates, CRLs, the trust snapshot id) and warn about what will fail.")
    @Option(help: "The trust directory (default: TRUC_TRUST_DIR, else the local hub's DATA/pki/trust).") var trust: String?
    @Flag(name: .customLong("require-revocation"), help: "Warn about every CA without a CRL in the directory (as truc serve --require-revocation needs).")
    var requireRevocation = false
    @Option(name: .customLong("signing-eku"), help: "The extended key usages the hub is given (they enter the snapshot id).") var signingEKU: String?
    @Option(name: .customLong("algorithm-policy"), help: "The algorithm policy file the hub is given (it enters the snapshot id).") var algorithmPolicy: String?
    @OptionGroup var errorOutput: ErrorOutput

    struct Report: Encodable {
        struct Entry: Encodable {
            let role: String
            let subject: String
            let issuer: String
            let sha256: String
            let notBefore: String
            let notAfter: String
            let crl: Bool
            /// The anchor's role and required signer policies in trust.json.
            var trustRole: String?
            var policies: [String]?
        }
        struct Revocations: Encodable {
            let issuer: String
            let thisUpdate: String
            let nextUpdate: String?
            /// The cRLNumber; for a delta CRL, the number of the complete CRL it applies to.
            var number: String?
            var deltaOf: String?
        }
        let directory: String
        let snapshot: String
        let certificates: [Entry]
        let crls: [Revocations]
        let warnings: [String]
    }

    func run() throws {
        let directory = try TrustDirectory.resolve(trust)
        let verifier: SignatureVerifier
        var policy = VerificationPolicy(requireRevocationData: requireRevocation)
        do {
            if let signingEKU { policy.signingExtendedKeyUsages = try SigningEKU.parse(signingEKU, flag: "--signing-eku") }
            if let algorithmPolicy { policy.algorithms = try AlgorithmPolicyFile.read(algorithmPolicy) }
            verifier = try SignatureVerifier(directory: directory, policy: policy)
        } catch let failure as CommandFailure {
            throw failure.report()
        } catch {
            throw CommandFailure(.trustUnreadable, "\(error)").report()
        }
        let store = verifier.trust, profile = verifier.policy.trustProfile
        let now = Int64(Date().timeIntervalSince1970)
        let crlIssuers = Set(store.crls.map(\.issuer))
        var warnings: [String] = []
        var entries: [Report.Entry] = []
        for (role, list) in [("anchor", store.anchors), ("intermediate", store.intermediates)] {
            for c in list.sorted(by: { $0.subject < $1.subject }) {
                let hasCRL = crlIssuers.contains(c.subject)
                let sha256 = c.sha256
                let described = profile.anchor(sha256)
                entries.append(.init(role: role, subject: c.subject, issuer: c.issuer, sha256: sha256,
                                     notBefore: CivilCalendar.isoUTC(c.notBefore), notAfter: CivilCalendar.isoUTC(c.notAfter), crl: hasCRL,
                                     trustRole: described?.role, policies: described?.policies))
                if c.notAfter < now { warnings.append("\(role) \(c.subject) expired on \(CivilCalendar.isoUTC(c.notAfter)): nothing chains through it any more") }
                if c.notBefore > now { warnings.append("\(role) \(c.subject) is not valid before \(CivilCalendar.isoUTC(c.notBefore))") }
                if requireRevocation, !hasCRL {
                    warnings.append("\(role) \(c.subject) has no CRL in the directory: with --require-revocation its certificates are revocation-unknown")
                }
            }
        }
        let crls = store.crls.map {
            Report.Revocations(issuer: $0.issuer, thisUpdate: CivilCalendar.isoUTC($0.thisUpdate), nextUpdate: $0.nextUpdate.map { CivilCalendar.isoUTC($0) },
                               number: $0.number?.description, deltaOf: $0.isDelta ? ($0.baseNumber?.description ?? "?") : nil)
        }
        for crl in store.crls {
            // A complete CRL past its next update still serves under a current delta CRL that applies to it.
            let renewed = store.crls.contains { $0.isDelta && $0.isCurrent(at: now) && crl.isBase(of: $0) }
            if let next = crl.nextUpdate, next < now, !renewed {
                warnings.append("the CRL of \(crl.issuer) is past its next update (\(CivilCalendar.isoUTC(next))): replace it and reload the hub")
            }
            if crl.isDelta, !store.crls.contains(where: { $0.isBase(of: crl) }) {
                warnings.append("a delta CRL of \(crl.issuer) whose complete CRL (number \(crl.baseNumber?.description ?? "?") or later) is not in the directory: it proves revocations only")
            }
            if !entries.contains(where: { $0.subject == crl.issuer }) { warnings.append("a CRL of \(crl.issuer), which is no certificate of the directory") }
        }
        let report = Report(directory: directory, snapshot: verifier.trustSnapshot,
                            certificates: entries, crls: crls, warnings: warnings)
        if errorOutput.json {
            print(try Output.json(report))
        } else {
            print("trust directory \(directory)")
            print("trust snapshot \(report.snapshot)")
            for e in entries {
                print("\(e.role)\(e.trustRole.map { " (\($0))" } ?? "")  \(e.subject)\n    SHA-256 \(e.sha256)  valid \(e.notBefore) – \(e.notAfter)  CRL \(e.crl ? "yes" : "no")"
                      + ((e.policies ?? []).isEmpty ? "" : "\n    signers must carry policy \((e.policies ?? []).joined(separator: " or "))")
                      + (e.role == "intermediate" ? "\n    issued by \(e.issuer)" : ""))
            }
            for c in crls {
                let kind = c.deltaOf.map { "delta CRL \(c.number ?? "?") over \($0)" } ?? "CRL\(c.number.map { " \($0)" } ?? "")"
                print("\(kind)  \(c.issuer)  this update \(c.thisUpdate)  next update \(c.nextUpdate ?? "none")")
            }
            for w in warnings { print("warning: \(w)") }
            if warnings.isEmpty { print("no warning") }
        }
        if !warnings.isEmpty { throw ExitCode(1) }
    }
}

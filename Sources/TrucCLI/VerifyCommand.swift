import ArgumentParser
import EdXML
import Foundation
import TrucCore
import TrucCrypto
import TrucRevocation
import TrucSignatures

/// `truc verify FILE`: every signature of a message, verified against a trust directory.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify the signatures of an edXML message: XMLDSig on the envelope, CMS in attached PDFs.",
        discussion: """
            Exit status: 0 at least one valid signature and none invalid or indeterminate; 1 no valid signature, \
            some signature invalid or indeterminate, or an attachment that cannot be decoded (it may hide signatures); 2 the file is not readable edXML (stdout then carries \
            {"error":{"code","message"}}).
            """
    )

    @Argument(help: "The edXML file.")
    var file: String

    @Option(help: "Trust directory: PEM certificates (self-signed = anchors) and CRLs (*.crl, *.crl.pem). Default: the demo PKI in Certs/demo/trust.")
    var trust: String?

    @Option(help: "Verification time, ISO 8601 (2026-11-22T10:00:00Z or 2026-11-22). Default: now.")
    var at: String?

    @Flag(help: "Print the verdict as JSON.")
    var json = false

    @Flag(help: "A signer with no revocation source at all (no CRL for its issuer, no OCSP or CRL URL) is indeterminate.")
    var requireRevocation = false

    @Option(help: "Revocation sources: prefer-ocsp (OCSP, then fetched and file CRLs), crl-only, offline (the trust directory's CRL files only, no network). Default prefer-ocsp, as the hub.")
    var revocation: String = RevocationMode.preferOCSP.rawValue

    @Option(name: .customLong("revocation-unknown"), help: "When sources exist but none answers: indeterminate, invalid or accept. Default indeterminate.")
    var revocationUnknown: String = RevocationUnknownAction.indeterminate.rawValue
    @Flag(name: .customLong("fetch-ca-issuers"), help: "Fetch an intermediate the document does not carry from the caIssuers address of the certificate it issued.")
    var fetchCAIssuers = false
    @Option(name: .customLong("revocation-rewrite"), help: "Rewrite OCSP/CRL URLs from certificates: FROM=TO pairs, comma-separated (http(s) URL prefixes).")
    var revocationRewrite: String?
    @Option(name: .customLong("algorithm-policy"), help: "A JSON file of algorithm sunsets ({\"rules\":[{\"algorithm\":\"sha1\",\"sunset\":\"yyyy-MM-dd\",\"source\":\"…\"}]}). Default: SHA-1 and RSA under 2048 bits from 2014-01-01, MD5 from 2009-01-01.")
    var algorithmPolicy: String?
    @Option(name: .customLong("signing-eku"), help: "Extended key usages (dotted OIDs, comma-separated) that allow a signer certificate carrying the extension to sign documents. Default: \(SigningEKU.defaultText).")
    var signingEKU: String?

    @Option(help: "A hub's data directory: fetched CRLs are read from and kept in DATA/revocation, as the hub does.")
    var data: String?

    @Flag(help: "Refuse SHA-1 signatures instead of accepting them with a weak-algorithm warning.")
    var refuseSha1 = false

    @Option(help: "Largest accepted file, in bytes.")
    var maxBytes: Int = 64 << 20

    @Option(help: "Print a report instead of Truc's verdict: etsi (an ETSI TS 119 102-2 ValidationReport, XML).")
    var report: String?
    @Option(name: .customLong("sign-key"), help: "With --report etsi: sign the report (enveloped XMLDSig, RSA-SHA256) with this PEM private key (RSA).")
    var signKey: String?
    @Option(name: .customLong("sign-cert"), help: "With --sign-key: the PEM certificate chain of that key (the first certificate names the validator).")
    var signCert: String?

    func run() throws {
        do {
            if let receipt = try receiptReport() {
                print(json ? try Output.json(receipt) : receipt.text)
                if !receipt.valid { throw ExitCode(1) }
                return
            }
            if let format = self.report {
                guard format == "etsi" else { throw CommandFailure(.invalidOption, "--report takes etsi") }
                let (report, xml) = try etsiReport()
                print(xml, terminator: "")
                let anyValid = report.signatures.contains { $0.status == .valid }
                if report.invalid || !anyValid || !report.attachmentProblems.isEmpty { throw ExitCode(1) }
                return
            }
            let report = try makeReport()
            print(json ? try Output.json(report) : report.text)
            let anyValid = report.signatures.contains { $0.status == .valid }
            if report.invalid || !anyValid || !report.attachmentProblems.isEmpty { throw ExitCode(1) }
        } catch let failure as CommandFailure {
            throw failure.report()
        }
    }

    /// The verdict and its ETSI TS 119 102-2 report (signed with --sign-key/--sign-cert).
    func etsiReport() throws(CommandFailure) -> (VerifyReport, String) {
        guard (signKey == nil) == (signCert == nil) else {
            throw CommandFailure(.invalidOption, "--sign-key and --sign-cert go together")
        }
        var digest = ""
        let report = try makeReport(digest: &digest)
        var validator = ETSIReport.Validator(product: "Truc \(TrucVersion.string)")
        guard let signKey, let signCert else { return (report, ETSIReport.xml(report.verdict, documentSHA256: digest, validator: validator)) }
        do {
            let signer = try ReceiptSigner(privateKeyPEM: try FileInput.load(signKey, maxBytes: 1 << 20), certificateChainPEM: try FileInput.load(signCert, maxBytes: 1 << 20))
            validator.certificate = signer.certificate
            let signed = try signer.sign { signature in ETSIReport.xml(report.verdict, documentSHA256: digest, validator: validator, signature: signature) }
            return (report, String(decoding: signed, as: UTF8.self))
        } catch {
            throw CommandFailure(.signingKeyUnreadable, "cannot sign the report with \(signKey): \(error)")
        }
    }

    func makeReport() throws(CommandFailure) -> VerifyReport {
        var digest = ""
        return try makeReport(digest: &digest)
    }

    func makeReport(digest: inout String) throws(CommandFailure) -> VerifyReport {
        let time = try verificationTime()
        func invalid(_ error: ChoiceError) -> CommandFailure { CommandFailure(.invalidOption, error.message) }
        let mode = try RevocationMode.choice(revocation, flag: "--revocation").mapError(invalid).get()
        let unknownAction = try RevocationUnknownAction.choice(revocationUnknown, flag: "--revocation-unknown").mapError(invalid).get()
        var policy = VerificationPolicy(refuseWeakAlgorithms: refuseSha1, requireRevocationData: requireRevocation)
        policy.revocationUnknown = unknownAction
        if let algorithmPolicy { policy.algorithms = try AlgorithmPolicyFile.read(algorithmPolicy) }
        if let signingEKU { policy.signingExtendedKeyUsages = try SigningEKU.parse(signingEKU, flag: "--signing-eku") }
        var networkConfiguration = NetworkRevocation.Configuration(mode: mode, cacheDirectory: data.map { $0 + "/revocation" })
        networkConfiguration.fetchIssuers = fetchCAIssuers
        if let revocationRewrite {
            do { networkConfiguration.rewrites = try RevocationRewrites.parse(revocationRewrite) } catch {
                throw CommandFailure(.invalidOption, "\(error)")
            }
        }
        let network = mode == .offline ? nil : NetworkRevocation(configuration: networkConfiguration)
        defer { network?.shutdownNow() }
        let verifier: SignatureVerifier
        do {
            verifier = try SignatureVerifier(directory: try TrustDirectory.resolve(trust), policy: policy, revocation: network ?? OfflineRevocation())
        } catch let failure as CommandFailure {
            throw failure
        } catch {
            throw CommandFailure(.trustUnreadable, "\(error)")
        }
        let (parsed, sha256) = try MessageInput.readWithDigest(file, maxBytes: maxBytes)
        digest = sha256
        let (verdict, attachmentProblems) = verifier.verifyReportingAttachments(parsed, at: time)
        return VerifyReport(message: parsed.message, verdict: verdict, attachmentProblems: attachmentProblems)
    }

    /// A Truc delivery receipt (`urn:truc:delivery-receipt:1`) is verified as one: its hub's signature against
    /// the trust directory. Nil when the file is not a receipt.
    func receiptReport() throws(CommandFailure) -> ReceiptReport? {
        let bytes: [UInt8]
        do {
            bytes = try FileInput.load(file, maxBytes: min(maxBytes, 1 << 20))
        } catch {
            return nil // too large or unreadable for a receipt: handled as a message below
        }
        guard DeliveryReceipt.parse(bytes) != nil else { return nil }
        let store: TrustStore
        do {
            store = try TrustStore(directory: try TrustDirectory.resolve(trust))
        } catch let failure as CommandFailure {
            throw failure
        } catch {
            throw CommandFailure(.trustUnreadable, "\(error)")
        }
        switch ReceiptVerifier.verify(bytes, trust: store, at: try verificationTime()) {
        case .success(let verified):
            return ReceiptReport(receipt: verified.receipt, valid: true, signer: verified.signer.subject, problem: nil)
        case .failure(let failure):
            return ReceiptReport(receipt: DeliveryReceipt.parse(bytes)!, valid: false, signer: nil, problem: failure.description)
        }
    }

    func verificationTime() throws(CommandFailure) -> Int64 {
        guard let at else { return Int64(Date().timeIntervalSince1970) }
        let full = ISO8601DateFormatter()
        if let date = full.date(from: at) { return Int64(date.timeIntervalSince1970) }
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        if let date = day.date(from: at) { return Int64(date.timeIntervalSince1970) }
        throw CommandFailure(.invalidTime, "--at \(at) is not an ISO 8601 time such as 2026-11-22T10:00:00Z")
    }
}

/// Which trust directory a command uses when none is given: TRUC_TRUST_DIR, else the local hub's own
/// (`$TRUC_DATA_DIR/pki/trust` or `./data/pki/trust`), else the committed demo PKI — with a warning, since
/// its private keys are public.
enum TrustDirectory {
    static func resolve(_ given: String?) throws(CommandFailure) -> String {
        if let given { return given }
        if let env = ProcessInfo.processInfo.environment["TRUC_TRUST_DIR"] { return env }
        let data = ProcessInfo.processInfo.environment["TRUC_DATA_DIR"] ?? "./data"
        if FileManager.default.fileExists(atPath: data + "/pki/trust") { return data + "/pki/trust" }
        let demo = try demo()
        FileHandle.standardError.write(Data("truc: warning: trusting the demo PKI (\(demo)), whose private keys are public; pass --trust DIR\n".utf8))
        return demo
    }

    /// The committed demo PKI's trust directory.
    static func demo() throws(CommandFailure) -> String {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let candidates = [
            FileManager.default.currentDirectoryPath + "/Certs/demo/trust",
            executable.appendingPathComponent("../../Certs/demo/trust").standardized.path, // .build/<config>/truc
            executable.appendingPathComponent("../../../Certs/demo/trust").standardized.path, // .build/<triple>/<config>/truc
        ]
        for c in candidates where FileManager.default.fileExists(atPath: c) { return c }
        throw CommandFailure(.trustUnreadable, "no trust directory found; pass --trust DIR or set TRUC_TRUST_DIR")
    }
}

/// `truc verify` of a delivery receipt.
struct ReceiptReport: Encodable {
    let kind = "receipt"
    let hub: String
    let messageId: String
    let documentId: String?
    let sender: String
    let recipient: String
    let deliveredAt: String
    let how: String
    let sha256: String
    /// `delivered`, or `undeliverable` (a non-delivery receipt, with each recipient no route reaches).
    let outcome: String
    let undeliverable: [Undeliverable]?
    let valid: Bool
    let signer: String?
    let problem: String?

    struct Undeliverable: Encodable {
        let recipient: String
        let reason: String
    }

    init(receipt: DeliveryReceipt, valid: Bool, signer: String?, problem: String?) {
        hub = receipt.hubCode
        messageId = receipt.messageId
        documentId = receipt.documentId
        sender = receipt.sender
        recipient = receipt.recipient
        deliveredAt = receipt.deliveredAt
        how = receipt.how
        sha256 = receipt.sha256
        outcome = receipt.outcome
        undeliverable = receipt.undeliverable.isEmpty ? nil : receipt.undeliverable.map { .init(recipient: $0.recipient, reason: $0.reason) }
        self.valid = valid
        self.signer = signer
        self.problem = problem
    }

    var text: String {
        let what = outcome == "delivered"
            ? "delivered to \(recipient) at \(deliveredAt) (\(how))"
            : "NOT delivered (\(outcome)) to \(undeliverable?.count ?? 1) recipient(s), stated at \(deliveredAt)"
        let lines = (undeliverable ?? []).map { "  \($0.recipient): \($0.reason)\n" }.joined()
        return """
        delivery receipt of hub \(hub): message \(messageId) (\(documentId ?? "no DocumentId")) from \(sender) \(what)
        \(lines)message bytes SHA-256 \(sha256)
        \(valid ? "Signature: VALID, signed by \(signer ?? "?")" : "Signature: INVALID: \(problem ?? "")")
        """
    }
}

/// The JSON shape of `truc verify --json`.
struct VerifyReport: Encodable {
    struct Document: Encodable {
        let documentId: String?
        let from: String?
        let to: [String]
        let messageType: String
    }

    let document: Document
    /// The message verdict as the verifier made it (the ETSI report is written from it).
    let verdict: MessageVerdict
    enum CodingKeys: String, CodingKey {
        case document, signatures, signed, invalid, bucket, trustSnapshot, validationTime, attachmentProblems
    }
    let signatures: [SignatureVerdict]
    let signed: SignedClass
    let invalid: Bool
    let bucket: SignatureBucket
    /// The trust the signatures were judged under (`truc trust` prints the same id for a directory).
    let trustSnapshot: String?
    /// When the signatures were judged (the ETSI validation time).
    let validationTime: String?
    /// Attachments that cannot be decoded (bad base64, a broken ZIP, a zip bomb): what they hold is unknown.
    let attachmentProblems: [Finding]

    init(message: EdXMLMessage, verdict: MessageVerdict, attachmentProblems: [Finding] = []) {
        self.attachmentProblems = attachmentProblems
        let to: [String]
        switch message {
        case .document(let d): to = d.header.to.map(\.organId)
        case .status(let s): to = s.addressee.map { [$0] } ?? []
        }
        document = Document(documentId: message.documentId, from: message.sender, to: to, messageType: message.messageType)
        self.verdict = verdict
        signatures = verdict.signatures
        signed = verdict.signed
        invalid = verdict.invalid
        bucket = verdict.bucket
        trustSnapshot = verdict.trustSnapshot
        validationTime = verdict.validationTime
    }

    var text: String {
        var lines = ["\(document.messageType) \(document.documentId ?? "(no DocumentId)") from \(document.from ?? "?") to \(document.to.joined(separator: ", "))"]
        for problem in attachmentProblems {
            lines.append("Attachment cannot be decoded (its signatures, if any, are unknown): \(problem.code) at \(problem.path): \(problem.message)")
        }
        if signatures.isEmpty { lines.append(attachmentProblems.isEmpty ? "No signature." : "No signature found.") }
        for (i, s) in signatures.enumerated() {
            lines.append("\(i + 1). \(s.location)  \(s.kind.rawValue)  \(s.status.rawValue.uppercased())" + (s.algorithm.map { "  \($0)" } ?? "")
                         + (s.reasons.isEmpty ? "" : "  [\(s.reasons.map(\.rawValue).joined(separator: ", "))]"))
            if let signer = s.signer {
                lines.append("   signer: \(signer.commonName ?? signer.subject)" + (signer.identifier.map { " (\($0))" } ?? ""))
                lines.append("   issuer: \(signer.issuer), serial \(signer.serial)")
            }
            if let etsi = s.etsi {
                lines.append("   ETSI: \(etsi.indication)" + (etsi.subIndication.map { "/\($0)" } ?? "") + (etsi.level.map { "  \($0)" } ?? "")
                             + "  best signature time \(etsi.bestSignatureTime.time) (\(etsi.bestSignatureTime.proof))")
            }
            if let anchor = s.anchor { lines.append("   trust anchor: \(anchor.subject) (SHA-256 \(anchor.sha256.prefix(16))…)") }
            if let time = s.signingTime { lines.append("   signed at \(time) (claimed by the signer)") }
            if let stamp = s.timestamp {
                lines.append("   time-stamp: \(stamp.time)" + (stamp.tsa.map { " by \($0)" } ?? "") + (stamp.valid ? "" : "  NOT VALID: \(stamp.detail ?? "")"))
            }
            if let revocation = s.revocation {
                lines.append("   revocation: \(revocation.status)" + (revocation.revokedAt.map { " at \($0)" } ?? "") + (revocation.reason.map { " (\($0))" } ?? "")
                             + (revocation.source.map { ", from \($0)" } ?? ""))
            }
            for note in s.notes ?? [] { lines.append("   note: \(note)") }
            if let detail = s.detail, s.status != .valid { lines.append("   \(detail)") }
        }
        lines.append("Signed: \(signed.rawValue)   Bucket: \(bucket.rawValue)   Invalid: \(invalid ? "yes" : "no")")
        if let trustSnapshot { lines.append("Trust snapshot: \(trustSnapshot)") }
        return lines.joined(separator: "\n")
    }
}

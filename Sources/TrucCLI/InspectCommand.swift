import ArgumentParser
import EdXML
import Foundation

/// `truc inspect FILE [--json]`: what a message says, and what is wrong with it.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Read an edXML message and print what it says and what is wrong with it.",
        discussion: """
            Exit status: 0 the message is valid (warnings may be printed), 1 it was read but has error \
            findings, 2 it could not be read as edXML (then stdout carries {"error":{"code","message"}}).
            """
    )

    @Argument(help: "The edXML file (document or status message).")
    var file: String

    @Flag(help: "Print the report as JSON.")
    var json = false

    @Option(help: "Largest accepted file, in bytes.")
    var maxBytes: Int = 64 << 20

    func run() throws {
        do {
            let report = try InspectReport.make(path: file, maxBytes: maxBytes)
            print(json ? try Output.json(report) : report.text)
            if !report.valid { throw ExitCode(1) }
        } catch let failure as CommandFailure {
            throw failure.report()
        }
    }
}

/// The inspection of one file, as printed by `truc inspect`.
struct InspectReport: Encodable {
    struct Party: Encodable {
        let organId: String
        let name: String?
    }

    struct Trace: Encodable {
        let organId: String
        let timestamp: String?
    }

    struct BusinessType: Encodable {
        let code: Int?
        let name: String
        let reason: String?
        let originalDocumentId: String?
    }

    struct Status: Encodable {
        let code: String?
        let meaning: String?
        let vietnamese: String?
        let description: String?
        let timestamp: String?
        let answers: String?
        let answersCode: String?
    }

    let file: String
    let kind: String
    let valid: Bool
    let sender: Party?
    let recipients: [Party]
    let documentId: String?
    let code: String?
    let subject: String?
    let promulgationDate: String?
    let businessType: BusinessType?
    let trace: [Trace]
    let status: Status?
    let envelopeSignatures: [EnvelopeSignatureInfo]
    let attachments: [DecodedAttachment]
    let findings: [Finding]
    let document: DocumentMessage?
    let statusMessage: StatusMessage?

    static func make(path: String, maxBytes: Int) throws(CommandFailure) -> InspectReport {
        let parsed = try MessageInput.read(path, maxBytes: maxBytes)
        var findings = parsed.validate()
        let (attachments, attachmentFindings) = parsed.decodeAttachments()
        findings += attachmentFindings
        let valid = !findings.contains { $0.severity == .error }
        switch parsed.message {
        case .document(let d):
            let h = d.header
            let business = d.business.map {
                BusinessType(code: $0.docType?.rawValue, name: $0.docType?.name ?? ($0.docTypeText ?? "absent"), reason: $0.reason,
                             originalDocumentId: $0.documentId)
            }
            return InspectReport(
                file: path, kind: "edoc", valid: valid, sender: h.from.map { Party(organId: $0.organId, name: $0.organName) },
                recipients: h.to.map { Party(organId: $0.organId, name: $0.organName) }, documentId: h.documentId,
                code: h.code?.display, subject: h.subject, promulgationDate: h.promulgationInfo?.promulgationDate?.canonical,
                businessType: business, trace: d.traceHeaders.map { Trace(organId: $0.organId, timestamp: $0.timestamp?.canonical) },
                status: nil, envelopeSignatures: d.signatures, attachments: attachments, findings: findings, document: d, statusMessage: nil)
        case .status(let s):
            let status = Status(code: s.statusCode?.rawValue, meaning: s.statusCode?.meaning, vietnamese: s.statusCode?.vietnamese,
                                description: s.description, timestamp: s.timestamp?.canonical, answers: s.responseFor?.documentId,
                                answersCode: s.responseFor?.code)
            return InspectReport(
                file: path, kind: "status", valid: valid, sender: s.from.map { Party(organId: $0.organId, name: $0.organName) },
                recipients: s.addressee.map { [Party(organId: $0, name: nil)] } ?? [], documentId: s.responseFor?.documentId,
                code: s.responseFor?.code, subject: nil, promulgationDate: s.responseFor?.promulgationDate?.canonical,
                businessType: nil, trace: [], status: status, envelopeSignatures: [], attachments: [], findings: findings,
                document: nil, statusMessage: s)
        }
    }

    /// The human-readable form.
    var text: String {
        var lines: [String] = []
        func row(_ label: String, _ value: String?) {
            guard let value, !value.isEmpty else { return }
            lines.append("  " + label.padding(toLength: 14, withPad: " ", startingAt: 0) + value)
        }
        func party(_ p: Party) -> String { p.name.map { "\(p.organId)  \($0)" } ?? p.organId }
        lines.append(kind == "edoc" ? "edXML document message (edoc): \(file)" : "edXML status message (status): \(file)")
        row("From", sender.map(party))
        if kind == "status" {
            row("To", recipients.first.map { "\($0.organId)  (ResponseFor/OrganId)" })
            row("Status", status.map { "\($0.code ?? "?") \($0.meaning ?? "")  (\($0.vietnamese ?? ""))" })
            row("Answers", status?.answers.map { id in id + (status?.answersCode.map { "  (\($0))" } ?? "") })
            row("Description", status?.description)
            row("Timestamp", status?.timestamp)
        } else {
            for (i, r) in recipients.enumerated() { row(i == 0 ? "To" : "", party(r)) }
            row("DocumentId", documentId)
            row("Code", code)
            row("Promulgated", promulgationDate)
            row("Subject", subject)
            row("Business", businessType.map { b in
                "\(b.code.map(String.init) ?? "?") (\(b.name))" + (b.reason.map { ": \($0)" } ?? "")
                    + (b.code != 0 ? (b.originalDocumentId.map { ", original \($0)" } ?? "") : "")
            })
            for (i, t) in trace.enumerated() { row(i == 0 ? "Trace" : "", "\(t.organId)  \(t.timestamp ?? "(no timestamp)")") }
            for s in envelopeSignatures {
                row("Signature", s.isXMLDSig ? "XMLDSig signature (\(s.signatureMethod ?? "no method")); verify with `truc verify`"
                    : "<Signature> outside the XMLDSig namespace: placeholder, not a signature")
            }
            if attachments.isEmpty, let d = document, !d.attachments.isEmpty { row("Attachments", "\(d.attachments.count), not decodable") }
            for (i, a) in attachments.enumerated() {
                let declared = a.declaredType.map { "declared \($0), " } ?? ""
                row(i == 0 ? "Attachments" : "", "\(i + 1). \(a.name ?? "(no name)")  \(a.contentId ?? "")")
                row("", "   \(declared)content \(a.sniffedType), \(a.size.grouped) bytes")
                row("", "   sha256 \(a.sha256)")
                for e in a.entries ?? [] {
                    row("", "   └ \(e.name)  \(e.sniffedType), \(e.size.grouped) bytes, sha256 \(e.sha256)")
                }
            }
        }
        if findings.isEmpty {
            lines.append("Findings: none. The message is valid.")
        } else {
            let errors = findings.filter { $0.severity == .error }.count
            lines.append("Findings: \(errors) error(s), \(findings.count - errors) warning(s)" + (valid ? ". The message is valid." : ". The message is NOT valid."))
            for f in findings { lines.append("  \(f.severity == .error ? "error  " : "warning") \(f.code)  \(f.path)") ; lines.append("          \(f.message)") }
        }
        return lines.joined(separator: "\n")
    }
}

extension Int {
    var grouped: String {
        let s = String(self)
        var out = ""
        for (i, c) in s.reversed().enumerated() {
            if i > 0 && i % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return String(out.reversed())
    }
}

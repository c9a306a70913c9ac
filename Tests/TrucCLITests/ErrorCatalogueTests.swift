import EdXML
import Foundation
import Testing
import TrucCore
import TrucXML
import TrucTestSupport

/// The error catalogue (`ErrorCode`) is the one place a code is written: docs/errors.md prints it, the API and the
/// commands take their statuses and exit codes from it, and the readers' codes are all in it.
@Suite("Errors: the catalogue of codes and docs/errors.md agree", .timeLimit(.minutes(30)))
struct ErrorCatalogueTests {
    static let docs = FailClosedTests.repo.appendingPathComponent("docs/errors.md")

    @Test("docs/errors.md prints the catalogue's table exactly")
    func docsTable() throws {
        let table = try GeneratedDocs.table(in: Self.docs, marker: "codes", expected: ErrorCode.markdownTable)
        #expect(table == ErrorCode.markdownTable, "docs/errors.md's table differs from ErrorCode: run TRUC_WRITE_DOCS=1 swift test --filter ErrorCatalogueTests")
    }

    @Test("every code has a status or an exit code, statuses are errors, exits are 1 to 3, meanings are one line")
    func entries() {
        for code in ErrorCode.allCases {
            let entry = code.entry
            #expect(entry.http != nil || entry.exit != nil, "\(code.rawValue)")
            if let http = entry.http { #expect((400...599).contains(http), "\(code.rawValue): \(http)") }
            if let exit = entry.exit { #expect((1...3).contains(exit), "\(code.rawValue): \(exit)") }
            #expect(!entry.meaning.isEmpty && !entry.meaning.contains("\n") && !entry.meaning.contains("|"), "\(code.rawValue)")
        }
    }

    @Test("every code the XML and edXML readers raise is in the catalogue, as a 400 and an exit 2")
    func readerCodes() {
        let codes: [String] = [XMLError.Code.malformed, .empty, .forbiddenDTD, .tooLarge, .tooDeep, .tooManyElements, .unsupportedEncoding,
                               .internalError].map(\.rawValue) + [EdXMLError.notEdXML("").code]
        for raw in codes {
            let code = ErrorCode(rawValue: raw)
            #expect(code != nil, "\(raw) is not in ErrorCode")
            #expect(code?.entry.exit == 2, "\(raw)")
            #expect(code.map { $0.entry.http == 400 || $0 == .tooLarge } == true, "\(raw)")
        }
    }

    @Test("a command's failure and an API error carry the catalogue's exit code and status")
    func throughTheProcess() async throws {
        let missing = try await TrucRun.run(["inspect", "/nonexistent/doc.edxml", "--json"])
        #expect(missing.exitCode == ErrorCode.fileUnreadable.exitCode && missing.stderr.hasPrefix("truc: file-unreadable: "), "\(missing.stderr)")
        let usage = try await TrucRun.run(["serve", "--port", "eighty"])
        #expect(usage.exitCode == ErrorCode.usage.exitCode && usage.stderr.hasPrefix("truc: usage: --port eighty: give a whole number"), "\(usage.stderr)")
    }
}

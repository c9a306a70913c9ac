import Foundation
import Testing
import TrucTestSupport

/// The house rules a reviewer would otherwise have to remember: small files, the store's contract free of C and
/// of any engine, the domain free of the edXML reader, no citations of a tracker that is not in the repository.
@Suite("Layout: the rules of the house hold", .timeLimit(.minutes(30)))
struct LayoutTests {
    static let repo = FailClosedTests.repo

    static func swiftFiles(under folder: String) -> [URL] {
        let root = repo.appendingPathComponent(folder)
        let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)
        return (walker?.allObjects as? [URL] ?? []).filter { $0.pathExtension == "swift" }
    }

    @Test("no Swift file of Sources/ or Tests/ is over 400 lines")
    func smallFiles() throws {
        let files = Self.swiftFiles(under: "Sources") + Self.swiftFiles(under: "Tests")
        #expect(files.count > 300)
        for file in files {
            let lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).count - 1
            #expect(lines <= 400, "\(file.path.replacingOccurrences(of: Self.repo.path + "/", with: "")) has \(lines) lines")
        }
    }

    @Test("the store's contract (TrucStore) and the domain (TrucCore, TrucVocabulary) import no C library, no engine, no edXML reader")
    func pureModules() throws {
        let forbidden = ["TrucSQLite", "TrucSQLiteStore", "TrucPostgres", "PostgresNIO", "EdXML", "TrucXML", "TrucCrypto", "TrucZlib", "TrucLog",
                         "CSQLite", "COpenSSL", "CLibXML2", "CLibZ", "Hummingbird", "NIOCore"]
        for module in ["TrucStore", "TrucCore", "TrucVocabulary", "TrucConcurrency"] {
            for file in Self.swiftFiles(under: "Sources/\(module)") {
                let text = try String(contentsOf: file, encoding: .utf8)
                for line in text.split(separator: "\n") where line.hasPrefix("import ") || line.hasPrefix("package import ") || line.hasPrefix("public import ") {
                    let imported = String(line.split(separator: " ").last ?? "")
                    #expect(!forbidden.contains(imported), "\(module)/\(file.lastPathComponent) imports \(imported)")
                }
            }
        }
    }

    @Test("code, tests and scripts cite no issue numbers of a tracker that is not in the repository")
    func noIssueNumbers() throws {
        var files = Self.swiftFiles(under: "Sources") + Self.swiftFiles(under: "Tests")
        let scripts = Self.repo.appendingPathComponent("scripts")
        files += (try FileManager.default.contentsOfDirectory(at: scripts, includingPropertiesForKeys: nil))
        for file in files {
            guard let text = try? String(contentsOf: file, encoding: .utf8) else { continue }
            #expect(text.firstMatch(of: /(?i)\bissue #?[0-9]+\b/) == nil, "\(file.lastPathComponent) cites an issue number")
        }
    }

    @Test("programs start only through swift-subprocess: no Foundation Process (its run() over-reads /proc/self/fd and crashed the suite), no posix_spawn of our own")
    func noFoundationProcess() throws {
        // swift-corelibs-foundation's Process.run() copies 256 bytes of every /proc/self/fd entry: with a
        // thousand descriptors open, one copy crosses into an unmapped page now and then (SIGSEGV in CI).
        // Programs start through TrucTestSupport's Program, on swift-subprocess (clone3 with a pidfd, descriptors
        // closed with close_range, waits that suspend instead of blocking a thread).
        for file in Self.swiftFiles(under: "Sources") + Self.swiftFiles(under: "Tests") {
            let text = try String(contentsOf: file, encoding: .utf8)
            for line in text.split(separator: "\n") where !line.trimmingCharacters(in: .whitespaces).hasPrefix("//") {
                #expect(line.firstMatch(of: /\bProcess\(\)|\bposix_spawn\(|\bfork\(\)/) == nil, "\(file.lastPathComponent): \(line)")
            }
        }
    }

    @Test("every suite has a time limit: a test that hangs fails, and its programs are killed with it")
    func timeLimits() throws {
        var suites = 0
        for file in Self.swiftFiles(under: "Tests") {
            let text = try String(contentsOf: file, encoding: .utf8)
            // The attribute's arguments run to the declaration it is attached to.
            for match in text.matches(of: #/@Suite\((?<arguments>[\s\S]*?)\n(?:struct|final class|enum|extension)\s/#) {
                suites += 1
                #expect(match.output.arguments.contains(".timeLimit("), "\(file.lastPathComponent): @Suite(\(match.output.arguments.prefix(80))…")
            }
        }
        #expect(suites > 100)
    }
}

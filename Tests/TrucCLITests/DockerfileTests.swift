import Foundation
import Testing
import TrucTestSupport

/// No Docker engine runs here: what can be checked of the image is checked from its Dockerfile.
@Suite("The Docker image", .timeLimit(.minutes(30)))
struct DockerfileTests {
    static let repo = CLIFixtures.root.deletingLastPathComponent().deletingLastPathComponent()

    /// The `COPY SRC DEST` lines of the build stage (before the second FROM), and of the runtime stage.
    static func copies() throws -> (build: [(String, String)], runtime: [(String, String)]) {
        let text = try String(contentsOf: repo.appendingPathComponent("Dockerfile"), encoding: .utf8)
        var stages: [[(String, String)]] = []
        for line in text.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if line.hasPrefix("FROM ") { stages.append([]) }
            let words = line.split(separator: " ").map(String.init)
            if words.first == "COPY", words.count == 3, !words[1].hasPrefix("--"), !stages.isEmpty { stages[stages.count - 1].append((words[1], words[2])) }
        }
        return (stages.first ?? [], stages.count > 1 ? stages[1] : [])
    }

    @Test("the build stage copies everything the package manifest needs: swift package describe succeeds on exactly those files")
    func buildContext() async throws {
        let (build, _) = try Self.copies()
        #expect(!build.isEmpty)
        let context = FileManager.default.temporaryDirectory.appendingPathComponent("truc-docker-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: context, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: context) }
        for (source, destination) in build {
            let target = destination.hasSuffix("/") || destination == "./" ? context.appendingPathComponent(source) : context.appendingPathComponent(destination)
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: Self.repo.appendingPathComponent(source), to: target)
        }
        let run = try await Program.run(URL(fileURLWithPath: "/usr/bin/env"), ["swift", "package", "--package-path", context.path, "describe", "--type", "json"],
                                  timeLimit: 300)
        #expect(run.exitCode == 0, "\(run.stderr.suffix(2000))")
        #expect(run.stdout.contains("\"name\" : \"truc\""))
    }

    @Test("no private key goes into the image; it runs as an unprivileged user, with a health check")
    func noSecrets() throws {
        let ignore = try String(contentsOf: Self.repo.appendingPathComponent(".dockerignore"), encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(ignore.contains("**/*.key") && ignore.contains(".build") && ignore.contains("data"))
        let (_, runtime) = try Self.copies()
        #expect(!runtime.contains { $0.0.hasPrefix("Certs") }, "the demo PKI is mounted at run time, never copied")
        // Every file the runtime stage copies, once .dockerignore has dropped *.key: no PEM private key among them.
        for (source, _) in runtime {
            let url = Self.repo.appendingPathComponent(source)
            let files = (FileManager.default.enumerator(at: url, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? []) + [url]
            for file in files where file.pathExtension != "key" {
                guard let data = FileManager.default.contents(atPath: file.path) else { continue }
                #expect(!String(decoding: data, as: UTF8.self).contains("PRIVATE KEY-----"), "\(file.path) holds a private key")
            }
        }
        let text = try String(contentsOf: Self.repo.appendingPathComponent("Dockerfile"), encoding: .utf8)
        #expect(text.contains("\nUSER truc\n") && text.contains("HEALTHCHECK") && text.contains("/healthz"))
    }
}

/// The several-node deployment of docker-compose.yml: HAProxy's configuration checked by HAProxy itself, and
/// the compose file by docker-compose (when installed: CI installs haproxy).
@Suite("The load balancer and the compose file", .timeLimit(.minutes(30)))
struct DeploymentTests {
    static let repo = DockerfileTests.repo

    @Test("deploy/haproxy/haproxy.cfg is valid for HAProxy, passes TLS through and checks /readyz", .enabled(if: CrashTests.haproxy != nil))
    func haproxyConfiguration() async throws {
        let path = Self.repo.appendingPathComponent("deploy/haproxy/haproxy.cfg").path
        let check = try await Program.run(URL(fileURLWithPath: CrashTests.haproxy!), ["-c", "-f", path])
        #expect(check.exitCode == 0, "\(check.stdout)\(check.stderr)")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains("mode tcp") && text.contains("GET /readyz") && !text.contains("mode http"), "TLS passthrough, health on /readyz")
    }

    @Test("docker-compose.yml: PostgreSQL, two national nodes on it, HAProxy as national-hub; docker-compose config accepts it",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/docker-compose")))
    func composeFile() async throws {
        let check = try await Program.run(URL(fileURLWithPath: "/usr/bin/docker-compose"),
                                    ["-f", Self.repo.appendingPathComponent("docker-compose.yml").path, "config"])
        #expect(check.exitCode == 0, "\(check.stderr)")
        for expected in ["postgres:", "national-node-1:", "national-node-2:", "national-hub:", "TRUC_DATABASE_URL", "haproxy.cfg"] {
            #expect(check.stdout.contains(expected), "\(expected)")
        }
    }
}

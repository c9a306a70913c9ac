import ArgumentParser
import Foundation
import TrucCrypto
import TrucSQLite

/// `truc backup DEST` and `truc restore SRC --data DIR`: a consistent online copy of a running hub.
///
/// The order makes the copy consistent without stopping the hub: first the database (SQLite's online
/// backup: one snapshot of everything committed), then the payload segments (they only grow, and every
/// payload the snapshot refers to was written and synced before its transaction committed, so it is in the
/// copied files), then `secrets.key` and the installation's PKI. `manifest.json` lists every file with its
/// size and SHA-256; `truc restore` checks them all before it writes anything.
struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup", abstract: "Copy a hub's data directory (online, while it runs) into a new folder, with a manifest of SHA-256s.")
    @Argument(help: "The folder to create (must not exist).") var destination: String
    @Option(help: "The hub's data directory (env TRUC_DATA_DIR). Default ./data.") var data: String?
    @Option(help: "A hub on PostgreSQL (env TRUC_DATABASE_URL): refused, with what to do instead (pg_dump).") var database: String?

    @OptionGroup var errorOutput: ErrorOutput

    static let postgresAdvice = "back up the database with pg_dump --format=custom (or WAL archiving for point-in-time recovery) and copy each node's secrets.key and PKI (the data directory) beside it; truc backup copies SQLite stores"

    func run() throws {
        let source = data ?? ProcessInfo.processInfo.environment["TRUC_DATA_DIR"] ?? "./data"
        let fm = FileManager.default
        // A PostgreSQL hub's messages are in its database, not in the data directory: copying the directory
        // would look like a backup and hold none of them.
        if database ?? ProcessInfo.processInfo.environment["TRUC_DATABASE_URL"] != nil {
            throw CommandFailure(code: "store-is-postgres", message: "the hub's store is PostgreSQL: " + Self.postgresAdvice, exitCode: 2).report()
        }
        guard fm.fileExists(atPath: source + "/truc.sqlite") else {
            let node = fm.fileExists(atPath: source + "/secrets.key") || fm.fileExists(atPath: source + "/pki")
            throw CommandFailure(code: "no-store", message: "\(source) holds no Truc store (truc.sqlite): pass --data with a hub's data directory"
                                 + (node ? "; if this is a node of a hub on PostgreSQL, " + Self.postgresAdvice : ""), exitCode: 2).report()
        }
        guard !fm.fileExists(atPath: destination) else {
            throw CommandFailure(code: "destination-exists", message: "\(destination) exists: give a new folder for the backup", exitCode: 2).report()
        }
        let staging = destination + ".partial"
        try? fm.removeItem(atPath: staging)
        do {
            try fm.createDirectory(atPath: staging + "/payloads", withIntermediateDirectories: true)
            // 1. The database: one consistent snapshot.
            try Database(path: source + "/truc.sqlite").backup(to: staging + "/truc.sqlite")
            // 2. Payload files (segments, and per-message files of older versions), after the snapshot.
            for name in (try? fm.contentsOfDirectory(atPath: source + "/payloads"))?.sorted() ?? [] {
                try fm.copyItem(atPath: "\(source)/payloads/\(name)", toPath: "\(staging)/payloads/\(name)")
            }
            // 3. The key that seals the SDK systems' secrets, and the installation's PKI.
            if fm.fileExists(atPath: source + "/secrets.key") { try fm.copyItem(atPath: source + "/secrets.key", toPath: staging + "/secrets.key") }
            if fm.fileExists(atPath: source + "/pki") { try fm.copyItem(atPath: source + "/pki", toPath: staging + "/pki") }
            let manifest = try Manifest.make(of: staging)
            try Manifest.write(manifest, to: staging + "/manifest.json")
            try fm.moveItem(atPath: staging, toPath: destination)
            print("backed up \(source) to \(destination): \(manifest.files.count) files, \(manifest.files.map(\.size).reduce(0, +)) bytes")
        } catch let exit as ExitCode {
            throw exit
        } catch {
            try? fm.removeItem(atPath: staging)
            throw CommandFailure(code: "backup-failed", message: "\(error)", exitCode: 3).report()
        }
    }
}

struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore", abstract: "Check a backup against its manifest and restore it into a new data directory.")
    @Argument(help: "The backup folder (made by truc backup).") var source: String
    @Option(help: "The data directory to create (must not exist, or be empty).") var data: String

    @OptionGroup var errorOutput: ErrorOutput


    func run() throws {
        let fm = FileManager.default
        guard let manifest = try? Manifest.read(source + "/manifest.json") else {
            throw CommandFailure(code: "not-a-backup", message: "\(source) has no readable manifest.json: give a folder made by truc backup", exitCode: 2).report()
        }
        if let existing = try? fm.contentsOfDirectory(atPath: data), !existing.isEmpty {
            throw CommandFailure(code: "data-not-empty", message: "\(data) is not empty: restore into a new directory", exitCode: 2).report()
        }
        // Every file checked before anything is written.
        for file in manifest.files {
            guard let actual = try? Manifest.entry(source, file.path), actual == file else {
                throw CommandFailure(code: "backup-damaged", message: "\(source)/\(file.path) does not match the manifest (size or SHA-256): the backup is damaged",
                                     exitCode: 1).report()
            }
        }
        let staging = data + ".restoring"
        try? fm.removeItem(atPath: staging)
        do {
            try fm.createDirectory(atPath: staging, withIntermediateDirectories: true)
            for file in manifest.files {
                let target = "\(staging)/\(file.path)"
                try fm.createDirectory(atPath: URL(fileURLWithPath: target).deletingLastPathComponent().path, withIntermediateDirectories: true)
                try fm.copyItem(atPath: "\(source)/\(file.path)", toPath: target)
            }
            if fm.fileExists(atPath: data) { try fm.removeItem(atPath: data) }
            try fm.moveItem(atPath: staging, toPath: data)
            print("restored \(manifest.files.count) files into \(data); start the hub with --data \(data)")
        } catch {
            try? fm.removeItem(atPath: staging)
            throw CommandFailure(code: "restore-failed", message: "\(error)", exitCode: 3).report()
        }
    }
}

/// `manifest.json` of a backup: every file with its size and SHA-256.
enum Manifest {
    struct File: Codable, Equatable {
        let path: String
        let size: Int
        let sha256: String
    }

    struct Contents: Codable {
        let format: Int
        let createdAt: String
        let files: [File]
    }

    static func make(of folder: String) throws -> Contents {
        var files: [File] = []
        let root = URL(fileURLWithPath: folder).standardizedFileURL.path
        if let walk = FileManager.default.enumerator(atPath: root) {
            for case let relative as String in walk {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: root + "/" + relative, isDirectory: &isDirectory), !isDirectory.boolValue,
                      relative != "manifest.json" else { continue }
                files.append(try entry(root, relative))
            }
        }
        return Contents(format: 1, createdAt: ISO8601DateFormatter().string(from: Date()), files: files.sorted { $0.path < $1.path })
    }

    /// A file's size and SHA-256, streamed (segments are up to 1 GiB).
    static func entry(_ root: String, _ relative: String) throws -> File {
        guard let handle = FileHandle(forReadingAtPath: root + "/" + relative) else { throw CocoaError(.fileReadNoSuchFile) }
        defer { try? handle.close() }
        let digest = Digest(.sha256)
        var size = 0
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            chunk.withUnsafeBytes { digest.update($0) }
            size += chunk.count
        }
        return File(path: relative, size: size, sha256: digest.finalize().hexString)
    }

    static func write(_ contents: Contents, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(contents).write(to: URL(fileURLWithPath: path))
    }

    static func read(_ path: String) throws -> Contents {
        try JSONDecoder().decode(Contents.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }
}

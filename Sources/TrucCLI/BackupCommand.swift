import ArgumentParser
import Foundation
import TrucCrypto
import TrucSQLite
import TrucCore

/// `truc backup DEST` and `truc restore SRC --data DIR`: a consistent online copy of a running hub.
///
/// The order makes the copy consistent without stopping the hub: first the database (SQLite's online
/// backup: one snapshot of everything committed), then the payload segments (they only grow, and every
/// payload the snapshot refers to was written and synced before its transaction committed, so it is in the
/// copied files), then `secrets.key` and the installation's PKI. `manifest.json` lists every file with its
/// size and SHA-256, and `manifest.hmac` authenticates it with the installation's `backup.key` (which
/// stays in the data directory: keep a copy of it off the machine). `truc restore` checks the HMAC, every
/// path and every file before the data directory exists.
struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup", abstract: "Copy a hub's data directory (online, while it runs) into a new folder, with a manifest of SHA-256s.")
    @Argument(help: "The folder to create (must not exist).") var destination: String
    @Option(help: "The hub's data directory (env TRUC_DATA_DIR). Default ./data.") var data: String?
    @Option(help: "A hub on PostgreSQL (env TRUC_DATABASE_URL): refused, with what to do instead (pg_dump).") var database: String?

    @OptionGroup var errorOutput: ErrorOutput

    /// True when `path` is inside `directory` (after resolving both).
    static func isInside(_ path: String, _ directory: String) -> Bool {
        let file = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        let base = URL(fileURLWithPath: directory).standardizedFileURL.resolvingSymlinksInPath().path
        return file == base || file.hasPrefix(base.hasSuffix("/") ? base : base + "/")
    }

    static let postgresAdvice = "back up the database with pg_dump --format=custom (or WAL archiving for point-in-time recovery) and copy each node's secrets.key and PKI (the data directory) beside it; truc backup copies SQLite stores"

    static func counted(_ path: String) throws -> String {
        let db = try Database(path: path)
        func count(_ table: String) -> Int64 { ((try? db.query("SELECT count(*) FROM \"\(table)\"") { $0.int(0) }) ?? []).first ?? 0 }
        return "\(count("messages")) messages, \(count("validation_objects")) validation objects (\(count("message_objects")) links to messages, "
            + "\(count("refusal_objects")) to refusals), \(count("trust_snapshots")) trust snapshots, \(count("refusals")) refusals"
    }

    func run() throws {
        let source = data ?? ProcessInfo.processInfo.environment["TRUC_DATA_DIR"] ?? "./data"
        let fm = FileManager.default
        // A PostgreSQL hub's messages are in its database, not in the data directory: copying the directory
        // would look like a backup and hold none of them.
        if database ?? ProcessInfo.processInfo.environment["TRUC_DATABASE_URL"] != nil {
            throw CommandFailure(.storeIsPostgres, "the hub's store is PostgreSQL: " + Self.postgresAdvice).report()
        }
        guard fm.fileExists(atPath: source + "/truc.sqlite") else {
            let node = fm.fileExists(atPath: source + "/secrets.key") || fm.fileExists(atPath: source + "/pki")
            throw CommandFailure(.noStore, "\(source) holds no Truc store (truc.sqlite): pass --data with a hub's data directory"
                                 + (node ? "; if this is a node of a hub on PostgreSQL, " + Self.postgresAdvice : "")).report()
        }
        guard !fm.fileExists(atPath: destination) else {
            throw CommandFailure(.destinationExists, "\(destination) exists: give a new folder for the backup").report()
        }
        let staging = destination + ".partial"
        try? fm.removeItem(atPath: staging)
        do {
            try fm.createDirectory(atPath: staging + "/payloads", withIntermediateDirectories: true)
            // 1. The database: one consistent snapshot.
            try Database(path: source + "/truc.sqlite").backup(to: staging + "/truc.sqlite")
            // What the copy holds: the messages, and the validation data kept with verdicts (counted in the copy,
            // whose connection closes — and leaves no WAL file — before the manifest lists the files).
            let held = try Self.counted(staging + "/truc.sqlite")
            // 2. Payload files (segments, and per-message files of older versions), after the snapshot.
            for name in (try? fm.contentsOfDirectory(atPath: source + "/payloads"))?.sorted() ?? [] {
                try fm.copyItem(atPath: "\(source)/payloads/\(name)", toPath: "\(staging)/payloads/\(name)")
            }
            // 3. The key that seals the SDK systems' secrets, and the installation's PKI.
            if fm.fileExists(atPath: source + "/secrets.key") { try fm.copyItem(atPath: source + "/secrets.key", toPath: staging + "/secrets.key") }
            if fm.fileExists(atPath: source + "/pki") { try fm.copyItem(atPath: source + "/pki", toPath: staging + "/pki") }
            let manifest = try Manifest.make(of: staging)
            try Manifest.write(manifest, to: staging + "/manifest.json")
            // Authenticated with the installation's backup key (DATA/backup.key, never in the backup): a restore
            // checks it before it writes anything, so a folder someone else made is not taken for a backup.
            let key = try BackupKey.loadOrCreate(source + "/" + BackupKey.fileName)
            let mac = HMAC.sha256(key: key, message: Array(try Data(contentsOf: URL(fileURLWithPath: staging + "/manifest.json"))))
            try Data((mac.hexString + "\n").utf8).write(to: URL(fileURLWithPath: staging + "/manifest.hmac"))
            try fm.moveItem(atPath: staging, toPath: destination)
            print("backed up \(source) to \(destination): \(manifest.files.count) files, \(manifest.files.map(\.size).reduce(0, +)) bytes")
            print("  " + held)
            // What a backup of the data directory cannot hold: said every time, and named when this shell knows it.
            let environment = ProcessInfo.processInfo.environment
            let outside = ["TRUC_TLS_CERT", "TRUC_TLS_KEY", "TRUC_CLIENT_CA", "TRUC_TRUST_DIR"].compactMap { name -> String? in
                guard let path = environment[name], !Self.isInside(path, source) else { return nil }
                return "\(path) (\(name))"
            }
            FileHandle.standardError.write(Data(("truc: not in the backup: " + (outside.isEmpty ? "" : outside.joined(separator: ", ") + "; ")
                + "whatever --tls-cert, --tls-key, --client-ca, --trust and --config name outside the data directory, and backup.key: "
                + "keep copies of them with the hub's configuration\n").utf8))
        } catch let exit as ExitCode {
            throw exit
        } catch {
            try? fm.removeItem(atPath: staging)
            throw CommandFailure(.backupFailed, "\(error)").report()
        }
    }
}

struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore", abstract: "Check a backup (its HMAC, paths and SHA-256s) and restore it into a new data directory.")
    @Argument(help: "The backup folder (made by truc backup).") var source: String
    @Option(help: "The data directory to create (must not exist, or be empty).") var data: String
    @Option(help: "The installation's backup key (DATA/backup.key of the hub that made the backup). Default: $TRUC_DATA_DIR/backup.key, else ./data/backup.key.")
    var key: String?

    @OptionGroup var errorOutput: ErrorOutput

    func run() throws {
        let fm = FileManager.default
        let keyPath = key ?? [ProcessInfo.processInfo.environment["TRUC_DATA_DIR"], "./data"].compactMap { $0 }
            .map { $0 + "/" + BackupKey.fileName }.first { fm.fileExists(atPath: $0) }
        guard let keyPath, let keyBytes = try? BackupKey.read(keyPath) else {
            throw CommandFailure(.backupKeyMissing, "no backup key\(key.map { " at \($0)" } ?? ""): pass --key with the backup.key of the installation that made the backup (its data directory holds it)").report()
        }
        guard let manifestBytes = try? Self.readRegular(source + "/manifest.json", limit: 64 << 20),
              let manifest = try? JSONDecoder().decode(Manifest.Contents.self, from: Data(manifestBytes)) else {
            throw CommandFailure(.notABackup, "\(source) has no readable manifest.json: give a folder made by truc backup").report()
        }
        // 1. Authentic: made by the installation whose key this is (nothing is believed before this).
        let expected = HMAC.sha256(key: keyBytes, message: manifestBytes).hexString
        let stated = (try? Self.readRegular(source + "/manifest.hmac", limit: 1024)).map { String(decoding: $0, as: UTF8.self) }?
            .trimmingCharacters(in: .whitespacesAndNewlines)
        guard let stated, HMAC.constantTimeEqual(Array(stated.utf8), Array(expected.utf8)) else {
            throw CommandFailure(.backupNotAuthentic, "\(source)/manifest.hmac does not match the key \(keyPath): this backup was not made by that installation (or was changed); restore it only with the key of the hub that made it").report()
        }
        // 2. Every path one a backup can hold, inside the new directory.
        for file in manifest.files where !Self.isSafe(file.path) {
            throw CommandFailure(.backupUnsafePath, "\(file.path) is not a path a backup holds (truc.sqlite, payloads/NAME, secrets.key, pki/…)").report()
        }
        if let existing = try? fm.contentsOfDirectory(atPath: data), !existing.isEmpty {
            throw CommandFailure(.dataNotEmpty, "\(data) is not empty: restore into a new directory").report()
        }
        // 3. Each file read once, through a descriptor opened without following links, hashed as it is copied
        //    into a staging folder; the data directory appears only when every file matched.
        let staging = data + ".restoring"
        try? fm.removeItem(atPath: staging)
        do {
            try fm.createDirectory(atPath: staging, withIntermediateDirectories: true)
            for file in manifest.files {
                let target = "\(staging)/\(file.path)"
                try fm.createDirectory(atPath: URL(fileURLWithPath: target).deletingLastPathComponent().path, withIntermediateDirectories: true)
                let copied = try Self.copyRegular(from: source, file.path, to: target)
                guard copied == file else {
                    throw CommandFailure(.backupDamaged, "\(source)/\(file.path) does not match the manifest (size or SHA-256): the backup is damaged").report()
                }
            }
            // The restored installation keeps the key its backups are checked with.
            try Data(keyBytes).write(to: URL(fileURLWithPath: staging + "/" + BackupKey.fileName))
            _ = chmod(staging + "/" + BackupKey.fileName, 0o600)
            if fm.fileExists(atPath: data) { try fm.removeItem(atPath: data) }
            try fm.moveItem(atPath: staging, toPath: data)
            print("restored \(manifest.files.count) files into \(data); start the hub with --data \(data)")
        } catch let exit as ExitCode {
            try? fm.removeItem(atPath: staging)
            throw exit
        } catch let refused as UnsafeFile {
            try? fm.removeItem(atPath: staging)
            throw CommandFailure(.backupUnsafeFile, "\(source)/\(refused.path) is not a regular file of the backup (\(refused.why))").report()
        } catch {
            try? fm.removeItem(atPath: staging)
            throw CommandFailure(.restoreFailed, "\(error)").report()
        }
    }

    struct UnsafeFile: Error {
        let path: String
        let why: String
    }

    /// A relative path of the backup's layout: no empty, `.` or `..` component, no NUL, nothing absolute.
    static func isSafe(_ path: String) -> Bool {
        guard !path.isEmpty, !path.hasPrefix("/"), !path.contains("\u{0}"), !path.contains("\\") else { return false }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }) else { return false }
        switch parts[0] {
        case "truc.sqlite", "secrets.key": return parts.count == 1
        case "payloads": return parts.count == 2
        case "pki": return parts.count >= 2 && parts.count <= 4
        default: return false
        }
    }

    /// The bytes of a regular file that is no link (and whose folders within the backup are no links), at most `limit`.
    static func readRegular(_ path: String, limit: Int) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw UnsafeFile(path: path, why: "cannot open it without following a link") }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG, Int(status.st_size) <= limit else {
            throw UnsafeFile(path: path, why: "not a regular file of at most \(limit) bytes")
        }
        let data = FileHandle(fileDescriptor: fd, closeOnDealloc: false).readDataToEndOfFile()
        return Array(data.prefix(limit))
    }

    /// Copies `root/relative` to `target` through one descriptor (no link followed, in the file or in the
    /// folders between `root` and it; only a regular file), hashing what is copied.
    static func copyRegular(from root: String, _ relative: String, to target: String) throws -> Manifest.File {
        var folder = root
        for part in relative.split(separator: "/").dropLast() {
            folder += "/" + part
            var status = stat()
            guard lstat(folder, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR else {
                throw UnsafeFile(path: relative, why: "\(part) is a link or not a folder")
            }
        }
        let fd = open(root + "/" + relative, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw UnsafeFile(path: relative, why: "a link, or missing") }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else { throw UnsafeFile(path: relative, why: "not a regular file") }
        let out = open(target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard out >= 0 else { throw UnsafeFile(path: relative, why: "cannot create \(target)") }
        defer { close(out) }
        let input = FileHandle(fileDescriptor: fd, closeOnDealloc: false), output = FileHandle(fileDescriptor: out, closeOnDealloc: false)
        let digest = Digest(.sha256)
        var size = 0
        while let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty {
            chunk.withUnsafeBytes { digest.update($0) }
            try output.write(contentsOf: chunk)
            size += chunk.count
        }
        try output.synchronize()
        return Manifest.File(path: relative, size: size, sha256: digest.finalize().hexString)
    }
}

/// The installation's backup key: 32 random bytes in `DATA/backup.key` (mode 0600), made by the first
/// `truc backup`, never copied into a backup.
enum BackupKey {
    static let fileName = "backup.key"

    static func loadOrCreate(_ path: String) throws -> [UInt8] {
        if let key = try? read(path) { return key }
        let key = try secureRandomBytes(32)
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return try read(path) } // made by another backup at the same moment
        defer { close(fd) }
        try FileHandle(fileDescriptor: fd, closeOnDealloc: false).write(contentsOf: Data(key.hexString.utf8))
        return key
    }

    static func read(_ path: String) throws -> [UInt8] {
        let text = String(decoding: try RestoreCommand.readRegular(path, limit: 256), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let digits = Array(text.utf8).map { c -> UInt8? in
            switch c {
            case 48...57: c - 48
            case 97...102: c - 87
            default: nil
            }
        }
        guard digits.count == 64, digits.allSatisfy({ $0 != nil }) else { throw CocoaError(.fileReadCorruptFile) }
        return stride(from: 0, to: 64, by: 2).map { digits[$0]! << 4 | digits[$0 + 1]! }
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

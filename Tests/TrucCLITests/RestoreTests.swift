import Foundation
import Testing
import TrucCrypto

/// `truc restore` believes nothing a backup folder says until its HMAC (the installation's backup key)
/// holds, writes only inside the new data directory, and copies only regular files.
@Suite("truc restore: a backup folder is hostile until proven", .timeLimit(.minutes(30)))
struct RestoreTests {
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("truc-restore-\(UUID().uuidString)").path

    func backedUp() async throws -> (data: String, backup: String) {
        let data = work + "/data", backup = work + "/backup"
        #expect(try await TrucRun.run(["agencies", "add", "000.00.00.H41", "--name", "UBND Tỉnh Nghệ An", "--data", data]).exitCode == 0)
        let made = try await TrucRun.run(["backup", backup, "--data", data])
        #expect(made.exitCode == 0, "\(made.stderr)")
        #expect(made.stdout.contains("0 messages, 0 validation objects"), "the backup says what the copied store holds: \(made.stdout)")
        #expect(!FileManager.default.fileExists(atPath: backup + "/truc.sqlite-wal"), "counting leaves no WAL file beside the copy")
        return (data, backup)
    }

    /// A copy of `backup` whose manifest is edited by `change` and authenticated again with `key`.
    func forged(_ backup: String, as name: String, key: String, _ change: (inout [[String: Any]]) throws -> Void) throws -> String {
        let copy = work + "/" + name
        try FileManager.default.copyItem(atPath: backup, toPath: copy)
        var manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: copy + "/manifest.json"))) as? [String: Any])
        var files = try #require(manifest["files"] as? [[String: Any]])
        try change(&files)
        manifest["files"] = files
        let bytes = try JSONSerialization.data(withJSONObject: manifest)
        try bytes.write(to: URL(fileURLWithPath: copy + "/manifest.json"))
        let keyHex = try String(contentsOfFile: key, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let keyBytes = stride(from: 0, to: 64, by: 2).map { UInt8(keyHex.dropFirst($0).prefix(2), radix: 16)! }
        try Data((HMAC.sha256(key: keyBytes, message: Array(bytes)).hexString + "\n").utf8).write(to: URL(fileURLWithPath: copy + "/manifest.hmac"))
        return copy
    }

    @Test("restored with its installation's key; refused with another's, with a path out of the directory, with a link")
    func hostileBackups() async throws {
        defer { try? FileManager.default.removeItem(atPath: work) }
        let (data, backup) = try await backedUp()
        let key = data + "/backup.key"
        #expect(FileManager.default.fileExists(atPath: key) && !FileManager.default.fileExists(atPath: backup + "/backup.key"),
                "the key stays with the installation")
        let restored = try await TrucRun.run(["restore", backup, "--data", work + "/restored", "--key", key])
        #expect(restored.exitCode == 0, "\(restored.stderr)")
        #expect(FileManager.default.fileExists(atPath: work + "/restored/truc.sqlite") && FileManager.default.fileExists(atPath: work + "/restored/backup.key"))

        // Another installation's backup (its own key), e.g. one carrying its own pki/trust anchors.
        let other = work + "/other"
        #expect(try await TrucRun.run(["agencies", "add", "000.00.00.G22", "--name", "VPCP", "--data", other]).exitCode == 0)
        #expect(try await TrucRun.run(["backup", work + "/other-backup", "--data", other]).exitCode == 0)
        let foreign = try await TrucRun.run(["restore", work + "/other-backup", "--data", work + "/never-1", "--key", key])
        #expect(foreign.exitCode == 1 && foreign.stderr.contains("backup-not-authentic"), "\(foreign.stderr)")
        #expect(!FileManager.default.fileExists(atPath: work + "/never-1"))
        // Without any key: refused, with what to pass.
        let keyless = try await TrucRun.run(executable: TrucRun.binary, ["restore", backup, "--data", work + "/never-2"], environment: ["TRUC_DATA_DIR": work + "/nothing-here"])
        #expect(keyless.exitCode == 2 && keyless.stderr.contains("backup-key-missing") || FileManager.default.fileExists(atPath: "./data/backup.key"), "\(keyless.stderr)")

        // A manifest (authentic: the attacker holds the key in this test) naming a path out of the directory.
        let escaping = try forged(backup, as: "escaping", key: key) { files in
            files.append(["path": "../escaped.txt", "size": 0, "sha256": Digest.sha256([]).hexString])
        }
        FileManager.default.createFile(atPath: work + "/escaping/../escaped.txt", contents: Data())
        let climb = try await TrucRun.run(["restore", escaping, "--data", work + "/never-3/data", "--key", key])
        #expect(climb.exitCode == 1 && climb.stderr.contains("backup-unsafe-path"), "\(climb.stderr)")
        #expect(!FileManager.default.fileExists(atPath: work + "/never-3"))
        let trusted = try forged(backup, as: "trusted", key: key) { files in
            files.append(["path": "pki/../../etc/cron.d/x", "size": 0, "sha256": Digest.sha256([]).hexString])
        }
        #expect(try await TrucRun.run(["restore", trusted, "--data", work + "/never-4", "--key", key]).stderr.contains("backup-unsafe-path"))

        // The database replaced by a link to a file with the very same bytes: only the link check refuses it.
        let linked = work + "/linked"
        try FileManager.default.copyItem(atPath: backup, toPath: linked)
        try FileManager.default.moveItem(atPath: linked + "/truc.sqlite", toPath: work + "/elsewhere.sqlite")
        try FileManager.default.createSymbolicLink(atPath: linked + "/truc.sqlite", withDestinationPath: work + "/elsewhere.sqlite")
        let link = try await TrucRun.run(["restore", linked, "--data", work + "/never-5", "--key", key])
        #expect(link.exitCode == 1 && link.stderr.contains("backup-unsafe-file"), "\(link.stderr)")
        #expect(!FileManager.default.fileExists(atPath: work + "/never-5") && !FileManager.default.fileExists(atPath: work + "/never-5.restoring"))
    }
}

extension RestoreTests {
    @Test("a backup says what it cannot hold: the PKI files the environment names outside the data directory, by name")
    func saysWhatIsOutside() async throws {
        defer { try? FileManager.default.removeItem(atPath: work) }
        let data = work + "/data"
        #expect(try await TrucRun.run(["agencies", "add", "000.00.00.H41", "--name", "UBND Tỉnh Nghệ An", "--data", data]).exitCode == 0)
        let made = try await TrucRun.run(executable: TrucRun.binary, ["backup", work + "/backup", "--data", data],
                                   environment: ["TRUC_TRUST_DIR": "/etc/truc/trust", "TRUC_TLS_KEY": data + "/pki/hub/server.key"])
        #expect(made.exitCode == 0 && made.stderr.contains("truc: not in the backup: /etc/truc/trust (TRUC_TRUST_DIR)")
                && !made.stderr.contains("TRUC_TLS_KEY") && made.stderr.contains("backup.key"), "\(made.stderr)")
    }
}

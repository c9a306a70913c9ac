import Foundation
import Testing
import TrucTestSupport

/// Evidence bundles and witnesses with two hubs as processes: a provincial hub whose log a national hub witnesses.
/// The bundle of a message is checked offline by `truc evidence verify` (and refused when changed); the store of the
/// witnessed hub is then rolled back to an earlier backup and goes on: the witness refuses the other history and
/// keeps both checkpoints, while the bundle issued before still verifies.
@Suite("Evidence bundles and witnesses: truc evidence verify offline; a witness cosigns and detects a rolled-back log", .timeLimit(.minutes(30)))
struct EvidenceBundleTests {
    static func get(_ server: HubEndToEndTests.Server, _ path: String, token: String, to file: String? = nil) async throws -> TrucRun {
        try await FailClosedTests.run("curl", ["-sf", "--cacert", FailClosedTests.demo + "/trust/root-ca.pem", "-H", "Authorization: Bearer \(token)"]
                                + (file.map { ["-o", $0] } ?? []) + ["https://127.0.0.1:\(server.port)" + path])
    }

    static func python(_ script: String, _ arguments: [String]) async throws -> TrucRun {
        try await TrucRun.run(executable: URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", script] + arguments)
    }

    @Test("a message's bundle proves its bytes, verdict, receipt, acknowledgement and the witness's cosignature offline; a changed bundle, a wrong key and a rolled-back log are each caught")
    func bundleAndWitness() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("truc-evidence-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let witnessPort = freeTCPPort()
        let logArguments = ["--checkpoint-interval", "1", "--witnesses", "https://127.0.0.1:\(witnessPort)"]
        // The provincial hub's log key first (made with its store), then the witness, then the hub that asks it.
        var hub = try await HubEndToEndTests.Server(["--checkpoint-interval", "1"], keepLog: true)
        defer { hub.discard() }
        try await hub.waitUntilReady()
        let token = try await hub.senderToken(), data = hub.data
        defer { try? FileManager.default.removeItem(atPath: data) }
        let logKey = try await Self.get(hub, "/v1/log/key", token: token).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(logKey.hasPrefix("truc-log/000.00.00.W00+"), "\(logKey)")
        #expect(await hub.stop(keepData: true) == 0)

        // The national hub witnesses the provincial hub's log; the provincial hub reaches it with its certificate.
        let witness = try await HubEndToEndTests.Server(["--hub-code", "000.00.00.W01", "--witness-for", logKey, "--operator-token", "witness-operator-secret"], keepLog: true, port: witnessPort)
        defer { witness.discard() }
        try await witness.waitUntilReady()
        let fingerprint = try await Self.python("""
            import ssl, hashlib, sys
            print(hashlib.sha256(ssl.PEM_cert_to_DER_cert(open(sys.argv[1]).read())).hexdigest())
            """, [FailClosedTests.demo + "/hub/server.pem"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let peer = try await TrucRun.run(["agencies", "add", "000.00.00.W00", "--name", "Trục tỉnh", "--relay", "--cert-sha256", fingerprint, "--data", witness.data])
        #expect(peer.exitCode == 0, "\(peer.stdout)\(peer.stderr)")
        let witnessToken = try await TrucRun.run(["agencies", "token", "000.00.00.G22", "--data", witness.data]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let witnessKey = try await Self.get(witness, "/v1/log/witness/key", token: witnessToken).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(witnessKey.hasPrefix("truc-log/000.00.00.W01+"), "\(witnessKey)")
        hub = try await HubEndToEndTests.Server(logArguments, keepLog: true, data: data)
        try await hub.waitUntilReady()
        try logKey.write(toFile: dir + "/log.key", atomically: true, encoding: .utf8)

        func send(_ server: HubEndToEndTests.Server) async throws -> String {
            let sent = try await server.sendDistinct(token: token, in: dir)
            return try #require(sent.json?["id"] as? String, "\(sent.stdout)\(sent.stderr)")
        }
        let id = try await send(hub)
        // Its recipient takes it: a receipt goes back to G22, and both are events.
        var acknowledged = false
        for code in ["000.00.00.H14", "000.00.00.G17"] {
            let recipient = try await TrucRun.run(["agencies", "token", code, "--data", data]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let ack = try await FailClosedTests.run("curl", ["-sf", "--cacert", FailClosedTests.demo + "/trust/root-ca.pem", "-H", "Authorization: Bearer \(recipient)",
                                                       "-d", #"{"outcome":"done"}"#, "https://127.0.0.1:\(hub.port)/v1/inbox/\(id)/ack"])
            acknowledged = acknowledged || ack.exitCode == 0
        }
        #expect(acknowledged)

        // The bundle, once every event is under a cosigned checkpoint (bounded wait: checkpoints every second,
        // the witness asked within seconds).
        let bundle = dir + "/evidence.zip"
        var verified: TrucRun?
        for _ in 0..<300 {
            if try await Self.get(hub, "/v1/messages/\(id)/evidence", token: token, to: bundle).exitCode == 0 {
                let run = try await TrucRun.run(["evidence", "verify", bundle, "--log-key", dir + "/log.key", "--witness-key", witnessKey, "--json"])
                let proves = run.json?["proves"] as? [String] ?? []
                if run.exitCode == 0, (run.json?["pending"] as? [String])?.isEmpty == true, !(run.json?["cosignedBy"] as? [String] ?? []).isEmpty,
                   proves.contains(where: { $0.contains("acknowledged by") }), proves.contains(where: { $0.hasPrefix("receipt ") }) {
                    verified = run
                    break
                }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let proven = try #require(verified, "no bundle with every event under a cosigned checkpoint within 30 s")
        let facts = proven.json?["proves"] as? [String] ?? []
        #expect(facts.first?.contains("message \(id) (edoc) from 000.00.00.G22") == true && facts.contains { $0.contains("verdict the hub stored at receipt") }
                && facts.contains { $0.contains("cosigned by the witness truc-log/000.00.00.W01") }, "\(facts)")
        let text = try await TrucRun.run(["evidence", "verify", bundle, "--log-key", logKey, "--witness-key", witnessKey])
        #expect(text.exitCode == 0 && text.stdout.contains("PROVES: acknowledged by") && text.stdout.contains("(pinned)"), "\(text.stdout)")

        // Changed bundles: a byte of the message (the manifest says so); the message and the manifest both changed (the
        // log says so); an event changed (its proof fails); checked under another key.
        func changed(_ name: String, _ edit: String) async throws -> TrucRun {
            let copy = dir + "/\(name).zip"
            let run = try await Self.python("""
                import zipfile, hashlib, json, sys
                src, dst, edit = sys.argv[1], sys.argv[2], sys.argv[3]
                files = {}
                with zipfile.ZipFile(src) as z:
                    for n in z.namelist(): files[n] = z.read(n)
                if edit == "byte":
                    b = bytearray(files["message.edxml"]); b[100] ^= 1; files["message.edxml"] = bytes(b)
                elif edit == "message":
                    b = bytearray(files["message.edxml"]); b[100] ^= 1; files["message.edxml"] = bytes(b)
                    m = json.loads(files["manifest.json"]); m["files"]["message.edxml"] = hashlib.sha256(files["message.edxml"]).hexdigest()
                    files["manifest.json"] = json.dumps(m).encode()
                elif edit == "event":
                    name = sorted(n for n in files if n.startswith("events/"))[0]
                    files[name] = files[name].replace(b'"v":1', b'"v":2')
                    m = json.loads(files["manifest.json"]); m["files"][name] = hashlib.sha256(files[name]).hexdigest()
                    files["manifest.json"] = json.dumps(m).encode()
                with zipfile.ZipFile(dst, "w") as z:
                    for n, b in files.items(): z.writestr(n, b)
                """, [bundle, copy, edit])
            #expect(run.exitCode == 0, "\(run.stderr)")
            return try await TrucRun.run(["evidence", "verify", copy, "--log-key", logKey])
        }
        let byte = try await changed("byte", "byte")
        #expect(byte.exitCode == 1 && byte.stdout.contains("FAILS: message.edxml: its SHA-256 is not the manifest's"), "\(byte.stdout)")
        let message = try await changed("message", "message")
        #expect(message.exitCode == 1 && message.stdout.contains("message.edxml is not the message whose SHA-256 the accepted event"), "\(message.stdout)")
        let event = try await changed("event", "event")
        #expect(event.exitCode == 1 && event.stdout.contains("its inclusion proof does not lead to the checkpoint's root"), "\(event.stdout)")
        let otherKey = try await TrucRun.run(["evidence", "verify", bundle, "--log-key", witnessKey.replacingOccurrences(of: "W01", with: "W00")])
        #expect(otherKey.exitCode == 1 && otherKey.stdout.contains("checkpoint.note does not verify with the log key"), "\(otherKey.stdout)")
        #expect(try await TrucRun.run(["evidence", "verify", dir + "/log.key"]).exitCode == 2, "not a ZIP")

        // The log is rolled back to a backup of now, after the witness has cosigned more; it goes on from the backup.
        #expect(await hub.stop(keepData: true) == 0)
        try FileManager.default.copyItem(atPath: data, toPath: dir + "/backup")
        hub = try await HubEndToEndTests.Server(logArguments, keepLog: true, data: data)
        try await hub.waitUntilReady()
        for _ in 0..<3 { _ = try await send(hub) }
        let cosigned = try #require(try await Self.cosignedSize(of: hub, token: token, atLeast: 1))
        #expect(await hub.stop(keepData: true) == 0)
        try FileManager.default.removeItem(atPath: data)
        try FileManager.default.moveItem(atPath: dir + "/backup", toPath: data)
        hub = try await HubEndToEndTests.Server(logArguments, keepLog: true, data: data)
        try await hub.waitUntilReady()
        var forks: [[String: Any]] = []
        let operatorToken = "witness-operator-secret"
        for _ in 0..<60 where forks.isEmpty {
            _ = try await send(hub)
            let answer = try await Self.get(witness, "/v1/log/witness/forks", token: operatorToken)
            forks = (try? JSONSerialization.jsonObject(with: Data(answer.stdout.utf8)) as? [String: Any])?["forks"] as? [[String: Any]] ?? []
            try await Task.sleep(for: .milliseconds(500))
        }
        let hubLog = (hub.log.flatMap { try? String(contentsOf: $0, encoding: .utf8) } ?? "").split(separator: "\n").filter { $0.contains("witness") }.suffix(5)
        let witnessLog = (witness.log.flatMap { try? String(contentsOf: $0, encoding: .utf8) } ?? "").split(separator: "\n").suffix(5)
        let fork = try #require(forks.first, "the witness saw no fork within 30 s: \(hubLog.joined(separator: "\n")) / \(witnessLog.joined(separator: "\n"))")
        #expect(fork["origin"] as? String == "truc-log/000.00.00.W00" && (fork["detail"] as? String)?.contains("does not extend the one of") == true
                && (fork["known"] as? String).flatMap { $0.split(separator: "\n").dropFirst().first.flatMap { Int($0) } } ?? 0 >= cosigned,
                "\(fork)")
        // The bundle issued before still verifies offline.
        #expect(try await TrucRun.run(["evidence", "verify", bundle, "--log-key", logKey, "--witness-key", witnessKey]).exitCode == 0)
    }

    /// The size of the latest checkpoint, once the witness has cosigned it (its line is published with the note) and
    /// it covers every event the hub holds (bounded wait).
    static func cosignedSize(of hub: HubEndToEndTests.Server, token: String, atLeast: Int) async throws -> Int? {
        for _ in 0..<300 {
            let note = try await get(hub, "/v1/log/checkpoint", token: token)
            let lines = note.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            let verify = try await TrucRun.run(["log", "verify", "--data", hub.data, "--json"])
            if let size = lines.dropFirst().first.flatMap({ Int($0) }), size >= atLeast, verify.json?["unsequenced"] as? Int == 0,
               verify.json?["events"] as? Int == size, note.stdout.contains("\u{2014} truc-log/000.00.00.W01 ") {
                return size
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        return nil
    }
}

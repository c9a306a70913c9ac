import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing
import TrucCore
import TrucCrypto
import TrucServer
import TrucVXP
import TrucStore
import NIOFoundationEssentialsCompat
@testable import TrucSQLiteStore

/// A client that behaves as the national SDK does on the wire (vxp-wire.md): one parameter map per
/// session that calls add to and never clear (stale parameters ride along), a timestamp fixed when the
/// session is made, every parameter signed, the file plus CRLF as `sendEdoc`'s body with the unpadded
/// `hash-file`, `{}` bodies for getEdoc/updateStatus/deleteAgency, `Expect: 100-continue` on non-empty
/// HttpClient bodies.
final class SDKSession: @unchecked Sendable {
    let endpoint: String
    let client: HTTPClient
    let secret: [UInt8]
    private(set) var parameters: [(String, String)]

    init(endpoint: String, client: HTTPClient, systemId: String, secret: String) {
        self.endpoint = endpoint
        self.client = client
        self.secret = Array(secret.utf8)
        parameters = [("systemid", systemId), ("timestamp", VXPAuth.timestamp(Date()))]
    }

    private func set(_ name: String, _ value: String) {
        if let i = parameters.firstIndex(where: { $0.0 == name }) { parameters[i].1 = value } else { parameters.append((name, value)) }
    }

    struct Answer {
        let httpStatus: Int
        let json: [String: Any]
        let text: String
        var status: String? { json["status"] as? String }
        var errorCode: String? { json["ErrorCode"] as? String }
        var errorDesc: String? { json["ErrorDesc"] as? String }
        var data: [[String: Any]]? { json["data"] as? [[String: Any]] }
    }

    /// One call; `tamper` may change the headers after signing (for the refusal tests).
    func call(_ operation: String, _ params: [(String, String)], body: [UInt8] = [], contentType: String = "application/json",
              tamper: (inout [(String, String)]) -> Void = { _ in }) async throws -> Answer {
        set("Content-Type", contentType)
        for (name, value) in params { set(name, value) }
        var headers = VXPAuth.sign(parameters, secret: secret)
        headers += [("Content-Type", contentType), ("User-Agent", "JAVASDKAgent/1.0.0 XRoad/VPCP"), ("XroadVnpt-version", "3.0.201608")]
        if !body.isEmpty && operation != "sendEdoc" { headers.append(("Expect", "100-continue")) }
        tamper(&headers)
        var request = HTTPClientRequest(url: endpoint + "/" + operation)
        request.method = .POST
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await client.execute(request, timeout: .seconds(30))
        let collected = try await response.body.collect(upTo: 128 << 20)
        let text = String(buffer: collected)
        let json = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
        return Answer(httpStatus: Int(response.status.code), json: json, text: text)
    }

    func sendEdoc(_ file: [UInt8], from: String, messageType: String = "edoc", tamper: (inout [(String, String)]) -> Void = { _ in }) async throws -> Answer {
        try await call("sendEdoc", [("from", from), ("servicetype", "eDoc"), ("messagetype", messageType),
                                    ("hash-file", VXPHashFile.sdkForm(Digest.sha256(file)))],
                       body: file + [13, 10], contentType: "application/octet-stream", tamper: tamper)
    }
}

@Suite("VXP dialect: the national SDK's calls against a live hub", .timeLimit(.minutes(30)))
struct VXPConformanceTests {
    static let plain: VXPSettings = {
        var settings = VXPSettings()
        settings.plainHost = "127.0.0.1"
        settings.plainPort = 0
        settings.plainWrites = true
        return settings
    }()
    static let systems: [(id: String, secret: String, agencies: [String])] = [
        ("00.99.W00", "fake-secret-for-capture", ["000.00.00.H41", "000.00.12.H41"]),
        ("00.22.W00", "secret-of-the-government-office", ["000.00.00.G22"]),
        ("00.14.W00", "secret-of-cao-bang", ["000.00.00.H14"]),
    ]
    static func fixture(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: LiveHub.fixture(name)))) }

    func run(maxBodyBytes: Int = 64 << 20, _ body: (LiveHub, SDKSession, SDKSession) async throws -> Void) async throws {
        try await LiveHub.run(maxBodyBytes: maxBodyBytes, vxp: Self.plain, systems: Self.systems) { hub in
            let government = SDKSession(endpoint: hub.vxpEndpoint, client: hub.client, systemId: "00.22.W00", secret: "secret-of-the-government-office")
            let province = SDKSession(endpoint: hub.vxpEndpoint, client: hub.client, systemId: "00.99.W00", secret: "fake-secret-for-capture")
            try await body(hub, government, province)
        }
    }

    /// What the SDK needs in every answer: the three fields as strings, and on failure DocId and data.
    func expectShape(_ answer: SDKSession.Answer, ok: Bool, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(answer.httpStatus == 200, sourceLocation: sourceLocation)
        #expect(answer.text.utf8.allSatisfy { $0 < 0x80 }, "ASCII-only JSON", sourceLocation: sourceLocation)
        #expect(!answer.text.contains("null"), sourceLocation: sourceLocation)
        #expect(answer.status == (ok ? "OK" : "FAILED"), "\(answer.text)", sourceLocation: sourceLocation)
        #expect(ok ? answer.errorCode == "0" : (answer.errorCode != nil && answer.errorCode != "0"), sourceLocation: sourceLocation)
        #expect(answer.errorDesc?.isEmpty == false, sourceLocation: sourceLocation)
        if !ok {
            #expect(answer.json["DocId"] as? String == "" && answer.json["data"] as? String == "", sourceLocation: sourceLocation)
        }
    }

    @Test("a document whose payload was archived and purged: getEdoc answers FAILED 410 gone with its SHA-256; getSentEdocList still lists it")
    func purgedDocument() async throws {
        try await run { hub, government, province in
            let file = try Self.fixture("signatures/pdf-both-zip.edxml")
            let docId = try #require(try await government.sendEdoc(file, from: "000.00.00.G22").json["DocId"] as? String)
            // Every recipient takes it; an archive is recorded and the payload purged (as a purge round does).
            for recipient in ["000.00.00.H41", "000.00.00.H14", "000.00.00.G17"] {
                #expect(try await hub.store.acknowledge(docId, by: recipient, outcome: .done, reason: nil) == .delivered)
            }
            try await hub.store.recordArchive(ArchiveRecord(sequence: 1, name: "truc-archive-0000000001-00000000.zip", manifestSHA256: String(repeating: "0", count: 64),
                                                            messages: 1, bytes: 1, createdAt: 1_796_000_000))
            #expect(try await hub.store.purgePayloads([docId], archive: 1).purged == [docId])
            let got = try await province.call("getEdoc", [("docId", docId)], body: Array("{}".utf8))
            expectShape(got, ok: false)
            let sha256 = try #require(try await hub.store.message(docId)?.sha256)
            #expect(got.errorCode == "410" && got.errorDesc?.hasPrefix("gone") == true && got.errorDesc?.contains(sha256) == true, "\(got.text)")
            let sent = try await government.call("getSentEdocList", [("servicetype", "eDoc"), ("messagetype", "edoc"), ("docId", docId)])
            expectShape(sent, ok: true)
            #expect(sent.data?.count == 3 && sent.data?.allSatisfy { $0["receiveStatus"] as? String == "done" } == true, "\(sent.text)")
        }
    }

    @Test("send → list → get → updateStatus → getSentEdocList, with the SDK's stale parameters")
    func documentCycle() async throws {
        try await run { hub, government, province in
            let file = try Self.fixture("signatures/pdf-both-zip.edxml")
            let sent = try await government.sendEdoc(file, from: "000.00.00.G22")
            expectShape(sent, ok: true)
            let docId = try #require(sent.json["DocId"] as? String)
            #expect(!docId.isEmpty)
            // The JDK may re-send a POST: the same file gives the same DocId and nothing new.
            let again = try await government.sendEdoc(file, from: "000.00.00.G22")
            #expect(again.json["DocId"] as? String == docId)

            let list = try await province.call("getReceivedEdocList", [("servicetype", "eDoc"), ("messagetype", "edoc")])
            expectShape(list, ok: true)
            let items = try #require(list.data)
            #expect(items.count == 1)
            let item = try #require(items.first)
            for key in ["docId", "serviceType", "messageType", "from", "to", "status", "status_desc", "created_time", "updated_time"] {
                #expect(item[key] is String, "\(key)")
            }
            #expect(item["docId"] as? String == docId && item["from"] as? String == "000.00.00.G22" && item["to"] as? String == "000.00.00.H41")
            // Status list is separate (and holds no receipts: they are not edXML).
            #expect(try await province.call("getReceivedEdocList", [("messagetype", "status")]).data?.isEmpty == true)

            let got = try await province.call("getEdoc", [("docId", docId), ("filePath", "/opt/edoc/attachments")], body: Array("{}".utf8))
            expectShape(got, ok: true)
            let data = try #require(got.json["data"] as? String)
            #expect(Data(base64Encoded: data).map { [UInt8]($0) } == file, "getEdoc returns the exact bytes, without the CRLF")

            // The session still carries docId (from getEdoc); updateStatus names its own docid.
            let updated = try await province.call("updateStatus", [("docid", docId), ("status", "done")], body: Array("{}".utf8))
            expectShape(updated, ok: true)
            #expect(try await province.call("updateStatus", [("docid", docId), ("status", "done")], body: Array("{}".utf8)).status == "OK",
                    "idempotent")
            #expect(try await province.call("getReceivedEdocList", [("messagetype", "edoc")]).data?.isEmpty == true)

            // The sender's view: one row per recipient; the session carries status=done from nothing (its own map).
            let trace = try await government.call("getSentEdocList", [("servicetype", "eDoc"), ("messagetype", "edoc"), ("docId", docId)])
            expectShape(trace, ok: true)
            let rows = try #require(trace.data)
            #expect(Set(rows.compactMap { $0["toCode"] as? String }) == ["000.00.00.H41", "000.00.00.H14", "000.00.00.G17"])
            for row in rows {
                for key in ["senderDocId", "receiverDocId", "fromCode", "toCode", "title", "notation", "messageType", "serviceType",
                            "sendStatus", "sendStatusDesc", "receiveStatus", "receiveStatusDesc", "sentTime", "receivedTime"] {
                    #expect(row[key] is String, "\(key)")
                }
            }
            let h41 = try #require(rows.first { $0["toCode"] as? String == "000.00.00.H41" })
            #expect(h41["receiveStatus"] as? String == "done")
            #expect(h41["notation"] as? String == "7816/VPCP-TTĐT")
            #expect(rows.first { $0["toCode"] as? String == "000.00.00.H14" }?["receiveStatus"] as? String == "initial")

            // The same state through the native API, and the delivery receipt in G22's native inbox.
            let g22 = try await hub.token("000.00.00.G22")
            #expect(try await hub.deliveryStates(docId, token: g22)["000.00.00.H41"] == "delivered")
            let receipts = try #require(try await hub.request(.GET, "/v1/inbox?kind=status", token: g22).json?["items"] as? [[String: Any]])
            #expect(receipts.map { $0["kind"] as? String } == ["receipt"])
        }
    }

    @Test("a status message sent through sendEdoc routes by ResponseFor and is listed as status")
    func statusMessage() async throws {
        try await run { hub, government, province in
            let status = try Self.fixture("vpcp/status_acceptance_03.edxml")
            let sent = try await province.sendEdoc(status, from: "000.00.00.H41", messageType: "status")
            expectShape(sent, ok: true)
            let list = try await government.call("getReceivedEdocList", [("servicetype", "eDoc"), ("messagetype", "status")])
            #expect(list.data?.map { $0["messageType"] as? String } == ["status"])
            #expect(list.data?.first?["docId"] as? String == sent.json["DocId"] as? String)
            #expect(try await government.call("getReceivedEdocList", [("messagetype", "edoc")]).data?.isEmpty == true)
        }
    }

    @Test("cross-dialect: native sender, VXP reader; VXP sender, native reader")
    func crossDialect() async throws {
        try await run { hub, government, province in
            let h41 = try await hub.token("000.00.00.H41")
            // Native sender (H41's status 03 for G22), read by G22's system through the SDK's calls.
            let native = try await hub.post("vpcp/status_acceptance_03.edxml", token: h41)
            #expect(native.status == 202)
            let nativeId = try #require(native.json?["id"] as? String)
            let listed = try await government.call("getReceivedEdocList", [("messagetype", "status")])
            #expect(listed.data?.compactMap { $0["docId"] as? String } == [nativeId])
            let fetched = try await government.call("getEdoc", [("docId", nativeId)], body: Array("{}".utf8))
            #expect(Data(base64Encoded: fetched.json["data"] as? String ?? "").map { [UInt8]($0) } == (try Self.fixture("vpcp/status_acceptance_03.edxml")))

            // VXP sender (G22's system), read by H41 through the native API.
            let file = try Self.fixture("signatures/pdf-both-zip.edxml")
            let sent = try await government.sendEdoc(file, from: "000.00.00.G22")
            let vxpId = try #require(sent.json["DocId"] as? String)
            let inbox = try #require(try await hub.request(.GET, "/v1/inbox?kind=edoc", token: h41).json?["items"] as? [[String: Any]])
            #expect(inbox.compactMap { $0["messageId"] as? String } == [vxpId])
            #expect(try await hub.request(.GET, "/v1/messages/\(vxpId)", token: h41).body == file)
            // The province's system sees it too; a native ack takes it off the VXP list.
            #expect(try await province.call("getReceivedEdocList", [("messagetype", "edoc")]).data?.compactMap { $0["docId"] as? String } == [vxpId])
            let ack = try await hub.request(.POST, "/v1/inbox/\(vxpId)/ack", token: h41, body: Array(#"{"outcome":"done"}"#.utf8))
            #expect(ack.status == 200)
            #expect(try await province.call("getReceivedEdocList", [("messagetype", "edoc")]).data?.isEmpty == true)
        }
    }

    @Test("refusals answer in the SDK's error shape and store nothing")
    func refusals() async throws {
        try await run(maxBodyBytes: 600_000) { hub, government, province in
            let file = try Self.fixture("signatures/pdf-both-zip.edxml")
            func stored() async throws -> Int { try await hub.store.deliveries(state: nil).count }

            // Wrong HMAC (another secret), unknown systemid.
            let forged = SDKSession(endpoint: hub.vxpEndpoint, client: hub.client, systemId: "00.22.W00", secret: "guessed")
            let a = try await forged.sendEdoc(file, from: "000.00.00.G22")
            expectShape(a, ok: false)
            #expect(a.errorCode == "401" && a.errorDesc?.hasPrefix("bad-signature") == true)
            let stranger = SDKSession(endpoint: hub.vxpEndpoint, client: hub.client, systemId: "00.00.W99", secret: "x")
            let b = try await stranger.call("getAgenciesList", [])
            expectShape(b, ok: false)
            #expect(b.errorDesc?.hasPrefix("unknown-system") == true)
            // A header changed after signing.
            let c = try await government.call("getReceivedEdocList", [("messagetype", "edoc")]) { headers in
                headers = headers.map { $0.0 == "XroadVnpt-messagetype" ? ($0.0, "status") : $0 }
            }
            #expect(c.status == "FAILED" && c.errorDesc?.hasPrefix("bad-signature") == true)
            // A system acting for an agency it does not own: the province's system sends G22's document.
            let d = try await province.sendEdoc(file, from: "000.00.00.G22")
            expectShape(d, ok: false)
            #expect(d.errorCode == "403" && d.errorDesc?.hasPrefix("sender-mismatch") == true)
            // hash-file that does not match the body.
            let e = try await government.call("sendEdoc", [("from", "000.00.00.G22"), ("messagetype", "edoc"),
                                                           ("hash-file", VXPHashFile.sdkForm(Digest.sha256(Array("other".utf8))))],
                                              body: file + [13, 10], contentType: "application/octet-stream")
            #expect(e.errorDesc?.hasPrefix("hash-file-mismatch") == true)
            #expect(try await stored() == 0, "nothing stored")
            // Oversized body (the hub's limit is 600 kB here).
            var big = file
            big += [UInt8](repeating: 0x20, count: 700_000)
            let f = try await government.sendEdoc(big, from: "000.00.00.G22")
            expectShape(f, ok: false)
            #expect(f.errorCode == "413")
            #expect(try await stored() == 0, "nothing stored")

            // Unknown docId; a docId of another agency's message.
            let g = try await province.call("getEdoc", [("docId", "no-such-id")], body: Array("{}".utf8))
            expectShape(g, ok: false)
            #expect(g.errorCode == "404")
            // A status from H41 to G22: the Cao Bằng system (H14) is neither its sender nor its recipient.
            let h41 = try await hub.token("000.00.00.H41")
            let other = try await hub.request(.POST, "/v1/messages", token: h41, body: try Self.fixture("vpcp/status_acceptance_03.edxml"))
            let otherId = try #require(other.json?["id"] as? String)
            let outsider = SDKSession(endpoint: hub.vxpEndpoint, client: hub.client, systemId: "00.14.W00", secret: "secret-of-cao-bang")
            #expect(try await outsider.call("getEdoc", [("docId", otherId)], body: Array("{}".utf8)).errorCode == "404")
            #expect(try await outsider.call("updateStatus", [("docid", otherId), ("status", "done")], body: Array("{}".utf8)).errorCode == "404")
            #expect(try await outsider.call("getSentEdocList", [("docId", otherId)]).errorCode == "404")
            // The recipient's system can read it but not see the sender's trace.
            #expect(try await government.call("getEdoc", [("docId", otherId)], body: Array("{}".utf8)).status == "OK")
            #expect(try await government.call("getSentEdocList", [("docId", otherId)]).errorCode == "404")
            // registerAgency for another system, or over an agency of another system; malformed JSON. (A new
            // session: the headers of this one already authorised other calls, and are not reused for a directory change.)
            let registrar = SDKSession(endpoint: hub.vxpEndpoint, client: hub.client, systemId: "00.99.W00", secret: "fake-secret-for-capture")
            let h = try await registrar.call("registerAgency", [], body: Array(#"{"code":"000.00.98.H41","pcode":"00.22.W00","name":"X"}"#.utf8))
            #expect(h.errorCode == "403")
            let i = try await registrar.call("registerAgency", [], body: Array(#"{"code":"000.00.00.G22","pcode":"00.99.W00","name":"X"}"#.utf8))
            #expect(i.errorCode == "403")
            let j = try await registrar.call("registerAgency", [], body: Array(#"{"id":"","code":"000.00.98.H41","mail":cc""}"#.utf8))
            expectShape(j, ok: false)
            #expect(j.errorDesc?.hasPrefix("invalid-body") == true)
        }
    }

    @Test("non-ASCII header values: UTF-8 verifies, the SDK's '?' mangling is refused with the cause")
    func nonASCIIHeaders() async throws {
        try await run { hub, government, province in
            // sendEdoc (HttpURLConnection) sends UTF-8 bytes: the MAC verifies.
            let sent = try await government.call("getAgenciesList", [("note", "Tài chính Đà Nẵng")])
            expectShape(sent, ok: true)
            // HttpClient calls turn characters above U+00FF into '?': nobody can verify that.
            let mangled = try await province.call("getAgenciesList", [("note", "Tài chính Đà Nẵng")]) { headers in
                headers = headers.map { name, value in
                    (name, String(value.unicodeScalars.map { $0.value > 0xFF ? "?" : Character($0) }))
                }
            }
            expectShape(mangled, ok: false)
            #expect(mangled.errorDesc?.contains("outside ASCII") == true)
        }
    }

    @Test("the captured updateStatus request authenticates byte for byte")
    func capturedRequest() async throws {
        try await run { hub, _, _ in
            var request = HTTPClientRequest(url: hub.vxpEndpoint + "/updateStatus")
            request.method = .POST
            for (name, value) in [
                ("XroadVnpt-systemid", "00.99.W00"), ("XroadVnpt-docid", "41995bd5-c3da-45d8-aa00-731bb2be2ad1"),
                ("XroadVnpt-timestamp", "22112026T001313+0118"), ("Content-Type", "application/json"),
                ("XroadVnpt-Content-Type", "application/json"), ("XroadVnpt-status", "done"),
                ("XroadVnpt-sign-header-key", "systemid;docid;timestamp;Content-Type;status"),
                ("XroadVnpt-sign-header", VXPAuthTestsData.capturedSignHeader),
                ("XroadVnpt-hash-header", "6d7fc4282e261c45e0b1861f8373f51258c08a304a57a782e4ddb85f46ff527d"),
            ] { request.headers.add(name: name, value: value) }
            request.body = .bytes(ByteBuffer(string: "{}"))
            let response = try await hub.client.execute(request, timeout: .seconds(10))
            let json = try JSONSerialization.jsonObject(with: Data(buffer: try await response.body.collect(upTo: 1 << 16))) as? [String: Any]
            // Authenticated; the captured document does not exist here.
            #expect(json?["ErrorCode"] as? String == "404")
        }
    }

    @Test("Expect: 100-continue is answered at once")
    func expectContinue() async throws {
        try await run { hub, _, _ in
            let head = "POST /XrdAdapter/adapter/getEdoc HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n"
            let started = ContinuousClock.now
            let first = try RawSocket.exchange(port: hub.vxpPort, send: Array(head.utf8), readTimeout: 2)
            #expect(first.hasPrefix("HTTP/1.1 100 Continue"), "\(first)")
            #expect(ContinuousClock.now - started < .seconds(1))
        }
    }
}

enum VXPAuthTestsData {
    static let capturedSignHeader = #"{"XroadVnpt-systemid":"00.99.W00","XroadVnpt-docid":"41995bd5-c3da-45d8-aa00-731bb2be2ad1","XroadVnpt-timestamp":"22112026T001313+0118","XroadVnpt-Content-Type":"application/json","XroadVnpt-status":"done"}"#
}

/// A bare TCP exchange: send bytes, read what arrives first (for protocol details clients hide).
enum RawSocket {
    static func exchange(port: Int, send bytes: [UInt8], readTimeout: Int) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
        var timeout = timeval(tv_sec: readTimeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = read(fd, &buffer, buffer.count)
        return n > 0 ? String(decoding: buffer.prefix(n), as: UTF8.self) : ""
    }
}

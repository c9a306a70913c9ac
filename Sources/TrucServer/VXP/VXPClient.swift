import AsyncHTTPClient
import Foundation
import NIOCore
import TrucCrypto
import TrucVXP
import NIOHTTP1
import NIOFoundationEssentialsCompat

/// A failed call to a VXP-dialect hub: `permanent` when retrying the same request cannot help.
struct VXPCallError: Error, CustomStringConvertible {
    let description: String
    let permanent: Bool
}

/// This hub as a client of a hub that speaks the national SDK's dialect: the same headers, signature and
/// bodies as the SDK (vxp-wire.md), so a provincial Truc can forward to and poll from such a hub.
struct VXPClient: Sendable {
    let client: HTTPClient
    let systemId: String
    let secret: [UInt8]

    /// One call: the signed parameter headers, the body, the answer's JSON object when `status` is OK and
    /// `ErrorCode` is 0.
    func call(_ endpoint: String, _ operation: VXPOperation, _ parameters: [(String, String)], body: [UInt8]? = nil,
              contentType: String = "application/json") async throws -> [String: Any] {
        let signed = [("systemid", systemId), ("timestamp", VXPAuth.timestamp(Date())), ("Content-Type", contentType)] + parameters
        var request = HTTPClientRequest(url: endpoint.hasSuffix("/") ? endpoint + operation.rawValue : endpoint + "/" + operation.rawValue)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: contentType)
        request.headers.add(name: "User-Agent", value: "Truc XRoad/VPCP")
        for (name, value) in VXPAuth.sign(signed, secret: secret) { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body ?? []))
        let response = try await client.execute(request, timeout: .seconds(120))
        let collected = try await response.body.collect(upTo: 256 << 20)
        guard let object = try? JSONSerialization.jsonObject(with: Data(buffer: collected)) as? [String: Any] else {
            throw VXPCallError(description: "\(operation.rawValue): HTTP \(response.status.code), not a JSON answer", permanent: false)
        }
        let status = "\(object["status"] ?? "")", code = "\(object["ErrorCode"] ?? "")"
        guard status == "OK", code == "0" else {
            // Truc's own 4xx-style codes mean the request itself is wrong; anything else may pass later.
            let permanent = ["400", "403", "404", "413", "422"].contains(code)
            throw VXPCallError(description: "\(operation.rawValue): \(code) \(object["ErrorDesc"] ?? "")", permanent: permanent)
        }
        return object
    }

    /// sendEdoc: the file plus CRLF, as the SDK sends it. Returns the hub's DocId.
    func send(_ endpoint: String, _ bytes: [UInt8], from sender: String, messageType: String) async throws -> String {
        let hashFile = VXPHashFile.sdkForm(TrucCrypto.Digest.sha256(bytes))
        let answer = try await call(endpoint, .sendEdoc, [("from", sender), ("servicetype", "eDoc"), ("messagetype", messageType),
                                                          ("hash-file", hashFile)],
                                    body: bytes + [13, 10], contentType: "application/octet-stream")
        return "\(answer["DocId"] ?? "")"
    }

    func receivedList(_ endpoint: String, messageType: String) async throws -> [String] {
        let answer = try await call(endpoint, .getReceivedEdocList, [("servicetype", "eDoc"), ("messagetype", messageType)])
        return ((answer["data"] as? [[String: Any]]) ?? []).compactMap { $0["docId"].map { "\($0)" } }
    }

    func fetch(_ endpoint: String, docId: String) async throws -> [UInt8] {
        let answer = try await call(endpoint, .getEdoc, [("docId", docId), ("filePath", "")], body: Array("{}".utf8))
        guard let data = Data(base64Encoded: "\(answer["data"] ?? "")", options: .ignoreUnknownCharacters) else {
            throw VXPCallError(description: "getEdoc \(docId): data is not base64", permanent: false)
        }
        return [UInt8](data)
    }

    func updateStatus(_ endpoint: String, docId: String, status: String) async throws {
        _ = try await call(endpoint, .updateStatus, [("docid", docId), ("status", status)], body: Array("{}".utf8))
    }
}

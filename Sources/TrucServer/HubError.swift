import EdXML
import Foundation
package import HTTPTypes
package import Hummingbird
package import TrucStore
package import TrucCore
import TrucVocabulary

/// An API error: HTTP status, a stable code and a message, sent as `{"error":{"code","message"}}`
/// (plus details such as findings or a signature verdict). Every handler error goes through this.
package struct HubError: Error, HTTPResponseError, Sendable {
    package let status: HTTPResponse.Status
    package let code: String
    package let message: String
    /// Extra JSON members of the error object (already encoded).
    package let details: [String: String]
    /// Seconds after which the caller may try again (`Retry-After`), for 503 answers.
    package var retryAfter: Int?
    /// The methods the path serves (`Allow`), for 405 answers.
    package var allow: [String]?

    /// An answer with `code`, whose HTTP status is the catalogue's (`ErrorCode`).
    package init(_ code: ErrorCode, _ message: String, details: [String: String] = [:], retryAfter: Int? = nil) {
        self.status = HTTPResponse.Status(code: code.httpStatus)
        self.code = code.rawValue
        self.message = message
        self.details = details
        self.retryAfter = retryAfter
    }

    /// An edXML or XML reading error (`EdXMLError`, `XMLError` codes: each in the catalogue); a code the catalogue
    /// does not know is answered as `malformed-xml`.
    package init(reading code: String, _ message: String) {
        self.init(ErrorCode(rawValue: code).flatMap { $0.entry.http == nil ? nil : $0 } ?? .malformedXml, message)
    }

    package func response(from request: Request, context: some RequestContext) throws -> Response {
        var body = "{\"error\":{\"code\":\(JSONText.string(code)),\"message\":\(JSONText.string(message))"
        for (key, json) in details.sorted(by: { $0.key < $1.key }) { body += ",\(JSONText.string(key)):\(json)" }
        body += "}}"
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        if let allow { headers[.allow] = allow.joined(separator: ", ") }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func busy(_ message: String, retryAfter: Int = 2) -> HubError {
        HubError(.busy, message, retryAfter: retryAfter)
    }

    static let unauthenticated = HubError(.unauthenticated,
                                          "present a registered TLS client certificate or an API token (Authorization: Bearer …)")
    static func forbidden(_ message: String) -> HubError { HubError(.forbidden, message) }
    static func notFound(_ message: String) -> HubError { HubError(.notFound, message) }

    /// A message whose payload the retention policy purged (docs/operating.md "Retention and archives").
    static func gone(_ message: StoredMessage, purged: (archive: Int64, at: Int64), archive: ArchiveRecord?, receipts: [String]) -> HubError {
        HubError(.gone, "the payload of message \(message.id) was archived in archive \(purged.archive) and purged from the hub at \(CivilCalendar.isoUTC(purged.at)); its trace, receipts and validation report remain, and truc archive get takes the message out of the archive",
                 details: ["id": JSONText.string(message.id), "sha256": JSONText.string(message.sha256), "size": String(message.size),
                           "purgedAt": JSONText.string(CivilCalendar.isoUTC(purged.at)), "archive": JSONText.string(archive?.name ?? ""),
                           "archiveSequence": String(purged.archive), "receipts": JSONText.encode(receipts)])
    }
}

/// JSON helpers for hand-assembled bodies.
package enum JSONText {
    package static func string(_ s: String) -> String {
        // Most values (ids, codes, hashes) need no escaping at all.
        if s.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x22 && $0 != 0x5C }) { return "\"" + s + "\"" }
        let data = (try? JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes])) ?? Data("[\"\"]".utf8)
        let text = String(decoding: data, as: UTF8.self)
        return String(text.dropFirst().dropLast())
    }

    package static func encode<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? String(decoding: encoder.encode(value), as: UTF8.self)) ?? "null"
    }

    package static func response<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(string: encode(value))))
    }
}

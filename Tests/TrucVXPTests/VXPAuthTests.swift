import Foundation
import Testing
import TrucCrypto
@testable import TrucVXP

/// The request signature and hash-file of the national SDK, against the captures in vxp-wire.md §4–5.
@Suite(.timeLimit(.minutes(30))) struct VXPAuthTests {
    static let secret = Array("fake-secret-for-capture".utf8)
    static let updateStatusJSON = #"{"XroadVnpt-systemid":"00.99.W00","XroadVnpt-docid":"41995bd5-c3da-45d8-aa00-731bb2be2ad1","XroadVnpt-timestamp":"22112026T001313+0118","XroadVnpt-Content-Type":"application/json","XroadVnpt-status":"done"}"#

    /// Case-insensitive header lookup over a list, as HTTP header maps do.
    static func lookup(_ headers: [(String, String)]) -> (String) -> [String] {
        { name in headers.filter { $0.0.lowercased() == name.lowercased() }.map(\.1) }
    }

    @Test func capturedUpdateStatusVerifies() throws {
        let headers = [("XroadVnpt-systemid", "00.99.W00"), ("XroadVnpt-docid", "41995bd5-c3da-45d8-aa00-731bb2be2ad1"),
                       ("XroadVnpt-timestamp", "22112026T001313+0118"), ("XroadVnpt-status", "done"),
                       ("XroadVnpt-sign-header", Self.updateStatusJSON),
                       ("XroadVnpt-hash-header", "6d7fc4282e261c45e0b1861f8373f51258c08a304a57a782e4ddb85f46ff527d")]
        let credentials = try VXPAuth.credentials(header: Self.lookup(headers))
        let call = try VXPAuth.verify(credentials, secret: Self.secret, used: VXPOperation.updateStatus.usedParameters, header: Self.lookup(headers))
        #expect(call.systemId == "00.99.W00")
        #expect(call.parameter("docid") == "41995bd5-c3da-45d8-aa00-731bb2be2ad1")
        #expect(call.parameter("status") == "done")
        #expect(call.parameter("docId") == nil)
    }

    @Test func capturedGetAgenciesListMAC() {
        let json = #"{"XroadVnpt-systemid":"00.99.W00","XroadVnpt-timestamp":"22112026T001315+0967","XroadVnpt-Content-Type":"application/json"}"#
        let mac = HMAC.sha256(key: Self.secret, message: Array(json.utf8)).map { String(format: "%02x", $0) }.joined()
        #expect(mac == "44b353ebc2e56cc26e42ffa2e0c61be6af8fe6caabac06e6d5978f877cea1129")
    }

    @Test func signingReproducesTheSDKText() throws {
        let headers = VXPAuth.sign([("systemid", "00.99.W00"), ("docid", "41995bd5-c3da-45d8-aa00-731bb2be2ad1"),
                                    ("timestamp", "22112026T001313+0118"), ("Content-Type", "application/json"), ("status", "done")],
                                   secret: Self.secret)
        let byName = Dictionary(headers, uniquingKeysWith: { a, _ in a })
        #expect(byName["XroadVnpt-sign-header"] == Self.updateStatusJSON)
        #expect(byName["XroadVnpt-hash-header"] == "6d7fc4282e261c45e0b1861f8373f51258c08a304a57a782e4ddb85f46ff527d")
        #expect(byName["XroadVnpt-sign-header-key"] == "systemid;docid;timestamp;Content-Type;status")
    }

    @Test func refusals() throws {
        func headers(hash: String = "6d7fc4282e261c45e0b1861f8373f51258c08a304a57a782e4ddb85f46ff527d", status: String = "done",
                     extra: [(String, String)] = []) -> [(String, String)] {
            [("XroadVnpt-systemid", "00.99.W00"), ("XroadVnpt-docid", "41995bd5-c3da-45d8-aa00-731bb2be2ad1"), ("XroadVnpt-status", status),
             ("XroadVnpt-sign-header", Self.updateStatusJSON), ("XroadVnpt-hash-header", hash)] + extra
        }
        func code(_ h: [(String, String)], secret: [UInt8] = Self.secret) -> String? {
            do {
                let c = try VXPAuth.credentials(header: Self.lookup(h))
                _ = try VXPAuth.verify(c, secret: secret, used: VXPOperation.updateStatus.usedParameters, header: Self.lookup(h))
                return nil
            } catch { return error.failureCode }
        }
        #expect(code(headers()) == nil)
        #expect(code(headers(), secret: Array("another-secret".utf8)) == "bad-signature")
        #expect(code(headers(hash: String(repeating: "0", count: 64))) == "bad-signature")
        #expect(code(headers(hash: "6D7FC4282E261C45E0B1861F8373F51258C08A304A57A782E4DDB85F46FF527D")) == nil) // either case
        #expect(code(headers(status: "fail")) == "bad-signature") // the header differs from its signed value
        #expect(code(headers(extra: [("XroadVnpt-docId", "stale-id")])) == nil) // unsigned but not used: ignored
        #expect(code([("XroadVnpt-sign-header", "{}"), ("XroadVnpt-hash-header", "00")]) == "unauthenticated")
    }

    @Test func hashFileInTheSDKsUnpaddedForm() throws {
        // From vxp-wire.md: openssl gives 3388e9f4b6af06cee…, the SDK sends 3388e9f4b6af6cee….
        var digest = [UInt8](repeating: 0, count: 32)
        digest[0...6] = [0x33, 0x88, 0xe9, 0xf4, 0xb6, 0xaf, 0x06]
        #expect(VXPHashFile.sdkForm(digest).hasPrefix("3388e9f4b6af60"))
        #expect(VXPHashFile.paddedForm(digest).hasPrefix("3388e9f4b6af0600"))
        #expect(VXPHashFile.matches(VXPHashFile.sdkForm(digest), digest: digest))
        #expect(VXPHashFile.matches(VXPHashFile.paddedForm(digest), digest: digest))
        #expect(!VXPHashFile.matches(VXPHashFile.sdkForm(digest) + "0", digest: digest))
    }

    @Test func answersAreASCIIWithFixedOrder() {
        let answer = VXPAnswer.success([("data", .array([VXPAnswer.item([("name", "UBND Tỉnh Nghệ An"), ("mail", nil)])]))])
        let text = answer.asciiJSON
        #expect(text.utf8.allSatisfy { $0 < 0x80 })
        #expect(text.hasPrefix(#"{"status":"OK","ErrorCode":"0","ErrorDesc":"Th\u00e0nh c\u00f4ng","data":[{"name":"UBND T\u1ec9nh Ngh\u1ec7 An"}]}"#))
        let decoded = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        #expect(((decoded?["data"] as? [[String: Any]])?.first?["name"] as? String) == "UBND Tỉnh Nghệ An")
        let failure = VXPAnswer.failure(VXPFailure(404, "not-found", "no message x")).asciiJSON
        #expect(failure == #"{"status":"FAILED","ErrorCode":"404","ErrorDesc":"not-found: no message x","DocId":"","data":""}"#)
    }

    @Test func timestampLayout() {
        // 2026-11-21T17:13:13.118Z is 22/11/2026 00:13:13.118 in Vietnam.
        let date = Date(timeIntervalSince1970: 1_795_281_193.118)
        #expect(VXPAuth.timestamp(date) == "22112026T001313+0118")
    }
}

extension Error {
    var failureCode: String? { (self as? VXPFailure).map { $0.code } }
}

import Foundation
import Testing
@testable import TrucXML

@Suite("Hardened XML parsing", .timeLimit(.minutes(30)))
struct HardenedParsingTests {
    func parse(_ text: String, limits: XMLLimits = .default, detach: Set<String> = []) throws(XMLError) -> XMLDocument {
        try XMLDocument.parse(Array(text.utf8), limits: limits, detachTextOf: detach)
    }

    func code(_ text: String, limits: XMLLimits = .default) -> XMLError.Code? {
        do { _ = try parse(text, limits: limits); return nil } catch { return error.code }
    }

    @Test("a plain document parses with namespaces, attributes and line numbers")
    func plain() throws {
        let doc = try parse("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<a xmlns=\"urn:x\" k=\"v\">\n  <p:b xmlns:p=\"urn:y\">Tiếng Việt &amp; co</p:b>\n</a>")
        let root = doc.root
        #expect(root.localName == "a")
        #expect(root.namespaceURI == "urn:x")
        #expect(root.attribute("k") == "v")
        let b = try #require(root.children.first)
        #expect(b.localName == "b" && b.namespaceURI == "urn:y" && b.prefix == "p")
        #expect(b.text == "Tiếng Việt & co")
        #expect(b.line == 3)
        #expect(b.path == "/a/b")
    }

    @Test("an external entity (XXE) is refused and the file is never read")
    func xxe() throws {
        let secret = FileManager.default.temporaryDirectory.appendingPathComponent("truc-xxe-\(UUID()).txt")
        try "TOP-SECRET".write(to: secret, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: secret) }
        let text = "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file://\(secret.path)\">]><r>&x;</r>"
        do {
            let doc = try parse(text)
            Issue.record("parsed: \(doc.root.text)")
        } catch {
            #expect(error.code == .forbiddenDTD)
            #expect(!error.message.contains("TOP-SECRET"))
        }
    }

    @Test("billion laughs is refused quickly")
    func billionLaughs() {
        var dtd = "<!ENTITY lol \"lol\">"
        for i in 1...9 { dtd += "<!ENTITY lol\(i) \"" + String(repeating: "&lol\(i == 1 ? "" : String(i - 1));", count: 10) + "\">" }
        let text = "<?xml version=\"1.0\"?><!DOCTYPE lolz [\(dtd)]><lolz>&lol9;</lolz>"
        let clock = ContinuousClock()
        let elapsed = clock.measure { #expect(code(text) == .forbiddenDTD) }
        #expect(elapsed < .seconds(1))
    }

    @Test("any DOCTYPE is refused, even without entities")
    func doctype() { #expect(code("<!DOCTYPE a SYSTEM \"http://example.invalid/a.dtd\"><a/>") == .forbiddenDTD) }

    @Test("an undeclared entity reference is malformed, not fetched")
    func undeclaredEntity() { #expect(code("<a>&nope;</a>") == .malformed) }

    @Test("truncated XML is malformed, with a line number")
    func truncated() throws {
        do { _ = try parse("<a>\n<b>text</b>\n<c>"); Issue.record("parsed") } catch {
            #expect(error.code == .malformed)
            #expect(error.line != nil)
        }
    }

    @Test("empty and blank inputs", arguments: ["", "   \n\t ", "<?xml version=\"1.0\"?>"])
    func empty(text: String) {
        let c = code(text)
        #expect(c == .empty || c == .malformed)
        if text.allSatisfy(\.isWhitespace) { #expect(c == .empty) }
    }

    @Test("a non-UTF-8 declaration is refused", arguments: ["ISO-8859-1", "windows-1258", "UTF-16"])
    func encoding(name: String) { #expect(code("<?xml version=\"1.0\" encoding=\"\(name)\"?><a/>") == .unsupportedEncoding) }

    @Test("UTF-16 input is refused")
    func utf16() throws {
        var bytes: [UInt8] = [0xFF, 0xFE]
        for u in "<a/>".utf16 { bytes.append(UInt8(u & 0xFF)); bytes.append(UInt8(u >> 8)) }
        #expect(throws: XMLError(.unsupportedEncoding, "")) { try XMLDocument.parse(bytes) }
    }

    @Test("invalid UTF-8 bytes are malformed")
    func invalidUTF8() {
        #expect(throws: XMLError(.malformed, "")) { try XMLDocument.parse(Array("<a>".utf8) + [0xC3, 0x28] + Array("</a>".utf8)) }
    }

    @Test("input over the size limit is refused before parsing")
    func tooLarge() {
        #expect(code("<a>" + String(repeating: "x", count: 2000) + "</a>", limits: XMLLimits(maxBytes: 1000)) == .tooLarge)
    }

    @Test("nesting deeper than the limit is refused")
    func tooDeep() {
        let text = String(repeating: "<a>", count: 100) + String(repeating: "</a>", count: 100)
        #expect(code(text, limits: XMLLimits(maxDepth: 50)) == .tooDeep)
        #expect(code(text, limits: XMLLimits(maxDepth: 100)) == nil)
        #expect(code(text, limits: XMLLimits(maxDepth: 99)) == .tooDeep)
    }

    @Test("more elements than the limit are refused")
    func tooMany() {
        let text = "<r>" + String(repeating: "<e/>", count: 500) + "</r>"
        #expect(code(text, limits: XMLLimits(maxElements: 100)) == .tooManyElements)
    }

    @Test("a 30 MB text node parses, and detached text is zero-copy and exact")
    func largeDetachedText() throws {
        let payload = String(repeating: "QUJDRA==", count: 30 << 17) // 30 MiB
        let text = "<r><big>\(payload)</big><small>x</small></r>"
        let doc = try parse(text, limits: XMLLimits(maxBytes: 64 << 20), detach: ["big"])
        let big = try #require(doc.root.children.first)
        #expect(big.hasDetachedText)
        #expect(big.textByteCount == payload.utf8.count)
        var collected = 0, chunks = 0, sample: [UInt8] = []
        big.withDetachedText { chunk in
            collected += chunk.count; chunks += 1
            if sample.isEmpty { sample = Array(chunk.prefix(8)) }
        }
        #expect(collected == payload.utf8.count)
        #expect(sample == Array("QUJDRA==".utf8))
        #expect(doc.root.children[1].text == "x")
        // zero-copy: every segment is a range of the source
        for text in doc.detached.values {
            for segment in text.segments { if case .owned = segment { Issue.record("a detached chunk was copied") } }
        }
    }

    @Test("detached text keeps end-of-line normalisation")
    func detachedNewlines() throws {
        let doc = try parse("<r><big>AAAA\r\nBBBB\nCC&#x43;C</big></r>", detach: ["big"])
        #expect(doc.root.children[0].text == "AAAA\nBBBB\nCCCC")
    }

    @Test("the same 30 MB text node parses without detaching")
    func largeAttachedText() throws {
        let payload = String(repeating: "A", count: 30 << 20)
        let doc = try parse("<r>\(payload)</r>")
        #expect(doc.root.textByteCount == payload.utf8.count)
    }
}

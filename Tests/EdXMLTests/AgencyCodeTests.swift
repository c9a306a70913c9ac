import Testing
@testable import EdXML
@testable import TrucVocabulary

@Suite("Agency codes (mã định danh)", .timeLimit(.minutes(30)))
struct AgencyCodeTests {
    @Test func governmentOffice() throws {
        let c = try AgencyCode("000.00.00.G22")
        #expect(c.layout == .qcvn102)
        #expect(c.level1 == "G22" && c.groupLetter == "G")
        #expect(c.level == 1 && c.parent == nil)
        #expect(c.groupName == "ministries and government agencies")
    }

    @Test("QCVN 102 levels and parents, read right to left")
    func hierarchy() throws {
        let commune = try AgencyCode("000.46.24.H44")
        #expect(commune.level == 3)
        #expect(commune.parent?.raw == "000.00.24.H44")
        #expect(commune.parent?.level == 2)
        #expect(commune.parent?.parent?.raw == "000.00.00.H44")
        #expect(commune.parent?.parent?.parent == nil)
        let level4 = try AgencyCode("001.02.10.H47")
        #expect(level4.level == 4 && level4.parent?.raw == "000.02.10.H47")
        #expect(try AgencyCode("000.00.00.H41").groupNameVietnamese == "Ủy ban nhân dân tỉnh, thành phố")
        #expect(try AgencyCode("000.00.00.K54").groupLetter == "K")
    }

    @Test("short QCVN 102 forms seen in real traffic")
    func shortForms() throws {
        let c = try AgencyCode("28.22.H17")
        #expect(c.layout == .qcvn102 && c.level == 3 && c.level1 == "H17")
        #expect(c.parent?.raw == "00.22.H17")
        let hub = try AgencyCode("00.53.W00")
        #expect(hub.groupLetter == "W" && hub.level == 2 && hub.groupName == "systems and hubs")
    }

    @Test("QĐ 20/2020 layout, left to right")
    func qd20() throws {
        let c = try AgencyCode("H37.DN.001")
        #expect(c.layout == .qd20)
        #expect(c.level1 == "H37" && c.level == 3)
        #expect(c.parent?.raw == "H37.DN")
        #expect(c.parent?.parent?.raw == "H37")
        #expect(c.parent?.parent?.parent == nil)
    }

    @Test("malformed codes are rejected with a reason", arguments: [
        ("", "empty"), ("000.00.00.g22", "not allowed"), ("000.0.00.G22", "2 digits"), ("777.77.0x.D77", "not allowed"),
        ("000.00.00.G2", "level-1"), ("0000.00.00.G22", "3 digits"), ("000..00.G22", "empty"), ("ABC", "level-1"),
        ("00.00.00.00.G22", "at most 4"), (String(repeating: "H37.", count: 9) + "001", "35"), ("000.00.00.G22 ", "not allowed"),
    ])
    func malformed(text: String, reason: String) {
        do {
            let code = try AgencyCode(text)
            Issue.record("accepted \(code)")
        } catch {
            #expect(error.description.contains(reason), "\(error)")
            #expect(error.description.contains("is not a valid agency code"))
        }
    }
}

@Suite("Dates and timestamps", .timeLimit(.minutes(30)))
struct DateTests {
    @Test func bothLayouts() {
        #expect(EdDate(raw: "2015/09/30") == EdDate(year: 2015, month: 9, day: 30))
        #expect(EdDate(raw: "30/09/2015") == EdDate(year: 2015, month: 9, day: 30))
        #expect(EdDate(raw: "30/09/2015").canonical == "2015/09/30")
        #expect(EdDate(raw: "2015/9/3").iso == "2015-09-03")
    }

    @Test("impossible or other layouts are not dates", arguments: ["2014/02/30", "2015-09-30", "30.09.2015", "", "2015/13/01", "yesterday", "2015/09/30 10:00:00"])
    func invalid(text: String) { #expect(!EdDate(raw: text).isValid) }

    @Test func leapDay() {
        #expect(EdDate(raw: "2024/02/29").isValid)
        #expect(!EdDate(raw: "2023/02/29").isValid)
        #expect(!EdDate(raw: "1900/02/29").isValid)
    }

    @Test func timestamps() {
        let t = EdTimestamp(raw: "2015/09/20 11:08:36")
        #expect(t.isValid && t.hour == 11 && t.iso == "2015-09-20T11:08:36+07:00")
        #expect(!EdTimestamp(raw: "2015/09/20").isValid)
        #expect(!EdTimestamp(raw: "2015/09/20 25:00:00").isValid)
        #expect(EdTimestamp(epochSeconds: 0).canonical == "1970/01/01 07:00:00")
        #expect(EdTimestamp(epochSeconds: 1_763_769_600).canonical == "2025/11/22 07:00:00")
    }
}

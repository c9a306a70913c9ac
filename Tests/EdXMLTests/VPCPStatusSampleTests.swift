import Testing
@testable import EdXML

@Suite("VPCP status samples", .timeLimit(.minutes(30)))
struct VPCPStatusSampleTests {
    static let expectedCodes: [String: String] = [
        "status.edxml": "01", "status_inbox_01.edxml": "01", "status_rejection_02.edxml": "02", "status_acceptance_03.edxml": "03",
        "status_assignment_04.edxml": "04", "status_processing_05.edxml": "05", "edoc-integrator_edoc-service_status_processing_05.edxml": "05",
        "status_finish_06.edxml": "06", "status_cancellation_13.edxml": "13", "status_change-acceptance_15.edxml": "15",
        "status_change-rejection_16.edxml": "16",
    ]

    @Test("every status sample reads with its code, direction and no error finding", arguments: Fixtures.vpcpStatuses)
    func sample(name: String) throws {
        let (parsed, s) = try Fixtures.status(name)
        #expect(parsed.message.messageType == "status")
        #expect(s.headerElementName == "MessageHeader")
        #expect(s.statusCode?.rawValue == Self.expectedCodes[name])
        #expect(s.statusCode?.isKnown == true)
        let errors = parsed.validate().filter { $0.severity == .error }
        #expect(errors.isEmpty, "\(errors)")
        #expect(s.responseFor?.documentId == "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT")
        #expect(s.responseFor?.code == "7816/VPCP-TTĐT")
        let promulgated = name == "status.edxml" ? EdDate(year: 2018, month: 9, day: 28) : EdDate(year: 2015, month: 9, day: 30)
        #expect(s.responseFor?.promulgationDate == promulgated)
        if name == "status_cancellation_13.edxml" {
            // 13 goes from the original sender to the recipient.
            #expect(s.from?.organId == "000.00.00.G22" && s.addressee == "000.00.00.H41")
            #expect(s.statusCode?.travelsToRecipient == true)
        } else {
            #expect(s.from?.organId == "000.00.00.H41" && s.addressee == "000.00.00.G22")
            #expect(s.from?.organName == "UBND Tỉnh Nghệ An")
        }
    }

    @Test func acceptance03Details() throws {
        let (_, s) = try Fixtures.status("status_acceptance_03.edxml")
        #expect(s.description == "Văn thư cơ - Phòng Văn thư - Lưu trữ: Tiếp nhận văn bản điện tử, vào sổ văn bản đến của đơn vị")
        #expect(s.timestamp == EdTimestamp(year: 2015, month: 9, day: 20, hour: 11, minute: 8, second: 36))
        #expect(s.staffInfo == StaffInfo(department: "Phong hanh chinh", staff: "Nguyen thi ngoc tram", email: "ngoctram@nghean.vn", mobile: "84912000001"))
        #expect(s.from?.organAdd == "Số 03, đường Trường Thi, Thành phố Vinh, Tỉnh Nghệ An, Việt Nam")
    }

    @Test("status.edxml: ResponseFor children in another order, a 2018 timestamp")
    func statusVariant() throws {
        let (_, s) = try Fixtures.status("status.edxml")
        #expect(s.timestamp?.canonical == "2018/09/28 17:25:11")
        #expect(s.staffInfo?.staff == "Nguyễn Thị Ngọc Trâm")
    }
}

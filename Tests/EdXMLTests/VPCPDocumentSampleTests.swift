import Testing
@testable import EdXML

/// Every document sample of the national hub reads with its real values and no error finding.
@Suite("VPCP document samples", .timeLimit(.minutes(30)))
struct VPCPDocumentSampleTests {
    @Test("every document sample is valid and its attachment decodes", arguments: Fixtures.vpcpDocuments)
    func validAndDecodes(name: String) throws {
        let (parsed, doc) = try Fixtures.document(name)
        let errors = parsed.validate().filter { $0.severity == .error }
        #expect(errors.isEmpty, "\(errors)")
        #expect(doc.manifest.count == 1 && doc.attachments.count == 1)
        #expect(doc.manifest[0].contentId == "cid:209" && doc.attachments[0].contentId == "cid:209")
        #expect(doc.attachments[0].attachmentName == "1896_QD-TTg_m_294779.doc")
        // The placeholder Signature is in the edXML namespace: noted, not a signature.
        #expect(doc.signatures.count == 1 && doc.signatures[0].isXMLDSig == false)
        #expect(doc.signatures[0].signatureMethod == "http://www.w3.org/2000/09/xmldsig#rsa-sha1")
        let (decoded, findings) = parsed.decodeAttachments()
        #expect(findings.filter { $0.severity == .error }.isEmpty, "\(findings)")
        let a = try #require(decoded.first)
        #expect(a.sniffedType == "application/zip")
        #expect(a.entries?.count == 1)
        #expect(a.entries?.first?.name.hasSuffix(".edxml") == true)
        #expect(a.entries?.first?.sniffedType == "application/xml")
    }

    @Test func edocNew() throws {
        let (parsed, d) = try Fixtures.document("edoc_new.edxml")
        let h = d.header
        #expect(parsed.message.messageType == "edoc")
        #expect(h.from?.organId == "000.00.00.A80")
        #expect(h.from?.organName == "UBND xã Hòa Tiến - UBND huyện Hòa Vang - Thành phố Đà Nẵng")
        #expect(h.to.map(\.organId) == ["28.22.H17"])
        #expect(h.documentId == "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT")
        #expect(h.code == DocumentCode(codeNumber: "74fass22", codeNotation: "VPCP-TTĐT"))
        #expect(h.promulgationInfo?.place == "Hà Nội")
        #expect(h.promulgationInfo?.promulgationDate == EdDate(year: 2019, month: 1, day: 16))
        #expect(h.documentType == DocumentType(type: "1", typeDetail: "0", typeName: "Công văn"))
        #expect(h.subject == "V/v kết nối, liên thông phần mềm quản lý văn bản")
        #expect(h.signerInfo == SignerInfo(competence: "TL. BO TRUONG", position: "Cuc truong cuc ung dung cong nghe thong tin", fullName: "Nguyen Thanh Phuc"))
        #expect(h.dueDate == EdDate(year: 2018, month: 9, day: 28))
        #expect(h.otherInfo?.priority == "0" && h.otherInfo?.pageAmount == "22" && h.otherInfo?.promulgationAmount == "2")
        #expect(h.otherInfo?.direction == "false")
        #expect(h.otherInfo?.appendixes == ["Công văn về việc kết nối, liên thông phần mềm quản lý văn bản"])
        #expect(h.steeringType == "1")
        #expect(h.toPlaces == ["Cac bo va co quan ngang bo", "Uy ban nhan dan cac tinh, TP"])
        #expect(d.traceHeaders == [TraceHeader(organId: "000.00.00.G22", timestamp: EdTimestamp(year: 2018, month: 9, day: 28, hour: 0, minute: 0, second: 0))])
        #expect(d.business?.docType == .new)
        #expect(d.business?.documentId == "000.00.00.G22,2014/02/30,7806/VPCP-TTĐT")
        #expect(d.business?.reason == "Văn bản điện tử mới")
        #expect(d.business?.staffInfo?.staff == "Nguyễn Thị Ngọc Trâm")
        #expect(d.business?.staffInfo?.email == "vanthuvanphong@gov.vn")
        let (decoded, _) = parsed.decodeAttachments()
        #expect(decoded.first?.sha256 == "7ab7c43a02a3cf2cedd14ebf2545a37e7a1307e0091b4ba94c2ef1e842a763aa")
        #expect(decoded.first?.size == 270_823)
        #expect(decoded.first?.entries?.first?.name == "32da2890-1a55-4ccd-9ac9-cd0d98559e67.edxml")
        #expect(decoded.first?.entries?.first?.size == 388_347)
    }

    @Test func edocUpdate() throws {
        let (parsed, d) = try Fixtures.document("edoc_update.edxml")
        #expect(d.header.from?.organId == "000.00.00.G22")
        #expect(d.header.to.map(\.organId) == ["000.00.00.H41", "000.00.00.H14", "000.00.00.G17"])
        #expect(d.business?.docType == .update)
        #expect(d.business?.reason == "Cập nhật văn bản điện tử")
        #expect(d.business?.documentInfo?.documentInfo == "1")
        #expect(d.business?.documentInfo?.documentReceiver == "1")
        #expect(d.business?.documentInfo?.receivers == [Receiver(organId: "000.00.00.H41", receiverType: "0"),
                                                         Receiver(organId: "000.00.00.H14", receiverType: "1")])
        #expect(parsed.decodeAttachments().0.first?.sha256 == "51653b9613f7f0275b43f80704033299740c702f354f44a06f55770cfbb0b135")
    }

    @Test func edocReplacement() throws {
        let (_, d) = try Fixtures.document("edoc_replacement.edxml")
        #expect(d.business?.docType == .replace)
        #expect(d.business?.reason == "Văn bản thay thế")
        let list = try #require(d.business?.replacementInfoList)
        #expect(list.count == 2)
        #expect(list[1] == ReplacementInfo(documentId: "000.00.00.G22,2014/01/30,7806/VPCP-TTĐT", organIds: ["000.00.00.H41", "000.00.00.H14"]))
    }

    @Test func edocRevocation() throws {
        let (_, d) = try Fixtures.document("edoc_revocation.edxml")
        #expect(d.business?.docType == .revoke)
        #expect(d.business?.reason == "Thu hồi văn bản điện tử")
        #expect(d.header.responseFor == [ResponseFor(organId: "000.00.00.H14", code: "267/VPCP-TTĐT",
                                                     promulgationDate: EdDate(year: 2018, month: 9, day: 28),
                                                     documentId: "000.00.04.G14,2012/08/06,267/VPCP-TTĐT")])
    }

    @Test("TraceHeader after Bussiness: order is free")
    func variant() throws {
        let (parsed, d) = try Fixtures.document("edoc_new_variant_dc0bdef0.edxml")
        #expect(d.header.from?.organName == "Văn phòng Chính phủ")
        #expect(d.header.promulgationInfo?.promulgationDate == EdDate(year: 2019, month: 4, day: 11))
        #expect(d.traceHeaders.first?.organId == "000.00.00.G22")
        #expect(d.traceHeaders.first?.timestamp?.canonical == "2019/04/11 00:00:00")
        #expect(d.business?.docType == .new)
        let a = try #require(parsed.decodeAttachments().0.first)
        #expect(a.sha256 == "913d275321151c3408eda5544d2f15c5919666636d57701bd57852f1b34a7c6d")
        #expect(a.entries?.first?.size == 8381)
    }

    @Test("Bkav sample: dd/MM/yyyy date, empty DueDate and SignerInfo children")
    func bkavNew() throws {
        let (parsed, d) = try Fixtures.document("edoc-integrator_edoc-service_edoc_new.edxml")
        #expect(d.header.from?.organId == "000.00.11.H53")
        #expect(d.header.to.map(\.organId) == ["000.00.01.A53"])
        #expect(d.header.documentId == "000.00.11.H53,2020/10/30,2491/STC-BCTC")
        #expect(d.header.subject == "Báo cáo tài chính tỉnh")
        #expect(d.header.promulgationInfo?.promulgationDate?.raw == "30/10/2020")
        #expect(d.header.promulgationInfo?.promulgationDate == EdDate(year: 2020, month: 10, day: 30))
        #expect(d.header.dueDate == nil)
        #expect(d.header.signerInfo?.competence == nil)
        #expect(parsed.validate().filter { $0.code == .invalidDate }.isEmpty)
    }

    @Test func bkavUpdate() throws {
        let (_, d) = try Fixtures.document("edoc-integrator_edoc-webapp_edoc_update.edxml")
        #expect(d.header.to.map(\.organId) == ["000.00.00.H53", "000.00.12.H53", "000.00.00.G17"])
        #expect(d.business?.docType == .update)
    }

    @Test("edoc.edxml is the negative sample: not well-formed")
    func negativeSample() throws {
        #expect(throws: EdXMLError(code: "malformed-xml", message: "")) { try Fixtures.read("edoc.edxml") }
        do { _ = try EdXMLReader.read(Fixtures.sample("edoc.edxml")) } catch let error as EdXMLError {
            #expect(error.code == "malformed-xml")
            #expect(error.line != nil)
        }
    }
}

/// The agencies a test hub starts with: the demo PKI's three (with their organisation certificates' `MST:`
/// identifiers) and the fixtures' other recipients, H14 and G17.
package enum DemoDirectory {
    package static let agencies: [(code: String, name: String, identifier: String?)] = [
        ("000.00.00.G22", "Văn phòng Chính phủ", "MST:0100100001"), ("000.00.00.H41", "UBND Tỉnh Nghệ An", "MST:2900100002"),
        ("000.00.12.H41", "Sở Thông tin và Truyền thông Nghệ An", "MST:2900100003"),
        ("000.00.00.H14", "UBND Tỉnh Cao Bằng", nil), ("000.00.00.G17", "Bộ Thông tin và Truyền thông", nil),
    ]
}

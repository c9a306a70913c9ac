/// Namespace URIs edXML messages use.
package enum EdXMLNamespace {
    /// QCVN 102:2016 (also used unchanged after Amendment 1:2022).
    package static let edxml = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
    /// W3C XML Signature.
    package static let xmldsig = "http://www.w3.org/2000/09/xmldsig#"
    package static let xlink = "http://www.w3.org/1999/xlink"
}

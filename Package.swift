// swift-tools-version:6.0
import PackageDescription

// Layering (see README "Code layout"):
//   C*            system-library targets (module map + shim.h), imported only by the wrapper targets
//   TrucXML       the only Swift code that touches libxml2
//   TrucCrypto    the only Swift code that touches OpenSSL
//   TrucSQLite    the only Swift code that touches SQLite
//   TrucZlib      zlib's CRC-32 (ZIP entry checks)
//   EdXML         edXML model, reader, writer, validation, agency codes, attachments (no C)
//   TrucSignatures  XMLDSig and PDF (CMS) signature verification, verdicts, classification
//   TrucCLI       ArgumentParser commands; `truc` is a thin main around it
let package = Package(
    name: "Truc",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "truc", targets: ["truc"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
    ],
    targets: [
        // pkg-config -D flags are dropped by SwiftPM; each shim.h carries what it needs.
        .systemLibrary(name: "CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"]), .brew(["libxml2"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"]), .brew(["openssl@3"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"]), .brew(["sqlite"])]),
        .systemLibrary(name: "CLibZ", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]),

        .target(name: "TrucXML", dependencies: ["CLibXML2"]),
        .target(name: "TrucCrypto", dependencies: ["COpenSSL"]),
        .target(name: "TrucSQLite", dependencies: ["CSQLite"]),
        .target(name: "TrucZlib", dependencies: ["CLibZ"]),
        .target(
            name: "EdXML",
            dependencies: ["TrucXML", "TrucCrypto", "TrucZlib", .product(name: "ZIPFoundation", package: "ZIPFoundation")],
            resources: [.embedInCode("Schemas/edxml-document.xsd"), .embedInCode("Schemas/edxml-status.xsd")]
        ),
        .target(name: "TrucSignatures", dependencies: ["EdXML", "TrucXML", "TrucCrypto", .product(name: "SwiftASN1", package: "swift-asn1")]),
        .target(
            name: "TrucCLI",
            dependencies: ["EdXML", "TrucCrypto", "TrucSignatures", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                           .product(name: "ZIPFoundation", package: "ZIPFoundation")]
        ),
        .executableTarget(name: "truc", dependencies: ["TrucCLI"]),

        .testTarget(name: "TrucXMLTests", dependencies: ["TrucXML"]),
        .testTarget(name: "TrucCryptoTests", dependencies: ["TrucCrypto"]),
        .testTarget(name: "TrucSQLiteTests", dependencies: ["TrucSQLite", "TrucZlib"]),
        .testTarget(name: "EdXMLTests", dependencies: ["EdXML", "TrucCrypto"]),
        .testTarget(name: "TrucSignaturesTests", dependencies: ["TrucSignatures", "EdXML", "TrucCrypto"]),
        .testTarget(name: "TrucCLITests", dependencies: ["TrucCLI", "EdXML"]),
    ]
)

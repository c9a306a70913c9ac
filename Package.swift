// swift-tools-version:6.1
import PackageDescription

// Layering (see README "Code layout"):
//   C*            system-library targets (module map + shim.h), imported only by the wrapper targets
//   TrucXML       the only Swift code that touches libxml2
//   TrucCrypto    the only Swift code that touches OpenSSL
//   TrucSQLite    the only Swift code that touches SQLite
//   TrucZlib      zlib: CRC-32, and a bounds-checked ZIP reader (inflate always ends) and a small ZIP writer
//   EdXML         edXML model, reader, writer, validation, agency codes, attachments (no C)
//   TrucSignatures  XMLDSig and PDF (CMS) signature verification, verdicts, classification
//   TrucRevocation  OCSP and CRL fetching with caches (the network revocation source of TrucSignatures)
//   TrucCore      hub domain logic without I/O: agencies, routing, delivery states, retry policy
//   TrucVXP       the national SDK's dialect without I/O: HMAC header auth, hash-file, answer JSON
//   TrucVocabulary  words every layer shares: agency codes, calendar days (no dependency)
//   TrucConcurrency deadlines on calls, wake-up flags (no dependency)
//   TrucStore     the store's contract: protocols by role, records, errors (no C, no engine)
//   TrucSQLiteStore the SQLite implementation of the contract (one node, the default)
//   TrucPostgres  the PostgreSQL implementation of the store protocols (several nodes), on postgres-nio
//   TrucServer    Hummingbird HTTPS server: auth, intake, inbox, admin, stats, dashboard, VXP dialect; delivery engine; buildHub
//   TrucCLI       ArgumentParser commands; `truc` is a thin main around it
// The package enforces its layering (as Hummingbird does): a module's imports are internal unless declared
// `public import` (a C module or a store implementation cannot leak through a public API), existentials are
// spelt `any P`, and a member is visible only where its module is imported.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "Truc",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "truc", targets: ["truc"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0", traits: [.defaults, "YAML"]),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
    ],
    targets: [
        // pkg-config -D flags are dropped by SwiftPM; each shim.h carries what it needs.
        .systemLibrary(name: "CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"]), .brew(["libxml2"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"]), .brew(["openssl@3"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"]), .brew(["sqlite"])]),
        .systemLibrary(name: "CLibZ", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]),

        .target(name: "TrucXML", dependencies: ["CLibXML2"], swiftSettings: strictSettings),
        .target(name: "TrucCrypto", dependencies: ["COpenSSL"], swiftSettings: strictSettings),
        .target(name: "TrucSQLite", dependencies: ["CSQLite", "CThreadSched"], swiftSettings: strictSettings),
        .target(name: "TrucZlib", dependencies: ["CLibZ"], swiftSettings: strictSettings),
        // The words every layer shares (agency codes, calendar days): no dependency at all.
        .target(name: "TrucVocabulary", swiftSettings: strictSettings),
        .target(
            name: "EdXML",
            dependencies: ["TrucVocabulary", "TrucConcurrency", "TrucXML", "TrucCrypto", "TrucZlib"],
            resources: [.embedInCode("Schemas/edxml-document.xsd"), .embedInCode("Schemas/edxml-status.xsd")], swiftSettings: strictSettings
        ),
        .target(name: "TrucSignatures", dependencies: ["TrucVocabulary", "TrucConcurrency", "EdXML", "TrucCore", "TrucXML", "TrucCrypto", "TrucZlib", .product(name: "SwiftASN1", package: "swift-asn1")], swiftSettings: strictSettings),
        .target(
            name: "TrucRevocation",
            dependencies: ["TrucCrypto", "TrucSignatures", .product(name: "AsyncHTTPClient", package: "async-http-client"),
                           .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
                           .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                           .product(name: "Logging", package: "swift-log")], swiftSettings: strictSettings
        ),
        .target(name: "TrucCore", dependencies: ["TrucVocabulary"], swiftSettings: strictSettings),
        // The evidence log's Merkle tree (RFC 9162): pure hashing, proofs and their verification.
        .target(name: "TrucLog", dependencies: ["TrucCrypto"], swiftSettings: strictSettings),
        .target(name: "TrucVXP", dependencies: ["TrucCrypto"], swiftSettings: strictSettings),
        // Concurrency primitives the stores and the server share (a deadline on a call, a wake-up flag): no dependency.
        .target(name: "TrucConcurrency", swiftSettings: strictSettings),
        // The store's contract: the role protocols, their records and errors. No C library, no engine.
        .target(name: "TrucStore", dependencies: ["TrucVocabulary", "TrucCore", "TrucConcurrency"], swiftSettings: strictSettings),
        // The SQLite implementation of the contract (one node): the default store.
        .target(name: "TrucSQLiteStore", dependencies: ["TrucStore", "TrucVocabulary", "TrucCore", "TrucConcurrency", "TrucSQLite", "TrucCrypto", "TrucLog"],
                swiftSettings: strictSettings),
        .target(name: "TrucMemoryStore", dependencies: ["TrucVocabulary", "TrucStore", "TrucConcurrency", "TrucCore", "TrucCrypto", "TrucLog"],
                swiftSettings: strictSettings),
        .target(name: "TrucPostgres", dependencies: ["TrucVocabulary", "TrucStore", "TrucConcurrency", "TrucCore", "TrucCrypto", "TrucLog", .product(name: "PostgresNIO", package: "postgres-nio"),
                                                      .product(name: "Logging", package: "swift-log"), .product(name: "NIOCore", package: "swift-nio"),
                                                      .product(name: "NIOConcurrencyHelpers", package: "swift-nio")], swiftSettings: strictSettings),
        .target(
            name: "TrucServer",
            dependencies: [
                "TrucVocabulary", "TrucCore", "TrucStore", "TrucSQLiteStore", "TrucConcurrency", "TrucSignatures", "TrucRevocation", "EdXML", "TrucCrypto", "TrucVXP", "TrucLog", "TrucZlib", "CThreadSched",
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ], swiftSettings: strictSettings
        ),
        .target(
            name: "TrucCLI",
            dependencies: ["TrucVocabulary", "TrucConcurrency", "EdXML", "TrucCrypto", "TrucSignatures", "TrucRevocation", "TrucServer", "TrucStore", "TrucSQLiteStore", "TrucPostgres", "TrucCore", "TrucSQLite", "TrucLog",
                           .product(name: "AsyncHTTPClient", package: "async-http-client"),
                           .product(name: "NIOSSL", package: "swift-nio-ssl"), .product(name: "ArgumentParser", package: "swift-argument-parser"),
                           .product(name: "NIOPosix", package: "swift-nio"), .product(name: "NIOCore", package: "swift-nio"), "TrucZlib",
                           .product(name: "Configuration", package: "swift-configuration"), .product(name: "Yams", package: "Yams")], swiftSettings: strictSettings
        ),
        .executableTarget(name: "truc", dependencies: ["TrucCLI"], swiftSettings: strictSettings),

        // Fuzzing: the parsers a caller's bytes reach, as targets (TrucFuzzing), and the libFuzzer entry point
        // (truc-fuzz: an empty program unless built by scripts/fuzz.sh with -sanitize=fuzzer,address).
        .target(name: "TrucFuzzing", dependencies: ["TrucVocabulary", "EdXML", "TrucCore", "TrucCrypto", "TrucSignatures", "TrucVXP", "TrucZlib"], swiftSettings: strictSettings),
        .systemLibrary(name: "CFuzzDriver"),
        .systemLibrary(name: "CThreadSched"),
        .executableTarget(name: "truc-fuzz", dependencies: ["TrucFuzzing", "CFuzzDriver"], swiftSettings: strictSettings),

        // Runs the programs tests drive, with time limits (no product: used by the test targets only).
        .target(name: "TrucTestSupport", dependencies: ["TrucConcurrency", .product(name: "Subprocess", package: "swift-subprocess"),
                                                  .product(name: "SystemPackage", package: "swift-system")], path: "Tests/TrucTestSupport", swiftSettings: strictSettings),
        .testTarget(name: "TrucXMLTests", dependencies: ["TrucXML"], swiftSettings: strictSettings),
        .testTarget(name: "TrucCryptoTests", dependencies: ["TrucCrypto"], swiftSettings: strictSettings),
        .testTarget(name: "TrucLogTests", dependencies: ["TrucLog", "TrucCrypto", "TrucTestSupport"], swiftSettings: strictSettings),
        .testTarget(name: "TrucSQLiteTests", dependencies: ["TrucSQLite", "TrucZlib"], swiftSettings: strictSettings),
        .testTarget(name: "EdXMLTests", dependencies: ["TrucVocabulary", "EdXML", "TrucCrypto", "TrucZlib"], swiftSettings: strictSettings),
        .testTarget(name: "TrucSignaturesTests", dependencies: ["TrucSignatures", "EdXML", "TrucCrypto", "TrucTestSupport"], swiftSettings: strictSettings),
        .testTarget(name: "TrucCLITests", dependencies: ["TrucVocabulary", "TrucCLI", "TrucCore", "TrucXML", "EdXML", "TrucSignatures", "TrucTestSupport"], swiftSettings: strictSettings),
        .testTarget(name: "TrucCoreTests", dependencies: ["TrucCore", "TrucVocabulary"], swiftSettings: strictSettings),
        .testTarget(name: "TrucConcurrencyTests", dependencies: ["TrucConcurrency"], swiftSettings: strictSettings),
        .testTarget(name: "TrucSQLiteStoreTests", dependencies: ["TrucSQLiteStore", "TrucStore", "TrucCore", "TrucTestSupport"], swiftSettings: strictSettings),
        // The same behaviour, store by store: SQLite and a real PostgreSQL (a throwaway cluster, see PostgresCluster).
        .testTarget(name: "TrucStoreConformanceTests", dependencies: ["TrucVocabulary", "TrucConcurrency", "TrucStore", "TrucSQLiteStore", "TrucMemoryStore", "TrucPostgres", "TrucCore", "TrucTestSupport",
                                                                  .product(name: "Logging", package: "swift-log")], swiftSettings: strictSettings),
        .testTarget(name: "TrucVXPTests", dependencies: ["TrucVXP", "TrucCrypto"], swiftSettings: strictSettings),
        .testTarget(name: "TrucFuzzingTests", dependencies: ["TrucFuzzing", "TrucTestSupport"], path: "Tests/Fuzz", exclude: ["corpus", "crashers"], swiftSettings: strictSettings),
        // The fast tier: the hub's router in process (HummingbirdTesting), no TLS, no socket, no process.
        .testTarget(
            name: "TrucHandlerTests",
            dependencies: ["TrucServer", "TrucStore", "TrucMemoryStore", "TrucCore", "TrucCrypto", "TrucSignatures", "TrucTestSupport",
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "HummingbirdTesting", package: "hummingbird"),
                           .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "Logging", package: "swift-log")], swiftSettings: strictSettings
        ),
        .testTarget(
            name: "TrucServerTests",
            dependencies: ["TrucVocabulary", "TrucConcurrency", "TrucServer", "TrucStore", "TrucSQLiteStore", "TrucCore", "TrucSignatures", "TrucCrypto", "TrucLog", "TrucVXP", "EdXML", "TrucTestSupport",
                           .product(name: "AsyncHTTPClient", package: "async-http-client"),
                           .product(name: "NIOSSL", package: "swift-nio-ssl"),
                           .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOHTTP1", package: "swift-nio"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                           .product(name: "Logging", package: "swift-log")], swiftSettings: strictSettings
        ),
    ]
)

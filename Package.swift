// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "cairn",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "cairn", targets: ["cairn"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // C libraries, wrapped as system library targets (module maps only).
        .systemLibrary(name: "CLMDB", pkgConfig: "lmdb", providers: [.apt(["liblmdb-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // Header-only CPU feature helpers (CRC32C with SSE4.2, chosen at run time).
        .systemLibrary(name: "CCairnAccel"),

        // Values and pure algorithms: digests, hex/base64, checksums, chunker, zstd, time and duration codecs.
        .target(name: "CairnCore", dependencies: ["CCrypto", "CZstd", "CCairnAccel"], swiftSettings: swiftSettings),
        // What the server and the client both speak: SigV4, aws-chunked, the native API's wire formats.
        .target(name: "CairnProtocol", dependencies: ["CairnCore"], swiftSettings: swiftSettings),
        // The engine: LMDB index, pack files, buckets/objects/uploads, dedupe, registry, maintenance.
        .target(name: "CairnStore", dependencies: [
            "CairnCore", "CairnProtocol", "CLMDB",
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: swiftSettings),
        // What every HTTP API shares: server wiring, dispatch, authentication and key roles, payload decoding,
        // ranges and streamed blob bodies, error values.
        .target(name: "CairnHTTP", dependencies: [
            "CairnCore", "CairnProtocol", "CairnStore",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTLS", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: swiftSettings),
        // The S3 API: the operation router, handlers per operation family, S3 error XML.
        .target(name: "CairnS3", dependencies: [
            "CairnCore", "CairnProtocol", "CairnStore", "CairnHTTP",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: swiftSettings),
        // The JSON APIs under /api/v1/: dedupe, blobs, registry, lineage, admin; the OpenAPI document.
        .target(name: "CairnAPI", dependencies: [
            "CairnCore", "CairnProtocol", "CairnStore", "CairnHTTP",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Logging", package: "swift-log"),
        ], resources: [.embedInCode("openapi.json")], swiftSettings: swiftSettings),
        // The client side of the native API: dedupe push/pull, local chunk cache, configuration.
        .target(name: "CairnClient", dependencies: [
            "CairnCore", "CairnProtocol",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Yams", package: "Yams"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ], swiftSettings: swiftSettings),
        // The executable: `cairn serve` and the other commands.
        .executableTarget(name: "cairn", dependencies: [
            "CairnCore", "CairnProtocol", "CairnStore", "CairnHTTP", "CairnS3", "CairnAPI", "CairnClient",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
        ], swiftSettings: swiftSettings),

        .testTarget(name: "CairnCoreTests", dependencies: ["CairnCore"], swiftSettings: swiftSettings),
        .testTarget(name: "CairnProtocolTests", dependencies: ["CairnProtocol", "CairnCore"], swiftSettings: swiftSettings),
        .testTarget(name: "CairnStoreTests", dependencies: ["CairnStore", "CairnProtocol", "CairnCore"], swiftSettings: swiftSettings),
        .testTarget(name: "CairnHTTPTests", dependencies: [
            "CairnHTTP",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
        ], swiftSettings: swiftSettings),
        .testTarget(name: "CairnS3Tests", dependencies: ["CairnS3", "CairnHTTP", "CairnCore"], swiftSettings: swiftSettings),
        .testTarget(name: "CairnAPITests", dependencies: [
            "CairnAPI", "CairnHTTP", "CairnStore", "CairnProtocol", "CairnCore",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: swiftSettings),
        .testTarget(name: "CairnClientTests", dependencies: ["CairnClient", "CairnProtocol", "CairnCore"], swiftSettings: swiftSettings),
    ]
)

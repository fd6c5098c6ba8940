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
    ],
    targets: [
        // C libraries, wrapped as system library targets (module maps only).
        .systemLibrary(name: "CLMDB", pkgConfig: "lmdb", providers: [.apt(["liblmdb-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // Header-only CPU feature helpers (CRC32C with SSE4.2, chosen at run time).
        .systemLibrary(name: "CCairnAccel"),

        // Values and pure algorithms: digests, checksums, chunker, SigV4, aws-chunked, XML, zstd.
        .target(name: "CairnCore", dependencies: ["CCrypto", "CZstd", "CCairnAccel"], swiftSettings: swiftSettings),
        // The engine: LMDB index, pack files, buckets/objects/uploads.
        .target(name: "CairnStore", dependencies: [
            "CairnCore", "CLMDB",
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: swiftSettings),
        // The S3 protocol over HTTP.
        .target(name: "CairnS3", dependencies: [
            "CairnCore", "CairnStore",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTLS", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: swiftSettings),
        // The client side of the native API: dedupe push/pull, local chunk cache, configuration.
        .target(name: "CairnClient", dependencies: [
            "CairnCore",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ], swiftSettings: swiftSettings),
        // The executable: `cairn serve` and the other commands.
        .executableTarget(name: "cairn", dependencies: [
            "CairnCore", "CairnStore", "CairnS3", "CairnClient",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ], swiftSettings: swiftSettings),

        .testTarget(name: "CairnCoreTests", dependencies: ["CairnCore"], swiftSettings: swiftSettings),
        .testTarget(name: "CairnStoreTests", dependencies: ["CairnStore", "CairnCore"], swiftSettings: swiftSettings),
        .testTarget(name: "CairnS3Tests", dependencies: ["CairnS3"], swiftSettings: swiftSettings),
        .testTarget(name: "CairnClientTests", dependencies: ["CairnClient", "CairnCore"], swiftSettings: swiftSettings),
    ]
)

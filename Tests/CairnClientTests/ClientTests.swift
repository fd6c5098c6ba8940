@testable import CairnClient
import CairnCore
import CairnProtocol
import Foundation
import Testing

/// A fresh temporary directory, removed afterwards.
final class TemporaryDirectory {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-client-test-\(UUID().uuidString)")
    var path: String { url.path }
    init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
    deinit { try? FileManager.default.removeItem(at: url) }

    func write(_ relative: String, _ bytes: [UInt8]) throws {
        let file = url.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: file)
    }
}

func noise(_ count: Int, seed: UInt64) -> [UInt8] {
    var state = seed | 1
    return (0..<count).map { _ in state ^= state << 13; state ^= state >> 7; state ^= state << 17; return UInt8(truncatingIfNeeded: state) }
}

@Suite struct ClientTests {
    @Test func s3Locations() throws {
        #expect(try S3Location(parsing: "s3://models/run/42") == S3Location(bucket: "models", prefix: "run/42"))
        #expect(try S3Location(parsing: "s3://models") == S3Location(bucket: "models", prefix: ""))
        #expect(try S3Location(parsing: "s3://models/") == S3Location(bucket: "models", prefix: ""))
        #expect(throws: ClientError.self) { try S3Location(parsing: "models/run") }
        #expect(throws: ClientError.self) { try S3Location(parsing: "s3:///run") }
    }

    @Test func settingsPreferFlagsThenEnvironmentThenFile() throws {
        let file = ConfigFile(endpoint: "http://file:1", accessKeyID: "fileid", secretAccessKey: "filesecret", region: "eu-west-1")
        let env = ["CAIRN_ENDPOINT": "http://env:2", "AWS_ACCESS_KEY_ID": "envid", "AWS_SECRET_ACCESS_KEY": "envsecret"]
        let fromFile = try file.resolve(endpoint: nil, accessKeyID: nil, secretAccessKey: nil, region: nil, environment: [:])
        #expect(fromFile == ClientSettings(endpoint: URL(string: "http://file:1")!, accessKeyID: "fileid", secretAccessKey: "filesecret", region: "eu-west-1"))
        let fromEnv = try file.resolve(endpoint: nil, accessKeyID: nil, secretAccessKey: nil, region: nil, environment: env)
        #expect(fromEnv.endpoint.absoluteString == "http://env:2" && fromEnv.accessKeyID == "envid" && fromEnv.region == "eu-west-1")
        let fromFlags = try file.resolve(endpoint: "https://flag:3", accessKeyID: "flagid", secretAccessKey: "s", region: "r", environment: env)
        #expect(fromFlags == ClientSettings(endpoint: URL(string: "https://flag:3")!, accessKeyID: "flagid", secretAccessKey: "s", region: "r"))
        #expect(throws: ClientError.self) { try ConfigFile().resolve(endpoint: nil, accessKeyID: nil, secretAccessKey: nil, region: nil, environment: [:]) }
        #expect(throws: ClientError.self) { try ConfigFile().resolve(endpoint: "ftp://x", accessKeyID: "a", secretAccessKey: "b", region: nil, environment: [:]) }
    }

    @Test func configFileRoundTripsPrivately() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/sub/config.json"
        let config = ConfigFile(endpoint: "http://h:9000", accessKeyID: "id", secretAccessKey: "secret", region: "us-east-1")
        try config.save(to: path)
        #expect(try ConfigFile.load(from: path) == config)
        let mode = (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? 0
        #expect(mode == 0o600)
        #expect(ConfigFile.path(environment: ["CAIRN_CONFIG": "/x/c.json"]) == "/x/c.json")
        #expect(ConfigFile.path(environment: ["XDG_CONFIG_HOME": "/xdg", "HOME": "/h"]) == "/xdg/cairn/config.json")
        #expect(ConfigFile.path(environment: ["HOME": "/h"]) == "/h/.config/cairn/config.json")
    }

    @Test func pushKeysFollowTheNamingRules() throws {
        let dir = try TemporaryDirectory()
        try dir.write("a/b/c.bin", [1, 2, 3])
        try dir.write("top.txt", [])
        FileManager.default.createFile(atPath: dir.path + "/empty", contents: nil)
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/link", withDestinationPath: dir.path + "/top.txt")
        #expect(try Pusher.sources(dir.path, prefix: "run/1/").map(\.key) == ["run/1/a/b/c.bin", "run/1/empty", "run/1/top.txt"])
        #expect(try Pusher.sources(dir.path, prefix: "").map(\.key) == ["a/b/c.bin", "empty", "top.txt"])
        #expect(try Pusher.sources(dir.path + "/a/b/c.bin", prefix: "x/y.bin").map(\.key) == ["x/y.bin"])
        #expect(try Pusher.sources(dir.path + "/a/b/c.bin", prefix: "x/").map(\.key) == ["x/c.bin"])
        #expect(throws: ClientError.self) { try Pusher.sources(dir.path + "/nope", prefix: "") }
    }

    @Test func pullPathsFollowTheNamingRulesAndStayInside() throws {
        let m = Manifest(size: 0, sha256: [UInt8](repeating: 0, count: 32), md5: [UInt8](repeating: 0, count: 16), digests: [], lengths: [])
        func entries(_ keys: [String]) -> [KeyedManifest] { keys.map { KeyedManifest(key: $0, manifest: m) } }
        let listing = entries(["data", "data/a.bin", "data/sub/b.bin", "data/sub/", "database.bin"])
        let single = try Puller.destinations(listing, location: S3Location(bucket: "b", prefix: "data"), path: "/out/file")
        #expect(single.map(\.path) == ["/out/file"])
        let tree = try Puller.destinations(listing, location: S3Location(bucket: "b", prefix: "data/"), path: "/out")
        #expect(tree.map(\.path) == ["/out/a.bin", "/out/sub/b.bin"])
        #expect(throws: ClientError.self) {
            try Puller.destinations(entries(["p/../../etc/passwd"]), location: S3Location(bucket: "b", prefix: "p"), path: "/out")
        }
    }

    @Test func chunkingAFileMatchesTheChunkerAndDigests() throws {
        let dir = try TemporaryDirectory()
        let bytes = noise(3_000_000, seed: 9)
        try dir.write("f", bytes)
        let chunked = try chunkFile(dir.path + "/f", parameters: .standard)
        let lengths = Chunker(.standard).chunkLengths(of: bytes)
        #expect(chunked.manifest.lengths.map { Int($0) } == lengths)
        #expect(chunked.manifest.size == UInt64(bytes.count))
        #expect(chunked.manifest.sha256 == Hasher.digest(.sha256, bytes))
        #expect(chunked.manifest.md5 == Hasher.digest(.md5, bytes))
        var offset = 0
        for (i, n) in lengths.enumerated() {
            #expect(chunked.offsets[i] == UInt64(offset))
            #expect(chunked.manifest.digest(at: i) == Hasher.digest(.sha256, bytes[offset..<offset + n]))
            offset += n
        }
        try dir.write("empty", [])
        let empty = try chunkFile(dir.path + "/empty", parameters: .standard)
        #expect(empty.manifest.count == 0 && empty.manifest.sha256 == Hasher.digest(.sha256, [UInt8]()))
    }

    @Test func cacheNeverReturnsCorruptChunks() throws {
        let dir = try TemporaryDirectory()
        let cache = try ChunkCache(directory: dir.url)
        let chunk = noise(70_000, seed: 4)
        let digest = Hasher.digest(.sha256, chunk)
        try chunk.withUnsafeBytes { try cache.write(digest, $0) }
        #expect(cache.read(digest, length: chunk.count) == chunk)
        let path = dir.path + "/chunks/" + digest.hex.prefix(2) + "/" + digest.hex
        var flipped = chunk
        flipped[100] ^= 0x10
        try Data(flipped).write(to: URL(fileURLWithPath: path))
        #expect(cache.read(digest, length: chunk.count) == nil)
        #expect(cache.corruptEntries == 1)
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(cache.read(Hasher.digest(.sha256, [1]), length: 1) == nil)
    }
}

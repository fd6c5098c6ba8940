import AsyncHTTPClient
import CairnCore
import CairnProtocol
import Foundation
import NIOCore
import NIOHTTP1

/// The native dedupe API (native-api.md) as calls.
public struct Remote: Sendable {
    public let connection: Connection

    public init(_ connection: Connection) { self.connection = connection }

    public struct ServerConfiguration: Sendable {
        public var chunker: ChunkerParameters
        public var maxBatchBytes: Int
        public var maxDigestsPerQuery: Int
        public var maxDigestsPerFetch: Int
    }

    public func configuration() async throws -> ServerConfiguration {
        let c: DedupeConfiguration
        do { c = try await connection.json(DedupeConfiguration.self, .GET, "/api/v1/dedupe") } catch ClientError.protocolError {
            throw ClientError.protocolError("GET /api/v1/dedupe did not describe the chunker (is this a Cairn server?)")
        }
        return ServerConfiguration(chunker: ChunkerParameters(minSize: c.chunker.minSize, averageSize: c.chunker.avgSize,
                                                              maxSize: c.chunker.maxSize, normalization: c.chunker.normalization),
                                   maxBatchBytes: c.maxBatchBytes, maxDigestsPerQuery: c.maxDigestsPerQuery, maxDigestsPerFetch: c.maxDigestsPerFetch)
    }

    public func createSession() async throws -> String {
        try await connection.json(SessionCreated.self, .POST, "/api/v1/dedupe/sessions").session
    }

    public func deleteSession(_ id: String) async {
        _ = try? await connection.send(.DELETE, "/api/v1/dedupe/sessions/\(id)")
    }

    /// The digests (concatenated) among `digests` that the server lacks.
    public func missing(session: String, digests: [UInt8]) async throws -> [UInt8] {
        try await connection.send(.POST, "/api/v1/dedupe/sessions/\(session)/missing", body: digests).body
    }

    public func uploadChunks(session: String, frames: [UInt8]) async throws {
        _ = try await connection.send(.POST, "/api/v1/dedupe/sessions/\(session)/chunks", body: frames)
    }

    /// Commits manifests as objects of `bucket`, or as blobs only when `bucket` is nil.
    public func commit(session: String, bucket: String?, entries: [KeyedManifest]) async throws {
        var body: [UInt8] = []
        for e in entries { e.encode(into: &body) }
        let path = bucket.map { "/api/v1/dedupe/sessions/\(session)/commit/\(encodePath($0))" } ?? "/api/v1/dedupe/sessions/\(session)/blobs"
        _ = try await connection.send(.POST, path, body: body)
    }

    /// Every manifest under `prefix`, in key order.
    public func manifests(bucket: String, prefix: String, maxChunk: Int) async throws -> [KeyedManifest] {
        var all: [KeyedManifest] = []
        var startAfter: String?
        while true {
            var query = "max-keys=1000&prefix=\(URIEncoding.encode(prefix, encodeSlash: true))"
            if let startAfter { query += "&start-after=\(URIEncoding.encode(startAfter, encodeSlash: true))" }
            let reply = try await connection.send(.GET, "/api/v1/dedupe/manifests/\(encodePath(bucket))", query: query)
            let page: [KeyedManifest]
            do { page = try KeyedManifest.decodeAll(reply.body, maxChunk: maxChunk) } catch { throw ClientError.protocolError("manifest listing: \(error)") }
            all.append(contentsOf: page)
            guard reply.headers.first(name: "x-cairn-truncated") == "true", let last = page.last else { return all }
            startAfter = last.key
        }
    }

    /// The files of a model version (or of the version an alias names, resolved once) as manifests keyed by path.
    public func versionManifests(model: String, _ reference: VersionReference, maxChunk: Int) async throws -> (version: Int, entries: [KeyedManifest]) {
        let reply = try await connection.send(.GET, Registry.path(model, reference) + "/manifests")
        guard let version = reply.headers.first(name: "x-cairn-version").flatMap({ Int($0) }) else {
            throw ClientError.protocolError("the manifests answer does not say which version it is")
        }
        do { return (version, try KeyedManifest.decodeAll(reply.body, maxChunk: maxChunk)) } catch {
            throw ClientError.protocolError("version manifests: \(error)")
        }
    }

    /// Fetches chunks; calls `receive` with each frame in request order. Frames are verified by the caller.
    public func fetchChunks(_ digests: [UInt8], maxChunk: Int, receive: (ChunkFrame.Header, UnsafeRawBufferPointer) throws -> Void) async throws {
        let response = try await connection.stream(.POST, "/api/v1/dedupe/chunks", body: digests)
        var decoder = ChunkFrameDecoder(maxChunk: maxChunk)
        var frames = 0
        do {
            for try await buffer in response.body {
                connection.countReceived(buffer.readableBytes)
                try buffer.withUnsafeReadableBytes { bytes in
                    try decoder.feed(bytes) { header, payload in
                        try receive(header, payload)
                        frames += 1
                    }
                }
            }
        } catch let e as ClientError { throw e } catch let e as WireError {
            throw ClientError.protocolError("chunk stream: \(e)")
        } catch {
            throw ClientError.unreachable(connection.settings.endpoint.absoluteString, "the connection broke while fetching chunks: \(error)")
        }
        guard decoder.isAtBoundary, frames == digests.count / 32 else {
            throw ClientError.protocolError("the chunk stream ended after \(frames) of \(digests.count / 32) chunks")
        }
    }
}

import CairnCore
import CairnStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// Counters of the native dedupe API since the server started (`GET /api/v1/dedupe/stats`).
final class DedupeStats: @unchecked Sendable {  // guarded by `lock`
    private let lock = NSLock()
    private var values: [String: Int] = [:]
    static let names = ["chunks_received", "chunks_stored", "wire_bytes_received", "chunk_bytes_stored", "chunks_served",
                        "wire_bytes_served", "commits", "missing_queries"]

    func add(_ name: String, _ n: Int) { lock.withLock { values[name, default: 0] += n } }
    var snapshot: [String: Int] { lock.withLock { Dictionary(uniqueKeysWithValues: Self.names.map { ($0, values[$0] ?? 0) }) } }
}

/// Cairn's own API under `/api/v1/` (native-api.md): dedupe sessions, chunk transfer, manifest commits and
/// blobs by digest. Authentication is the S3 one; errors are JSON.
extension S3Service {
    /// Largest chunk-upload body (frames); the CLI sends about 4 MiB per request.
    static let maxChunkBatchBytes = 64 << 20
    static let maxDigestsPerQuery = 65_536
    static let maxDigestsPerFetch = 4_096
    static let maxCommitEntries = 10_000
    static let maxCommitBytes = 256 << 20

    func routeNative(_ incoming: Request, requestID: String, path: Substring) async throws -> Response {
        var request = incoming
        var bodySHA256: String?
        if request.headers[.authorization] != nil, request.headers[HTTPField.Name("x-amz-content-sha256")!] == nil {
            // `curl --aws-sigv4` signs the body's sha256 without sending it: hash the (small) body first.
            let body: ByteBuffer
            do { body = try await request.body.collect(upTo: Self.maxRegistryBody) } catch {
                throw S3Error("EntityTooLarge", .contentTooLarge, "Requests without x-amz-content-sha256 may carry at most \(Self.maxRegistryBody) bytes.")
            }
            bodySHA256 = Hasher.digest(.sha256, body.readableBytesView).hex
            request.body = RequestBody(buffer: body)
        }
        let auth = try authenticate(request, bodySHA256: bodySHA256)
        let role = try authorize(request, auth)
        let query = try Query(raw: request.uri.query ?? "")
        let c = S3Context(request: request, requestID: requestID, endpoint: .notImplemented("native API"), query: query, auth: auth, role: role)
        var segments: [String] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: false) {
            guard let s = percentDecode(part) else { throw S3Error("InvalidURI", .badRequest, "Couldn't parse the specified URI.") }
            segments.append(s)
        }
        let method = request.method
        let s = segments
        switch (method, s.count, s[0], s.count > 1 ? s[1] : "") {
        case (.get, 1, "dedupe", _): return dedupeConfiguration()
        case (.get, 2, "dedupe", "stats"):
            var stats = dedupeStats.snapshot
            stats["index_chunks"] = try store.statistics().chunks
            return json(stats)
        case (.post, 2, "dedupe", "sessions"): return try await createSession(c)
        case (.delete, 3, "dedupe", "sessions"): return try await deleteSession(s[2])
        case (.post, 4, "dedupe", "sessions") where s[3] == "missing": return try await missingChunks(c, try sessionID(s[2]))
        case (.post, 4, "dedupe", "sessions") where s[3] == "chunks": return try await uploadChunks(c, try sessionID(s[2]))
        case (.post, 5, "dedupe", "sessions") where s[3] == "commit": return try await commit(c, try sessionID(s[2]), s[4])
        case (.post, 4, "dedupe", "sessions") where s[3] == "blobs": return try await commit(c, try sessionID(s[2]), nil)
        case (.get, 3, "dedupe", "manifests"): return try listManifests(c, s[2])
        case (.post, 2, "dedupe", "chunks"): return try await fetchChunks(c)
        case (.get, 3, "blobs", _), (.head, 3, "blobs", _): return try getBlob(c, algorithm: s[1], hex: s[2], head: method == .head)
        case (_, _, "models", _): return try await routeRegistry(c, Array(s.dropFirst()))
        case (.get, 3, "lineage", "datasets"): return try downstream(s[2])
        case (_, _, "admin", _): return try await routeAdmin(c, Array(s.dropFirst()))
        default:
            throw S3Error("NotFound", .notFound, "No such API endpoint: \(method.rawValue) /api/v1/\(path)")
        }
    }

    private func dedupeConfiguration() -> Response {
        let p = store.chunkerParameters
        return json([
            "version": 1,
            "chunker": ["min_size": p.minSize, "avg_size": p.averageSize, "max_size": p.maxSize, "normalization": p.normalization],
            "max_batch_bytes": Self.maxChunkBatchBytes,
            "max_digests_per_query": Self.maxDigestsPerQuery,
            "max_digests_per_fetch": Self.maxDigestsPerFetch,
            "session_ttl_seconds": Int(store.sessionTTL),
        ])
    }

    private func sessionID(_ hex: String) throws -> [UInt8] {
        guard hex.count == 32, let id = decodeHex(hex) else { throw S3Error(StoreError.noSuchSession(hex)) }
        return id
    }

    private func createSession(_ c: S3Context) async throws -> Response {
        let session = try await store.createSession(owner: c.auth.accessKeyID)
        let expires = session.lastUsed.addingTimeInterval(store.sessionTTL)
        return json(["session": session.id.hex, "expires_at": ISO8601DateFormatter().string(from: expires)], status: .created)
    }

    private func deleteSession(_ hex: String) async throws -> Response {
        if hex.count == 32, let id = decodeHex(hex) { try await store.deleteSession(id) }
        return emptyResponse(.noContent)
    }

    private func missingChunks(_ c: S3Context, _ session: [UInt8]) async throws -> Response {
        let body = try await Payload.collect(c, limit: Self.maxDigestsPerQuery * 32)
        guard body.count % 32 == 0 else { throw S3Error.invalidRequest("The body must be whole 32-byte sha256 digests.") }
        let missing = try await store.missingChunks(session: session, digests: body)
        dedupeStats.add("missing_queries", 1)
        return binary(missing)
    }

    private func uploadChunks(_ c: S3Context, _ session: [UInt8]) async throws -> Response {
        guard try store.session(session) != nil else { throw S3Error(StoreError.noSuchSession(session.hex)) }
        let ingester = store.makeChunkIngester()
        var decoder = ChunkFrameDecoder(maxChunk: store.chunkerParameters.maxSize)
        let bodyHash: Hasher? = if case .sha256 = c.auth.payload { Hasher(.sha256) } else { nil }
        var wire = 0, received = 0
        do {
            _ = try await Payload.stream(c) { bytes in
                wire += bytes.count
                guard wire <= Self.maxChunkBatchBytes else {
                    throw S3Error("EntityTooLarge", .contentTooLarge, "A chunk batch may hold at most \(Self.maxChunkBatchBytes) bytes.")
                }
                bodyHash?.update(bytes)
                try decoder.feed(bytes) { header, payload in
                    try ingester.add(header, payload: payload)
                    received += 1
                }
            }
        } catch let e as WireError {
            throw S3Error.invalidRequest("Malformed chunk frame: \(e)")
        }
        guard decoder.isAtBoundary else { throw S3Error.invalidRequest("The body ends inside a chunk frame.") }
        if let bodyHash { try Payload.verifySHA256(c, actual: bodyHash.finalize()) }
        let indexed = try await store.commitChunks(ingester.batch, session: session)
        dedupeStats.add("chunks_received", received)
        dedupeStats.add("wire_bytes_received", wire)
        dedupeStats.add("chunks_stored", indexed)
        dedupeStats.add("chunk_bytes_stored", Int(ingester.batch.storedBytes))
        return json(["received": received, "stored": indexed, "bytes": wire])
    }

    /// Commits manifests as objects of `bucket`, or as blobs only when there is no bucket.
    private func commit(_ c: S3Context, _ session: [UInt8], _ bucket: String?) async throws -> Response {
        if let bucket, (try? validateBucketName(bucket)) == nil || (try? store.bucket(bucket)) ?? nil == nil { throw S3Error(StoreError.noSuchBucket(bucket)) }
        let body = try await Payload.collect(c, limit: Self.maxCommitBytes)
        let entries: [KeyedManifest]
        do {
            entries = try KeyedManifest.decodeAll(body, maxChunk: store.chunkerParameters.maxSize, limit: Self.maxCommitEntries)
        } catch let e as WireError {
            throw S3Error.invalidRequest("Malformed commit body: \(e)")
        }
        guard !entries.isEmpty else { throw S3Error.invalidRequest("A commit names at least one object.") }
        guard Set(entries.map(\.key)).count == entries.count else { throw S3Error.invalidRequest("A commit names each key once.") }
        for entry in entries {
            if bucket != nil { try validateKey(entry.key) }
            guard entry.manifest.sha256.count == 32, entry.manifest.md5.count == 16 else { throw S3Error.invalidRequest("Malformed manifest digests.") }
        }
        let records = try await store.commitManifests(entries, bucket: bucket, session: session)
        dedupeStats.add("commits", records.count)
        if bucket == nil {
            return json(["blobs": records.map { ["key": $0.key, "sha256": $0.blob.hex, "md5": $0.md5.hex, "size": Int($0.size)] as [String: Any] }])
        }
        return json(["objects": records.map { ["key": $0.key, "etag": $0.etag, "size": Int($0.size), "sha256": $0.blob.hex] as [String: Any] }])
    }

    private func listManifests(_ c: S3Context, _ bucket: String) throws -> Response {
        guard (try? validateBucketName(bucket)) != nil, try store.bucket(bucket) != nil else { throw S3Error(StoreError.noSuchBucket(bucket)) }
        var maxKeys = 1000
        if let text = c.query["max-keys"] {
            guard let n = Int(text), n >= 0 else { throw S3Error.invalidArgument("max-keys must be a non-negative integer.") }
            maxKeys = min(n, 1000)
        }
        let (entries, truncated) = try store.manifests(bucket: bucket, prefix: c.query["prefix"] ?? "", startAfter: c.query["start-after"], maxKeys: maxKeys)
        var out: [UInt8] = []
        for entry in entries { entry.encode(into: &out) }
        return binary(out, headers: [HTTPField.Name("x-cairn-truncated")!: truncated ? "true" : "false"])
    }

    private func fetchChunks(_ c: S3Context) async throws -> Response {
        let body = try await Payload.collect(c, limit: Self.maxDigestsPerFetch * 32)
        guard body.count % 32 == 0 else { throw S3Error.invalidRequest("The body must be whole 32-byte sha256 digests.") }
        let digests = (0..<body.count / 32).map { Array(body[$0 * 32..<($0 + 1) * 32]) }
        var length = 0
        var missing: [String] = []
        for digest in digests {
            if let location = try store.locateChunk(digest) { length += ChunkFrame.headerLength + Int(location.storedLength) } else { missing.append(digest.hex) }
        }
        if !missing.isEmpty { throw StoreError.missingChunks(missing) }
        let store = self.store, stats = dedupeStats, logger = self.logger, requestID = c.requestID, total = length
        let response = ResponseBody(contentLength: total) { writer in
            let reader = store.checkoutChunkReader()
            defer { store.recycle(reader) }
            var out: [UInt8] = []
            out.reserveCapacity(1 << 20)
            do {
                for digest in digests {
                    let chunk = try reader.readStored(digest)
                    ChunkFrame.appendHeader(to: &out, digest: digest, rawLength: chunk.rawLength, storedLength: chunk.payload.count, zstd: chunk.zstd)
                    out.append(contentsOf: chunk.payload)
                    if out.count >= 1 << 20 {
                        try await writer.write(ByteBuffer(bytes: out))
                        out.removeAll(keepingCapacity: true)
                    }
                }
                if !out.isEmpty { try await writer.write(ByteBuffer(bytes: out)) }
            } catch {
                logger.error("chunk fetch failed mid-stream: \(error)", metadata: ["request-id": .string(requestID)])
                throw error
            }
            stats.add("chunks_served", digests.count)
            stats.add("wire_bytes_served", total)
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "application/octet-stream", .contentLength: String(length)], body: response)
    }

    private func getBlob(_ c: S3Context, algorithm: String, hex: String, head: Bool) throws -> Response {
        let blob: BlobRecord?
        switch algorithm {
        case "sha256":
            guard hex.count == 64, let digest = decodeHex(hex) else { throw S3Error.invalidArgument("A sha256 digest is 64 hex digits.") }
            blob = try store.blob(digest)
        case "md5":
            guard hex.count == 32, let digest = decodeHex(hex) else { throw S3Error.invalidArgument("An md5 digest is 32 hex digits.") }
            blob = try store.blob(md5: digest)
        default:
            throw S3Error("NotFound", .notFound, "Blobs are addressed by sha256 or md5, not \(algorithm).")
        }
        guard let blob else { throw S3Error("NoSuchBlob", .notFound, "No blob has the \(algorithm) \(hex.lowercased()).") }
        return try blobResponse(c, blob, head: head)
    }

    /// A blob's bytes (Range supported), `ETag` = its sha256.
    func blobResponse(_ c: S3Context, _ blob: BlobRecord, head: Bool) throws -> Response {
        var headers: HTTPFields = [
            .eTag: "\"\(blob.sha256.hex)\"", .acceptRanges: "bytes", .contentType: "application/octet-stream",
            HTTPField.Name("x-cairn-sha256")!: blob.sha256.hex, HTTPField.Name("x-cairn-md5")!: blob.md5.hex,
        ]
        let (range, status) = try requestedRange(c, size: blob.size, headers: &headers)
        headers[.contentLength] = String(range.count)
        if head { return Response(status: status, headers: headers, body: .init()) }
        return Response(status: status, headers: headers, body: try blobBody(c, blob, range: range, what: "blob \(blob.sha256.hex)"))
    }

    // MARK: Responses

    func json(_ value: Any, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json", .contentLength: String(data.count)],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    private func binary(_ bytes: [UInt8], headers extra: HTTPFields = [:]) -> Response {
        var headers: HTTPFields = [.contentType: "application/octet-stream", .contentLength: String(bytes.count)]
        headers.append(contentsOf: extra)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// `{"error": {"code", "message"}}`, plus the missing digests for `MissingChunks`.
    func jsonErrorResponse(_ s3: S3Error, missing: [String]?, head: Bool) -> Response {
        var error: [String: Any] = ["code": s3.code, "message": s3.message]
        if let missing { error["missing"] = Array(missing.prefix(1000)) }
        if head { return Response(status: s3.status, headers: [.contentLength: "0"], body: .init()) }
        return json(["error": error], status: s3.status)
    }
}

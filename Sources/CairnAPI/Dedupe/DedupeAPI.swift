import CairnCore
import CairnHTTP
import CairnProtocol
import CairnStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The native dedupe API (native-api.md): sessions, missing-chunk queries, chunk batches, manifest
/// commits, manifest listings and chunk fetches.
extension APIService {
    /// Largest chunk-upload body (frames); the CLI sends about 4 MiB per request.
    static let maxChunkBatchBytes = 64 << 20
    static let maxDigestsPerQuery = 65_536
    static let maxDigestsPerFetch = 4_096
    static let maxCommitEntries = 10_000
    static let maxCommitBytes = 256 << 20

    func dedupeConfiguration() -> Response {
        let p = store.chunkerParameters
        return encoded(DedupeConfiguration(
            version: 1,
            chunker: .init(minSize: p.minSize, avgSize: p.averageSize, maxSize: p.maxSize, normalization: p.normalization),
            maxBatchBytes: Self.maxChunkBatchBytes, maxDigestsPerQuery: Self.maxDigestsPerQuery,
            maxDigestsPerFetch: Self.maxDigestsPerFetch, sessionTTLSeconds: Int(store.sessionTTL)))
    }

    /// The counters since the server started, and the chunks in the index.
    func dedupeStatistics() throws -> Response {
        var stats = dedupeStats.snapshot
        stats["index_chunks"] = try store.statistics().chunks
        return encoded(stats)
    }

    func sessionID(_ hex: String) throws -> [UInt8] {
        guard hex.count == 32, let id = decodeHex(hex) else { throw ServiceError(StoreError.noSuchSession(hex)) }
        return id
    }

    func createSession(_ c: ServiceRequest) async throws -> Response {
        let session = try await store.createSession(owner: c.auth.accessKeyID)
        let expires = session.lastUsed.addingTimeInterval(store.sessionTTL)
        return encoded(SessionCreated(session: session.id.hex, expiresAt: ISO8601Time.format(expires, milliseconds: false)), status: .created)
    }

    func deleteSession(_ hex: String) async throws -> Response {
        if hex.count == 32, let id = decodeHex(hex) { try await store.deleteSession(id) }
        return Response.empty(.noContent)
    }

    func missingChunks(_ c: ServiceRequest, _ session: [UInt8]) async throws -> Response {
        let body = try await Payload.collect(c, limit: Self.maxDigestsPerQuery * 32)
        guard body.count % 32 == 0 else { throw ServiceError.invalidRequest("The body must be whole 32-byte sha256 digests.") }
        let missing = try await store.missingChunks(session: session, digests: body)
        dedupeStats.add("missing_queries", 1)
        return binary(missing)
    }

    func uploadChunks(_ c: ServiceRequest, _ session: [UInt8]) async throws -> Response {
        guard try store.session(session) != nil else { throw ServiceError(StoreError.noSuchSession(session.hex)) }
        let ingester = store.makeChunkIngester()
        var decoder = ChunkFrameDecoder(maxChunk: store.chunkerParameters.maxSize)
        let bodyHash: Hasher? = if case .sha256 = c.auth.payload { Hasher(.sha256) } else { nil }
        var wire = 0, received = 0
        do {
            _ = try await Payload.stream(c) { bytes in
                wire += bytes.count
                guard wire <= Self.maxChunkBatchBytes else {
                    throw ServiceError.entityTooLarge("A chunk batch may hold at most \(Self.maxChunkBatchBytes) bytes.")
                }
                bodyHash?.update(bytes)
                try decoder.feed(bytes) { header, payload in
                    try ingester.add(header, payload: payload)
                    received += 1
                }
            }
        } catch let e as WireError {
            throw ServiceError.invalidRequest("Malformed chunk frame: \(e)")
        }
        guard decoder.isAtBoundary else { throw ServiceError.invalidRequest("The body ends inside a chunk frame.") }
        if let bodyHash { try Payload.verifySHA256(c, actual: bodyHash.finalize()) }
        let indexed = try await store.commitChunks(ingester.batch, session: session)
        dedupeStats.add("chunks_received", received)
        dedupeStats.add("wire_bytes_received", wire)
        dedupeStats.add("chunks_stored", indexed)
        dedupeStats.add("chunk_bytes_stored", Int(ingester.batch.storedBytes))
        return encoded(ChunksReceived(received: received, stored: indexed, bytes: wire))
    }

    /// Commits manifests as objects of `bucket`, or as blobs only when there is no bucket.
    func commit(_ c: ServiceRequest, _ session: [UInt8], _ bucket: String?) async throws -> Response {
        if let bucket, (try? validateBucketName(bucket)) == nil || (try? store.bucket(bucket)) ?? nil == nil { throw ServiceError(StoreError.noSuchBucket(bucket)) }
        let body = try await Payload.collect(c, limit: Self.maxCommitBytes)
        let entries: [KeyedManifest]
        do {
            entries = try KeyedManifest.decodeAll(body, maxChunk: store.chunkerParameters.maxSize, limit: Self.maxCommitEntries)
        } catch let e as WireError {
            throw ServiceError.invalidRequest("Malformed commit body: \(e)")
        }
        guard !entries.isEmpty else { throw ServiceError.invalidRequest("A commit names at least one object.") }
        guard Set(entries.map(\.key)).count == entries.count else { throw ServiceError.invalidRequest("A commit names each key once.") }
        for entry in entries {
            if bucket != nil { try validateKey(entry.key) }
            guard entry.manifest.sha256.count == 32, entry.manifest.md5.count == 16 else { throw ServiceError.invalidRequest("Malformed manifest digests.") }
        }
        let records = try await store.commitManifests(entries, bucket: bucket, session: session)
        dedupeStats.add("commits", records.count)
        if bucket == nil {
            return encoded(BlobsCommitted(blobs: records.map { .init(key: $0.key, sha256: $0.blob.hex, md5: $0.md5.hex, size: Int($0.size)) }))
        }
        return encoded(ObjectsCommitted(objects: records.map { .init(key: $0.key, etag: $0.etag, size: Int($0.size), sha256: $0.blob.hex) }))
    }

    func listManifests(_ c: ServiceRequest, _ bucket: String) throws -> Response {
        guard (try? validateBucketName(bucket)) != nil, try store.bucket(bucket) != nil else { throw ServiceError(StoreError.noSuchBucket(bucket)) }
        var maxKeys = 1000
        if let text = c.query["max-keys"] {
            guard let n = Int(text), n >= 0 else { throw ServiceError.invalidArgument("max-keys must be a non-negative integer.") }
            maxKeys = min(n, 1000)
        }
        let (entries, truncated) = try store.manifests(bucket: bucket, prefix: c.query["prefix"] ?? "", startAfter: c.query["start-after"], maxKeys: maxKeys)
        var out: [UInt8] = []
        for entry in entries { entry.encode(into: &out) }
        return binary(out, headers: [HTTPField.Name("x-cairn-truncated")!: truncated ? "true" : "false"])
    }

    func fetchChunks(_ c: ServiceRequest) async throws -> Response {
        let body = try await Payload.collect(c, limit: Self.maxDigestsPerFetch * 32)
        guard body.count % 32 == 0 else { throw ServiceError.invalidRequest("The body must be whole 32-byte sha256 digests.") }
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
}

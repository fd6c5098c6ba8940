import CairnCore
import CairnProtocol
import Foundation
import Synchronization
import NIOHTTP1

/// `s3://bucket/prefix`.
public struct S3Location: Sendable, Equatable {
    public var bucket: String
    public var prefix: String

    public init(bucket: String, prefix: String) {
        self.bucket = bucket
        self.prefix = prefix
    }

    public init(parsing text: String) throws {
        guard text.hasPrefix("s3://") else { throw ClientError.local("expected s3://BUCKET/PREFIX, got \(text)") }
        let rest = text.dropFirst(5)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        bucket = String(rest[..<slash])
        prefix = slash < rest.endIndex ? String(rest[rest.index(after: slash)...]) : ""
        guard !bucket.isEmpty else { throw ClientError.local("no bucket in \(text)") }
    }
}

/// Runs `body` on every item with at most `limit` running at once.
func forEachConcurrently<T: Sendable>(_ items: [T], limit: Int, _ body: @escaping @Sendable (T) async throws -> Void) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        var iterator = items.makeIterator()
        for _ in 0..<max(1, limit) {
            guard let item = iterator.next() else { break }
            group.addTask { try await body(item) }
        }
        while try await group.next() != nil {
            if let item = iterator.next() { group.addTask { try await body(item) } }
        }
    }
}

/// Accumulates counters from concurrent tasks.
final class Tally: Sendable {
    private let values = Mutex<[String: Int]>([:])
    func add(_ name: String, _ n: Int) { values.withLock { $0[name, default: 0] += n } }
    subscript(_ name: String) -> Int { values.withLock { $0[name] ?? 0 } }
}

/// `cairn push`: chunk locally, ask the server which chunks it lacks, send only those (zstd on the wire
/// when it pays, several requests in flight), then commit the manifests. Chunks reach the server's index
/// batch by batch, so a rerun after an interruption sends only what is still missing.
public struct Pusher: Sendable {
    let remote: Remote
    let jobs: Int
    let progress: Progress

    public init(remote: Remote, jobs: Int, progress: Progress) {
        self.remote = remote
        self.jobs = jobs
        self.progress = progress
    }

    struct Source: Sendable {
        let path: String
        let key: String
        let size: Int
    }

    /// The files to send and their keys (see the README for the naming rules).
    static func sources(_ path: String, prefix: String) throws -> [Source] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw ClientError.local("\(path) does not exist") }
        if !isDirectory.boolValue {
            let key = prefix.isEmpty || prefix.hasSuffix("/") ? prefix + (path as NSString).lastPathComponent : prefix
            return [Source(path: path, key: key, size: try fileSize(path))]
        }
        var base = prefix
        while base.hasSuffix("/") { base.removeLast() }
        let root = URL(fileURLWithPath: path).standardizedFileURL
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey, .isSymbolicLinkKey, .fileSizeKey]) else {
            throw ClientError.local("cannot list \(path)")
        }
        var sources: [Source] = []
        let rootPath = root.path.hasSuffix("/") ? root.path : root.path + "/"
        for case let url as URL in walker {
            let values = try url.resourceValues(forKeys: [.isRegularFileKey, .isSymbolicLinkKey, .fileSizeKey])
            guard values.isRegularFile == true, values.isSymbolicLink != true else { continue }
            let full = url.standardizedFileURL.path
            guard full.hasPrefix(rootPath) else { continue }
            let relative = String(full.dropFirst(rootPath.count))
            sources.append(Source(path: full, key: base.isEmpty ? relative : base + "/" + relative, size: values.fileSize ?? 0))
        }
        return sources.sorted { $0.key < $1.key }
    }

    public func push(_ path: String, to location: S3Location) async throws -> TransferSummary {
        try await upload(path, prefix: location.prefix, bucket: location.bucket) { _ in }
    }

    /// Uploads a file or directory as blobs only (no objects) and calls `use` with each file's relative
    /// path (a file's own name for a single file) and sha256, e.g. to register them as a model version.
    /// The upload session, which keeps the blobs from garbage collection, lasts until `use` returns.
    public func pushBlobs(_ path: String, use: ([(path: String, sha256: [UInt8])]) async throws -> Void) async throws -> TransferSummary {
        try await upload(path, prefix: "", bucket: nil, use: use)
    }

    private func upload(_ path: String, prefix: String, bucket: String?,
                        use: ([(path: String, sha256: [UInt8])]) async throws -> Void) async throws -> TransferSummary {
        let started = Date()
        let sources = try Self.sources(path, prefix: prefix)
        guard !sources.isEmpty else { throw ClientError.local("nothing to upload: \(path) holds no files") }
        let config = try await remote.configuration()
        if let bucket { try await requireBucket(bucket) }
        progress.setFiles(sources.count)
        let session = try await remote.createSession()
        let tally = Tally()
        var uploaded: [(path: String, sha256: [UInt8])] = []
        do {
            // Groups bound the size of the missing-chunk queries and commits.
            var index = 0
            while index < sources.count {
                var group: [Source] = []
                var chunkEstimate = 0
                while index < sources.count, group.count < 5_000, chunkEstimate < 200_000 {
                    group.append(sources[index])
                    chunkEstimate += sources[index].size / config.chunker.minSize + 1
                    index += 1
                }
                uploaded += try await pushGroup(group, bucket: bucket, session: session, config: config, tally: tally)
            }
            let summary = TransferSummary(files: sources.count, logicalBytes: sources.reduce(0) { $0 + $1.size }, chunksTotal: tally["chunks"],
                                          chunksTransferred: tally["sent"], payloadBytes: tally["payload"], wire: remote.connection.counters, started: started)
            progress.finish(summary)
            try await use(uploaded)
            await remote.deleteSession(session)
            return summary
        } catch {
            await remote.deleteSession(session)
            throw error
        }
    }

    func requireBucket(_ bucket: String) async throws {
        do {
            _ = try await remote.connection.send(.HEAD, "/" + encodePath(bucket))
        } catch ClientError.server(404, _, _, _) {
            throw ClientError.server(status: 404, code: "NoSuchBucket", message: "bucket \(bucket) does not exist", missing: [])
        }
    }

    private struct Upload: Sendable {
        let file: Int
        let offset: UInt64
        let length: Int
        let digest: [UInt8]
    }

    /// Sends a group's missing chunks and commits its manifests (as objects of `bucket`, or as blobs).
    private func pushGroup(_ group: [Source], bucket: String?, session: String, config: Remote.ServerConfiguration,
                           tally: Tally) async throws -> [(path: String, sha256: [UInt8])] {
        let logical = group.reduce(0) { $0 + $1.size }
        let files = try chunk(group, parameters: config.chunker, total: logical)
        let (first, order) = Self.distinctChunks(files, tally: tally)
        let missing = try await missingUploads(order, first, session: session, maxPerQuery: config.maxDigestsPerQuery)
        try await send(missing, paths: group.map(\.path), session: session, logical: logical, maxBatchBytes: config.maxBatchBytes, tally: tally)
        try await commit(zip(group, files).map { KeyedManifest(key: $0.key, manifest: $1.manifest) }, bucket: bucket, session: session)
        return zip(group, files).map { ($0.key, $1.manifest.sha256) }
    }

    /// Cuts each file into chunks (their sha256 and the file's md5 and sha256).
    private func chunk(_ group: [Source], parameters: ChunkerParameters, total: Int) throws -> [ChunkedFile] {
        progress.begin("chunking", total: total)
        return try group.map { source in
            let file = try chunkFile(source.path, parameters: parameters) { self.progress.advance(bytes: $0) }
            guard file.manifest.size == UInt64(source.size) else { throw ClientError.local("\(source.path) changed while it was being read") }
            return file
        }
    }

    /// One upload per distinct chunk, taken from its first occurrence, and the distinct digests in order.
    private static func distinctChunks(_ files: [ChunkedFile], tally: Tally) -> (first: [[UInt8]: Upload], order: [[UInt8]]) {
        var first: [[UInt8]: Upload] = [:]
        var order: [[UInt8]] = []
        for (f, file) in files.enumerated() {
            for i in 0..<file.manifest.count {
                let digest = file.manifest.digest(at: i)
                tally.add("chunks", 1)
                if first[digest] == nil {
                    first[digest] = Upload(file: f, offset: file.offsets[i], length: Int(file.manifest.lengths[i]), digest: digest)
                    order.append(digest)
                }
            }
        }
        return (first, order)
    }

    /// The uploads of the chunks the server lacks, asked `maxPerQuery` digests at a time.
    private func missingUploads(_ order: [[UInt8]], _ first: [[UInt8]: Upload], session: String, maxPerQuery: Int) async throws -> [Upload] {
        var missing: [Upload] = []
        var start = 0
        while start < order.count {
            let slice = order[start..<min(order.count, start + maxPerQuery)]
            let answer = try await remote.missing(session: session, digests: slice.flatMap { $0 })
            guard answer.count % 32 == 0 else { throw ClientError.protocolError("the missing-chunk answer is not whole digests") }
            for i in 0..<answer.count / 32 {
                guard let upload = first[Array(answer[i * 32..<(i + 1) * 32])] else { throw ClientError.protocolError("the server named a chunk that was not asked about") }
                missing.append(upload)
            }
            start += slice.count
        }
        return missing
    }

    /// Sends the missing chunks in batches of about 4 MiB, `jobs` batches in flight.
    private func send(_ missing: [Upload], paths: [String], session: String, logical: Int, maxBatchBytes: Int, tally: Tally) async throws {
        let missingBytes = missing.reduce(0) { $0 + $1.length }
        progress.begin("sending", total: missingBytes)
        progress.advance(saved: logical - missingBytes)
        var batches: [[Upload]] = []
        var batch: [Upload] = [], batchBytes = 0
        let limit = min(4 << 20, maxBatchBytes / 2)
        for upload in missing {
            if batchBytes + upload.length > limit && !batch.isEmpty {
                batches.append(batch)
                batch = []
                batchBytes = 0
            }
            batch.append(upload)
            batchBytes += upload.length
        }
        if !batch.isEmpty { batches.append(batch) }
        let (remote, progress) = (self.remote, self.progress)
        try await forEachConcurrently(batches, limit: jobs) { batch in
            let frames = try Self.frames(batch, paths: paths)
            try await remote.uploadChunks(session: session, frames: frames.bytes)
            tally.add("sent", batch.count)
            tally.add("payload", frames.payload)
            progress.advance(bytes: batch.reduce(0) { $0 + $1.length })
        }
    }

    /// Commits the manifests, at most 10,000 (or 32 MiB of them) per request.
    private func commit(_ entries: [KeyedManifest], bucket: String?, session: String) async throws {
        progress.begin("committing", total: 0)
        var pending: [KeyedManifest] = []
        var pendingBytes = 0
        for entry in entries {
            pending.append(entry)
            pendingBytes += entry.manifest.encodedLength
            if pending.count == 10_000 || pendingBytes > 32 << 20 {
                try await remote.commit(session: session, bucket: bucket, entries: pending)
                progress.advance(files: pending.count)
                pending = []
                pendingBytes = 0
            }
        }
        if !pending.isEmpty {
            try await remote.commit(session: session, bucket: bucket, entries: pending)
            progress.advance(files: pending.count)
        }
    }

    /// Reads a batch's chunks from their files and frames them, zstd-compressed when that pays (`compressionPays`).
    private static func frames(_ batch: [Upload], paths: [String]) throws -> (bytes: [UInt8], payload: Int) {
        var out: [UInt8] = []
        out.reserveCapacity(batch.reduce(0) { $0 + $1.length + ChunkFrame.headerLength })
        var open: [Int: LocalFile] = [:]
        let compressor = ZstdCompressor(level: 1)
        var scratch = [UInt8](repeating: 0, count: ZstdCompressor.bound(batch.map(\.length).max() ?? 0))
        var payload = 0
        var incompressibleStreak = 0
        for upload in batch {
            let file = try open[upload.file] ?? LocalFile(reading: paths[upload.file])
            open[upload.file] = file
            let raw = try file.read(upload.length, at: upload.offset)
            guard Hasher.digest(.sha256, raw) == upload.digest else {
                throw ClientError.local("\(paths[upload.file]) changed while it was being sent")
            }
            let attempt = incompressibleStreak < 4 || incompressibleStreak % 16 == 0
            let compressed: Int? = attempt ? raw.withUnsafeBytes { src in scratch.withUnsafeMutableBytes { compressor.compress(src, into: $0) } } : nil
            if let n = compressed, compressionPays(raw: raw.count, compressed: n) {
                ChunkFrame.appendHeader(to: &out, digest: upload.digest, rawLength: raw.count, storedLength: n, zstd: true)
                out.append(contentsOf: scratch[0..<n])
                payload += n
                incompressibleStreak = 0
            } else {
                ChunkFrame.appendHeader(to: &out, digest: upload.digest, rawLength: raw.count, storedLength: raw.count, zstd: false)
                out.append(contentsOf: raw)
                payload += raw.count
                incompressibleStreak += 1
            }
        }
        return (out, payload)
    }
}

func fileSize(_ path: String) throws -> Int {
    do { return (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0 } catch {
        throw ClientError.local("cannot read \(path): \(error.localizedDescription)")
    }
}

import CairnCore
import CairnProtocol
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `cairn pull`: fetch the manifests, take every chunk the local cache (or the file already at the
/// destination) holds, fetch only the rest, and write each file under a temporary name that is renamed
/// into place once its sha256 checks out. Fetched chunks go to the cache as they arrive, so a rerun after
/// an interruption fetches only what is still missing.
public struct Puller: Sendable {
    let remote: Remote
    let jobs: Int
    let progress: Progress
    let cache: ChunkCache?

    public init(remote: Remote, jobs: Int, progress: Progress, cacheDirectory: URL?) throws {
        self.remote = remote
        self.jobs = jobs
        self.progress = progress
        cache = try cacheDirectory.map { try ChunkCache(directory: $0) }
    }

    struct Destination {
        let key: String
        let path: String
        let manifest: Manifest
    }

    /// Maps the objects under `location` to local paths (see the README for the rules).
    static func destinations(_ entries: [KeyedManifest], location: S3Location, path: String) throws -> [Destination] {
        if let single = entries.first(where: { $0.key == location.prefix }), !location.prefix.isEmpty, !location.prefix.hasSuffix("/") {
            var isDirectory: ObjCBool = false
            let target = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
                ? path + "/" + (single.key as NSString).lastPathComponent : path
            return [Destination(key: single.key, path: target, manifest: single.manifest)]
        }
        var base = location.prefix
        while base.hasSuffix("/") { base.removeLast() }
        var out: [Destination] = []
        for entry in entries {
            let relative: Substring
            if base.isEmpty { relative = entry.key[...] } else {
                guard entry.key.hasPrefix(base + "/") else { continue }
                relative = entry.key.dropFirst(base.count + 1)
            }
            if relative.isEmpty || relative.hasSuffix("/") { continue }  // folder markers
            let segments = relative.split(separator: "/", omittingEmptySubsequences: false)
            guard !segments.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) else {
                throw ClientError.local("refusing to write key \(entry.key): it does not map to a safe local path")
            }
            out.append(Destination(key: entry.key, path: path + "/" + relative, manifest: entry.manifest))
        }
        return out
    }

    public func pull(_ location: S3Location, to path: String) async throws -> TransferSummary {
        let started = Date()
        let config = try await remote.configuration()
        let entries = try await remote.manifests(bucket: location.bucket, prefix: location.prefix, maxChunk: config.chunker.maxSize)
        let destinations = try Self.destinations(entries, location: location, path: path)
        guard !destinations.isEmpty else { throw ClientError.local("no objects at s3://\(location.bucket)/\(location.prefix)") }
        return try await pull(destinations, config: config, started: started)
    }

    /// `cairn model pull`: a model version's files below `directory`. The server resolves an alias once,
    /// so the files are one complete version even while the alias moves; returns which version it was.
    public func pull(model: String, _ reference: VersionReference, to directory: String) async throws -> (summary: TransferSummary, version: Int) {
        let started = Date()
        let config = try await remote.configuration()
        let (version, entries) = try await remote.versionManifests(model: model, reference, maxChunk: config.chunker.maxSize)
        let destinations = try Self.destinations(entries, location: S3Location(bucket: model, prefix: ""), path: directory)
        return (try await pull(destinations, config: config, started: started), version)
    }

    private func pull(_ destinations: [Destination], config: Remote.ServerConfiguration, started: Date) async throws -> TransferSummary {
        progress.setFiles(destinations.count)
        let tally = Tally()
        var index = 0
        while index < destinations.count {
            // Groups bound the number of open files.
            let group = Array(destinations[index..<min(destinations.count, index + 256)])
            index += group.count
            try await pullGroup(group, config: config, tally: tally)
        }
        let summary = TransferSummary(files: destinations.count, logicalBytes: destinations.reduce(0) { $0 + Int($1.manifest.size) },
                                      chunksTotal: destinations.reduce(0) { $0 + $1.manifest.count }, chunksTransferred: tally["fetched"],
                                      payloadBytes: tally["payload"], wire: remote.connection.counters, started: started)
        if let cache, cache.corruptEntries > 0 {
            printError("warning: \(cache.corruptEntries) corrupt chunk(s) in the local cache were discarded and fetched again\n")
        }
        progress.finish(summary)
        return summary
    }

    /// Assembles a group's files from the cache, the files already there and the server, then verifies each
    /// and renames it into place.
    private func pullGroup(_ group: [Destination], config: Remote.ServerConfiguration, tally: Tally) async throws {
        let assembly = try Assembly(group, progress: progress)
        progress.begin("assembling", total: assembly.totalBytes)
        var pending = try placeFromCache(assembly)
        // Cutting the files already at the destination (an older version pulled without this cache) costs about
        // as much as fetching on loopback, so only when there is no cache or it lacks most of the data.
        let pendingBytes = pending.reduce(0) { $0 + assembly.lengths[$1]! }
        if !pending.isEmpty && (cache == nil || pendingBytes * 2 > assembly.totalBytes) {
            pending = try placeFromDestinations(group, pending: pending, assembly, chunker: config.chunker)
        }
        try await fetch(pending, into: assembly, config: config, tally: tally)
        try commit(group, assembly.files)
    }

    /// 1. Chunks the local cache holds; returns the digests still missing, in order.
    private func placeFromCache(_ assembly: Assembly) throws -> [[UInt8]] {
        var pending: [[UInt8]] = []
        for digest in assembly.order {
            if let bytes = cache?.read(digest, length: assembly.lengths[digest]!) {
                try bytes.withUnsafeBytes { try assembly.place(digest, $0) }
                progress.advance(saved: bytes.count * assembly.copies(of: digest))
            } else {
                pending.append(digest)
            }
        }
        return pending
    }

    /// 2. Chunks found (verified) in the files already at the destinations; returns the digests still missing.
    private func placeFromDestinations(_ group: [Destination], pending: [[UInt8]], _ assembly: Assembly,
                                       chunker: ChunkerParameters) throws -> [[UInt8]] {
        var wanted = Set(pending)
        for d in group where !wanted.isEmpty {
            guard let size = try? fileSize(d.path), size > 0, let old = try? chunkFile(d.path, parameters: chunker, withMD5: false),
                  let file = try? LocalFile(reading: d.path) else { continue }
            for i in 0..<old.manifest.count {
                let digest = old.manifest.digest(at: i)
                guard wanted.contains(digest), let bytes = try? file.read(Int(old.manifest.lengths[i]), at: old.offsets[i]),
                      Hasher.digest(.sha256, bytes) == digest else { continue }
                try bytes.withUnsafeBytes { b in
                    try assembly.place(digest, b)
                    try self.cache?.write(digest, b)
                }
                progress.advance(saved: bytes.count * assembly.copies(of: digest))
                wanted.remove(digest)
            }
        }
        return pending.filter { wanted.contains($0) }
    }

    /// 3. The rest from the server, several batches in flight; each chunk verified, cached and placed as it arrives.
    private func fetch(_ pending: [[UInt8]], into assembly: Assembly, config: Remote.ServerConfiguration, tally: Tally) async throws {
        var batches: [[[UInt8]]] = []
        var batch: [[UInt8]] = [], batchBytes = 0
        for digest in pending {
            if !batch.isEmpty && (batch.count == config.maxDigestsPerFetch || batchBytes + assembly.lengths[digest]! > 8 << 20) {
                batches.append(batch)
                batch = []
                batchBytes = 0
            }
            batch.append(digest)
            batchBytes += assembly.lengths[digest]!
        }
        if !batch.isEmpty { batches.append(batch) }
        let (remote, chunkCache, maxChunk) = (self.remote, self.cache, config.chunker.maxSize)
        try await forEachConcurrently(batches, limit: jobs) { batch in
            let decompressor = ZstdDecompressor()
            var raw = [UInt8](repeating: 0, count: maxChunk)
            var index = 0
            try await remote.fetchChunks(batch.flatMap { $0 }, maxChunk: maxChunk) { header, payload in
                let expected = batch[index]
                index += 1
                guard header.digest == expected else { throw ClientError.protocolError("chunk \(index) of a batch is \(header.digest.hex), expected \(expected.hex)") }
                try raw.withUnsafeMutableBytes { out in
                    let bytes = UnsafeMutableRawBufferPointer(rebasing: out[0..<header.rawLength])
                    if header.zstd {
                        do { try decompressor.decompress(payload, into: bytes) } catch { throw ClientError.protocolError("chunk \(expected.hex): \(error)") }
                    } else {
                        bytes.copyMemory(from: payload)
                    }
                    let view = UnsafeRawBufferPointer(bytes)
                    guard Hasher.digest(.sha256, view) == expected else {
                        throw ClientError.protocolError("chunk \(expected.hex) arrived with different content")
                    }
                    try chunkCache?.write(expected, view)
                    try assembly.place(expected, view)
                }
                tally.add("fetched", 1)
                tally.add("payload", payload.count)
            }
        }
    }

    /// 4. Verifies each file as written, makes it durable, and moves it into place.
    private func commit(_ group: [Destination], _ files: [LocalFile]) throws {
        progress.begin("verifying", total: group.reduce(0) { $0 + Int($1.manifest.size) })
        var directories: Set<String> = []
        for (d, file) in zip(group, files) {
            let sha256 = try Self.sha256(of: file, size: d.manifest.size) { self.progress.advance(bytes: $0) }
            guard sha256 == d.manifest.sha256 else {
                unlink(file.path)
                throw ClientError.local("\(d.path): the assembled content's sha256 is \(sha256.hex), expected \(d.manifest.sha256.hex); nothing was written")
            }
            try file.sync()
            if rename(file.path, d.path) != 0 { throw ioError("cannot rename into place", d.path) }
            directories.insert(directory(of: d.path))
            progress.advance(files: 1)
        }
        for dir in directories { syncDirectory(dir) }
    }

    static func temporaryPath(_ path: String) -> String {
        let dir = directory(of: path), name = (path as NSString).lastPathComponent
        return "\(dir)/.\(name).cairn-partial"
    }

    private static func sha256(of file: LocalFile, size: UInt64, progress: (Int) -> Void) throws -> [UInt8] {
        let hasher = Hasher(.sha256)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4 << 20, alignment: 16)
        defer { buffer.deallocate() }
        var offset: UInt64 = 0
        while offset < size {
            let n = try file.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<Int(min(UInt64(buffer.count), size - offset))]), at: offset)
            if n == 0 { break }
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            offset += UInt64(n)
            progress(n)
        }
        return hasher.finalize()
    }
}

/// The directory holding `path` ("." for a bare file name).
func directory(of path: String) -> String {
    let dir = (path as NSString).deletingLastPathComponent
    return dir.isEmpty ? "." : dir
}

/// A place in one of a group's files where a chunk belongs.
private struct Target: Sendable {
    let file: Int
    let offset: UInt64
}

/// One group's temporary files (next to their final names) and where each digest goes in them. Shared
/// read-only by the cache, destination-file and fetch steps; writes are positional (`pwrite`).
private final class Assembly: Sendable {
    let files: [LocalFile]
    /// Each distinct chunk once, in the order the group first names it.
    let order: [[UInt8]]
    let lengths: [[UInt8]: Int]
    let totalBytes: Int
    private let targets: [[UInt8]: [Target]]
    private let progress: Progress

    init(_ group: [Puller.Destination], progress: Progress) throws {
        var files: [LocalFile] = []
        for d in group {
            let dir = directory(of: d.path)
            do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
                throw ClientError.local("cannot create directory \(dir): \(error.localizedDescription)")
            }
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: d.path, isDirectory: &isDirectory), isDirectory.boolValue {
                throw ClientError.local("cannot write \(d.path): a directory is in the way")
            }
            files.append(try LocalFile(creating: Puller.temporaryPath(d.path)))
        }
        var targets: [[UInt8]: [Target]] = [:]
        var lengths: [[UInt8]: Int] = [:]
        var order: [[UInt8]] = []
        for (f, d) in group.enumerated() {
            var offset: UInt64 = 0
            for i in 0..<d.manifest.count {
                let digest = d.manifest.digest(at: i)
                if targets[digest] == nil { order.append(digest); lengths[digest] = Int(d.manifest.lengths[i]) }
                targets[digest, default: []].append(Target(file: f, offset: offset))
                offset += UInt64(d.manifest.lengths[i])
            }
        }
        self.files = files
        self.order = order
        self.lengths = lengths
        self.targets = targets
        self.totalBytes = group.reduce(0) { $0 + Int($1.manifest.size) }
        self.progress = progress
    }

    /// How many places the chunk goes to.
    func copies(of digest: [UInt8]) -> Int { targets[digest]?.count ?? 0 }

    func place(_ digest: [UInt8], _ bytes: UnsafeRawBufferPointer) throws {
        guard let list = targets[digest] else { return }
        for t in list { try files[t.file].write(bytes, at: t.offset) }
        progress.advance(bytes: bytes.count * list.count)
    }
}

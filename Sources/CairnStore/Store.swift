import CairnCore
import CairnProtocol
import Foundation
import Synchronization
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// The storage engine: packs of content-addressed chunks indexed in LMDB, with buckets, objects and
/// multipart uploads on top. Layout and ordering rules: storage-layout.md.
///
/// Reads run synchronously in LMDB read transactions on the caller's thread; every write goes through the
/// group committer, which fsyncs the packs a write references before the index transaction that makes
/// them reachable commits.
public final class Store: Sendable {
    public static let formatVersion: UInt32 = 1

    public let directory: URL
    public let chunkerParameters: ChunkerParameters
    /// How long a dedupe session stays alive after its last request.
    public let sessionTTL: TimeInterval
    let environment: Environment
    let packs: PackStore
    let committer: GroupCommitter
    let db: Databases
    private let lockFile: FileHandle
    let readerPool = ReaderPool()
    /// Ingests in progress (their pack records are not in the index yet).
    let ingests = IngestRegistry()
    public let jobs = JobLock()
    /// Decoded versions: immutable once written, so a cached one is never stale.
    let versionCache = BoundedCache<[UInt8], VersionRecord>(limit: 100_000)

    struct Databases: Sendable {
        let meta, buckets, objects, blobs, chunks, md5, uploads, parts, sessions, pins: Database
        let models, versions, aliases, aliasMoves, datasets, children: Database
        /// Blob → the objects whose content it is (lineage shows where a dataset lives).
        let blobRefs: Database
        /// Chunks scrub found corrupt, taken out of `chunks`.
        let quarantine: Database
        /// Multipart uploads that completed, kept so that a retried completion gets the same answer.
        let completedUploads: Database
    }

    /// Opens the store in `directory`, creating it (with `chunker` parameters) when it is new.
    public static func open(directory: URL, chunker: ChunkerParameters = .standard, sessionTTL: TimeInterval = 86_400) throws -> Store {
        try Store(directory: directory, chunker: chunker, sessionTTL: sessionTTL)
    }

    private init(directory: URL, chunker: ChunkerParameters, sessionTTL: TimeInterval) throws {
        self.directory = directory
        self.sessionTTL = sessionTTL
        let fm = FileManager.default
        try fm.createDirectory(at: directory.appendingPathComponent("index"), withIntermediateDirectories: true)

        let lockPath = directory.appendingPathComponent("lock").path
        let fd = Glibc.open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        if fd < 0 { throw StoreIOError("open \(lockPath)") }
        lockFile = FileHandle(fd: fd)
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            throw StoreIOError(message: "the data directory \(directory.path) is in use by another cairn process")
        }

        environment = try Environment(directory: directory.appendingPathComponent("index").path, mapSize: 1 << 40, maxDatabases: 32)
        db = Databases(
            meta: try environment.open("meta"), buckets: try environment.open("buckets"), objects: try environment.open("objects"),
            blobs: try environment.open("blobs"), chunks: try environment.open("chunks"), md5: try environment.open("md5"),
            uploads: try environment.open("uploads"), parts: try environment.open("parts"),
            sessions: try environment.open("sessions"), pins: try environment.open("pins"),
            models: try environment.open("models"), versions: try environment.open("versions"), aliases: try environment.open("aliases"),
            aliasMoves: try environment.open("alias-moves"), datasets: try environment.open("datasets"), children: try environment.open("children"),
            blobRefs: try environment.open("blob-refs"), quarantine: try environment.open("quarantine"),
            completedUploads: try environment.open("completed-uploads"))
        packs = try PackStore(directory: directory.appendingPathComponent("packs"))

        let db = self.db
        chunkerParameters = try environment.write { txn in
            if let v = try txn.get(db.meta, Array("format".utf8)) {
                let version = try v.decode { try $0.u32() }
                guard version == Store.formatVersion else {
                    throw StoreIOError(message: "store format \(version) is not supported (this cairn reads format \(Store.formatVersion))")
                }
                guard let p = try txn.get(db.meta, Array("chunker".utf8)) else { throw DecodeError(what: "meta/chunker missing") }
                return try p.decode { r in
                    try r.version(1, "chunker")
                    return ChunkerParameters(minSize: Int(try r.u32()), averageSize: Int(try r.u32()), maxSize: Int(try r.u32()), normalization: Int(try r.u8()))
                }
            }
            var f = ByteWriter(); f.u32(Store.formatVersion)
            var c = ByteWriter(); c.u8(1); c.u32(UInt32(chunker.minSize)); c.u32(UInt32(chunker.averageSize)); c.u32(UInt32(chunker.maxSize)); c.u8(UInt8(chunker.normalization))
            try txn.put(db.meta, Array("format".utf8), f.bytes)
            try txn.put(db.meta, Array("chunker".utf8), c.bytes)
            return chunker
        }
        try Self.buildBlobRefsIfNeeded(environment, db)
        committer = GroupCommitter(environment: environment, packs: packs)
    }

    /// Drains pending writes and stops the writer thread. Acknowledged writes are already durable.
    public func close() {
        committer.stop()
        flock(lockFile.fd, LOCK_UN)
    }

    /// Entry counts of the index, for status reports and tests.
    public func statistics() throws -> StoreStatistics {
        try environment.read { txn in
            StoreStatistics(buckets: try txn.count(db.buckets), objects: try txn.count(db.objects), blobs: try txn.count(db.blobs),
                       chunks: try txn.count(db.chunks), uploads: try txn.count(db.uploads), parts: try txn.count(db.parts))
        }
    }

    /// The location of a chunk in the packs, if the index has it.
    public func locateChunk(_ digest: [UInt8]) throws -> ChunkLocation? { try chunkLocation(digest) }

    /// The path of a pack file (for tools and tests).
    public func packPath(_ id: UInt64) -> String { packs.path(id) }

}

/// Idle chunk readers. A reader is used by one task at a time; the pool only hands them over.
final class ReaderPool: Sendable {
    /// `ChunkReader` is not `Sendable`: a reader in the pool has no owner, and `take` gives it to exactly one.
    private struct Idle: @unchecked Sendable { var readers: [ChunkReader] = [] }
    private let idle = Mutex(Idle())

    func take() -> ChunkReader? { idle.withLock { $0.readers.popLast() } }
    func put(_ reader: ChunkReader) { idle.withLock { if $0.readers.count < 64 { $0.readers.append(reader) } } }
}

import CairnCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Garbage collection (storage-layout.md, "Garbage collection"): mark from the roots in a read snapshot,
/// delete unmarked index entries in short write transactions that first re-mark everything written since
/// the snapshot (the write journal), then delete packs nothing references and compact packs that are
/// mostly garbage. Runs alongside readers and writers; every step is safe to interrupt.
public struct GCOptions: Sendable {
    /// Packs appended to within this many seconds are left alone, with every chunk and blob in them.
    public var grace: TimeInterval = 86_400
    /// Plan and report only.
    public var dryRun = false
    /// Keep the blobs that model versions' lineage names (datasets), even with no object left.
    public var pinLineage = true
    /// Compact a pack when less than this share of its bytes is live.
    public var compactBelow = 0.5
    /// Abort multipart uploads started longer ago than this.
    public var uploadMaxAge: TimeInterval = 7 * 86_400
    /// Tests run writes here, between planning and deleting, to race the collector deterministically.
    var afterPlan: (@Sendable () async throws -> Void)?

    public init() {}
}

/// What one collection found and did.
public struct GCReport: Sendable, Codable, Equatable {
    public var dryRun = false
    public var startedAt = Date()
    public var seconds = 0.0
    public var planSeconds = 0.0
    public var graceSeconds = 0.0
    public var totalChunks = 0
    public var totalBlobs = 0
    public var markedChunks = 0
    public var markedBlobs = 0
    /// Unreferenced entries spared because their pack is within the grace period.
    public var graceChunks = 0
    public var candidateChunks = 0
    public var candidateChunkBytes = 0
    public var candidateBlobs = 0
    /// Candidates referenced again after planning (a dedupe hit, a new object or version), kept.
    public var revived = 0
    public var freedChunks = 0
    public var freedBlobs = 0
    public var expiredSessions = 0
    public var abortedUploads = 0
    public var packs = 0
    public var packsToDelete = 0
    public var packsToCompact = 0
    public var packsDeleted = 0
    public var packsCompacted = 0
    public var chunksMoved = 0
    /// Records compaction found corrupt and left in place (scrub reports them).
    public var corruptChunks = 0
    public var packBytesBefore = 0
    public var packBytesAfter = 0
    public var bytesFreed = 0

    enum CodingKeys: String, CodingKey {
        case dryRun = "dry_run", startedAt = "started_at", seconds, planSeconds = "plan_seconds", graceSeconds = "grace_seconds"
        case totalChunks = "total_chunks", totalBlobs = "total_blobs", markedChunks = "marked_chunks", markedBlobs = "marked_blobs"
        case graceChunks = "grace_chunks", candidateChunks = "candidate_chunks", candidateChunkBytes = "candidate_chunk_bytes"
        case candidateBlobs = "candidate_blobs", revived, freedChunks = "freed_chunks", freedBlobs = "freed_blobs"
        case expiredSessions = "expired_sessions", abortedUploads = "aborted_uploads", packs, packsToDelete = "packs_to_delete"
        case packsToCompact = "packs_to_compact", packsDeleted = "packs_deleted", packsCompacted = "packs_compacted"
        case chunksMoved = "chunks_moved", corruptChunks = "corrupt_chunks", packBytesBefore = "pack_bytes_before"
        case packBytesAfter = "pack_bytes_after", bytesFreed = "bytes_freed"
    }
}

/// A sha256 as a compact hashable value: mark sets hold millions of them.
struct Digest32: Hashable {
    let a, b, c, d: UInt64

    init(_ p: UnsafeRawBufferPointer) {
        a = p.loadUnaligned(fromByteOffset: 0, as: UInt64.self)
        b = p.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
        c = p.loadUnaligned(fromByteOffset: 16, as: UInt64.self)
        d = p.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
    }

    init(_ bytes: [UInt8]) { self = bytes.withUnsafeBytes { Digest32($0) } }

    var bytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        out.withUnsafeMutableBytes { p in
            for (i, v) in [a, b, c, d].enumerated() { p.storeBytes(of: v, toByteOffset: i * 8, as: UInt64.self) }
        }
        return out
    }
}

/// An ingest in progress: its pack records are not in the index yet. Released when the ingest commits
/// (or is abandoned).
final class IngestToken: @unchecked Sendable {  // immutable
    let id: UInt64
    let started: Date
    private let registry: IngestRegistry

    fileprivate init(id: UInt64, started: Date, registry: IngestRegistry) {
        self.id = id
        self.started = started
        self.registry = registry
    }

    deinit { registry.end(id) }
}

/// Ingests in progress. A pack last appended to before the oldest of them started holds only records of
/// finished ingests, so the index tells the whole truth about it.
final class IngestRegistry: @unchecked Sendable {  // guarded by `lock`
    private let lock = NSLock()
    private var next: UInt64 = 0
    private var active: [UInt64: Date] = [:]

    func begin() -> IngestToken {
        // File times come from the kernel's coarse clock and can lag a precise `Date()` by a tick: start a
        // second early so that every pack this ingest appends to counts as modified after it began.
        let now = Date().addingTimeInterval(-1)
        let id: UInt64 = lock.withLock {
            next += 1
            active[next] = now
            return next
        }
        return IngestToken(id: id, started: now, registry: self)
    }

    fileprivate func end(_ id: UInt64) { lock.withLock { _ = active.removeValue(forKey: id) } }

    var oldestStart: Date? { lock.withLock { active.values.min() } }
}

/// One maintenance job (collection or scrub) at a time, and the last reports for the status endpoint.
public final class CollectorState: @unchecked Sendable {  // guarded by `lock`
    private let lock = NSLock()
    private var running: String?
    private var _lastGC: GCReport?
    private var _lastScrub: ScrubReport?
    private var _lastError: (job: String, at: Date, message: String)?
    private var _runs: [String: Int] = [:]

    public var lastGC: GCReport? { lock.withLock { _lastGC } }
    /// The last job that failed, when, and why.
    public var lastError: (job: String, at: Date, message: String)? { lock.withLock { _lastError } }
    /// Completed runs per job since the server started.
    public var runs: [String: Int] { lock.withLock { _runs } }
    public var lastScrub: ScrubReport? { lock.withLock { _lastScrub } }
    public var current: String? { lock.withLock { running } }

    func begin(_ job: String) throws {
        try lock.withLock {
            if let running { throw StoreError.maintenanceRunning(running) }
            running = job
        }
    }

    func end(gc: GCReport? = nil, scrub: ScrubReport? = nil, error: (any Error)? = nil) {
        lock.withLock {
            if let running {
                if let error { _lastError = (running, Date(), "\(error)") } else { _runs[running, default: 0] += 1 }
            }
            running = nil
            if let gc { _lastGC = gc }
            if let scrub { _lastScrub = scrub }
        }
    }
}

/// Marks (referenced blobs and chunks), shared by the plan and the deletion transactions that extend it.
private final class Marks: @unchecked Sendable {  // used by one task at a time, in sequence
    var blobs: Set<Digest32> = []
    var chunks: Set<Digest32> = []

    /// Marks a blob and its chunks (a blob the index lacks marks nothing more).
    func markBlob(_ txn: Transaction, _ db: Store.Databases, _ sha256: [UInt8]) throws {
        guard sha256.count == 32, blobs.insert(Digest32(sha256)).inserted, let value = try txn.get(db.blobs, sha256) else { return }
        let record = try BlobRecord.decode(sha256: sha256, value)
        markChunks(record.chunks)
    }

    func markChunks(_ list: ChunkList) {
        list.digests.withUnsafeBytes { p in
            for i in 0..<list.count { chunks.insert(Digest32(UnsafeRawBufferPointer(rebasing: p[i * 32..<(i + 1) * 32]))) }
        }
    }

    /// Marks what a version keeps alive: its files, and (by policy) the datasets its lineage names.
    func markVersion(_ txn: Transaction, _ db: Store.Databases, _ value: [UInt8], pinLineage: Bool) throws {
        let version = try RecordJSON.decode(VersionRecord.self, value)
        for file in version.files { if let sha = decodeHex(file.sha256) { try markBlob(txn, db, sha) } }
        guard pinLineage else { return }
        for d in version.lineage.datasets {
            if let h = d.sha256, let sha = decodeHex(h) { try markBlob(txn, db, sha) }
            if let m = d.md5, let md5 = decodeHex(m), let sha = try txn.get(db.md5, md5) { try markBlob(txn, db, sha) }
        }
    }

    /// Marks a pinned digest: a chunk, or a blob a session committed without an object.
    func markPin(_ txn: Transaction, _ db: Store.Databases, _ digest: [UInt8]) throws {
        chunks.insert(Digest32(digest))
        try markBlob(txn, db, digest)
    }
}

private struct Candidate {
    let digest: [UInt8]
    let location: ChunkLocation
}

private struct BlobCandidate {
    let sha256: [UInt8]
    let md5: [UInt8]
}

extension Store {
    /// Crash injection for tests: `CAIRN_GC_CRASH_AT=<phase>` kills the process at that point of a collection.
    private func crashPoint(_ phase: String) {
        if ProcessInfo.processInfo.environment["CAIRN_GC_CRASH_AT"] == phase { kill(getpid(), SIGKILL) }
    }

    /// Runs one collection. Throws `maintenanceRunning` when another collection or a scrub is running.
    public func collectGarbage(_ options: GCOptions = GCOptions()) async throws -> GCReport {
        try collector.begin("garbage collection")
        var report = GCReport()
        do {
            report = try await runCollection(options)
        } catch {
            environment.journal.stop()
            collector.end(error: error)
            throw error
        }
        collector.end(gc: options.dryRun ? nil : report)
        return report
    }

    private func runCollection(_ options: GCOptions) async throws -> GCReport {
        let started = Date()
        var report = GCReport()
        report.dryRun = options.dryRun
        report.startedAt = started
        report.graceSeconds = options.grace
        let db = self.db

        // The phases are those of storage-layout.md, "Garbage collection".
        // 1. From here on the journal sees every index write; the snapshot below sees every earlier one
        //    (this job runs on the writer thread between transactions, and returns after its batch commits).
        let journal = environment.journal
        if !options.dryRun {
            try await committer.write { _ in journal.start(watching: [db.objects, db.blobs, db.chunks, db.versions, db.pins, db.parts]) }
        }

        // 2 and 3. Seal (so this run can reclaim space in the current pack too), then plan.
        if !options.dryRun { try packs.seal() }
        let packFiles = try packs.list()
        let planned = try await onOwnThread { try self.plan(options, packFiles: packFiles) }
        report = planned.report
        report.dryRun = options.dryRun
        report.startedAt = started
        report.graceSeconds = options.grace
        report.planSeconds = Date().timeIntervalSince(started)
        if options.dryRun {
            report.seconds = Date().timeIntervalSince(started)
            return report
        }
        crashPoint("plan")
        try await options.afterPlan?()

        // 4. Sessions and uploads past their age stop being roots.
        let ttl = sessionTTL, uploadMaxAge = options.uploadMaxAge
        (report.expiredSessions, report.abortedUploads) = try await committer.write { txn in
            try self.expireSessionsAndUploads(txn, ttl: ttl, uploadMaxAge: uploadMaxAge)
        }

        // 5. Delete unmarked index entries, a slice per transaction; each first marks what was written since.
        let marks = planned.marks
        let blobSlices = stride(from: 0, to: planned.blobs.count, by: 2_000).map { Array(planned.blobs[$0..<min($0 + 2_000, planned.blobs.count)]) }
        let chunkSlices = stride(from: 0, to: planned.chunks.count, by: 10_000).map { Array(planned.chunks[$0..<min($0 + 10_000, planned.chunks.count)]) }
        let pinLineage = options.pinLineage
        let total = max(1, blobSlices.count + chunkSlices.count)
        for i in 0..<total {
            let blobs = i < blobSlices.count ? blobSlices[i] : []
            let chunks = i >= blobSlices.count && i - blobSlices.count < chunkSlices.count ? chunkSlices[i - blobSlices.count] : []
            let last = i == total - 1
            let (freedBlobs, freedChunks, revived) = try await committer.write { txn in
                try self.absorbJournal(txn, marks, pinLineage: pinLineage)
                var freedBlobs = 0, freedChunks = 0, revived = 0
                for blob in blobs {
                    if marks.blobs.contains(Digest32(blob.sha256)) { revived += 1; continue }
                    if try txn.delete(db.blobs, blob.sha256) { freedBlobs += 1 }
                    if try txn.get(db.md5, blob.md5) == blob.sha256 { try txn.delete(db.md5, blob.md5) }
                }
                for chunk in chunks {
                    if marks.chunks.contains(Digest32(chunk.digest)) { revived += 1; continue }
                    guard let now = try txn.get(db.chunks, chunk.digest), try ChunkLocation.decode(now) == chunk.location else { continue }
                    try txn.delete(db.chunks, chunk.digest)
                    freedChunks += 1
                }
                if last { journal.stop() }
                return (freedBlobs, freedChunks, revived)
            }
            report.freedBlobs += freedBlobs
            report.freedChunks += freedChunks
            report.revived += revived
            if i == 0 { crashPoint("delete-index") }
        }

        // 6. Packs: delete those nothing references, compact those mostly garbage.
        try await collectPacks(options, planned: Set(packFiles.map(\.id)), report: &report)
        report.packBytesAfter = try packs.list().reduce(0) { $0 + $1.size }
        report.bytesFreed = max(0, report.packBytesBefore - report.packBytesAfter)
        report.seconds = Date().timeIntervalSince(started)
        return report
    }

    private struct Plan: @unchecked Sendable {  // handed from the planning thread to the collector task once
        var report = GCReport()
        fileprivate var marks = Marks()
        fileprivate var blobs: [BlobCandidate] = []
        fileprivate var chunks: [Candidate] = []
    }

    /// Marks from the roots in one read snapshot and lists what nothing references.
    private func plan(_ options: GCOptions, packFiles: [PackStore.PackFile]) throws -> Plan {
        var plan = Plan()
        let marks = plan.marks
        let now = Date()
        let graceCutoff = now.addingTimeInterval(-options.grace)
        let youngPacks = Set(packFiles.filter { $0.modified >= graceCutoff }.map(\.id))
        let db = self.db
        try environment.read { txn in
            // Roots: objects, versions (files and, by policy, lineage datasets), open uploads' parts, live sessions' pins.
            try txn.scan(db.objects, from: []) { _, value in
                try marks.markBlob(txn, db, try ObjectRecord.decode(Array(value)).blob)
                return true
            }
            try txn.scan(db.versions, from: []) { _, value in
                try marks.markVersion(txn, db, Array(value), pinLineage: options.pinLineage)
                return true
            }
            var uploadAges: [String: Date] = [:]
            try txn.scan(db.uploads, from: []) { key, value in
                let id = String(decoding: key, as: UTF8.self)
                uploadAges[id] = try UploadRecord.decode(id: id, Array(value)).created
                return true
            }
            try txn.scan(db.parts, from: []) { key, value in
                guard let zero = key.firstIndex(of: 0) else { return true }
                let id = String(decoding: key[..<zero], as: UTF8.self)
                if let created = uploadAges[id], now.timeIntervalSince(created) > options.uploadMaxAge { return true }  // to be aborted
                marks.markChunks(try PartRecord.decode(number: 0, Array(value)).chunks)
                return true
            }
            var liveSessions: Set<[UInt8]> = []
            try txn.scan(db.sessions, from: []) { key, value in
                let record = try SessionRecord.decode(id: Array(key), Array(value))
                if now.timeIntervalSince(record.lastUsed) < self.sessionTTL { liveSessions.insert(record.id) }
                return true
            }
            try txn.scan(db.pins, from: []) { key, _ in
                guard key.count == 48, liveSessions.contains(Array(key[0..<16])) else { return true }
                try marks.markPin(txn, db, Array(key[16..<48]))
                return true
            }

            // Blobs nothing marked, unless a chunk of theirs sits in a young pack: such a blob is kept by the
            // grace period, with all its chunks (`graceOnly` tells those apart from referenced ones).
            var liveBytes: [UInt64: Int] = [:]
            var graceOnly: Set<Digest32> = []
            plan.report.markedBlobs = marks.blobs.count
            try txn.scan(db.blobs, from: []) { key, value in
                plan.report.totalBlobs += 1
                if marks.blobs.contains(Digest32(key)) { return true }
                let sha = Array(key)
                let record = try BlobRecord.decode(sha256: sha, Array(value))
                for i in 0..<record.chunks.count {
                    if let loc = try txn.get(db.chunks, record.chunks.digest(at: i)), youngPacks.contains(try ChunkLocation.decode(loc).pack) {
                        marks.blobs.insert(Digest32(sha))
                        record.chunks.digests.withUnsafeBytes { p in
                            for j in 0..<record.chunks.count {
                                let d = Digest32(UnsafeRawBufferPointer(rebasing: p[j * 32..<(j + 1) * 32]))
                                if marks.chunks.insert(d).inserted { graceOnly.insert(d) }
                            }
                        }
                        return true
                    }
                }
                plan.blobs.append(BlobCandidate(sha256: sha, md5: record.md5))
                return true
            }
            // Chunks nothing marked.
            try txn.scan(db.chunks, from: []) { key, value in
                plan.report.totalChunks += 1
                let location = try ChunkLocation.decode(Array(value))
                let size = PackFormat.recordHeaderLength + Int(location.storedLength)
                let digest = Digest32(key)
                if marks.chunks.contains(digest) {
                    if graceOnly.contains(digest) { plan.report.graceChunks += 1 }
                    liveBytes[location.pack, default: 0] += size
                } else if youngPacks.contains(location.pack) {
                    plan.report.graceChunks += 1
                    liveBytes[location.pack, default: 0] += size
                } else {
                    plan.chunks.append(Candidate(digest: Array(key), location: location))
                    plan.report.candidateChunkBytes += size
                }
                return true
            }
            plan.report.markedChunks = marks.chunks.count - graceOnly.count
            // What the packs would become (a real run seals the current pack first, so it counts too).
            for file in packFiles where !youngPacks.contains(file.id) {
                let live = liveBytes[file.id] ?? 0
                if live == 0 {
                    plan.report.packsToDelete += 1
                } else if Double(live) < Double(file.size - PackFormat.headerLength) * options.compactBelow {
                    plan.report.packsToCompact += 1
                }
            }
        }
        plan.report.candidateChunks = plan.chunks.count
        plan.report.candidateBlobs = plan.blobs.count
        plan.report.packs = packFiles.count
        plan.report.packBytesBefore = packFiles.reduce(0) { $0 + $1.size }
        return plan
    }

    /// Marks what the writes since the snapshot reference.
    private func absorbJournal(_ txn: Transaction, _ marks: Marks, pinLineage: Bool) throws {
        for entry in environment.journal.drain() {
            switch entry.db {
            case db.objects: try marks.markBlob(txn, db, try ObjectRecord.decode(entry.value).blob)
            case db.blobs:
                if let record = try? BlobRecord.decode(sha256: entry.key, entry.value) {
                    marks.blobs.insert(Digest32(entry.key))
                    marks.markChunks(record.chunks)
                }
            case db.chunks: if entry.key.count == 32 { marks.chunks.insert(Digest32(entry.key)) }
            case db.versions: try marks.markVersion(txn, db, entry.value, pinLineage: pinLineage)
            case db.pins: if entry.key.count == 48 { try marks.markPin(txn, db, Array(entry.key[16...])) }
            case db.parts: if let part = try? PartRecord.decode(number: 0, entry.value) { marks.markChunks(part.chunks) }
            default: break
            }
        }
    }

    /// Deletes sessions past their TTL (with their pins) and aborts multipart uploads past `uploadMaxAge`.
    private func expireSessionsAndUploads(_ txn: Transaction, ttl: TimeInterval, uploadMaxAge: TimeInterval) throws -> (Int, Int) {
        let now = Date()
        var sessions: [[UInt8]] = [], uploads: [String] = []
        try txn.scan(db.sessions, from: []) { key, value in
            if now.timeIntervalSince(try SessionRecord.decode(id: Array(key), Array(value)).lastUsed) >= ttl { sessions.append(Array(key)) }
            return true
        }
        try txn.scan(db.uploads, from: []) { key, value in
            let id = String(decoding: key, as: UTF8.self)
            if now.timeIntervalSince(try UploadRecord.decode(id: id, Array(value)).created) > uploadMaxAge { uploads.append(id) }
            return true
        }
        for id in sessions { try Store.deleteSession(txn, db, id) }
        for id in uploads { try deleteUpload(txn, id) }
        return (sessions.count, uploads.count)
    }

    /// Deletes packs the index no longer references and compacts mostly-garbage ones. Only packs that no
    /// ingest in progress may still be appending index-less records to, and older than the grace period.
    private func collectPacks(_ options: GCOptions, planned: Set<UInt64>, report: inout GCReport) async throws {
        let now = Date()
        let cutoff = min(ingests.oldestStart ?? now, now.addingTimeInterval(-options.grace))
        let current = packs.currentID
        let eligible = try packs.list().filter { planned.contains($0.id) && $0.id != current && $0.modified < cutoff }
        guard !eligible.isEmpty else { return }
        let eligibleIDs = Set(eligible.map(\.id))
        // Live bytes and live records of the eligible packs, from the index as it is now.
        var live: [UInt64: [(digest: [UInt8], location: ChunkLocation)]] = [:]
        let db = self.db
        try environment.read { txn in
            try txn.scan(db.chunks, from: []) { key, value in
                let location = try ChunkLocation.decode(Array(value))
                if eligibleIDs.contains(location.pack) { live[location.pack, default: []].append((Array(key), location)) }
                return true
            }
        }
        var deleted = 0
        for file in eligible where live[file.id] == nil {
            try packs.delete(file.id)
            deleted += 1
            if deleted == 1 { crashPoint("delete-packs") }
        }
        report.packsDeleted += deleted

        let toCompact = eligible.filter { file in
            guard let records = live[file.id] else { return false }
            let liveBytes = records.reduce(0) { $0 + PackFormat.recordHeaderLength + Int($1.location.storedLength) }
            return Double(liveBytes) < Double(file.size - PackFormat.headerLength) * options.compactBelow
        }
        guard !toCompact.isEmpty else { return }
        let token = ingests.begin()
        defer { withExtendedLifetime(token) {} }
        // Copy each live record (verified) to the current pack, make the copies durable, then switch the
        // index entries that still point at the old place in one transaction; delete old packs after that.
        var moves: [(digest: [UInt8], from: ChunkLocation, to: ChunkLocation)] = []
        var corrupt = 0
        try await onOwnThread {
            let reader = self.makeChunkReader()
            for file in toCompact {
                for (digest, location) in live[file.id]! {
                    // Gone or moved since the scan (a new upload of a quarantined chunk, say): nothing to copy.
                    guard let (found, payload) = try? reader.readRecord(digest), found == location else { continue }
                    guard (try? reader.decode(digest, found, payload)) != nil else {
                        corrupt += 1
                        continue
                    }
                    // The payload sits right after its 48-byte header in the reader's record buffer.
                    let record = UnsafeRawBufferPointer(start: payload.baseAddress! - PackFormat.recordHeaderLength,
                                                        count: PackFormat.recordHeaderLength + payload.count)
                    let (pack, offset) = try self.packs.append(record)
                    moves.append((digest, location, ChunkLocation(pack: pack, offset: offset, storedLength: location.storedLength,
                                                                  rawLength: location.rawLength, compressed: location.compressed)))
                }
            }
            try self.packs.syncCurrent()
        }
        crashPoint("compact-copy")
        let movedList = moves
        report.chunksMoved += try await committer.write { txn in
            var moved = 0
            for m in movedList {
                guard let now = try txn.get(db.chunks, m.digest), try ChunkLocation.decode(now) == m.from else { continue }
                try txn.put(db.chunks, m.digest, m.to.encode())
                moved += 1
            }
            return moved
        }
        crashPoint("compact-switch")
        report.corruptChunks += corrupt
        // A pack still referenced (a corrupt record left in place) stays.
        var referenced: Set<UInt64> = []
        let compacted = Set(toCompact.map(\.id))
        try environment.read { txn in
            try txn.scan(db.chunks, from: []) { _, value in
                let pack = try ChunkLocation.decode(Array(value)).pack
                if compacted.contains(pack) { referenced.insert(pack) }
                return true
            }
        }
        for id in compacted where !referenced.contains(id) {
            try packs.delete(id)
            report.packsCompacted += 1
        }
    }
}

/// Runs blocking work (long read transactions, file copies) on its own thread, off the cooperative pool.
func onOwnThread<T>(_ body: @escaping () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        let box = UncheckedBox(body)
        Thread {
            do { continuation.resume(returning: try box.value()) } catch { continuation.resume(throwing: error) }
        }.start()
    }
}

private final class UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

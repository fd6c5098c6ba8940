import CairnCore
import CairnProtocol
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

extension Store {
    /// Crash injection for tests: `CAIRN_GC_CRASH_AT=<phase>` kills the process at that point of a collection.
    func crashPoint(_ phase: String) {
        if ProcessInfo.processInfo.environment["CAIRN_GC_CRASH_AT"] == phase { kill(getpid(), SIGKILL) }
    }

    /// Runs one collection. Throws `maintenanceRunning` when another collection or a scrub is running.
    public func collectGarbage(_ options: GCOptions = GCOptions()) async throws -> GCReport {
        try jobs.begin("garbage collection")
        var report = GCReport()
        do {
            report = try await runCollection(options)
        } catch {
            environment.journal.stop()
            jobs.end(error: error)
            throw error
        }
        jobs.end(gc: options.dryRun ? nil : report)
        return report
    }

    /// The phases of storage-layout.md, "Garbage collection".
    private func runCollection(_ options: GCOptions) async throws -> GCReport {
        let started = Date()
        // 1. From here on the journal sees every index write; the snapshot below sees every earlier one
        //    (this job runs on the writer thread between transactions, and returns after its batch commits).
        if !options.dryRun {
            let journal = environment.journal, db = self.db
            try await committer.write { _ in journal.start(watching: [db.objects, db.blobs, db.chunks, db.versions, db.pins, db.parts]) }
        }

        // 2 and 3. Seal (so this run can reclaim space in the current pack too), then plan.
        if !options.dryRun { try packs.seal() }
        let packFiles = try packs.list()
        let planned = try await onOwnThread { try self.plan(options, packFiles: packFiles) }
        var report = planned.report
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

        // 5. Delete unmarked index entries.
        try await deleteUnmarked(planned, pinLineage: options.pinLineage, report: &report)

        // 6. Packs: delete those nothing references, compact those mostly garbage.
        try await collectPacks(options, planned: Set(packFiles.map(\.id)), report: &report)
        report.packBytesAfter = try packs.list().reduce(0) { $0 + $1.size }
        report.bytesFreed = max(0, report.packBytesBefore - report.packBytesAfter)
        report.seconds = Date().timeIntervalSince(started)
        return report
    }

    /// Deletes the plan's candidates a slice per transaction; each transaction first marks what was written
    /// since the snapshot, so a candidate referenced again meanwhile is kept ("revived"). The last one stops
    /// the journal.
    private func deleteUnmarked(_ planned: GCPlan, pinLineage: Bool, report: inout GCReport) async throws {
        let marks = planned.marks, journal = environment.journal, db = self.db
        let blobSlices = stride(from: 0, to: planned.blobs.count, by: 2_000).map { Array(planned.blobs[$0..<min($0 + 2_000, planned.blobs.count)]) }
        let chunkSlices = stride(from: 0, to: planned.chunks.count, by: 10_000).map { Array(planned.chunks[$0..<min($0 + 10_000, planned.chunks.count)]) }
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
    }
}

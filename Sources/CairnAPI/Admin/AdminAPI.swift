import CairnCore
import CairnHTTP
import CairnProtocol
import CairnStore
import Foundation
import Hummingbird
import Logging

/// How the server runs maintenance: the defaults of `POST /api/v1/admin/gc` and the GC schedule.
public struct MaintenanceSettings: Sendable {
    /// Default grace period of a collection (seconds).
    public var gcGrace: TimeInterval = 86_400
    /// Multipart uploads older than this are aborted by a collection (seconds).
    public var uploadMaxAge: TimeInterval = 7 * 86_400
    /// Seconds between scheduled collections; nil or 0: none.
    public var gcInterval: TimeInterval?

    public init(gcGrace: TimeInterval = 86_400, uploadMaxAge: TimeInterval = 7 * 86_400, gcInterval: TimeInterval? = nil) {
        self.gcGrace = gcGrace
        self.uploadMaxAge = uploadMaxAge
        self.gcInterval = gcInterval
    }
}

/// `cairn gc`, `cairn scrub`, `cairn fsck` and the status endpoint, under `/api/v1/admin/`. Running a job
/// needs an admin key; any key may read the status.
extension APIService {
    func collectGarbage(_ c: ServiceRequest) async throws -> Response {
        try c.requireAdmin("Garbage collection")
        var options = GCOptions()
        options.grace = try duration(c, "grace") ?? maintenance.gcGrace
        options.uploadMaxAge = try duration(c, "upload-max-age") ?? maintenance.uploadMaxAge
        options.dryRun = c.query["dry-run"] == "true"
        options.pinLineage = c.query["pin-lineage"] != "false"
        if let text = c.query["compact-below"] {
            guard let v = Double(text), (0...1).contains(v) else { throw ServiceError.invalidArgument("compact-below is a share between 0 and 1") }
            options.compactBelow = v
        }
        let report = try await store.collectGarbage(options)
        logger.notice("gc\(options.dryRun ? " (dry run)" : ""): \(report.candidateChunks) unreferenced chunks, \(report.freedChunks) freed, \(report.packsDeleted) packs deleted, \(report.packsCompacted) compacted, \(report.bytesFreed) bytes freed in \(String(format: "%.2f", report.seconds)) s")
        return encoded(report)
    }

    func scrub(_ c: ServiceRequest) async throws -> Response {
        try c.requireAdmin("Scrub")
        let report = try await store.scrub()
        if !report.corrupt.isEmpty {
            logger.error("scrub: \(report.corrupt.count) corrupt chunk(s) quarantined; affected objects: \(report.affectedObjects.map { "\($0.bucket)/\($0.key)" }.joined(separator: ", "))")
        }
        return encoded(report)
    }

    func fsck(_ c: ServiceRequest) async throws -> Response {
        try c.requireAdmin("fsck")
        return encoded(try await store.fsck(rebuildChunkIndex: c.query["rebuild-chunk-index"] == "true"))
    }

    func status() -> AdminStatus {
        let jobs = store.jobs
        return AdminStatus(running: jobs.current, store: try? store.statistics(), lastGC: jobs.lastGC, lastScrub: jobs.lastScrub,
                           lastError: jobs.lastError.map { AdminStatus.Failure(job: $0.job, at: $0.at, message: $0.message) },
                           runs: jobs.runs, dedupe: dedupeStats.snapshot)
    }

    private func duration(_ c: ServiceRequest, _ name: String) throws -> TimeInterval? {
        guard let text = c.query[name] else { return nil }
        guard let seconds = parseDuration(text) else { throw ServiceError.invalidArgument("\(name) is a duration such as 0s, 90s, 15m, 24h or 7d") }
        return seconds
    }

    /// Runs a collection every `maintenance.gcInterval` seconds until cancelled.
    public func runScheduledCollections() async {
        guard let interval = maintenance.gcInterval, interval > 0 else { return }
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(interval))
            if Task.isCancelled { return }
            var options = GCOptions()
            options.grace = maintenance.gcGrace
            options.uploadMaxAge = maintenance.uploadMaxAge
            do {
                let report = try await store.collectGarbage(options)
                logger.notice("scheduled gc: \(report.freedChunks) chunks freed, \(report.packsDeleted) packs deleted, \(report.packsCompacted) compacted, \(report.bytesFreed) bytes freed in \(String(format: "%.2f", report.seconds)) s")
            } catch {
                logger.error("scheduled gc failed: \(error)")
            }
        }
    }
}

import Foundation

/// Entry counts of the store's index (status reports, tests).
public struct StoreStatistics: Codable, Sendable, Equatable {
    public var buckets, objects, blobs, chunks, uploads, parts: Int

    public init(buckets: Int, objects: Int, blobs: Int, chunks: Int, uploads: Int, parts: Int) {
        self.buckets = buckets
        self.objects = objects
        self.blobs = blobs
        self.chunks = chunks
        self.uploads = uploads
        self.parts = parts
    }
}

/// `GET /api/v1/admin/status`.
public struct AdminStatus: Codable, Sendable, Equatable {
    public struct Failure: Codable, Sendable, Equatable {
        public var job: String
        public var at: Date
        public var message: String

        public init(job: String, at: Date, message: String) {
            self.job = job
            self.at = at
            self.message = message
        }
    }

    public var status: String
    /// The maintenance job running now.
    public var running: String?
    public var store: StoreStatistics?
    public var lastGC: GCReport?
    public var lastScrub: ScrubReport?
    public var lastError: Failure?
    /// Completed runs per job since the server started.
    public var runs: [String: Int]
    /// The dedupe API's counters (as `GET /api/v1/dedupe/stats`, without `index_chunks`).
    public var dedupe: [String: Int]

    public init(status: String = "ok", running: String?, store: StoreStatistics?, lastGC: GCReport?, lastScrub: ScrubReport?,
                lastError: Failure?, runs: [String: Int], dedupe: [String: Int]) {
        self.status = status
        self.running = running
        self.store = store
        self.lastGC = lastGC
        self.lastScrub = lastScrub
        self.lastError = lastError
        self.runs = runs
        self.dedupe = dedupe
    }

    enum CodingKeys: String, CodingKey {
        case status, running, store, lastGC = "last_gc", lastScrub = "last_scrub", lastError = "last_error", runs, dedupe
    }
}

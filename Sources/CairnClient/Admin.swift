import CairnProtocol
import NIOHTTP1

/// The maintenance API (`/api/v1/admin/`): what `cairn gc`, `cairn scrub` and `cairn fsck` call.
public struct Admin: Sendable {
    public let connection: Connection

    public init(_ connection: Connection) { self.connection = connection }

    /// `query` holds the collection's options (`dry-run=true`, `grace=24h`, …).
    public func collectGarbage(query: String) async throws -> GCReport {
        try await connection.json(GCReport.self, .POST, "/api/v1/admin/gc", query: query)
    }

    public func scrub() async throws -> ScrubReport {
        try await connection.json(ScrubReport.self, .POST, "/api/v1/admin/scrub")
    }

    public func fsck(rebuildChunkIndex: Bool) async throws -> FsckReport {
        try await connection.json(FsckReport.self, .POST, "/api/v1/admin/fsck", query: rebuildChunkIndex ? "rebuild-chunk-index=true" : "")
    }

    public func status() async throws -> AdminStatus {
        try await connection.json(AdminStatus.self, .GET, "/api/v1/admin/status")
    }
}

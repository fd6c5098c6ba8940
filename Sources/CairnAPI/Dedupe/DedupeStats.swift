import Synchronization

/// Counters of the native dedupe API since the server started (`GET /api/v1/dedupe/stats`).
final class DedupeStats: Sendable {
    static let names = ["chunks_received", "chunks_stored", "wire_bytes_received", "chunk_bytes_stored", "chunks_served",
                        "wire_bytes_served", "commits", "missing_queries"]

    private let values = Mutex<[String: Int]>([:])

    func add(_ name: String, _ n: Int) { values.withLock { $0[name, default: 0] += n } }
    var snapshot: [String: Int] { values.withLock { values in Dictionary(uniqueKeysWithValues: Self.names.map { ($0, values[$0] ?? 0) }) } }
}

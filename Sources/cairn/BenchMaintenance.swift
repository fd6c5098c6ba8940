import ArgumentParser
import CairnCore
import CairnProtocol
import CairnStore
import Foundation

/// `cairn bench-gc`: garbage collection and scrub on stores built in-process (bench/gcbench.py runs it).
struct BenchGC: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench-gc", abstract: "Measure GC marking and scrub on synthetic stores.", shouldDisplay: false)

    @Option(help: "Chunks in the GC store (tiny chunks: the cost measured is the index's).") var chunks = 1_000_000
    @Option(name: .customLong("scrub-mib"), help: "MiB of data in the scrub store.") var scrubMiB = 1024
    @Option(help: "Directory for the stores (default: a temporary one, removed afterwards).") var directory: String?

    func run() async throws {
        let root = URL(fileURLWithPath: directory ?? NSTemporaryDirectory() + "cairn-bench-gc-\(UUID().uuidString)")
        defer { if directory == nil { try? FileManager.default.removeItem(at: root) } }
        var out: [String: Any] = [:]
        out["gc"] = try await benchGC(root.appendingPathComponent("gc"))
        out["scrub"] = try await benchScrub(root.appendingPathComponent("scrub"))
        let data = try JSONSerialization.data(withJSONObject: out, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }

    /// `chunks` chunks in objects of ~10 chunks each; half the objects deleted; one dry run and one collection.
    private func benchGC(_ dir: URL) async throws -> [String: Any] {
        let store = try Store.open(directory: dir, chunker: ChunkerParameters(minSize: 64, averageSize: 128, maxSize: 256, normalization: 2))
        defer { store.close() }
        try await store.createBucket("bench")
        let objects = max(1, chunks / 10)
        let started = Date()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<16 {
                group.addTask {
                    var state = UInt64(worker + 1) &* 0x9E37_79B9_7F4A_7C15
                    var bytes = [UInt8](repeating: 0, count: 1_280)
                    for i in stride(from: worker, to: objects, by: 16) {
                        for j in 0..<bytes.count { state ^= state << 13; state ^= state >> 7; state ^= state << 17; bytes[j] = UInt8(truncatingIfNeeded: state) }
                        let writer = store.makeBlobWriter()
                        try writer.write(bytes)
                        try await store.putObject(bucket: "bench", key: "o/\(i)", blob: try writer.finish(), headers: [], checksums: [])
                    }
                }
            }
            try await group.waitForAll()
        }
        let populate = Date().timeIntervalSince(started)
        var deleted = 0
        for start in stride(from: 0, to: objects, by: 2_000) {
            let keys = stride(from: start, to: min(objects, start + 2_000), by: 2).map { "o/\($0)" }
            try await store.deleteObjects(bucket: "bench", keys: keys)
            deleted += keys.count
        }
        var options = GCOptions()
        options.grace = 0
        options.dryRun = true
        let dry = try await store.collectGarbage(options)
        options.dryRun = false
        let real = try await store.collectGarbage(options)
        return [
            "objects": objects, "objects_deleted": deleted, "populate_seconds": populate,
            "total_chunks": real.totalChunks, "marked_chunks": real.markedChunks, "freed_chunks": real.freedChunks,
            "dry_run_seconds": dry.seconds, "plan_seconds": real.planSeconds, "seconds": real.seconds,
            "chunks_per_second_plan": Double(real.totalChunks) / max(real.planSeconds, 1e-9),
            "packs_deleted": real.packsDeleted, "packs_compacted": real.packsCompacted, "bytes_freed": real.bytesFreed,
        ]
    }

    /// `scrubMiB` of part-compressible data at the standard chunk sizes; scrub speed against the same
    /// chunks decompressed and hashed from memory on one core (the machine's limit for this work).
    private func benchScrub(_ dir: URL) async throws -> [String: Any] {
        let store = try Store.open(directory: dir)
        defer { store.close() }
        try await store.createBucket("bench")
        let writer = store.makeBlobWriter()
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        var block = [UInt8](repeating: 0, count: 1 << 20)
        for m in 0..<scrubMiB {
            // Alternate incompressible and ~2:1 compressible MiBs, so both kinds of records are read.
            for j in 0..<block.count {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17
                block[j] = m % 2 == 0 ? UInt8(truncatingIfNeeded: state) : UInt8(truncatingIfNeeded: state & 0x0f) + 0x41
            }
            try writer.write(block)
        }
        let blob = try writer.finish()
        try await store.putObject(bucket: "bench", key: "big", blob: blob, headers: [], checksums: [])

        // The limit: every stored chunk, already in memory, decompressed and hashed on one core.
        let reader = store.makeChunkReader()
        var stored: [(payload: [UInt8], raw: Int, zstd: Bool)] = []
        var digests: [[UInt8]] = []
        for i in 0..<blob.chunks.count {
            let d = blob.chunks.digest(at: i)
            let s = try reader.readStored(d)
            stored.append((s.payload, s.rawLength, s.zstd))
            digests.append(d)
        }
        let decompressor = ZstdDecompressor()
        var raw = [UInt8](repeating: 0, count: store.chunkerParameters.maxSize)
        var rawBytes = 0
        var limitSeconds = Double.infinity
        for _ in 0..<3 {  // the best of three: warm caches and clocks, as the scrub gets
            let t0 = Date()
            rawBytes = 0
            for (i, s) in stored.enumerated() {
                try raw.withUnsafeMutableBytes { out in
                    let view = UnsafeMutableRawBufferPointer(rebasing: out[0..<s.raw])
                    if s.zstd { try s.payload.withUnsafeBytes { try decompressor.decompress($0, into: view) } } else { s.payload.withUnsafeBytes { view.copyMemory(from: $0) } }
                    guard Hasher.digest(.sha256, UnsafeRawBufferPointer(view)) == digests[i] else { throw ValidationError("chunk \(i) does not verify") }
                }
                rawBytes += s.raw
            }
            limitSeconds = min(limitSeconds, Date().timeIntervalSince(t0))
        }
        // What verifying costs a read: the same loop without the sha256.
        var decodeSeconds = Double.infinity
        for _ in 0..<3 {
            let t0 = Date()
            for s in stored {
                try raw.withUnsafeMutableBytes { out in
                    let view = UnsafeMutableRawBufferPointer(rebasing: out[0..<s.raw])
                    if s.zstd { try s.payload.withUnsafeBytes { try decompressor.decompress($0, into: view) } } else { s.payload.withUnsafeBytes { view.copyMemory(from: $0) } }
                }
            }
            decodeSeconds = min(decodeSeconds, Date().timeIntervalSince(t0))
        }
        // The scrub reads the packs through the page cache (just written): it measures the CPU side, as the limit does.
        let report = try await store.scrub()
        let mb = 1e6
        return [
            "mib": scrubMiB, "chunks": report.chunksChecked, "stored_bytes": report.storedBytes, "raw_bytes": report.rawBytes,
            "scrub_seconds": report.seconds, "scrub_mb_per_s": Double(report.rawBytes) / report.seconds / mb,
            "limit_seconds": limitSeconds, "limit_mb_per_s": Double(rawBytes) / limitSeconds / mb,
            "ratio": (Double(report.rawBytes) / report.seconds) / (Double(rawBytes) / limitSeconds),
            "corrupt": report.corrupt.count,
            // Seconds of one core per GiB read that chunk verification (sha256) adds to decoding.
            "verify_seconds_per_gib": (limitSeconds - decodeSeconds) / (Double(rawBytes) / Double(1 << 30)),
            "decode_only_mb_per_s": Double(rawBytes) / decodeSeconds / mb,
        ]
    }
}

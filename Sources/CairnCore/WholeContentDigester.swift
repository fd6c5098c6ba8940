import Foundation

/// Computes the whole-content md5, sha256 and S3 checksums on a second thread, so that hashing (md5 is the
/// slowest stage of an upload) overlaps chunking, chunk hashing and compression on the request's thread.
/// Bytes are copied into 1 MiB batches; at most four batches are in flight, which bounds memory. A body
/// that never fills a batch (small objects) is hashed inline at the end: no thread hop, no big buffer.
public final class WholeContentDigester: @unchecked Sendable {  // hashers touched only on `queue` (or inline before it exists)
    /// Touched only on `queue`.
    private final class Hashers: @unchecked Sendable {
        let md5: Hasher?
        let sha256: Hasher?
        let checksums: [ChecksumComputer]
        init(_ algorithms: Set<ChecksumAlgorithm>, md5: Bool, sha256: Bool) {
            checksums = algorithms.map { ChecksumComputer($0) }
            self.md5 = md5 ? Hasher(.md5) : nil
            self.sha256 = sha256 ? Hasher(.sha256) : nil
        }

        func update(_ bytes: UnsafeRawBufferPointer) {
            md5?.update(bytes)
            sha256?.update(bytes)
            for c in checksums { c.update(bytes) }
        }
    }

    private let hashers: Hashers
    private var queue: DispatchQueue?
    private let inFlight = DispatchSemaphore(value: 4)
    private var staging: UnsafeMutableRawBufferPointer
    private var staged = 0
    private static let batch = 1 << 20

    /// Digests to compute: md5 and sha256 unless turned off (an empty array is returned for those), and `checksums`.
    public init(checksums: Set<ChecksumAlgorithm> = [], md5: Bool = true, sha256: Bool = true) {
        hashers = Hashers(checksums, md5: md5, sha256: sha256)
        staging = .allocate(byteCount: 16 << 10, alignment: 16)
    }

    // Queued batches hold the hashers, not `self`: the last release must never happen on the queue.
    deinit { staging.deallocate() }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        var input = bytes
        while !input.isEmpty {
            if staged == staging.count && staging.count < Self.batch {
                let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: min(staging.count * 4, Self.batch), alignment: 16)
                bigger.copyMemory(from: UnsafeRawBufferPointer(staging))
                staging.deallocate()
                staging = bigger
            }
            let n = min(staging.count - staged, input.count)
            (staging.baseAddress! + staged).copyMemory(from: input.baseAddress!, byteCount: n)
            staged += n
            input = UnsafeRawBufferPointer(rebasing: input[n...])
            if staged == Self.batch { flush() }
        }
    }

    private func flush() {
        guard staged > 0 else { return }
        /// The batch's memory moves to the queue, which frees it.
        struct Batch: @unchecked Sendable { let bytes: UnsafeRawBufferPointer }
        let batch = Batch(bytes: UnsafeRawBufferPointer(rebasing: staging[0..<staged]))
        let queue = self.queue ?? DispatchQueue(label: "cairn.digest")
        self.queue = queue
        let (hashers, inFlight) = (self.hashers, self.inFlight)
        inFlight.wait()
        queue.async {
            hashers.update(batch.bytes)
            batch.bytes.baseAddress!.deallocate()
            inFlight.signal()
        }
        staging = .allocate(byteCount: Self.batch, alignment: 16)
        staged = 0
    }

    public func finish() -> (md5: [UInt8], sha256: [UInt8], checksums: [ChecksumAlgorithm: [UInt8]]) {
        let hashers = self.hashers
        func results() -> (md5: [UInt8], sha256: [UInt8], checksums: [ChecksumAlgorithm: [UInt8]]) {
            var sums: [ChecksumAlgorithm: [UInt8]] = [:]
            for c in hashers.checksums { sums[c.algorithm] = c.finalize() }
            return (hashers.md5?.finalize() ?? [], hashers.sha256?.finalize() ?? [], sums)
        }
        guard let queue else {
            hashers.update(UnsafeRawBufferPointer(rebasing: staging[0..<staged]))
            staged = 0
            return results()
        }
        flush()
        return queue.sync { results() }
    }
}


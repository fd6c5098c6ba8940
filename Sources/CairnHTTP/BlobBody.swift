import CairnStore
import Hummingbird
import Logging
import NIOCore

/// The response body for `range` of a blob, every chunk verified as it is read.
///
/// Before any header goes out, every chunk of the range must be indexed (not quarantined) and the first one
/// must read back verified: most failures then get a clear error instead of a cut connection, and a small
/// object is checked whole.
public func blobBody(store: Store, _ blob: BlobRecord, range: Range<UInt64>, what: String, logger: Logger, requestID: String) throws -> ResponseBody {
    try store.checkReadable(blob, range: range)
    let first = try firstChunk(store: store, blob, range: range)
    return ResponseBody(contentLength: Int(range.count)) { writer in
        do {
            try await streamBlob(store: store, blob: blob, range: range, first: first) { try await writer.write($0) }
        } catch {
            // Headers are gone already: the only honest signal left is to cut the connection short.
            logger.error("GET \(what) failed mid-stream: \(error)", metadata: ["request-id": .string(requestID)])
            throw error
        }
        try await writer.finish(nil)
    }
}

/// Streams `range` of a blob chunk by chunk, each verified; `first` is a chunk already read (by `firstChunk`).
public func streamBlob(store: Store, blob: BlobRecord, range: Range<UInt64>, first: (index: Int, bytes: [UInt8])? = nil,
                       write: (ByteBuffer) async throws -> Void) async throws {
    guard !range.isEmpty else { return }
    let reader = store.checkoutChunkReader()
    defer { store.recycle(reader) }
    var chunkStart: UInt64 = 0
    for i in 0..<blob.chunks.count {
        let length = UInt64(blob.chunks.lengths[i])
        let chunkEnd = chunkStart + length
        defer { chunkStart = chunkEnd }
        if chunkEnd <= range.lowerBound { continue }
        if chunkStart >= range.upperBound { break }
        let bytes = first?.index == i ? first!.bytes : try reader.read(blob.chunks.digest(at: i))
        let lo = Int(max(range.lowerBound, chunkStart) - chunkStart)
        let hi = Int(min(range.upperBound, chunkEnd) - chunkStart)
        try await write(ByteBuffer(bytes: bytes[lo..<hi]))
    }
}

/// The first chunk `range` touches, read and verified, with its index; nil for an empty range.
private func firstChunk(store: Store, _ blob: BlobRecord, range: Range<UInt64>) throws -> (index: Int, bytes: [UInt8])? {
    guard !range.isEmpty else { return nil }
    var start: UInt64 = 0
    for i in 0..<blob.chunks.count {
        let end = start + UInt64(blob.chunks.lengths[i])
        if end > range.lowerBound {
            let reader = store.checkoutChunkReader()
            defer { store.recycle(reader) }
            return (i, try reader.read(blob.chunks.digest(at: i)))
        }
        start = end
    }
    return nil
}

import CairnCore

/// One chunk on the wire: `digest[32] | raw_length u32 | stored_length u32 | encoding u8 | payload`.
public enum ChunkFrame {
    public static let headerLength = 41
    public static let encodingRaw: UInt8 = 0
    public static let encodingZstd: UInt8 = 1

    public static func appendHeader(to out: inout [UInt8], digest: [UInt8], rawLength: Int, storedLength: Int, zstd: Bool) {
        out.append(contentsOf: digest)
        out.appendLE(UInt32(rawLength))
        out.appendLE(UInt32(storedLength))
        out.append(zstd ? encodingZstd : encodingRaw)
    }

    public struct Header: Sendable, Equatable {
        public var digest: [UInt8]
        public var rawLength: Int
        public var storedLength: Int
        public var zstd: Bool
    }

    public static func parseHeader(_ bytes: UnsafeRawBufferPointer, maxChunk: Int) throws -> Header {
        var r = WireReader(bytes, offset: 0)
        let digest = Array(try r.take(32))
        let raw = Int(try r.u32()), stored = Int(try r.u32())
        let encoding = try r.u8()
        guard encoding <= encodingZstd else { throw WireError("unknown chunk encoding \(encoding)") }
        guard raw > 0, raw <= maxChunk else { throw WireError("chunk length \(raw) is outside 1...\(maxChunk)") }
        guard stored > 0, stored <= ZstdCompressor.bound(maxChunk) else { throw WireError("stored chunk length \(stored) is too large") }
        if encoding == encodingRaw && stored != raw { throw WireError("raw chunk with stored length \(stored) ≠ raw length \(raw)") }
        return Header(digest: digest, rawLength: raw, storedLength: stored, zstd: encoding == encodingZstd)
    }
}

/// Splits a byte stream into chunk frames as bytes arrive (bodies are streamed, never collected whole).
public struct ChunkFrameDecoder {
    private var buffer: [UInt8] = []
    private var header: ChunkFrame.Header?
    private let maxChunk: Int

    public init(maxChunk: Int) { self.maxChunk = maxChunk }

    /// Feeds bytes; calls `emit` with each complete frame's header and payload.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, emit: (ChunkFrame.Header, UnsafeRawBufferPointer) throws -> Void) throws {
        buffer.append(contentsOf: bytes)
        var start = 0
        defer { if start > 0 { buffer.removeFirst(start) } }
        while true {
            let available = buffer.count - start
            if header == nil {
                guard available >= ChunkFrame.headerLength else { return }
                header = try buffer.withUnsafeBytes { try ChunkFrame.parseHeader(UnsafeRawBufferPointer(rebasing: $0[start..<start + ChunkFrame.headerLength]), maxChunk: maxChunk) }
                start += ChunkFrame.headerLength
                continue
            }
            let h = header!
            guard buffer.count - start >= h.storedLength else { return }
            try buffer.withUnsafeBytes { try emit(h, UnsafeRawBufferPointer(rebasing: $0[start..<start + h.storedLength])) }
            start += h.storedLength
            header = nil
        }
    }

    /// True when the stream ended on a frame boundary.
    public var isAtBoundary: Bool { header == nil && buffer.isEmpty }
}

import CZstd

/// zstd compression with a reusable context. Not thread safe: one per task.
public final class ZstdCompressor {
    private let context: OpaquePointer
    public let level: Int32

    public init(level: Int32 = 1) {
        guard let context = ZSTD_createCCtx() else { fatalError("ZSTD_createCCtx failed: out of memory") }
        self.context = context
        self.level = level
    }

    deinit { ZSTD_freeCCtx(context) }

    public static func bound(_ size: Int) -> Int { cairn_zstd_compress_bound(size) }

    /// Compresses `source` into `destination`; returns the compressed length, or nil when it does not fit.
    public func compress(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer) -> Int? {
        let n = ZSTD_compressCCtx(context, destination.baseAddress, destination.count, source.baseAddress, source.count, level)
        return ZSTD_isError(n) != 0 ? nil : n
    }
}

/// When a compressed chunk is worth keeping: it must save at least 1/8 of the bytes. Float32 weights
/// compress about 1.08× with zstd; keeping them raw costs ~7 % more space but spares every later read
/// (GET, commit verification, pull) a decompression at ~0.7 GB/s.
public func compressionPays(raw: Int, compressed: Int) -> Bool { compressed <= raw - raw / 8 }

public struct ZstdError: Error, CustomStringConvertible {
    public let description: String
}

/// zstd decompression with a reusable context. Not thread safe: one per task.
public final class ZstdDecompressor {
    private let context: OpaquePointer

    public init() {
        guard let context = ZSTD_createDCtx() else { fatalError("ZSTD_createDCtx failed: out of memory") }
        self.context = context
    }

    deinit { ZSTD_freeDCtx(context) }

    /// Decompresses a frame whose decompressed size must be exactly `destination.count` (the bound is the bomb guard).
    public func decompress(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer) throws {
        let n = ZSTD_decompressDCtx(context, destination.baseAddress, destination.count, source.baseAddress, source.count)
        if ZSTD_isError(n) != 0 { throw ZstdError(description: String(cString: ZSTD_getErrorName(n))) }
        guard n == destination.count else { throw ZstdError(description: "decompressed \(n) bytes, expected \(destination.count)") }
    }
}

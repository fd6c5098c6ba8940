/// A sha256 as a compact hashable value: mark sets hold millions of them.
struct Digest32: Hashable {
    let a, b, c, d: UInt64

    init(_ p: UnsafeRawBufferPointer) {
        a = p.loadUnaligned(fromByteOffset: 0, as: UInt64.self)
        b = p.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
        c = p.loadUnaligned(fromByteOffset: 16, as: UInt64.self)
        d = p.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
    }

    init(_ bytes: [UInt8]) { self = bytes.withUnsafeBytes { Digest32($0) } }

    var bytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        out.withUnsafeMutableBytes { p in
            for (i, v) in [a, b, c, d].enumerated() { p.storeBytes(of: v, toByteOffset: i * 8, as: UInt64.self) }
        }
        return out
    }
}

/// S3 additional checksums (`x-amz-checksum-*`): CRC32, CRC32C, CRC64NVME, SHA1 and SHA256,
/// plus the strict base64 that carries them.
///
/// The three CRCs are all *reflected* CRCs whose initial value and final XOR are all ones:
///
/// | algorithm  | width | reflected polynomial   | check ("123456789")  |
/// |------------|-------|------------------------|----------------------|
/// | CRC32      | 32    | 0xEDB88320             | 0xCBF43926           |
/// | CRC32C     | 32    | 0x82F63B78             | 0xE3069283           |
/// | CRC64NVME  | 64    | 0x9A6C9329AC4BC9B5     | 0xAE8B14860A799888   |
///
/// They are computed with table-driven slice-by-16 loops over raw pointers (16 tables of 256 entries per
/// algorithm, built once on first use). On x86-64 CPUs with SSE4.2, CRC32C uses the `crc32` instruction
/// instead (see the `CCairnAccel` shim); the result is identical.
///
/// The value AWS base64-encodes in an `x-amz-checksum-crc*` header is the final CRC as big-endian bytes;
/// `ChecksumComputer.finalize()` returns exactly those bytes.

#if canImport(CCairnAccel)
import CCairnAccel
#endif

public enum ChecksumAlgorithm: String, CaseIterable, Sendable, Codable {
    case crc32 = "CRC32", crc32c = "CRC32C", crc64nvme = "CRC64NVME", sha1 = "SHA1", sha256 = "SHA256"

    /// Case-insensitive: "crc32", "CRC32C", "Crc64Nvme", "sha256", ...
    public init?(name: String) {
        let upper = String(decoding: name.utf8.map { (0x61...0x7a).contains($0) ? $0 - 0x20 : $0 }, as: UTF8.self)
        self.init(rawValue: upper)
    }

    /// Length of the raw (pre-base64) checksum in bytes.
    public var digestLength: Int {
        switch self {
        case .crc32, .crc32c: return 4
        case .crc64nvme: return 8
        case .sha1: return 20
        case .sha256: return 32
        }
    }

    /// True for the CRCs, whose values can be combined (`combine`) to form full-object checksums.
    public var isCRC: Bool {
        switch self {
        case .crc32, .crc32c, .crc64nvme: return true
        case .sha1, .sha256: return false
        }
    }

    /// The checksum of `bytes` in one call.
    public func checksum(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        let computer = ChecksumComputer(self)
        computer.update(bytes)
        return computer.finalize()
    }

    /// The checksum of `bytes` in one call.
    public func checksum<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> [UInt8] {
        let computer = ChecksumComputer(self)
        computer.update(bytes)
        return computer.finalize()
    }

    /// For the CRCs: the checksum of the concatenation A‖B, given checksum(A), checksum(B) (as returned by
    /// `finalize()`, big-endian) and the length of B in bytes. This is how an S3 FULL_OBJECT checksum of a
    /// multipart upload is derived from its parts' checksums. Returns nil for SHA1/SHA256 or wrong lengths.
    public func combine(_ first: [UInt8], _ second: [UInt8], secondLength: Int) -> [UInt8]? {
        guard isCRC, first.count == digestLength, second.count == digestLength, secondLength >= 0 else { return nil }
        let a = bigEndianValue(first), b = bigEndianValue(second)
        let combined: UInt64
        switch self {
        case .crc32: combined = CRCCombiner.crc32.combine(a, b, UInt64(secondLength))
        case .crc32c: combined = CRCCombiner.crc32c.combine(a, b, UInt64(secondLength))
        case .crc64nvme: combined = CRCCombiner.crc64nvme.combine(a, b, UInt64(secondLength))
        case .sha1, .sha256: return nil
        }
        return bigEndianBytes(combined, count: digestLength)
    }
}

/// How the checksum of an object made by multipart upload is formed (`x-amz-checksum-type`).
public enum MultipartChecksumType: String, CaseIterable, Sendable {
    /// The CRC of the whole object's bytes, derived from the parts' CRCs (`ChecksumAlgorithm.combine`).
    case fullObject = "FULL_OBJECT"
    /// The checksum of the concatenated part checksums, reported with a `-N` suffix (N parts).
    case composite = "COMPOSITE"

    /// Case-insensitive.
    public init?(name: String) { self.init(rawValue: name.uppercased()) }

    /// The type S3 gives an upload that names an algorithm and no type: CRC64NVME has only FULL_OBJECT.
    public static func standard(for algorithm: ChecksumAlgorithm) -> MultipartChecksumType {
        algorithm == .crc64nvme ? .fullObject : .composite
    }

    /// FULL_OBJECT needs a CRC; COMPOSITE takes every algorithm but CRC64NVME (as in S3).
    public func supports(_ algorithm: ChecksumAlgorithm) -> Bool {
        switch self {
        case .fullObject: return algorithm.isCRC
        case .composite: return algorithm != .crc64nvme
        }
    }
}

/// A streaming checksum for one `ChecksumAlgorithm`. Not thread-safe: one owner at a time.
public final class ChecksumComputer {
    public let algorithm: ChecksumAlgorithm
    private var crc32State: UInt32 = 0xFFFF_FFFF
    private var crc64State: UInt64 = 0xFFFF_FFFF_FFFF_FFFF
    private let hasher: Hasher?

    public init(_ algorithm: ChecksumAlgorithm) {
        self.algorithm = algorithm
        switch algorithm {
        case .sha1: hasher = Hasher(.sha1)
        case .sha256: hasher = Hasher(.sha256)
        case .crc32, .crc32c, .crc64nvme: hasher = nil
        }
    }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        switch algorithm {
        case .crc32: crc32State = crc32Update(crc32State, base, bytes.count, CRCTables.crc32)
        case .crc32c: crc32State = crc32cUpdate(crc32State, base, bytes.count)
        case .crc64nvme: crc64State = crc64Update(crc64State, base, bytes.count, CRCTables.crc64nvme)
        case .sha1, .sha256: hasher!.update(bytes)
        }
    }

    public func update<Bytes: Sequence<UInt8>>(_ bytes: Bytes) {
        let done: Void? = bytes.withContiguousStorageIfAvailable { update(UnsafeRawBufferPointer($0)) }
        if done == nil { Array(bytes).withUnsafeBytes { update($0) } }
    }

    /// The checksum: for CRCs the final value as big-endian bytes (4 or 8), for SHA the digest.
    /// The computer must not be updated afterwards.
    public func finalize() -> [UInt8] {
        switch algorithm {
        case .crc32, .crc32c: return bigEndianBytes(UInt64(~crc32State), count: 4)
        case .crc64nvme: return bigEndianBytes(~crc64State, count: 8)
        case .sha1, .sha256: return hasher!.finalize()
        }
    }
}

// MARK: - One-shot CRC functions

/// CRC-32 (ISO-HDLC, zlib) of `bytes`, continuing from `crc` (the value of a previous call; 0 to start).
public func crc32(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
    guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
    return ~crc32Update(~crc, base, bytes.count, CRCTables.crc32)
}

/// CRC-32C (Castagnoli) of `bytes`, continuing from `crc` (the value of a previous call; 0 to start).
public func crc32c(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
    guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
    return ~crc32cUpdate(~crc, base, bytes.count)
}

/// CRC-64/NVME of `bytes`, continuing from `crc` (the value of a previous call; 0 to start).
public func crc64nvme(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt64 = 0) -> UInt64 {
    guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
    return ~crc64Update(~crc, base, bytes.count, CRCTables.crc64nvme)
}

/// CRC-32C computed with the portable slice-by-16 tables even when hardware support exists
/// (for tests and benchmarks; `crc32c(_:continuing:)` is the one to use).
public func crc32cTableDriven(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
    guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
    return ~crc32Update(~crc, base, bytes.count, CRCTables.crc32c)
}

/// True when CRC32C is computed with the CPU's CRC32 instruction (SSE4.2) rather than tables.
public var crc32cIsHardwareAccelerated: Bool { CRCTables.crc32cHardware }

// MARK: - Base64

private let base64Alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

/// 0...63 for alphabet bytes, 0xFF for everything else.
private let base64Values: [UInt8] = {
    var values = [UInt8](repeating: 0xFF, count: 256)
    for (index, byte) in base64Alphabet.enumerated() { values[Int(byte)] = UInt8(index) }
    return values
}()

/// Standard base64 (RFC 4648 §4, alphabet `+/`) with `=` padding.
public func base64Encode(_ bytes: [UInt8]) -> String {
    var out = [UInt8]()
    out.reserveCapacity((bytes.count + 2) / 3 * 4)
    var i = 0
    while i + 3 <= bytes.count {
        let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
        out.append(base64Alphabet[Int(v >> 18)])
        out.append(base64Alphabet[Int(v >> 12 & 63)])
        out.append(base64Alphabet[Int(v >> 6 & 63)])
        out.append(base64Alphabet[Int(v & 63)])
        i += 3
    }
    switch bytes.count - i {
    case 1:
        let v = UInt32(bytes[i]) << 16
        out.append(base64Alphabet[Int(v >> 18)])
        out.append(base64Alphabet[Int(v >> 12 & 63)])
        out.append(UInt8(ascii: "="))
        out.append(UInt8(ascii: "="))
    case 2:
        let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
        out.append(base64Alphabet[Int(v >> 18)])
        out.append(base64Alphabet[Int(v >> 12 & 63)])
        out.append(base64Alphabet[Int(v >> 6 & 63)])
        out.append(UInt8(ascii: "="))
    default:
        break
    }
    return String(decoding: out, as: UTF8.self)
}

/// Strict standard base64: alphabet `A–Z a–z 0–9 + /`, length a multiple of 4, `=` padding only as the
/// last one or two characters, and the unused bits before padding must be zero (canonical encoding), so
/// every byte string has exactly one accepted encoding. No whitespace, no URL-safe alphabet.
/// Returns nil on anything else. The empty string decodes to no bytes.
public func base64Decode(_ text: String) -> [UInt8]? {
    let chars = Array(text.utf8)
    guard chars.count % 4 == 0 else { return nil }
    if chars.isEmpty { return [] }
    var padding = 0
    if chars[chars.count - 1] == UInt8(ascii: "=") { padding += 1 }
    if chars[chars.count - 2] == UInt8(ascii: "=") {
        guard padding == 1 else { return nil }  // "x=" followed by a non-'=' character
        padding += 1
    }
    var out = [UInt8]()
    out.reserveCapacity(chars.count / 4 * 3 - padding)
    var i = 0
    while i < chars.count {
        let isLast = i + 4 == chars.count
        let meaningful = isLast ? 4 - padding : 4
        var v: UInt32 = 0
        for j in 0..<4 {
            v <<= 6
            if j < meaningful {
                let value = base64Values[Int(chars[i + j])]
                guard value != 0xFF else { return nil }
                v |= UInt32(value)
            }
        }
        switch meaningful {
        case 4:
            out.append(UInt8(truncatingIfNeeded: v >> 16))
            out.append(UInt8(truncatingIfNeeded: v >> 8))
            out.append(UInt8(truncatingIfNeeded: v))
        case 3:
            guard v & 0xFF == 0 else { return nil }
            out.append(UInt8(truncatingIfNeeded: v >> 16))
            out.append(UInt8(truncatingIfNeeded: v >> 8))
        default:  // 2
            guard v & 0xFFFF == 0 else { return nil }
            out.append(UInt8(truncatingIfNeeded: v >> 16))
        }
        i += 4
    }
    return out
}

// MARK: - Internals

@inline(__always)
private func bigEndianBytes(_ value: UInt64, count: Int) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64(count - 1 - $0))) }
}

@inline(__always)
private func bigEndianValue(_ bytes: [UInt8]) -> UInt64 {
    bytes.reduce(0) { $0 << 8 | UInt64($1) }
}

/// Slice-by-16 tables, allocated once and never freed. Table k (k = 0...15) at offset 256·k holds the
/// CRC register contribution of a byte followed by k zero bytes.
private enum CRCTables {
    nonisolated(unsafe) static let crc32: UnsafePointer<UInt32> = makeTables32(polynomial: 0xEDB8_8320)
    nonisolated(unsafe) static let crc32c: UnsafePointer<UInt32> = makeTables32(polynomial: 0x82F6_3B78)
    nonisolated(unsafe) static let crc64nvme: UnsafePointer<UInt64> = makeTables64(polynomial: 0x9A6C_9329_AC4B_C9B5)
    static let crc32cHardware: Bool = {
        #if canImport(CCairnAccel)
        return cairn_crc32c_hw_available() != 0
        #else
        return false
        #endif
    }()

    static func makeTables32(polynomial: UInt32) -> UnsafePointer<UInt32> {
        let t = UnsafeMutablePointer<UInt32>.allocate(capacity: 16 * 256)
        for n in 0..<256 {
            var c = UInt32(n)
            for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ polynomial : c >> 1 }
            t[n] = c
        }
        for k in 1..<16 {
            for n in 0..<256 {
                let previous = t[(k - 1) * 256 + n]
                t[k * 256 + n] = (previous >> 8) ^ t[Int(previous & 0xFF)]
            }
        }
        return UnsafePointer(t)
    }

    static func makeTables64(polynomial: UInt64) -> UnsafePointer<UInt64> {
        let t = UnsafeMutablePointer<UInt64>.allocate(capacity: 16 * 256)
        for n in 0..<256 {
            var c = UInt64(n)
            for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ polynomial : c >> 1 }
            t[n] = c
        }
        for k in 1..<16 {
            for n in 0..<256 {
                let previous = t[(k - 1) * 256 + n]
                t[k * 256 + n] = (previous >> 8) ^ t[Int(previous & 0xFF)]
            }
        }
        return UnsafePointer(t)
    }
}

@inline(__always)
private func crc32cUpdate(_ crc: UInt32, _ base: UnsafeRawPointer, _ count: Int) -> UInt32 {
    #if canImport(CCairnAccel)
    if CRCTables.crc32cHardware { return cairn_crc32c_hw(crc, base, count) }
    #endif
    return crc32Update(crc, base, count, CRCTables.crc32c)
}

/// Reflected 32-bit CRC register update (no pre/post inversion), slice-by-16.
private func crc32Update(_ crc: UInt32, _ base: UnsafeRawPointer, _ count: Int, _ t: UnsafePointer<UInt32>) -> UInt32 {
    var c = crc
    var p = base
    var n = count
    @inline(__always) func tb(_ table: Int, _ word: UInt32, _ shift: UInt32) -> UInt32 {
        t[table &* 256 &+ Int(truncatingIfNeeded: (word &>> shift) & 0xFF)]
    }
    while n >= 16 {
        let w0 = UInt32(littleEndian: p.loadUnaligned(as: UInt32.self)) ^ c
        let w1 = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        let w2 = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        let w3 = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
        let a: UInt32 = tb(15, w0, 0) ^ tb(14, w0, 8) ^ tb(13, w0, 16) ^ tb(12, w0, 24)
        let b: UInt32 = tb(11, w1, 0) ^ tb(10, w1, 8) ^ tb(9, w1, 16) ^ tb(8, w1, 24)
        let d: UInt32 = tb(7, w2, 0) ^ tb(6, w2, 8) ^ tb(5, w2, 16) ^ tb(4, w2, 24)
        let e: UInt32 = tb(3, w3, 0) ^ tb(2, w3, 8) ^ tb(1, w3, 16) ^ tb(0, w3, 24)
        c = (a ^ b) ^ (d ^ e)
        p += 16
        n &-= 16
    }
    while n > 0 {
        c = (c &>> 8) ^ t[Int(truncatingIfNeeded: (c ^ UInt32(p.load(as: UInt8.self))) & 0xFF)]
        p += 1
        n &-= 1
    }
    return c
}

/// Reflected 64-bit CRC register update (no pre/post inversion), slice-by-16.
private func crc64Update(_ crc: UInt64, _ base: UnsafeRawPointer, _ count: Int, _ t: UnsafePointer<UInt64>) -> UInt64 {
    var c = crc
    var p = base
    var n = count
    @inline(__always) func tb(_ table: Int, _ word: UInt64, _ shift: UInt64) -> UInt64 {
        t[table &* 256 &+ Int(truncatingIfNeeded: (word &>> shift) & 0xFF)]
    }
    while n >= 16 {
        let w0 = UInt64(littleEndian: p.loadUnaligned(as: UInt64.self)) ^ c
        let w1 = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        let a: UInt64 = tb(15, w0, 0) ^ tb(14, w0, 8) ^ tb(13, w0, 16) ^ tb(12, w0, 24)
        let b: UInt64 = tb(11, w0, 32) ^ tb(10, w0, 40) ^ tb(9, w0, 48) ^ tb(8, w0, 56)
        let d: UInt64 = tb(7, w1, 0) ^ tb(6, w1, 8) ^ tb(5, w1, 16) ^ tb(4, w1, 24)
        let e: UInt64 = tb(3, w1, 32) ^ tb(2, w1, 40) ^ tb(1, w1, 48) ^ tb(0, w1, 56)
        c = (a ^ b) ^ (d ^ e)
        p += 16
        n &-= 16
    }
    while n > 0 {
        c = (c &>> 8) ^ t[Int(truncatingIfNeeded: (c ^ UInt64(p.load(as: UInt8.self))) & 0xFF)]
        p += 1
        n &-= 1
    }
    return c
}

/// CRC combination (zlib's `crc32_combine` method) for reflected CRCs with init = xorout = all ones:
/// crc(A‖B) = crc(A)·x^(8·len(B)) mod P ⊕ crc(B), with polynomials in reflected bit order.
private struct CRCCombiner: Sendable {
    let polynomial: UInt64  // reflected
    let width: Int
    /// x2n[k] = x^(2^k) mod P.
    let x2n: [UInt64]

    static let crc32 = CRCCombiner(polynomial: 0xEDB8_8320, width: 32)
    static let crc32c = CRCCombiner(polynomial: 0x82F6_3B78, width: 32)
    static let crc64nvme = CRCCombiner(polynomial: 0x9A6C_9329_AC4B_C9B5, width: 64)

    init(polynomial: UInt64, width: Int) {
        self.polynomial = polynomial
        self.width = width
        var table = [UInt64]()
        var p: UInt64 = 1 << UInt64(width - 2)  // x^1
        table.append(p)
        for _ in 1..<72 {
            p = Self.multiply(p, p, polynomial: polynomial, width: width)
            table.append(p)
        }
        x2n = table
    }

    /// a·b mod P, reflected representation (the top bit is x^0).
    static func multiply(_ a: UInt64, _ b: UInt64, polynomial: UInt64, width: Int) -> UInt64 {
        var m: UInt64 = 1 << UInt64(width - 1)
        var product: UInt64 = 0
        var a = a, b = b
        while m != 0 {
            if a & m != 0 {
                product ^= b
                a ^= m
                if a == 0 { break }
            }
            m >>= 1
            b = b & 1 != 0 ? (b >> 1) ^ polynomial : b >> 1
        }
        return product
    }

    func combine(_ crcA: UInt64, _ crcB: UInt64, _ lengthB: UInt64) -> UInt64 {
        // x^(8·lengthB) mod P
        var power: UInt64 = 1 << UInt64(width - 1)  // x^0
        var n = lengthB
        var k = 3
        while n != 0 {
            if n & 1 != 0 { power = Self.multiply(x2n[k], power, polynomial: polynomial, width: width) }
            n >>= 1
            k += 1
        }
        return Self.multiply(power, crcA, polynomial: polynomial, width: width) ^ crcB
    }
}

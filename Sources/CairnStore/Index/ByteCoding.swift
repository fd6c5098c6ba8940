/// Big-endian binary encoding for index records (grammar in storage-layout.md).
struct ByteWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 64) { bytes.reserveCapacity(capacity) }

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { bytes.append(UInt8(v >> 8)); bytes.append(UInt8(v & 0xff)) }
    mutating func u32(_ v: UInt32) { for s in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8((v >> UInt32(s)) & 0xff)) } }
    mutating func u64(_ v: UInt64) { for s in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8((v >> UInt64(s)) & 0xff)) } }
    /// Fixed-length bytes (digests): no length prefix.
    mutating func raw<C: Collection<UInt8>>(_ v: C) { bytes.append(contentsOf: v) }
    /// Length-prefixed (u32) bytes.
    mutating func blob<C: Collection<UInt8>>(_ v: C) { u32(UInt32(v.count)); bytes.append(contentsOf: v) }
    /// Length-prefixed (u32) UTF-8 text.
    mutating func string(_ v: String) { blob(Array(v.utf8)) }
}

struct DecodeError: Error, CustomStringConvertible {
    let what: String
    var description: String { "corrupt index record: \(what)" }
}

struct ByteReader {
    private let bytes: UnsafeRawBufferPointer
    private(set) var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var isAtEnd: Bool { offset == bytes.count }

    private mutating func take(_ n: Int) throws -> UnsafeRawBufferPointer {
        guard n >= 0, offset + n <= bytes.count else { throw DecodeError(what: "truncated at \(offset)") }
        defer { offset += n }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + n])
    }

    mutating func u8() throws -> UInt8 { try take(1)[0] }
    mutating func u16() throws -> UInt16 { let b = try take(2); return UInt16(b[0]) << 8 | UInt16(b[1]) }
    mutating func u32() throws -> UInt32 { try take(4).reduce(0) { $0 << 8 | UInt32($1) } }
    mutating func u64() throws -> UInt64 { try take(8).reduce(0) { $0 << 8 | UInt64($1) } }
    mutating func raw(_ n: Int) throws -> [UInt8] { Array(try take(n)) }
    mutating func blob() throws -> [UInt8] { let n = try u32(); return try raw(Int(n)) }
    mutating func string() throws -> String {
        let b = try blob()
        guard let s = String(validating: b, as: UTF8.self) else { throw DecodeError(what: "invalid UTF-8") }
        return s
    }
    /// Reads the leading format-version byte and checks it.
    mutating func version(_ expected: UInt8, _ record: String) throws {
        _ = try version(in: expected...expected, record)
    }
    /// Reads the leading format-version byte of a record that has had several versions.
    mutating func version(in known: ClosedRange<UInt8>, _ record: String) throws -> UInt8 {
        let v = try u8()
        guard known.contains(v) else { throw DecodeError(what: "\(record) version \(v), expected \(known.lowerBound)...\(known.upperBound)") }
        return v
    }
}

extension Array where Element == UInt8 {
    /// Decodes a record from these bytes.
    func decode<T>(_ body: (inout ByteReader) throws -> T) throws -> T {
        try withUnsafeBytes { p in
            var r = ByteReader(p)
            return try body(&r)
        }
    }
}

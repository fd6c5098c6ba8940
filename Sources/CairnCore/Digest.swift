import CCrypto

/// A streaming message digest backed by OpenSSL's EVP interface (MD5, SHA-1, SHA-256).
///
/// A class because the EVP context must be freed exactly once; not `Sendable` — one owner at a time.
public final class Hasher {
    public enum Algorithm: Sendable {
        case md5, sha1, sha256

        var evp: OpaquePointer? {
            switch self {
            case .md5: return EVP_md5()
            case .sha1: return EVP_sha1()
            case .sha256: return EVP_sha256()
            }
        }

        public var digestLength: Int {
            switch self {
            case .md5: return 16
            case .sha1: return 20
            case .sha256: return 32
            }
        }
    }

    public let algorithm: Algorithm
    private let context: OpaquePointer

    public init(_ algorithm: Algorithm) {
        self.algorithm = algorithm
        guard let context = EVP_MD_CTX_new() else { fatalError("EVP_MD_CTX_new failed: out of memory") }
        self.context = context
        EVP_DigestInit_ex(context, algorithm.evp, nil)
    }

    deinit { EVP_MD_CTX_free(context) }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        EVP_DigestUpdate(context, base, bytes.count)
    }

    public func update<Bytes: Sequence<UInt8>>(_ bytes: Bytes) {
        let done: Void? = bytes.withContiguousStorageIfAvailable { update(UnsafeRawBufferPointer($0)) }
        if done == nil { Array(bytes).withUnsafeBytes { update($0) } }
    }

    /// Returns the digest; the hasher must not be used afterwards.
    public func finalize() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: algorithm.digestLength)
        var length: UInt32 = 0
        out.withUnsafeMutableBufferPointer { _ = EVP_DigestFinal_ex(context, $0.baseAddress, &length) }
        return out
    }

    public static func digest(_ algorithm: Algorithm, _ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        let h = Hasher(algorithm)
        h.update(bytes)
        return h.finalize()
    }

    public static func digest<Bytes: Sequence<UInt8>>(_ algorithm: Algorithm, _ bytes: Bytes) -> [UInt8] {
        let h = Hasher(algorithm)
        h.update(bytes)
        return h.finalize()
    }
}

/// HMAC-SHA256 (the SigV4 primitive).
public func hmacSHA256<Key: Collection<UInt8>, Message: Collection<UInt8>>(key: Key, _ message: Message) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: 32)
    var length: UInt32 = 32
    let k = Array(key), m = Array(message)
    k.withUnsafeBytes { kp in
        m.withUnsafeBytes { mp in
            out.withUnsafeMutableBufferPointer { op in
                _ = HMAC(EVP_sha256(), kp.baseAddress, Int32(kp.count), mp.baseAddress?.assumingMemoryBound(to: UInt8.self), mp.count, op.baseAddress, &length)
            }
        }
    }
    return out
}

private let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

extension Sequence<UInt8> {
    /// Lowercase hexadecimal.
    public var hex: String {
        var chars: [UInt8] = []
        chars.reserveCapacity(underestimatedCount * 2)
        for byte in self {
            chars.append(hexDigits[Int(byte >> 4)])
            chars.append(hexDigits[Int(byte & 0x0f)])
        }
        return String(decoding: chars, as: UTF8.self)
    }
}

/// Decodes lowercase or uppercase hexadecimal; nil when the text is not hex of even length.
public func decodeHex(_ text: some StringProtocol) -> [UInt8]? {
    let utf8 = Array(text.utf8)
    guard utf8.count % 2 == 0 else { return nil }
    func value(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
    var out = [UInt8]()
    out.reserveCapacity(utf8.count / 2)
    var i = 0
    while i < utf8.count {
        guard let hi = value(utf8[i]), let lo = value(utf8[i + 1]) else { return nil }
        out.append(hi << 4 | lo)
        i += 2
    }
    return out
}

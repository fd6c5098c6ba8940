import CairnCore

/// Percent-encoding by the AWS rules (A-Z a-z 0-9 - . _ ~ kept, everything else `%XX` uppercase), and the
/// two decoders: `decode` for request paths and query values (strict: malformed input is nil), and the
/// lenient one SigV4 canonicalisation needs (a stray `%` is kept, as AWS does).
public enum URIEncoding {
    /// `/` is kept unless `encodeSlash`: `false` for object keys in paths (and `encoding-type=url`
    /// listings), `true` for query names and values.
    public static func encode(_ text: String, encodeSlash: Bool) -> String {
        encode(Array(text.utf8), keepSlash: !encodeSlash)
    }

    /// Decodes `%XX` escapes into UTF-8; nil when an escape is malformed or the result is not valid UTF-8.
    public static func decode(_ text: some StringProtocol, plusIsSpace: Bool = false) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var it = Array(text.utf8)[...]
        while let c = it.popFirst() {
            if c == UInt8(ascii: "%") {
                guard it.count >= 2, let hi = hexValue(it[it.startIndex]), let lo = hexValue(it[it.startIndex + 1]) else { return nil }
                bytes.append(hi << 4 | lo)
                it = it.dropFirst(2)
            } else if plusIsSpace && c == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else {
                bytes.append(c)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    /// Query parameters decoded leniently ('+' as a space), for reading `X-Amz-*` values.
    static func lenientQueryItems(_ rawQuery: String) -> [(name: String, value: String)] {
        Array(rawQuery.utf8).split(separator: 0x26).map { piece in
            if let eq = piece.firstIndex(of: 0x3D) {
                return (String(decoding: lenientDecode(piece[piece.startIndex..<eq], plusAsSpace: true), as: UTF8.self),
                        String(decoding: lenientDecode(piece[(eq + 1)...], plusAsSpace: true), as: UTF8.self))
            }
            return (String(decoding: lenientDecode(piece, plusAsSpace: true), as: UTF8.self), "")
        }
    }

    private static let upperHex: [UInt8] = Array("0123456789ABCDEF".utf8)

    private static func isUnreserved(_ b: UInt8) -> Bool {
        (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39)
            || b == 0x2D || b == 0x2E || b == 0x5F || b == 0x7E
    }

    static func encode<C: Collection<UInt8>>(_ bytes: C, keepSlash: Bool) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        for b in bytes {
            if isUnreserved(b) || (keepSlash && b == 0x2F) {
                out.append(b)
            } else {
                out.append(0x25); out.append(upperHex[Int(b >> 4)]); out.append(upperHex[Int(b & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x41...0x46: return c - 0x41 + 10
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }

    /// A '%' not followed by two hex digits is kept literally.
    static func lenientDecode(_ bytes: ArraySlice<UInt8>, plusAsSpace: Bool) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let b = bytes[i]
            if b == 0x25, bytes.endIndex - i >= 3, let hi = hexValue(bytes[i + 1]), let lo = hexValue(bytes[i + 2]) {
                out.append(hi << 4 | lo)
                i += 3
            } else {
                out.append(plusAsSpace && b == 0x2B ? 0x20 : b)
                i += 1
            }
        }
        return out
    }
}

/// Header field values are bytes, not text: HTTP allows any byte 0x80–0xFF in a value (`obs-text`), and S3
/// clients send metadata in whatever encoding they use. SwiftNIO's parser decodes values as UTF-8 and
/// replaces what is not UTF-8 with U+FFFD, so the server escapes such bytes before the parser sees them
/// (`RawHeaderBytesHandler`) and turns the escapes back into bytes where bytes matter: in response heads
/// and in SigV4 canonical requests.
///
/// The escape of a byte b (0x80–0xFF) is the private-use code point U+F700 + b (U+F780…U+F7FF). A byte is
/// escaped when it is not part of a valid UTF-8 sequence; so is each byte of a genuine U+F780…U+F7FF, so
/// that unescaping gives back exactly the bytes that were sent, whatever they were. Valid UTF-8 outside
/// that range — all text in practice — passes unchanged.
public enum HeaderBytes {
    /// The bytes with escapes, or nil when nothing needed escaping (the common case: no copy).
    public static func escape(_ bytes: UnsafeRawBufferPointer) -> [UInt8]? {
        var out: [UInt8]?
        var i = 0
        while i < bytes.count {
            let length = validSequenceLength(bytes, at: i)
            // Bytes to escape: an invalid byte, or the three bytes of a genuine U+F780…U+F7FF.
            let escapeCount = length == 0 ? 1 : (length == 3 && bytes[i] == 0xEF && (bytes[i + 1] == 0x9E || bytes[i + 1] == 0x9F) ? 3 : 0)
            if escapeCount > 0 {
                if out == nil { out = Array(bytes[0..<i]); out!.reserveCapacity(bytes.count + 16) }
                for b in bytes[i..<(i + escapeCount)] { out!.append(contentsOf: escaped(b)) }
                i += escapeCount
            } else {
                out?.append(contentsOf: bytes[i..<(i + length)])
                i += length
            }
        }
        return out
    }

    /// The UTF-8 of `text` with every escape turned back into its byte.
    public static func unescape(_ text: String) -> [UInt8] {
        let utf8 = Array(text.utf8)
        return utf8.withUnsafeBytes { unescape($0) } ?? utf8
    }

    /// The bytes with every escape turned back into its byte, or nil when there is none.
    public static func unescape(_ bytes: UnsafeRawBufferPointer) -> [UInt8]? {
        var out: [UInt8]?
        var i = 0
        while i < bytes.count {
            if i + 2 < bytes.count, bytes[i] == 0xEF, bytes[i + 1] == 0x9E || bytes[i + 1] == 0x9F, bytes[i + 2] & 0xC0 == 0x80 {
                if out == nil { out = Array(bytes[0..<i]); out!.reserveCapacity(bytes.count) }
                let scalar = 0xF000 | UInt32(bytes[i + 1] & 0x3F) << 6 | UInt32(bytes[i + 2] & 0x3F)
                out!.append(UInt8(scalar - 0xF700))
                i += 3
            } else {
                out?.append(bytes[i])
                i += 1
            }
        }
        return out
    }

    /// True when `text` holds an escape (so its bytes differ from its UTF-8).
    public static func hasEscapes(_ text: String) -> Bool {
        var previous: UInt8 = 0
        for b in text.utf8 {
            if previous == 0xEF && (b == 0x9E || b == 0x9F) { return true }
            previous = b
        }
        return false
    }

    private static func escaped(_ byte: UInt8) -> [UInt8] {
        let scalar = 0xF700 + UInt32(byte)
        return [0xE0 | UInt8(scalar >> 12), 0x80 | UInt8((scalar >> 6) & 0x3F), 0x80 | UInt8(scalar & 0x3F)]
    }

    /// The length of the valid UTF-8 sequence at `i` (1–4), or 0 when the byte there does not start one.
    private static func validSequenceLength(_ b: UnsafeRawBufferPointer, at i: Int) -> Int {
        let lead = b[i]
        if lead < 0x80 { return 1 }
        func continuation(_ k: Int, _ range: ClosedRange<UInt8> = 0x80...0xBF) -> Bool { i + k < b.count && range.contains(b[i + k]) }
        switch lead {
        case 0xC2...0xDF: return continuation(1) ? 2 : 0
        case 0xE0: return continuation(1, 0xA0...0xBF) && continuation(2) ? 3 : 0
        case 0xE1...0xEC, 0xEE...0xEF: return continuation(1) && continuation(2) ? 3 : 0
        case 0xED: return continuation(1, 0x80...0x9F) && continuation(2) ? 3 : 0
        case 0xF0: return continuation(1, 0x90...0xBF) && continuation(2) && continuation(3) ? 4 : 0
        case 0xF1...0xF3: return continuation(1) && continuation(2) && continuation(3) ? 4 : 0
        case 0xF4: return continuation(1, 0x80...0x8F) && continuation(2) && continuation(3) ? 4 : 0
        default: return 0
        }
    }
}

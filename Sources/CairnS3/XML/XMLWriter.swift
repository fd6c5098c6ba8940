import CairnCore

// S3 XML responses: a minimal writer (see `XMLParser.swift` for request bodies).

/// Escapes text for XML 1.0 element content and attribute values.
///
/// - `&` `<` `>` `"` `'` become `&amp;` `&lt;` `&gt;` `&quot;` `&apos;`.
/// - Tab, LF and CR become `&#x9;` `&#xA;` `&#xD;`, so they survive XML line-end and attribute-value
///   normalization unchanged (this is also what the AWS SDKs send).
/// - DEL and the C1 controls (U+007F...U+009F) are legal XML 1.0 characters and are written as
///   character references (`&#x7F;` ... `&#x9F;`) so they are visible and survive copy/paste.
/// - Characters that XML 1.0 forbids entirely, even as references — U+0000...U+0008, U+000B, U+000C,
///   U+000E...U+001F, U+FFFE, U+FFFF — are replaced by U+FFFD REPLACEMENT CHARACTER, so the output is
///   always well-formed XML 1.0. (Keys containing such characters must be listed with
///   `encoding-type=url` to be reproduced exactly, as with AWS.)
/// - Everything else, including all other non-ASCII text, is written as UTF-8 unchanged.
public func xmlEscape(_ text: String) -> String {
    var needsWork = false
    for byte in text.utf8 {
        // Anything below 0x20, the five specials, DEL; 0xC2 (C1 controls) and 0xEF (U+FFFE/U+FFFF) lead bytes.
        if byte < 0x20 || byte == 0x26 || byte == 0x3C || byte == 0x3E || byte == 0x22 || byte == 0x27
            || byte == 0x7F || byte == 0xC2 || byte == 0xEF
        {
            needsWork = true
            break
        }
    }
    if !needsWork { return text }
    var out = [UInt8]()
    out.reserveCapacity(text.utf8.count + 16)
    for scalar in text.unicodeScalars {
        let value = scalar.value
        switch value {
        case 0x26: out.append(contentsOf: "&amp;".utf8)
        case 0x3C: out.append(contentsOf: "&lt;".utf8)
        case 0x3E: out.append(contentsOf: "&gt;".utf8)
        case 0x22: out.append(contentsOf: "&quot;".utf8)
        case 0x27: out.append(contentsOf: "&apos;".utf8)
        case 0x09, 0x0A, 0x0D, 0x7F...0x9F:
            out.append(contentsOf: "&#x".utf8)
            out.append(contentsOf: String(value, radix: 16, uppercase: true).utf8)
            out.append(UInt8(ascii: ";"))
        case 0x00...0x1F, 0xFFFE, 0xFFFF:
            out.append(contentsOf: [0xEF, 0xBF, 0xBD])  // U+FFFD
        default:
            out.append(contentsOf: String(scalar).utf8)
        }
    }
    return String(decoding: out, as: UTF8.self)
}

/// Builds a compact XML document. Element names are written as given (they are S3's fixed names, never
/// user data); text passes through `xmlEscape`.
public struct XMLWriter: Sendable {
    private var buffer: String

    /// Starts with `<?xml version="1.0" encoding="UTF-8"?>` and a newline.
    public init() {
        buffer = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    }

    /// `<name>` or `<name xmlns="...">`.
    public mutating func open(_ name: String, xmlns: String? = nil) {
        buffer += "<"
        buffer += name
        if let xmlns {
            buffer += " xmlns=\""
            buffer += xmlEscape(xmlns)
            buffer += "\""
        }
        buffer += ">"
    }

    /// `</name>`.
    public mutating func close(_ name: String) {
        buffer += "</"
        buffer += name
        buffer += ">"
    }

    /// `<name>escaped text</name>`.
    public mutating func element(_ name: String, _ text: String) {
        open(name)
        buffer += xmlEscape(text)
        close(name)
    }

    /// `<name>decimal</name>`.
    public mutating func element(_ name: String, _ value: some BinaryInteger) {
        element(name, String(value))
    }

    /// `<name>true</name>` / `<name>false</name>`.
    public mutating func element(_ name: String, _ value: Bool) {
        element(name, value ? "true" : "false")
    }

    /// Writes the element only when `text` is non-nil.
    public mutating func element(_ name: String, ifPresent text: String?) {
        if let text { element(name, text) }
    }

    /// `<name/>`.
    public mutating func empty(_ name: String) {
        buffer += "<"
        buffer += name
        buffer += "/>"
    }

    public var string: String { buffer }
}

extension ChecksumAlgorithm {
    /// The element name in S3 XML bodies: "ChecksumCRC32", "ChecksumCRC64NVME", ...
    var xmlElementName: String { "Checksum" + rawValue }
}

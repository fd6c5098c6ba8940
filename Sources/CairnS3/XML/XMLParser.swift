// S3 XML request bodies (CompleteMultipartUpload, Delete, ...): a small, safe parser. No DTDs, no
// entity expansion, bounded depth, no recursion.

public struct XMLElement: Sendable, Equatable {
    /// Local name (any namespace prefix stripped).
    public var name: String
    /// Concatenated direct text content (CDATA included), entities and character references decoded,
    /// line ends normalized to LF. Not trimmed: whitespace between child elements is included.
    public var text: String
    public var children: [XMLElement]

    public init(name: String, text: String = "", children: [XMLElement] = []) {
        self.name = name
        self.text = text
        self.children = children
    }

    /// The first child with this local name.
    public func child(_ name: String) -> XMLElement? {
        children.first { $0.name == name }
    }

    /// All children with this local name, in document order.
    public func children(named name: String) -> [XMLElement] {
        children.filter { $0.name == name }
    }
}

public struct XMLParseError: Error, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}

// MARK: - Parsing

/// Parses an XML document as S3 clients send it and returns the root element.
///
/// Accepted: a UTF-8 BOM; an `<?xml …?>` declaration at the very start; comments and processing
/// instructions outside and inside the root (skipped); attributes (syntax-checked, then ignored,
/// including `xmlns`); namespace prefixes (stripped from names); CDATA sections; the five named entities
/// (`&lt;` `&gt;` `&amp;` `&quot;` `&apos;`) and decimal/hex character references to any code point
/// U+0001...U+10FFFF except surrogates, U+FFFE and U+FFFF (U+0001...U+001F are accepted as references,
/// as XML 1.1 does, so object keys containing control characters can be addressed).
///
/// Rejected with `XMLParseError`: empty input or no root element; invalid UTF-8; raw characters XML 1.0
/// forbids (C0 controls other than tab/LF/CR, U+FFFE, U+FFFF); any `<!DOCTYPE`, `<!ENTITY` or other
/// `<!` declaration; unknown or malformed references; mismatched, unclosed or stray closing tags; text or
/// elements after the root; nesting deeper than `maxDepth` (the root is depth 1); malformed tags or
/// attributes. Names use a simplified XML Name rule: a start character in `A–Z a–z _ :` or any
/// non-ASCII character, then those plus `0–9 - .`.
public func parseXML(_ bytes: [UInt8], maxDepth: Int = 32) throws -> XMLElement {
    var parser = XMLBodyParser(bytes: bytes, maxDepth: maxDepth)
    return try parser.parseDocument()
}

private struct XMLBodyParser {
    let bytes: [UInt8]
    let maxDepth: Int
    var pos = 0

    init(bytes: [UInt8], maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    private struct Frame {
        var qualifiedName: ArraySlice<UInt8>
        var text: [UInt8] = []
        var children: [XMLElement] = []
    }

    func error(_ message: String) -> XMLParseError {
        XMLParseError("XML parse error at byte \(pos): \(message)")
    }

    // MARK: Document

    mutating func parseDocument() throws -> XMLElement {
        try validateCharacters()
        if hasPrefix([0xEF, 0xBB, 0xBF]) { pos = 3 }
        if hasPrefix("<?xml") {
            let after = pos + 5
            if after < bytes.count, isWhitespace(bytes[after]) || bytes[after] == UInt8(ascii: "?") {
                try skipProcessingInstruction(allowDeclaration: true)
            }
        }
        try skipMisc(context: "before the root element")
        guard pos < bytes.count else { throw error(bytes.isEmpty ? "empty document" : "no root element") }
        let root = try parseRootElement()
        try skipMisc(context: "after the root element")
        guard pos == bytes.count else { throw error("element after the root element") }
        return root
    }

    /// Skips whitespace, comments and processing instructions; stops at `<` of anything else.
    mutating func skipMisc(context: String) throws {
        while pos < bytes.count {
            let byte = bytes[pos]
            if isWhitespace(byte) {
                pos += 1
            } else if byte == UInt8(ascii: "<") {
                if hasPrefix("<!--") {
                    try skipComment()
                } else if hasPrefix("<?") {
                    try skipProcessingInstruction(allowDeclaration: false)
                } else if hasPrefix("<!") {
                    throw error("DOCTYPE and other declarations are not allowed")
                } else {
                    return
                }
            } else {
                throw error("text \(context)")
            }
        }
    }

    // MARK: Elements

    mutating func parseRootElement() throws -> XMLElement {
        var stack: [Frame] = []
        var root: XMLElement?

        func finish(_ frame: Frame) -> XMLElement {
            let qualified = frame.qualifiedName
            let local = qualified.lastIndex(of: UInt8(ascii: ":")).map { qualified[($0 + 1)...] } ?? qualified
            return XMLElement(
                name: String(decoding: local, as: UTF8.self),
                text: String(decoding: frame.text, as: UTF8.self),
                children: frame.children)
        }

        // The root start tag.
        guard maxDepth >= 1 else { throw error("nesting deeper than \(maxDepth)") }
        let (rootName, rootEmpty) = try parseStartTag()
        if rootEmpty { return finish(Frame(qualifiedName: rootName)) }
        stack.append(Frame(qualifiedName: rootName))

        while !stack.isEmpty {
            guard pos < bytes.count else {
                throw error("unclosed element <\(String(decoding: stack[stack.count - 1].qualifiedName, as: UTF8.self))>")
            }
            let byte = bytes[pos]
            if byte == UInt8(ascii: "<") {
                if hasPrefix("</") {
                    pos += 2
                    let name = try parseName()
                    skipWhitespace()
                    guard pos < bytes.count, bytes[pos] == UInt8(ascii: ">") else { throw error("malformed end tag") }
                    pos += 1
                    let frame = stack.removeLast()
                    guard name.elementsEqual(frame.qualifiedName) else {
                        throw error(
                            "end tag </\(String(decoding: name, as: UTF8.self))> does not match <\(String(decoding: frame.qualifiedName, as: UTF8.self))>"
                        )
                    }
                    let element = finish(frame)
                    if stack.isEmpty {
                        root = element
                    } else {
                        stack[stack.count - 1].children.append(element)
                    }
                } else if hasPrefix("<!--") {
                    try skipComment()
                } else if hasPrefix("<![CDATA[") {
                    pos += 9
                    guard let end = find("]]>") else { throw error("unterminated CDATA section") }
                    appendNormalizingLineEnds(bytes[pos..<end], to: &stack[stack.count - 1].text)
                    pos = end + 3
                } else if hasPrefix("<!") {
                    throw error("DOCTYPE and other declarations are not allowed")
                } else if hasPrefix("<?") {
                    try skipProcessingInstruction(allowDeclaration: false)
                } else {
                    guard stack.count < maxDepth else { throw error("nesting deeper than \(maxDepth)") }
                    let (name, isEmpty) = try parseStartTag()
                    if isEmpty {
                        stack[stack.count - 1].children.append(finish(Frame(qualifiedName: name)))
                    } else {
                        stack.append(Frame(qualifiedName: name))
                    }
                }
            } else if byte == UInt8(ascii: "&") {
                let scalar = try parseReference()
                stack[stack.count - 1].text.append(contentsOf: String(scalar).utf8)
            } else {
                // A run of plain text.
                let start = pos
                while pos < bytes.count, bytes[pos] != UInt8(ascii: "<"), bytes[pos] != UInt8(ascii: "&") {
                    pos += 1
                }
                appendNormalizingLineEnds(bytes[start..<pos], to: &stack[stack.count - 1].text)
            }
        }
        return root!
    }

    /// At `<`: parses `<name attr="value" ...>` or `<name .../>`; returns the qualified name and whether
    /// the element is empty (`/>`).
    mutating func parseStartTag() throws -> (ArraySlice<UInt8>, Bool) {
        pos += 1
        let name = try parseName()
        while true {
            let hadSpace = skipWhitespace()
            guard pos < bytes.count else { throw error("unterminated start tag") }
            if bytes[pos] == UInt8(ascii: ">") {
                pos += 1
                return (name, false)
            }
            if hasPrefix("/>") {
                pos += 2
                return (name, true)
            }
            guard hadSpace else { throw error("expected whitespace before attribute") }
            _ = try parseName()
            skipWhitespace()
            guard pos < bytes.count, bytes[pos] == UInt8(ascii: "=") else { throw error("expected '=' after attribute name") }
            pos += 1
            skipWhitespace()
            guard pos < bytes.count, bytes[pos] == UInt8(ascii: "\"") || bytes[pos] == UInt8(ascii: "'") else {
                throw error("expected quoted attribute value")
            }
            let quote = bytes[pos]
            pos += 1
            while true {
                guard pos < bytes.count else { throw error("unterminated attribute value") }
                let byte = bytes[pos]
                if byte == quote {
                    pos += 1
                    break
                } else if byte == UInt8(ascii: "<") {
                    throw error("'<' in attribute value")
                } else if byte == UInt8(ascii: "&") {
                    _ = try parseReference()
                } else {
                    pos += 1
                }
            }
        }
    }

    mutating func parseName() throws -> ArraySlice<UInt8> {
        let start = pos
        guard pos < bytes.count, isNameStart(bytes[pos]) else { throw error("expected a name") }
        pos += 1
        while pos < bytes.count, isNameStart(bytes[pos]) || isNameOther(bytes[pos]) { pos += 1 }
        return bytes[start..<pos]
    }

    // MARK: References

    /// At `&`: parses an entity or character reference and returns its character.
    mutating func parseReference() throws -> Unicode.Scalar {
        let start = pos
        pos += 1
        guard let semicolon = bytes[pos...].prefix(12).firstIndex(of: UInt8(ascii: ";")) else {
            pos = start
            throw error("malformed reference")
        }
        let body = bytes[pos..<semicolon]
        pos = semicolon + 1
        if body.first == UInt8(ascii: "#") {
            var digits = body.dropFirst()
            var radix: UInt32 = 10
            if digits.first == UInt8(ascii: "x") {
                radix = 16
                digits = digits.dropFirst()
            }
            guard !digits.isEmpty, digits.count <= 8 else { throw malformed(start) }
            var value: UInt32 = 0
            for digit in digits {
                let d: UInt32
                switch digit {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(digit - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f") where radix == 16: d = UInt32(digit - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F") where radix == 16: d = UInt32(digit - UInt8(ascii: "A") + 10)
                default: throw malformed(start)
                }
                value = value * radix + d
                guard value <= 0x10FFFF else { throw malformed(start) }
            }
            guard value != 0, value != 0xFFFE, value != 0xFFFF, let scalar = Unicode.Scalar(value) else {
                throw malformed(start)
            }
            return scalar
        }
        switch String(decoding: body, as: UTF8.self) {
        case "lt": return "<"
        case "gt": return ">"
        case "amp": return "&"
        case "quot": return "\""
        case "apos": return "'"
        default:
            pos = start
            throw error("unknown entity reference")
        }
    }

    mutating func malformed(_ start: Int) -> XMLParseError {
        pos = start
        return error("malformed character reference")
    }

    // MARK: Skipping

    mutating func skipComment() throws {
        pos += 4
        guard let end = find("-->") else { throw error("unterminated comment") }
        pos = end + 3
    }

    /// At `<?`: skips a processing instruction. The `xml` target is only allowed as the declaration
    /// at the very start of the document.
    mutating func skipProcessingInstruction(allowDeclaration: Bool) throws {
        let start = pos
        pos += 2
        let target = try parseName()
        if !allowDeclaration, target.count == 3, String(decoding: target, as: UTF8.self).lowercased() == "xml" {
            pos = start
            throw error("XML declaration not at the start of the document")
        }
        guard let end = find("?>") else { throw error("unterminated processing instruction") }
        pos = end + 2
    }

    @discardableResult
    mutating func skipWhitespace() -> Bool {
        let start = pos
        while pos < bytes.count, isWhitespace(bytes[pos]) { pos += 1 }
        return pos != start
    }

    // MARK: Helpers

    func hasPrefix(_ prefix: String) -> Bool {
        hasPrefix(Array(prefix.utf8))
    }

    func hasPrefix(_ prefix: [UInt8]) -> Bool {
        bytes.count - pos >= prefix.count && bytes[pos..<(pos + prefix.count)].elementsEqual(prefix)
    }

    /// Index of the next occurrence of `needle` at or after `pos`.
    func find(_ needle: String) -> Int? {
        let n = Array(needle.utf8)
        var i = pos
        while i + n.count <= bytes.count {
            if bytes[i] == n[0], bytes[i..<(i + n.count)].elementsEqual(n) { return i }
            i += 1
        }
        return nil
    }

    func appendNormalizingLineEnds(_ run: ArraySlice<UInt8>, to text: inout [UInt8]) {
        // XML 1.0 §2.11: CR LF and lone CR become LF.
        guard run.contains(0x0D) else {
            text.append(contentsOf: run)
            return
        }
        var i = run.startIndex
        while i < run.endIndex {
            if run[i] == 0x0D {
                text.append(0x0A)
                if i + 1 < run.endIndex, run[i + 1] == 0x0A { i += 1 }
            } else {
                text.append(run[i])
            }
            i += 1
        }
    }

    func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    func isNameStart(_ byte: UInt8) -> Bool {
        (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || byte == UInt8(ascii: "_")
            || byte == UInt8(ascii: ":") || byte >= 0x80
    }

    func isNameOther(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
    }

    /// Strict UTF-8 validation (no overlongs, surrogates or values above U+10FFFF) plus the XML 1.0
    /// character rule for raw characters.
    func validateCharacters() throws {
        var i = 0
        let n = bytes.count
        while i < n {
            let b0 = bytes[i]
            if b0 < 0x80 {
                if b0 < 0x20, b0 != 0x09, b0 != 0x0A, b0 != 0x0D {
                    throw XMLParseError("XML parse error at byte \(i): control character U+\(String(b0, radix: 16, uppercase: true)) is not allowed")
                }
                i += 1
                continue
            }
            let length: Int
            var scalar: UInt32
            switch b0 {
            case 0xC2...0xDF: length = 2; scalar = UInt32(b0 & 0x1F)
            case 0xE0...0xEF: length = 3; scalar = UInt32(b0 & 0x0F)
            case 0xF0...0xF4: length = 4; scalar = UInt32(b0 & 0x07)
            default: throw XMLParseError("XML parse error at byte \(i): invalid UTF-8")
            }
            guard i + length <= n else { throw XMLParseError("XML parse error at byte \(i): truncated UTF-8 sequence") }
            for k in 1..<length {
                let b = bytes[i + k]
                guard b & 0xC0 == 0x80 else { throw XMLParseError("XML parse error at byte \(i): invalid UTF-8") }
                scalar = scalar << 6 | UInt32(b & 0x3F)
            }
            let minimum: UInt32 = length == 2 ? 0x80 : length == 3 ? 0x800 : 0x10000
            guard scalar >= minimum, scalar <= 0x10FFFF, !(0xD800...0xDFFF).contains(scalar) else {
                throw XMLParseError("XML parse error at byte \(i): invalid UTF-8")
            }
            guard scalar != 0xFFFE, scalar != 0xFFFF else {
                throw XMLParseError("XML parse error at byte \(i): character U+\(String(scalar, radix: 16, uppercase: true)) is not allowed")
            }
            i += length
        }
    }
}

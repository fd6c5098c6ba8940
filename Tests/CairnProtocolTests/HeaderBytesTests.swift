import CairnCore
import CairnProtocol
import Testing

@Suite struct HeaderBytesTests {
    private func escape(_ bytes: [UInt8]) -> [UInt8]? { bytes.withUnsafeBytes { HeaderBytes.escape($0) } }

    @Test func validUTF8OutsideTheEscapeRangeIsLeftAlone() {
        for text in ["", "plain ascii", "café 日本 🙂", "\u{F77F}", "\u{F800}", "tab\tand\u{7F}"] {
            #expect(escape(Array(text.utf8)) == nil, "\(text)")
            #expect(HeaderBytes.unescape(text) == Array(text.utf8))
        }
    }

    @Test func everyByteStringRoundTripsThroughValidUTF8() throws {
        var generator = SystemRandomNumberGenerator()
        var cases: [[UInt8]] = [[0xE9], [0xFF, 0xFE, 0x80], [0xC3], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80],
                                Array("\u{F7A9}\u{F780}\u{F7FF}".utf8), Array(0...255)]
        for _ in 0..<500 { cases.append((0..<Int.random(in: 1...40, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }) }
        for bytes in cases {
            let escaped = escape(bytes) ?? bytes
            let text = try #require(String(validating: escaped, as: UTF8.self), "escapes are valid UTF-8")
            #expect(HeaderBytes.unescape(text) == bytes, "\(bytes)")
            #expect(HeaderBytes.hasEscapes(text) == (escape(bytes) != nil))
        }
    }

    @Test func anInvalidByteBecomesItsPrivateUseCodePoint() throws {
        let escaped = try #require(escape([0x63, 0xE9]))
        #expect(String(decoding: escaped, as: UTF8.self) == "c\u{F7E9}")
        // A genuine code point of the escape range is escaped byte by byte, so that it comes back as sent.
        let genuine = try #require(escape(Array("\u{F7A9}".utf8)))
        #expect(String(decoding: genuine, as: UTF8.self) == "\u{F7EF}\u{F79E}\u{F7A9}")
    }

    @Test func stringToSignHashesTheBytesSent() {
        let canonical = "PUT\n/b/k\n\nx-amz-meta-a:caf\u{F7E9}\n\nx-amz-meta-a\nUNSIGNED-PAYLOAD"
        let raw = Array("PUT\n/b/k\n\nx-amz-meta-a:caf".utf8) + [0xE9] + Array("\n\nx-amz-meta-a\nUNSIGNED-PAYLOAD".utf8)
        let sts = SigV4.stringToSign(timestamp: "20260101T000000Z", scope: "20260101/us-east-1/s3/aws4_request", canonicalRequest: canonical)
        #expect(sts.hasSuffix(Hasher.digest(.sha256, raw).hex))
    }
}

@testable import CairnHTTP
import NIOCore
import NIOEmbedded
import Testing

@Suite struct RawHeaderBytesTests {
    /// What the handler hands on to NIO's parser when `input` arrives cut at `cuts`.
    private func forwarded(_ input: [UInt8], cuts: [Int]) throws -> [UInt8] {
        let channel = EmbeddedChannel(handler: RawHeaderBytesHandler())
        var start = 0
        for cut in cuts + [input.count] where cut >= start {
            try channel.writeInbound(ByteBuffer(bytes: input[start..<cut]))
            start = cut
        }
        var out: [UInt8] = []
        while let buffer: ByteBuffer = try channel.readInbound() { out += buffer.readableBytesView }
        _ = try channel.finish()
        return out
    }

    private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func headersAreEscapedAndBodiesPassUntouchedWhereverTheBytesAreCut() throws {
        let body = bytes("\r\n\r\nGET / HTTP/1.1\r\nx: ") + [0xE9, 0xFF] + bytes("\u{F7A9}")
        let input = bytes("PUT /b/k HTTP/1.1\r\nHost: h\r\nx-amz-meta-a: caf") + [0xE9] + bytes("\r\nContent-Length: \(body.count)\r\n\r\n")
            + body
            + bytes("GET /b/") + [0xE9] + bytes(" HTTP/1.1\r\nx-amz-meta-b: ") + [0xFF] + bytes("\r\n\r\n")
        let expected = bytes("PUT /b/k HTTP/1.1\r\nHost: h\r\nx-amz-meta-a: caf\u{F7E9}\r\nContent-Length: \(body.count)\r\n\r\n")
            + body
            + bytes("GET /b/") + [0xE9] + bytes(" HTTP/1.1\r\nx-amz-meta-b: \u{F7FF}\r\n\r\n")  // the request line stays as sent
        for cut in 0...input.count {
            #expect(try forwarded(input, cuts: [cut]) == expected, "cut at \(cut)")
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let cuts = (0..<Int.random(in: 1...12, using: &generator)).map { _ in Int.random(in: 0...input.count, using: &generator) }.sorted()
            #expect(try forwarded(input, cuts: cuts) == expected, "cuts at \(cuts)")
        }
    }

    @Test func transferEncodingEndsTheEscapingForTheConnection() throws {
        let input = bytes("POST /x HTTP/1.1\r\nx-a: ") + [0xE9] + bytes("\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n")
            + [UInt8](repeating: 0xE9, count: 5) + bytes("\r\n0\r\n\r\nGET / HTTP/1.1\r\nx-b: ") + [0xE9] + bytes("\r\n\r\n")
        let expected = bytes("POST /x HTTP/1.1\r\nx-a: \u{F7E9}\r\nTransfer-Encoding: chunked\r\n\r\n") + input[input.firstIndex(of: 0x35)!...]
        #expect(try forwarded(input, cuts: [10]) == expected)
    }

    @Test func anOversizedHeadIsHandedOnAsItIs() throws {
        let input = bytes("GET / HTTP/1.1\r\nx: ") + [UInt8](repeating: 0xE9, count: RawHeaderBytesHandler.maxHeadBytes)
        let out = try forwarded(input, cuts: [100, RawHeaderBytesHandler.maxHeadBytes / 2])
        #expect(out == input)
    }

    @Test func framingFollowsContentLength() {
        func framing(_ head: String) -> RawHeaderBytesHandler.Framing {
            Array(head.utf8).withUnsafeBytes { RawHeaderBytesHandler.framing(of: $0) }
        }
        #expect(framing("GET / HTTP/1.1\r\nHost: h\r\n\r\n") == .length(0))
        #expect(framing("PUT / HTTP/1.1\r\ncontent-LENGTH:  42 \r\n\r\n") == .length(42))
        #expect(framing("PUT / HTTP/1.1\r\nContent-Length: 7\r\nContent-Length: 7\r\n\r\n") == .length(7))
        #expect(framing("PUT / HTTP/1.1\r\nContent-Length: 7\r\nContent-Length: 8\r\n\r\n") == .unknown)
        #expect(framing("PUT / HTTP/1.1\r\nContent-Length: -1\r\n\r\n") == .unknown)
        #expect(framing("PUT / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n") == .unknown)
        #expect(framing("PUT / HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n") == .unknown)
        #expect(framing("PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n") == .unknown)
    }

    @Test func aMarkedResponseHeadGoesOutAsBytes() throws {
        let handler = RawHeaderBytesHandler()
        let channel = EmbeddedChannel(handler: handler)
        let head = bytes("HTTP/1.1 200 OK\r\nx-amz-meta-a: caf\u{F7E9}\r\n\r\n")
        handler.escapedResponseHeadPending = true
        try channel.writeOutbound(IOData.byteBuffer(ByteBuffer(bytes: head)))
        try channel.writeOutbound(IOData.byteBuffer(ByteBuffer(bytes: bytes("body \u{F7E9}"))))
        func written() throws -> [UInt8] {
            guard case .byteBuffer(let b)? = try channel.readOutbound(as: IOData.self) else { return [] }
            return Array(b.readableBytesView)
        }
        #expect(try written() == bytes("HTTP/1.1 200 OK\r\nx-amz-meta-a: caf") + [0xE9] + bytes("\r\n\r\n"))
        #expect(try written() == bytes("body \u{F7E9}"), "only the marked head is unescaped")
        _ = try channel.finish()
    }
}

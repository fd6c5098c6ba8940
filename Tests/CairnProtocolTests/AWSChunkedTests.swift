import Foundation
import Testing
import CairnCore
import CairnProtocol

// Signed vectors: Amazon S3 API Reference, sigv4-streaming ("Example: PUT Object", 65 KiB of 'a'
// in a 64 KiB and a 1 KiB chunk, seed 4f232c43…) and sigv4-streaming-trailers (seed 106e2a8a…,
// trailer x-amz-checksum-crc32c:sOO8/Q==).

private let s3Secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
private let s3Key = SigV4.signingKey(secret: s3Secret, date: "20130524", region: "us-east-1", service: "s3")

private func exampleContext(seed: String) -> ChunkSigningContext {
    ChunkSigningContext(signingKey: s3Key, timestamp: "20130524T000000Z", scope: "20130524/us-east-1/s3/aws4_request", seedSignature: seed)
}

private let seed = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
private let trailerSeed = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"

private func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

/// The documented 66824-byte signed body (optionally with the signed trailer section).
private func documentedBody(trailer: Bool) -> [UInt8] {
    let sigs = trailer
        ? ["b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
           "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
           "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992"]
        : ["ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
           "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
           "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9"]
    var body = bytes("10000;chunk-signature=\(sigs[0])\r\n") + [UInt8](repeating: 0x61, count: 65536) + bytes("\r\n")
    body += bytes("400;chunk-signature=\(sigs[1])\r\n") + [UInt8](repeating: 0x61, count: 1024) + bytes("\r\n")
    body += bytes("0;chunk-signature=\(sigs[2])\r\n")
    if trailer {
        body += bytes("x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n")
    }
    body += bytes("\r\n")
    return body
}

/// Decodes `body` fed in pieces cut at `cuts` (sorted offsets).
private func decode(_ body: [UInt8], signing: ChunkSigningContext? = nil, cuts: [Int] = [],
                    maxChunkSize: Int = 16 << 20) throws -> (data: [UInt8], trailers: [String: String]) {
    var decoder = AWSChunkedDecoder(signing: signing, maxChunkSize: maxChunkSize)
    var out: [UInt8] = []
    var start = 0
    for end in cuts + [body.count] {
        try decoder.feed(Array(body[start..<end])) { out += $0 }
        start = end
    }
    let trailers = try decoder.finish()
    #expect(decoder.decodedByteCount == out.count)
    #expect(decoder.isComplete)
    return (out, trailers)
}

private func expectChunkedError(_ code: String, _ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        try body()
        Issue.record("expected \(code), got success", sourceLocation: sourceLocation)
    } catch let error as AWSChunkedError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
    }
}

private func lastIndex(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
    guard haystack.count >= needle.count else { return nil }
    return (0...(haystack.count - needle.count)).last { Array(haystack[$0..<($0 + needle.count)]) == needle }
}

/// Offset just past the LF ending the line that contains `offset`.
private func lineEnd(in body: [UInt8], after offset: Int) -> Int {
    body[offset...].firstIndex(of: 0x0A)! + 1
}

/// boto3 / botocore style STREAMING-UNSIGNED-PAYLOAD-TRAILER body.
private let unsignedBody = bytes("5\r\nhello\r\nb\r\n, world 123\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n")
private let unsignedPayload = bytes("hello, world 123")

@Suite struct AWSChunkedDecoderTests {
    @Test func unsignedTrailerBody() throws {
        let (data, trailers) = try decode(unsignedBody)
        #expect(data == unsignedPayload)
        #expect(trailers == ["x-amz-checksum-crc32": "NhCmhg=="])
    }

    /// Verbatim output of botocore 1.43 AwsChunkedWrapper (crc32 trailer, 16-byte chunks).
    @Test func botocoreWrapperOutput() throws {
        let body = bytes("10\r\nhello worldhello\r\n10\r\n worldhello worl\r\n1\r\nd\r\n0\r\nx-amz-checksum-crc32:lrVJrA==\r\n\r\n")
        let (data, trailers) = try decode(body)
        #expect(data == bytes("hello worldhello worldhello world"))
        #expect(trailers == ["x-amz-checksum-crc32": "lrVJrA=="])
    }

    @Test func lenientEndings() throws {
        // The final CRLF after the trailers is missing.
        var (data, trailers) = try decode(bytes("5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n"))
        #expect(data == bytes("hello") && trailers == ["x-amz-checksum-crc32": "NhCmhg=="])
        // No trailers and no final CRLF.
        (data, trailers) = try decode(bytes("5\r\nhello\r\n0\r\n"))
        #expect(data == bytes("hello") && trailers.isEmpty)
        // Chunk extensions are ignored without signing; trailer names are lowercased, values trimmed.
        (data, trailers) = try decode(bytes("5;foo=bar\r\nhello\r\n0\r\nX-Amz-Checksum-SHA256 :  abc= \r\n\r\n"))
        #expect(data == bytes("hello") && trailers == ["x-amz-checksum-sha256": "abc="])
        // An empty body.
        (data, trailers) = try decode(bytes("0\r\n\r\n"))
        #expect(data.isEmpty && trailers.isEmpty)
    }

    @Test func documentedSignedExample() throws {
        let body = documentedBody(trailer: false)
        #expect(body.count == 66824)
        for cuts in [[], [1], Array(stride(from: 1000, to: body.count, by: 1000)), [88 + 65536, 88 + 65537, 88 + 65538, 88 + 65538 + 86]] {
            let (data, trailers) = try decode(body, signing: exampleContext(seed: seed), cuts: cuts)
            #expect(data == [UInt8](repeating: 0x61, count: 66560))
            #expect(trailers.isEmpty)
        }
        // The same body decodes without signing (signatures ignored).
        #expect(try decode(body).data.count == 66560)
    }

    @Test func documentedSignedTrailerExample() throws {
        let body = documentedBody(trailer: true)
        let (data, trailers) = try decode(body, signing: exampleContext(seed: trailerSeed), cuts: Array(stride(from: 777, to: body.count, by: 777)))
        #expect(data.count == 66560)
        #expect(trailers == ["x-amz-checksum-crc32c": "sOO8/Q=="])
        // Without signing the trailer signature is not checked and not returned.
        #expect(try decode(body).trailers == ["x-amz-checksum-crc32c": "sOO8/Q=="])
    }

    @Test func signatureFailures() {
        let body = documentedBody(trailer: false)
        // Wrong seed: the first chunk fails.
        expectChunkedError(AWSChunkedError.signatureDoesNotMatch) { _ = try decode(body, signing: exampleContext(seed: trailerSeed)) }
        // A changed data byte in each chunk.
        for offset in [88 + 10, 88 + 65536 + 2 + 86 + 3] {  // 88/86: chunk header lengths
            var tampered = body
            tampered[offset] = 0x62
            expectChunkedError(AWSChunkedError.signatureDoesNotMatch) { _ = try decode(tampered, signing: exampleContext(seed: seed)) }
        }
        // Each signature altered.
        let text = String(decoding: body.prefix(200), as: UTF8.self)
        #expect(text.hasPrefix("10000;chunk-signature=ad80"))
        for sig in ["ad80c730", "0055627c", "b6c6ea8a"] {
            let s = String(decoding: body, as: UTF8.self).replacingOccurrences(of: "chunk-signature=" + sig, with: "chunk-signature=" + sig.prefix(7) + (sig.hasSuffix("0") ? "1" : "0"))
            expectChunkedError(AWSChunkedError.signatureDoesNotMatch) { _ = try decode(bytes(s), signing: exampleContext(seed: seed)) }
        }
        // Missing, malformed or duplicated chunk signature when signing.
        let ctx = exampleContext(seed: seed)
        for bad in ["5\r\nhello\r\n", "5;chunk-signature=abc\r\nhello\r\n", "5;chunk-signature=\(String(repeating: "A", count: 64))\r\nhello\r\n",
                    "5;chunk-signature=\(seed);chunk-signature=\(seed)\r\nhello\r\n", "0\r\n\r\n"] {
            expectChunkedError(AWSChunkedError.signatureDoesNotMatch) { _ = try decode(bytes(bad), signing: ctx) }
        }
    }

    @Test func trailerSignatureFailures() {
        let body = String(decoding: documentedBody(trailer: true), as: UTF8.self)
        let ctx = exampleContext(seed: trailerSeed)
        // Changed trailer value.
        expectChunkedError(AWSChunkedError.signatureDoesNotMatch) {
            _ = try decode(bytes(body.replacingOccurrences(of: "sOO8/Q==", with: "sOO8/Q=A")), signing: ctx)
        }
        // Changed trailer signature.
        expectChunkedError(AWSChunkedError.signatureDoesNotMatch) {
            _ = try decode(bytes(body.replacingOccurrences(of: "signature:d81f", with: "signature:d81e")), signing: ctx)
        }
        // Trailer signature missing while signing.
        expectChunkedError(AWSChunkedError.signatureDoesNotMatch) {
            let stripped = body.replacingOccurrences(of: "x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n", with: "")
            _ = try decode(bytes(stripped), signing: ctx)
        }
        // An extra trailer added.
        expectChunkedError(AWSChunkedError.signatureDoesNotMatch) {
            _ = try decode(bytes(body.replacingOccurrences(of: "x-amz-checksum-crc32c:", with: "x-amz-meta-evil:1\r\nx-amz-checksum-crc32c:")), signing: ctx)
        }
    }

    @Test func everySplitGivesTheSameOutput() throws {
        var encoder = AWSChunkedEncoder(signing: exampleContext(seed: seed))
        let signedBody = encoder.chunk(bytes("hello")) + encoder.chunk(bytes(", world")) + encoder.finish(trailers: [("x-amz-checksum-crc32", "AAAAAA==")])
        for (body, signing, payload) in [(unsignedBody, nil, unsignedPayload), (signedBody, exampleContext(seed: seed), bytes("hello, world"))] {
            let reference = try decode(body, signing: signing)
            #expect(reference.data == payload)
            for k in 0...body.count {
                let result = try decode(body, signing: signing, cuts: [k])
                #expect(result.data == reference.data && result.trailers == reference.trailers, "split at \(k)")
            }
            let oneByteAtATime = try decode(body, signing: signing, cuts: Array(1..<body.count))
            #expect(oneByteAtATime.data == reference.data && oneByteAtATime.trailers == reference.trailers)
        }
        // All two-cut splits of the unsigned body.
        for i in 0...unsignedBody.count {
            for j in i...unsignedBody.count {
                #expect(try decode(unsignedBody, cuts: [i, j]).data == unsignedPayload)
            }
        }
    }

    @Test func truncationAtEveryPositionFails() throws {
        var encoder = AWSChunkedEncoder(signing: exampleContext(seed: seed))
        let signedBody = encoder.chunk(bytes("hello")) + encoder.chunk(bytes(", world")) + encoder.finish()
        let signedTrailerBody: [UInt8] = {
            var e = AWSChunkedEncoder(signing: exampleContext(seed: seed))
            return e.chunk(bytes("hello")) + e.finish(trailers: [("x-amz-checksum-crc32", "AAAAAA==")])
        }()
        for (body, signing) in [(unsignedBody, nil), (signedBody, exampleContext(seed: seed)), (signedTrailerBody, exampleContext(seed: seed))] {
            // Accepted ends (lenient): right after the final chunk line, or after a complete
            // trailer line that completes a valid trailer section.
            let finalLineEnd = lineEnd(in: body, after: lastIndex(of: bytes("\r\n0"), in: body)! + 2)
            var accepted: Set<Int> = [body.count, finalLineEnd]
            if let sig = lastIndex(of: bytes("x-amz-trailer-signature:"), in: body) {
                accepted.insert(lineEnd(in: body, after: sig))
            } else if signing == nil, let crc = lastIndex(of: bytes("x-amz-checksum-crc32:"), in: body) {
                accepted.insert(lineEnd(in: body, after: crc))
            }
            for p in 0...body.count {
                var decoder = AWSChunkedDecoder(signing: signing)
                try decoder.feed(Array(body[..<p])) { _ in }
                if accepted.contains(p) {
                    _ = try decoder.finish()
                } else {
                    // A signed trailer line without its signature is refused as unsigned.
                    let isUnsignedTrailerEnd = signing != nil && p > finalLineEnd && body[p - 1] == 0x0A
                    expectChunkedError(isUnsignedTrailerEnd ? AWSChunkedError.signatureDoesNotMatch : AWSChunkedError.incompleteBody) {
                        _ = try decoder.finish()
                    }
                }
            }
        }
    }

    @Test(arguments: [
        ("zz\r\nhello\r\n0\r\n\r\n", AWSChunkedError.invalidChunkSize),
        ("\r\nhello\r\n0\r\n\r\n", AWSChunkedError.invalidChunkSize),
        (" 5\r\nhello\r\n0\r\n\r\n", AWSChunkedError.invalidChunkSize),
        ("5 \r\nhello\r\n0\r\n\r\n", AWSChunkedError.invalidChunkSize),
        ("-5\r\nhello\r\n0\r\n\r\n", AWSChunkedError.invalidChunkSize),
        ("0x5\r\nhello\r\n0\r\n\r\n", AWSChunkedError.invalidChunkSize),
        ("5\nhello\r\n0\r\n\r\n", AWSChunkedError.invalidChunkSize),
        ("fffffffffffffffff\r\n", AWSChunkedError.invalidChunkSize),
        ("ffffffffffffffff\r\n", AWSChunkedError.invalidChunkSize),
        ("1000001\r\n", AWSChunkedError.invalidChunkSize),
        ("5\r\nhelloXX0\r\n\r\n", AWSChunkedError.invalidRequest),
        ("5\r\nhello\n0\r\n\r\n", AWSChunkedError.invalidRequest),
        ("3\r\nhello\r\n0\r\n\r\n", AWSChunkedError.invalidRequest),
        ("5\r\nhello\r\n0\r\n\r\nX", AWSChunkedError.invalidRequest),
        ("5\r\nhello\r\n0\r\n\r\n0\r\n\r\n", AWSChunkedError.invalidRequest),
        ("5\r\nhello\r\n0\r\nbogus\r\n\r\n", AWSChunkedError.malformedTrailer),
        ("5\r\nhello\r\n0\r\n:value\r\n\r\n", AWSChunkedError.malformedTrailer),
        ("5\r\nhello\r\n0\r\nbad name:value\r\n\r\n", AWSChunkedError.malformedTrailer),
        ("5\r\nhello\r\n0\r\na:1\r\nA:2\r\n\r\n", AWSChunkedError.malformedTrailer),
        ("5\r\nhello\r\n0\r\na:1\nb:2\r\n\r\n", AWSChunkedError.malformedTrailer),
        ("5\r\nhello\r\n0\r\na:1\rb:2\r\n\r\n", AWSChunkedError.malformedTrailer),
        ("5\r\nhello\r\n0\r\nx-amz-trailer-signature:abc\r\na:1\r\n\r\n", AWSChunkedError.malformedTrailer),
        ("5\r\nhello\r\n0\r\n5\r\nhello\r\n\r\n", AWSChunkedError.malformedTrailer),
        ("5\r\nhello\r\n", AWSChunkedError.incompleteBody),
        ("5\r\nhel", AWSChunkedError.incompleteBody),
        ("5\r\nhello\r\n0", AWSChunkedError.incompleteBody),
        ("5\r\nhello\r\n0\r\na:1", AWSChunkedError.incompleteBody),
        ("", AWSChunkedError.incompleteBody),
    ])
    func malformed(body: String, code: String) {
        for cuts in [[], Array(1..<max(1, body.utf8.count))] {
            expectChunkedError(code) { _ = try decode(bytes(body), cuts: cuts) }
        }
    }

    @Test func maxChunkSize() throws {
        expectChunkedError(AWSChunkedError.invalidChunkSize) { _ = try decode(bytes("11\r\n"), maxChunkSize: 16) }
        #expect(try decode(bytes("10\r\n0123456789abcdef\r\n0\r\n\r\n"), maxChunkSize: 16).data.count == 16)
        // No wrap-around even with an unbounded maximum.
        expectChunkedError(AWSChunkedError.invalidChunkSize) { _ = try decode(bytes("ffffffffffffffff\r\n"), maxChunkSize: Int.max) }
        expectChunkedError(AWSChunkedError.invalidChunkSize) { _ = try decode(bytes("8000000000000000\r\n"), maxChunkSize: Int.max) }
    }

    @Test func longLinesAreRefusedWithoutWaitingForTheEnd() {
        var decoder = AWSChunkedDecoder(signing: nil)
        let long = bytes("5;" + String(repeating: "x", count: 5000))
        expectChunkedError(AWSChunkedError.invalidChunkSize) { try decoder.feed(long) { _ in } }
        var trailerDecoder = AWSChunkedDecoder(signing: nil)
        expectChunkedError(AWSChunkedError.malformedTrailer) {
            try trailerDecoder.feed(bytes("0\r\na:" + String(repeating: "x", count: 5000))) { _ in }
        }
        var many = AWSChunkedDecoder(signing: nil)
        expectChunkedError(AWSChunkedError.malformedTrailer) {
            var text = "0\r\n"
            for i in 0..<2000 { text += "x-amz-meta-\(i):\(i)\r\n" }
            try many.feed(bytes(text)) { _ in }
        }
    }

    @Test func errorsAreSticky() {
        var decoder = AWSChunkedDecoder(signing: nil)
        expectChunkedError(AWSChunkedError.invalidChunkSize) { try decoder.feed(bytes("zz\r\n")) { _ in } }
        expectChunkedError(AWSChunkedError.invalidChunkSize) { try decoder.feed(bytes("0\r\n\r\n")) { _ in } }
        expectChunkedError(AWSChunkedError.invalidChunkSize) { _ = try decoder.finish() }
        var done = AWSChunkedDecoder(signing: nil)
        #expect(throws: Never.self) { try done.feed(bytes("0\r\n\r\n")) { _ in } }
        expectChunkedError(AWSChunkedError.invalidRequest) { try done.feed(bytes("\r\n")) { _ in } }
    }

    struct Stop: Error {}

    @Test func consumerErrorsPropagate() {
        var decoder = AWSChunkedDecoder(signing: nil)
        #expect(throws: Stop.self) { try decoder.feed(unsignedBody) { _ in throw Stop() } }
        expectChunkedError(AWSChunkedError.invalidRequest) { _ = try decoder.finish() }
    }

    @Test func streamsWithoutBufferingChunks() throws {
        let body = documentedBody(trailer: false)
        var decoder = AWSChunkedDecoder(signing: exampleContext(seed: seed))
        var pieces: [Int] = []
        var offset = 0
        while offset < body.count {
            let end = min(body.count, offset + 1000)
            try decoder.feed(Array(body[offset..<end])) { pieces.append($0.count) }
            offset = end
            if offset == 5000 { #expect(decoder.decodedByteCount == 5000 - 88) }
        }
        _ = try decoder.finish()
        #expect(pieces.allSatisfy { $0 <= 1000 })
        #expect(pieces.count > 60)
        #expect(decoder.decodedByteCount == 66560)
    }

    @Test func encoderRoundTrip() throws {
        var payload: [UInt8] = []
        var state: UInt32 = 12345
        for _ in 0..<50_000 { state = state &* 1_103_515_245 &+ 12345; payload.append(UInt8(truncatingIfNeeded: state >> 16)) }
        for signing in [nil, exampleContext(seed: seed)] {
            var encoder = AWSChunkedEncoder(signing: signing)
            var body: [UInt8] = []
            var i = 0
            while i < payload.count {
                let end = min(payload.count, i + 8192)
                body += encoder.chunk(payload[i..<end])
                i = end
            }
            #expect(encoder.chunk([UInt8]()).isEmpty)
            body += encoder.finish(trailers: [("x-amz-checksum-crc32c", "abcd"), ("x-amz-checksum-sha256", "efgh")])
            let result = try decode(body, signing: signing, cuts: Array(stride(from: 333, to: body.count, by: 4096)))
            #expect(result.data == payload)
            #expect(result.trailers == ["x-amz-checksum-crc32c": "abcd", "x-amz-checksum-sha256": "efgh"])
        }
    }

    @Test func encoderMatchesDocumentedBodies() {
        var encoder = AWSChunkedEncoder(signing: exampleContext(seed: seed))
        var body = encoder.chunk([UInt8](repeating: 0x61, count: 65536))
        body += encoder.chunk([UInt8](repeating: 0x61, count: 1024))
        body += encoder.finish()
        #expect(body == documentedBody(trailer: false))
        var trailerEncoder = AWSChunkedEncoder(signing: exampleContext(seed: trailerSeed))
        var trailerBody = trailerEncoder.chunk([UInt8](repeating: 0x61, count: 65536))
        trailerBody += trailerEncoder.chunk([UInt8](repeating: 0x61, count: 1024))
        trailerBody += trailerEncoder.finish(trailers: [("x-amz-checksum-crc32c", "sOO8/Q==")])
        #expect(trailerBody == documentedBody(trailer: true))
    }

    @Test func errorStatus() {
        #expect(AWSChunkedError(code: AWSChunkedError.signatureDoesNotMatch, message: "").httpStatus == 403)
        #expect(AWSChunkedError(code: AWSChunkedError.incompleteBody, message: "").httpStatus == 400)
    }
}

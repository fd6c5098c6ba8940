import CairnCore

// The aws-chunked content encoding used by S3 streaming uploads
// (x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER] or
// STREAMING-UNSIGNED-PAYLOAD-TRAILER):
//
//     chunk   = hex-size [";chunk-signature=" 64HEX] CRLF data CRLF      (repeated, size > 0)
//     final   = "0" [";chunk-signature=" 64HEX] CRLF
//     trailer = *( name ":" value CRLF ) [ "x-amz-trailer-signature:" 64HEX CRLF ] CRLF
//
// Chunk signatures chain from the request's seed signature (SigV4.chunkSignature); the trailer
// signature chains from the final chunk's signature (SigV4.trailerSignature).

/// A decoding failure; `code` is the S3 error code to answer with, `httpStatus` its status.
public struct AWSChunkedError: Error, Sendable, Equatable, CustomStringConvertible {
    /// "IncompleteBody", "InvalidChunkSizeError", "SignatureDoesNotMatch", "MalformedTrailerError"
    /// or "InvalidRequest".
    public var code: String
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public static let incompleteBody = "IncompleteBody"
    public static let invalidChunkSize = "InvalidChunkSizeError"
    public static let signatureDoesNotMatch = "SignatureDoesNotMatch"
    public static let malformedTrailer = "MalformedTrailerError"
    public static let invalidRequest = "InvalidRequest"

    public var httpStatus: Int { code == Self.signatureDoesNotMatch ? 403 : 400 }
    public var description: String { "\(code): \(message)" }
}

/// Incremental aws-chunked decoder: feed raw body bytes in any split, receive the decoded payload.
///
/// Decoded bytes are emitted as soon as they arrive, before the chunk's signature (which follows
/// the data) can be checked, and nothing beyond the current line is buffered. Consequently, when
/// `feed` or `finish` throws, bytes already emitted may belong to a chunk that failed
/// verification or to a truncated body: the caller must treat any thrown error as "abort the whole
/// upload" and discard everything emitted. After an error the decoder stays failed and rethrows
/// the same error.
///
/// Not thread-safe and holds a reference-typed hasher: use one decoder per body, from one place.
public struct AWSChunkedDecoder {
    /// Longest accepted chunk-size line or trailer line (without CRLF).
    public static let maxLineLength = 4096
    /// Largest accepted trailer section.
    public static let maxTrailerBytes = 16 << 10

    public let maxChunkSize: Int
    /// Payload bytes emitted so far.
    public private(set) var decodedByteCount: Int = 0
    /// True once the whole body (including the terminating empty line) has been decoded.
    public var isComplete: Bool { state == .done }

    private enum State { case sizeLine, data, dataCR, dataLF, trailerLine, done }

    private let signing: ChunkSigningContext?
    private var state: State = .sizeLine
    private var line: [UInt8] = []
    private var remaining = 0
    private var providedChunkSignature = ""
    private var previousSignature: String
    private var hasher: Hasher?
    private var trailers: [(name: String, value: String)] = []
    private var trailerSignature: String?
    private var trailerBytes = 0
    private var failure: AWSChunkedError?

    /// `signing`: the verifier's `chunkSigning` (streaming signed modes): every chunk must carry a
    /// valid `chunk-signature`, and trailers must be signed. nil: signatures are not checked
    /// (STREAMING-UNSIGNED-PAYLOAD-TRAILER).
    public init(signing: ChunkSigningContext?, maxChunkSize: Int = 16 << 20) {
        self.signing = signing
        self.maxChunkSize = maxChunkSize
        self.previousSignature = signing?.seedSignature ?? ""
    }

    /// Feeds the next raw body bytes (any split, even one byte at a time); decoded payload bytes
    /// are passed to `emit` in order. Throws `AWSChunkedError`, or whatever `emit` throws.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        if let failure { throw failure }
        do {
            try process(bytes, emit: emit)
        } catch let error as AWSChunkedError {
            failure = error
            throw error
        } catch {
            failure = AWSChunkedError(code: AWSChunkedError.invalidRequest, message: "decoding was aborted by the consumer")
            throw error
        }
    }

    /// Convenience for byte arrays.
    public mutating func feed(_ bytes: [UInt8], emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        try bytes.withUnsafeBytes { try feed($0, emit: emit) }
    }

    /// End of body. Throws `IncompleteBody` when the framing is incomplete. Returns the trailers
    /// (lowercased names → trimmed values, without x-amz-trailer-signature), e.g.
    /// ["x-amz-checksum-crc32": "…"]. With `signing` set, a present x-amz-trailer-signature is
    /// verified, and trailers without one are rejected (SignatureDoesNotMatch).
    ///
    /// Lenient: the terminating empty line may be missing (end of input right after the final
    /// chunk's line or after a complete trailer line is accepted).
    public mutating func finish() throws -> [String: String] {
        if let failure { throw failure }
        do {
            switch state {
            case .done:
                break
            case .trailerLine where line.isEmpty:
                try endOfTrailers()
            default:
                throw AWSChunkedError(code: AWSChunkedError.incompleteBody,
                                      message: "The request body terminated unexpectedly (incomplete aws-chunked encoding).")
            }
        } catch let error as AWSChunkedError {
            failure = error
            throw error
        }
        var result: [String: String] = [:]
        for (name, value) in trailers { result[name] = value }
        return result
    }

    // MARK: - Internals

    private static let cr: UInt8 = 0x0D
    private static let lf: UInt8 = 0x0A

    private mutating func process(_ bytes: UnsafeRawBufferPointer, emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        var i = 0
        let n = bytes.count
        while i < n {
            switch state {
            case .data:
                let take = min(remaining, n - i)
                let slice = UnsafeRawBufferPointer(rebasing: bytes[i..<(i + take)])
                hasher?.update(slice)
                i += take
                remaining -= take
                decodedByteCount += take
                try emit(slice)
                if remaining == 0 {
                    try verifyChunk()
                    state = .dataCR
                }
            case .dataCR, .dataLF:
                let want = state == .dataCR ? Self.cr : Self.lf
                guard bytes[i] == want else {
                    throw AWSChunkedError(code: AWSChunkedError.invalidRequest,
                                          message: "chunk data is not followed by CRLF (the chunk size does not match the data)")
                }
                i += 1
                state = state == .dataCR ? .dataLF : .sizeLine
            case .sizeLine, .trailerLine:
                var j = i
                while j < n && bytes[j] != Self.lf { j += 1 }
                line.append(contentsOf: bytes[i..<j])
                if line.count > Self.maxLineLength + 1 {
                    throw state == .sizeLine
                        ? AWSChunkedError(code: AWSChunkedError.invalidChunkSize, message: "chunk size line is too long")
                        : AWSChunkedError(code: AWSChunkedError.malformedTrailer, message: "trailer line is too long")
                }
                if j == n { return }
                i = j + 1
                guard line.last == Self.cr else {
                    throw state == .sizeLine
                        ? AWSChunkedError(code: AWSChunkedError.invalidChunkSize, message: "chunk size line does not end with CRLF")
                        : AWSChunkedError(code: AWSChunkedError.malformedTrailer, message: "trailer line does not end with CRLF")
                }
                line.removeLast()
                let text = line
                line.removeAll(keepingCapacity: true)
                if state == .sizeLine { try sizeLine(text) } else { try trailerLine(text) }
            case .done:
                throw AWSChunkedError(code: AWSChunkedError.invalidRequest, message: "unexpected data after the end of the aws-chunked body")
            }
        }
    }

    private static func hexValue(_ c: UInt8) -> Int? {
        switch c {
        case 0x30...0x39: return Int(c - 0x30)
        case 0x41...0x46: return Int(c - 0x41 + 10)
        case 0x61...0x66: return Int(c - 0x61 + 10)
        default: return nil
        }
    }

    private static func isSignatureHex(_ s: [UInt8]) -> Bool {
        s.count == 64 && s.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    private mutating func sizeLine(_ text: [UInt8]) throws {
        let semicolon = text.firstIndex(of: 0x3B) ?? text.endIndex
        let digits = text[..<semicolon]
        guard !digits.isEmpty, digits.count <= 16 else {
            throw AWSChunkedError(code: AWSChunkedError.invalidChunkSize, message: "invalid chunk size")
        }
        var size = 0
        for c in digits {
            guard let v = Self.hexValue(c) else {
                throw AWSChunkedError(code: AWSChunkedError.invalidChunkSize, message: "invalid chunk size")
            }
            guard size <= (Int.max >> 4) else {
                throw AWSChunkedError(code: AWSChunkedError.invalidChunkSize, message: "chunk size exceeds the maximum of \(maxChunkSize) bytes")
            }
            size = size << 4 | v
            guard size <= maxChunkSize else {
                throw AWSChunkedError(code: AWSChunkedError.invalidChunkSize, message: "chunk size exceeds the maximum of \(maxChunkSize) bytes")
            }
        }
        if signing != nil {
            var signature: [UInt8]?
            if semicolon < text.endIndex {
                for ext in text[(semicolon + 1)...].split(separator: 0x3B) {
                    let prefix = Array("chunk-signature=".utf8)
                    if ext.starts(with: prefix) {
                        guard signature == nil else {
                            throw AWSChunkedError(code: AWSChunkedError.signatureDoesNotMatch, message: "duplicate chunk-signature")
                        }
                        signature = Array(ext.dropFirst(prefix.count))
                    }
                }
            }
            guard let signature, Self.isSignatureHex(signature) else {
                throw AWSChunkedError(code: AWSChunkedError.signatureDoesNotMatch, message: "missing or malformed chunk-signature")
            }
            providedChunkSignature = String(decoding: signature, as: UTF8.self)
        }
        if size == 0 {
            if signing != nil { hasher = Hasher(.sha256) }
            try verifyChunk()
            state = .trailerLine
        } else {
            remaining = size
            hasher = signing != nil ? Hasher(.sha256) : nil
            state = .data
        }
    }

    private mutating func verifyChunk() throws {
        guard let signing, let h = hasher else { return }
        hasher = nil
        let expected = SigV4.chunkSignature(context: signing, previousSignature: previousSignature,
                                            chunkSHA256Hex: h.finalize().hex)
        guard SigV4.constantTimeEquals(expected, providedChunkSignature) else {
            throw AWSChunkedError(code: AWSChunkedError.signatureDoesNotMatch,
                                  message: "The chunk signature we calculated does not match the signature you provided.")
        }
        previousSignature = expected
    }

    private mutating func trailerLine(_ text: [UInt8]) throws {
        if text.isEmpty {
            try endOfTrailers()
            state = .done
            return
        }
        func malformed(_ message: String) -> AWSChunkedError {
            AWSChunkedError(code: AWSChunkedError.malformedTrailer, message: message)
        }
        trailerBytes += text.count + 2
        guard trailerBytes <= Self.maxTrailerBytes else { throw malformed("trailers are too large") }
        guard trailerSignature == nil else { throw malformed("x-amz-trailer-signature must be the last trailer") }
        guard let colon = text.firstIndex(of: 0x3A) else { throw malformed("trailer line has no ':'") }
        guard !text.contains(where: { $0 < 0x20 && $0 != 0x09 || $0 == 0x7F }) else { throw malformed("trailer line contains control characters") }
        let name = SigV4.trimmed(String(decoding: text[..<colon], as: UTF8.self)).lowercased()
        let value = SigV4.trimmed(String(decoding: text[(colon + 1)...], as: UTF8.self))
        guard !name.isEmpty, !name.contains(" "), !name.contains("\t") else { throw malformed("invalid trailer name") }
        if name == "x-amz-trailer-signature" {
            trailerSignature = value
            return
        }
        guard !trailers.contains(where: { $0.name == name }) else { throw malformed("duplicate trailer \(name)") }
        trailers.append((name: name, value: value))
    }

    private mutating func endOfTrailers() throws {
        state = .done
        guard let signing else { return }
        guard let provided = trailerSignature else {
            if trailers.isEmpty { return }
            throw AWSChunkedError(code: AWSChunkedError.signatureDoesNotMatch, message: "trailing headers are not signed (missing x-amz-trailer-signature)")
        }
        let hash = Hasher.digest(.sha256, SigV4.canonicalTrailers(trailers)).hex
        let expected = SigV4.trailerSignature(context: signing, previousSignature: previousSignature, trailerSHA256Hex: hash)
        guard SigV4.constantTimeEquals(expected, provided) else {
            throw AWSChunkedError(code: AWSChunkedError.signatureDoesNotMatch,
                                  message: "The trailer signature we calculated does not match the signature you provided.")
        }
    }
}

/// Client-side aws-chunked encoder (the counterpart of `AWSChunkedDecoder`).
///
/// Usage: `var e = AWSChunkedEncoder(signing: SigV4.sign(…, payloadHash: PayloadMode.streamingSignedLiteral, …))`,
/// then `e.chunk(data)` for each chunk (S3 wants ≥ 8 KiB for all but the last), then
/// `e.finish(trailers:)`. With `signing` nil the chunks carry no signatures
/// (STREAMING-UNSIGNED-PAYLOAD-TRAILER).
public struct AWSChunkedEncoder: Sendable {
    private let signing: ChunkSigningContext?
    private var previousSignature: String

    public init(signing: ChunkSigningContext?) {
        self.signing = signing
        self.previousSignature = signing?.seedSignature ?? ""
    }

    /// One encoded data chunk; an empty `data` encodes nothing (use `finish`).
    public mutating func chunk<Bytes: Collection<UInt8>>(_ data: Bytes) -> [UInt8] {
        if data.isEmpty { return [] }
        var out = header(size: data.count, hash: signing == nil ? nil : Hasher.digest(.sha256, data).hex)
        out += data
        out += [0x0D, 0x0A]
        return out
    }

    /// The final zero-size chunk, the trailers (signed when `signing` is set and there are
    /// trailers) and the terminating empty line.
    public mutating func finish(trailers: [(name: String, value: String)] = []) -> [UInt8] {
        var out = header(size: 0, hash: signing == nil ? nil : SigV4.emptySHA256Hex)
        let canonical = SigV4.canonicalTrailers(trailers)
        out += canonical.flatMap { $0 == 0x0A ? [0x0D, 0x0A] : [$0] }
        if let signing, !trailers.isEmpty {
            let sig = SigV4.trailerSignature(context: signing, previousSignature: previousSignature,
                                             trailerSHA256Hex: Hasher.digest(.sha256, canonical).hex)
            out += Array("x-amz-trailer-signature:\(sig)\r\n".utf8)
        }
        out += [0x0D, 0x0A]
        return out
    }

    private mutating func header(size: Int, hash: String?) -> [UInt8] {
        var text = String(size, radix: 16)
        if let signing, let hash {
            let sig = SigV4.chunkSignature(context: signing, previousSignature: previousSignature, chunkSHA256Hex: hash)
            previousSignature = sig
            text += ";chunk-signature=" + sig
        }
        return Array((text + "\r\n").utf8)
    }
}

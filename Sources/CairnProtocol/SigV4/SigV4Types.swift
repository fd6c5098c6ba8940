import CairnCore
import Foundation

// AWS Signature Version 4 for S3. References: "Authenticating Requests (AWS Signature Version 4)" in the
// Amazon S3 API Reference (sig-v4-header-based-auth, sigv4-query-string-auth, sigv4-streaming,
// sigv4-streaming-trailers) and the AWS SigV4 test suite.

// MARK: - Request, payload mode, results, errors

/// What the HTTP layer hands to the verifier: the request exactly as received.
public struct SigV4Request: Sendable {
    /// The HTTP method, e.g. "GET".
    public var method: String
    /// The path exactly as sent on the wire, still percent-encoded, e.g. "/bucket/a%20b".
    public var rawPath: String
    /// The query exactly as sent, without the "?"; may be "".
    public var rawQuery: String
    /// All request headers; names in any case, repeated names allowed. Must include "host"
    /// (for HTTP/2, pass ":authority" as "host").
    public var headers: [(name: String, value: String)]
    /// The hex sha256 of the body to assume when `x-amz-content-sha256` is absent (clients such as
    /// `curl --aws-sigv4` sign the body's hash without sending the header). nil: the header is required.
    public var bodySHA256: String?

    public init(method: String, rawPath: String, rawQuery: String = "", headers: [(name: String, value: String)], bodySHA256: String? = nil) {
        self.method = method
        self.rawPath = rawPath
        self.rawQuery = rawQuery
        self.headers = headers
        self.bodySHA256 = bodySHA256
    }

    /// Splits a raw request target ("/bucket/key?uploads") at the first "?".
    public init(method: String, target: String, headers: [(name: String, value: String)]) {
        if let q = target.firstIndex(of: "?") {
            self.init(method: method, rawPath: String(target[..<q]),
                      rawQuery: String(target[target.index(after: q)...]), headers: headers)
        } else {
            self.init(method: method, rawPath: target, rawQuery: "", headers: headers)
        }
    }

    /// All values of a header (case-insensitive name), in order.
    public func headerValues(_ name: String) -> [String] {
        let lower = name.lowercased()
        return headers.compactMap { $0.name.lowercased() == lower ? $0.value : nil }
    }
}

/// How the request body is protected, from `x-amz-content-sha256`.
public enum PayloadMode: Sendable, Equatable {
    /// `x-amz-content-sha256` is a hex digest (stored lowercased): the HTTP layer must hash the
    /// body and answer `XAmzContentSHA256Mismatch` (see `SigV4Error.contentSHA256Mismatch`) on mismatch.
    case sha256(hex: String)
    /// UNSIGNED-PAYLOAD (and presigned URLs without a content hash).
    case unsigned
    /// STREAMING-AWS4-HMAC-SHA256-PAYLOAD: aws-chunked body with chunk signatures.
    case streamingSigned
    /// STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER: signed chunks plus signed trailers.
    case streamingSignedTrailer
    /// STREAMING-UNSIGNED-PAYLOAD-TRAILER: aws-chunked body without signatures, with trailers.
    case streamingUnsignedTrailer

    public static let unsignedPayloadLiteral = "UNSIGNED-PAYLOAD"
    public static let streamingSignedLiteral = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
    public static let streamingSignedTrailerLiteral = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
    public static let streamingUnsignedTrailerLiteral = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"

    /// Parses an `x-amz-content-sha256` value; nil when it is neither 64 hex digits nor a
    /// supported literal (SigV4a ECDSA streaming literals are not supported).
    public init?(contentSHA256 value: String) {
        switch value {
        case Self.unsignedPayloadLiteral: self = .unsigned
        case Self.streamingSignedLiteral: self = .streamingSigned
        case Self.streamingSignedTrailerLiteral: self = .streamingSignedTrailer
        case Self.streamingUnsignedTrailerLiteral: self = .streamingUnsignedTrailer
        default:
            guard value.utf8.count == 64, decodeHex(value) != nil else { return nil }
            self = .sha256(hex: value.lowercased())
        }
    }

    /// The `x-amz-content-sha256` header value for this mode.
    public var headerValue: String {
        switch self {
        case .sha256(let hex): return hex
        case .unsigned: return Self.unsignedPayloadLiteral
        case .streamingSigned: return Self.streamingSignedLiteral
        case .streamingSignedTrailer: return Self.streamingSignedTrailerLiteral
        case .streamingUnsignedTrailer: return Self.streamingUnsignedTrailerLiteral
        }
    }

    /// True when the body is aws-chunked encoded (decode it with `AWSChunkedDecoder`).
    public var isAWSChunked: Bool {
        switch self {
        case .streamingSigned, .streamingSignedTrailer, .streamingUnsignedTrailer: return true
        case .sha256, .unsigned: return false
        }
    }
}

/// What the aws-chunked decoder needs to verify chunk and trailer signatures.
public struct ChunkSigningContext: Sendable, Equatable {
    /// The SigV4 signing key (`SigV4.signingKey`).
    public var signingKey: [UInt8]
    /// The request timestamp, e.g. "20130524T000000Z".
    public var timestamp: String
    /// The credential scope, e.g. "20130524/us-east-1/s3/aws4_request".
    public var scope: String
    /// The request's (header) signature: the "previous signature" of the first chunk.
    public var seedSignature: String

    public init(signingKey: [UInt8], timestamp: String, scope: String, seedSignature: String) {
        self.signingKey = signingKey
        self.timestamp = timestamp
        self.scope = scope
        self.seedSignature = seedSignature
    }
}

/// The outcome of a successful verification.
public struct VerifiedRequest: Sendable, Equatable {
    public var accessKeyID: String
    public var payload: PayloadMode
    /// Set for `.streamingSigned` and `.streamingSignedTrailer`; nil otherwise.
    public var chunkSigning: ChunkSigningContext?
    /// True when authenticated by presigned query parameters.
    public var isPresigned: Bool
    /// The request time (x-amz-date / Date / X-Amz-Date).
    public var date: Date

    public init(accessKeyID: String, payload: PayloadMode, chunkSigning: ChunkSigningContext? = nil,
                isPresigned: Bool = false, date: Date) {
        self.accessKeyID = accessKeyID
        self.payload = payload
        self.chunkSigning = chunkSigning
        self.isPresigned = isPresigned
        self.date = date
    }
}

/// A verification failure; `code.rawValue` is the S3 error code, `httpStatus` its status.
public struct SigV4Error: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case accessDenied = "AccessDenied"
        case invalidAccessKeyId = "InvalidAccessKeyId"
        case signatureDoesNotMatch = "SignatureDoesNotMatch"
        case requestTimeTooSkewed = "RequestTimeTooSkewed"
        case authorizationHeaderMalformed = "AuthorizationHeaderMalformed"
        case authorizationQueryParametersError = "AuthorizationQueryParametersError"
        case invalidRequest = "InvalidRequest"
        case missingSecurityHeader = "MissingSecurityHeader"
        case xAmzContentSHA256Mismatch = "XAmzContentSHA256Mismatch"
        case invalidArgument = "InvalidArgument"
    }

    public var code: Code
    public var message: String
    /// For `signatureDoesNotMatch`: what the server signed (S3 returns these in the error body).
    public var stringToSign: String?
    public var canonicalRequest: String?

    public init(_ code: Code, _ message: String, stringToSign: String? = nil, canonicalRequest: String? = nil) {
        self.code = code
        self.message = message
        self.stringToSign = stringToSign
        self.canonicalRequest = canonicalRequest
    }

    public var httpStatus: Int {
        switch code {
        case .accessDenied, .invalidAccessKeyId, .signatureDoesNotMatch, .requestTimeTooSkewed: return 403
        case .authorizationHeaderMalformed, .authorizationQueryParametersError, .invalidRequest,
             .missingSecurityHeader, .xAmzContentSHA256Mismatch, .invalidArgument: return 400
        }
    }

    public var description: String { "\(code.rawValue): \(message)" }

    /// The error the HTTP layer answers when the body's SHA-256 differs from `.sha256(hex:)`.
    public static func contentSHA256Mismatch(expected: String, computed: String) -> SigV4Error {
        SigV4Error(.xAmzContentSHA256Mismatch,
                   "The provided 'x-amz-content-sha256' header does not match what was computed. (client: \(expected), server: \(computed))")
    }
}

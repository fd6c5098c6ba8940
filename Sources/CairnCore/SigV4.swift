import Foundation

// AWS Signature Version 4 for S3: server-side verification (Authorization header and presigned
// query strings), client-side signing/presigning, and the chunk/trailer signatures used by
// aws-chunked streaming uploads (see AWSChunked.swift).
//
// References: "Authenticating Requests (AWS Signature Version 4)" in the Amazon S3 API
// Reference (sig-v4-header-based-auth, sigv4-query-string-auth, sigv4-streaming,
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

// MARK: - Verifier

/// Verifies SigV4-authenticated S3 requests (header or presigned query).
public struct SigV4Verifier: Sendable {
    /// The region this server answers for. The empty string accepts any region in the scope.
    public var region: String
    /// The service name expected in the credential scope ("s3").
    public var service: String
    /// Maximum accepted distance between the request time and now, in seconds (S3: 15 minutes).
    public var maxClockSkew: Double
    public var secretForAccessKey: @Sendable (String) -> String?

    public init(region: String, service: String = "s3",
                secretForAccessKey: @escaping @Sendable (String) -> String?, maxClockSkew: Double = 900) {
        self.region = region
        self.service = service
        self.secretForAccessKey = secretForAccessKey
        self.maxClockSkew = maxClockSkew
    }

    /// Verifies `request` at time `now`. Throws `SigV4Error`.
    ///
    /// No Authorization header and no X-Amz-Algorithm / X-Amz-Credential / X-Amz-Signature query
    /// parameter → `accessDenied` ("anonymous access is not allowed"). Does not read the body:
    /// for `.sha256(hex:)` the caller verifies the body digest, for aws-chunked modes the caller
    /// decodes with `AWSChunkedDecoder(signing: result.chunkSigning)`.
    public func verify(_ request: SigV4Request, now: Date) throws -> VerifiedRequest {
        let headers = HeaderIndex(request.headers)
        let query = SigV4.decodedQueryItems(request.rawQuery)
        let authorization = headers.values("authorization")
        let presignNames: Set<String> = ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature"]
        let isPresigned = query.contains { presignNames.contains($0.name) }

        if !authorization.isEmpty && isPresigned {
            throw SigV4Error(.invalidArgument,
                             "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified")
        }
        if !authorization.isEmpty {
            return try verifyHeaderAuth(request, headers: headers, authorization: authorization, now: now)
        }
        if isPresigned {
            return try verifyQueryAuth(request, headers: headers, query: query, now: now)
        }
        if query.contains(where: { $0.name == "AWSAccessKeyId" }) && query.contains(where: { $0.name == "Signature" }) {
            throw SigV4Error(.invalidRequest, SigV4.unsupportedMechanismMessage)
        }
        throw SigV4Error(.accessDenied, "anonymous access is not allowed")
    }

    // MARK: Header authentication

    private func verifyHeaderAuth(_ request: SigV4Request, headers: HeaderIndex, authorization: [String], now: Date) throws -> VerifiedRequest {
        func malformed(_ detail: String) -> SigV4Error {
            SigV4Error(.authorizationHeaderMalformed, "The authorization header is malformed; " + detail)
        }
        guard authorization.count == 1 else { throw malformed("multiple Authorization headers.") }
        let auth = SigV4.trimmed(authorization[0])
        let algorithm = "AWS4-HMAC-SHA256"
        guard auth == algorithm || auth.hasPrefix(algorithm + " ") || auth.hasPrefix(algorithm + ",") else {
            if auth.hasPrefix("AWS ") { throw SigV4Error(.invalidRequest, SigV4.unsupportedMechanismMessage) }
            throw SigV4Error(.invalidArgument, "Unsupported Authorization Type")
        }
        var fields: [String: String] = [:]
        for part in auth.dropFirst(algorithm.count).split(separator: ",") {
            let item = SigV4.trimmed(String(part))
            if item.isEmpty { continue }
            guard let eq = item.firstIndex(of: "=") else { throw malformed("the authorization component \"\(item)\" is malformed.") }
            let key = String(item[..<eq]), value = String(item[item.index(after: eq)...])
            guard fields.updateValue(value, forKey: key) == nil else { throw malformed("the authorization component \"\(key)\" appears more than once.") }
        }
        guard let credential = fields["Credential"], let signedHeadersText = fields["SignedHeaders"],
              let signature = fields["Signature"] else {
            throw malformed("the authorization header requires three components: Credential, SignedHeaders, and Signature.")
        }
        guard let scope = CredentialScope(credential) else {
            throw malformed("the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".")
        }
        if let problem = scopeProblem(scope) { throw malformed(problem) }
        let signedHeaders = signedHeadersText.split(separator: ";", omittingEmptySubsequences: false).map(String.init)
        guard !signedHeadersText.isEmpty, !signedHeaders.contains(where: \.isEmpty) else {
            throw malformed("the SignedHeaders component is empty or malformed.")
        }
        guard signedHeaders.contains(where: { $0.lowercased() == "host" }) else {
            throw SigV4Error(.accessDenied, "There were headers present in the request which were not signed (HeadersNotSigned: host)")
        }
        guard let secret = secretForAccessKey(scope.accessKeyID) else {
            throw SigV4Error(.invalidAccessKeyId, "The AWS Access Key Id you provided does not exist in our records.")
        }

        // Request time: x-amz-date, else Date.
        let timestamp: String
        let date: Date
        if let amzDate = headers.values("x-amz-date").first {
            guard let d = SigV4.parseTimestamp(SigV4.trimmed(amzDate)) else {
                throw SigV4Error(.accessDenied, "AWS authentication requires a valid Date or x-amz-date header")
            }
            timestamp = SigV4.trimmed(amzDate)
            date = d
        } else if let httpDate = headers.values("date").first, let d = SigV4.parseHTTPDate(httpDate) {
            timestamp = SigV4.timestamp(d)
            date = d
        } else {
            throw SigV4Error(.accessDenied, "AWS authentication requires a valid Date or x-amz-date header")
        }
        guard timestamp.hasPrefix(scope.date) else {
            throw malformed("Invalid credential date. Date is not the same as X-Amz-Date.")
        }
        guard abs(date.timeIntervalSince(now)) <= maxClockSkew else {
            throw SigV4Error(.requestTimeTooSkewed, "The difference between the request time and the current time is too large.")
        }

        // Payload.
        guard let contentSHA = headers.values("x-amz-content-sha256").first.map(SigV4.trimmed) ?? request.bodySHA256 else {
            throw SigV4Error(.invalidRequest, "Missing required header for this request: x-amz-content-sha256")
        }
        guard let payload = PayloadMode(contentSHA256: contentSHA) else {
            throw SigV4Error(.invalidArgument, SigV4.invalidContentSHA256Message)
        }

        let canonical = SigV4.canonicalRequest(method: request.method, rawPath: request.rawPath, rawQuery: request.rawQuery,
                                               headers: headers, signedHeaders: signedHeaders, payloadHash: contentSHA,
                                               excludingQuery: [])
        let key = SigV4.signingKey(secret: secret, date: scope.date, region: scope.region, service: scope.service)
        let stringToSign = SigV4.stringToSign(timestamp: timestamp, scope: scope.scope, canonicalRequest: canonical)
        let expected = SigV4.signature(signingKey: key, stringToSign: stringToSign)
        guard SigV4.constantTimeEquals(expected, signature) else {
            throw SigV4Error(.signatureDoesNotMatch, SigV4.signatureMismatchMessage,
                             stringToSign: stringToSign, canonicalRequest: canonical)
        }
        var chunkSigning: ChunkSigningContext?
        if payload == .streamingSigned || payload == .streamingSignedTrailer {
            chunkSigning = ChunkSigningContext(signingKey: key, timestamp: timestamp, scope: scope.scope, seedSignature: expected)
        }
        return VerifiedRequest(accessKeyID: scope.accessKeyID, payload: payload, chunkSigning: chunkSigning,
                               isPresigned: false, date: date)
    }

    // MARK: Query (presigned) authentication

    private func verifyQueryAuth(_ request: SigV4Request, headers: HeaderIndex, query: [(name: String, value: String)], now: Date) throws -> VerifiedRequest {
        func queryError(_ message: String) -> SigV4Error { SigV4Error(.authorizationQueryParametersError, message) }
        func single(_ name: String) throws -> String? {
            let values = query.filter { $0.name == name }
            guard values.count <= 1 else { throw queryError("Query-string authentication parameter \(name) appears more than once.") }
            return values.first?.value
        }
        guard let algorithm = try single("X-Amz-Algorithm"), let credential = try single("X-Amz-Credential"),
              let signature = try single("X-Amz-Signature"), let amzDate = try single("X-Amz-Date"),
              let signedHeadersText = try single("X-Amz-SignedHeaders"), let expiresText = try single("X-Amz-Expires") else {
            throw queryError("Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.")
        }
        guard algorithm == "AWS4-HMAC-SHA256" else { throw queryError("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"") }
        guard let scope = CredentialScope(credential) else {
            throw queryError("Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".")
        }
        if let problem = scopeProblem(scope) { throw queryError("Error parsing the X-Amz-Credential parameter; " + problem) }
        guard let date = SigV4.parseTimestamp(amzDate) else {
            throw queryError("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
        }
        guard let expires = Int(expiresText) else { throw queryError("X-Amz-Expires should be a number") }
        guard expires >= 1 else { throw queryError("X-Amz-Expires must be non-negative and non-zero") }
        guard expires <= 604800 else { throw queryError("X-Amz-Expires must be less than a week (in seconds) that is 604800") }
        let signedHeaders = signedHeadersText.split(separator: ";", omittingEmptySubsequences: false).map(String.init)
        guard !signedHeadersText.isEmpty, !signedHeaders.contains(where: \.isEmpty) else {
            throw queryError("X-Amz-SignedHeaders is empty or malformed.")
        }
        guard signedHeaders.contains(where: { $0.lowercased() == "host" }) else {
            throw SigV4Error(.accessDenied, "There were headers present in the request which were not signed (HeadersNotSigned: host)")
        }
        guard let secret = secretForAccessKey(scope.accessKeyID) else {
            throw SigV4Error(.invalidAccessKeyId, "The AWS Access Key Id you provided does not exist in our records.")
        }
        guard amzDate.hasPrefix(scope.date) else {
            throw queryError("Error parsing the X-Amz-Credential parameter; Invalid credential date. Date is not the same as X-Amz-Date.")
        }
        if date.timeIntervalSince(now) > maxClockSkew {
            throw SigV4Error(.requestTimeTooSkewed, "The difference between the request time and the current time is too large.")
        }
        if now.timeIntervalSince(date) > Double(expires) {
            throw SigV4Error(.accessDenied, "Request has expired")
        }

        // Payload hash: the X-Amz-Content-Sha256 query parameter if present (it is signed), else an
        // x-amz-content-sha256 header (falling back to UNSIGNED-PAYLOAD, which is what SDK presigners
        // sign), else UNSIGNED-PAYLOAD.
        var candidates: [String] = []
        if let fromQuery = try single("X-Amz-Content-Sha256") {
            candidates = [fromQuery]
        } else {
            if let fromHeader = headers.values("x-amz-content-sha256").first.map(SigV4.trimmed) { candidates.append(fromHeader) }
            candidates.append(PayloadMode.unsignedPayloadLiteral)
        }
        var modes: [(hash: String, mode: PayloadMode)] = []
        for candidate in candidates {
            guard let mode = PayloadMode(contentSHA256: candidate), !mode.isAWSChunked else {
                if candidates.count == 1 { throw SigV4Error(.invalidArgument, SigV4.invalidContentSHA256Message) }
                continue
            }
            if !modes.contains(where: { $0.hash == candidate }) { modes.append((candidate, mode)) }
        }

        let key = SigV4.signingKey(secret: secret, date: scope.date, region: scope.region, service: scope.service)
        var firstFailure: (stringToSign: String, canonical: String)?
        for (hash, mode) in modes {
            let canonical = SigV4.canonicalRequest(method: request.method, rawPath: request.rawPath, rawQuery: request.rawQuery,
                                                   headers: headers, signedHeaders: signedHeaders, payloadHash: hash,
                                                   excludingQuery: ["X-Amz-Signature"])
            let stringToSign = SigV4.stringToSign(timestamp: amzDate, scope: scope.scope, canonicalRequest: canonical)
            let expected = SigV4.signature(signingKey: key, stringToSign: stringToSign)
            if SigV4.constantTimeEquals(expected, signature) {
                return VerifiedRequest(accessKeyID: scope.accessKeyID, payload: mode, chunkSigning: nil, isPresigned: true, date: date)
            }
            if firstFailure == nil { firstFailure = (stringToSign, canonical) }
        }
        throw SigV4Error(.signatureDoesNotMatch, SigV4.signatureMismatchMessage,
                         stringToSign: firstFailure?.stringToSign, canonicalRequest: firstFailure?.canonical)
    }

    /// Region / service / terminal validation; returns S3's message tail on failure.
    private func scopeProblem(_ scope: CredentialScope) -> String? {
        if !region.isEmpty && scope.region != region {
            return "the region '\(scope.region)' is wrong; expecting '\(region)'"
        }
        if scope.service != service {
            return "incorrect service \"\(scope.service)\". This endpoint belongs to \"\(service)\"."
        }
        if scope.terminal != "aws4_request" {
            return "incorrect terminal \"\(scope.terminal)\". This endpoint uses \"aws4_request\"."
        }
        return nil
    }
}

/// "AKID/20130524/us-east-1/s3/aws4_request"
struct CredentialScope {
    var accessKeyID: String
    var date: String
    var region: String
    var service: String
    var terminal: String
    var scope: String { "\(date)/\(region)/\(service)/\(terminal)" }

    init?(_ credential: String) {
        let parts = credential.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 5, !parts[0].isEmpty, parts[1].utf8.count == 8,
              parts[1].utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), !parts[2].isEmpty, !parts[3].isEmpty else { return nil }
        accessKeyID = parts[0]; date = parts[1]; region = parts[2]; service = parts[3]; terminal = parts[4]
    }
}

/// Case-insensitive multi-map of request headers.
struct HeaderIndex {
    private var map: [String: [String]] = [:]

    init(_ headers: [(name: String, value: String)]) {
        for (name, value) in headers { map[name.lowercased(), default: []].append(value) }
    }

    func values(_ lowercasedName: String) -> [String] { map[lowercasedName] ?? [] }
}

// MARK: - Algorithms and client side

public enum SigV4 {
    /// SHA-256 of the empty string, hex.
    public static let emptySHA256Hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    static let unsupportedMechanismMessage = "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."
    static let signatureMismatchMessage = "The request signature we calculated does not match the signature you provided. Check your key and signing method."
    static let invalidContentSHA256Message = "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value."

    /// Headers never signed by `sign` (hop-by-hop or rewritten by proxies), as botocore does.
    static let unsignedHeaderNames: Set<String> = ["authorization", "user-agent", "expect", "x-amzn-trace-id",
                                                   "transfer-encoding", "connection"]

    /// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request").
    public static func signingKey(secret: String, date: String, region: String, service: String) -> [UInt8] {
        let kDate = hmacSHA256(key: Array(("AWS4" + secret).utf8), Array(date.utf8))
        let kRegion = hmacSHA256(key: kDate, Array(region.utf8))
        let kService = hmacSHA256(key: kRegion, Array(service.utf8))
        return hmacSHA256(key: kService, Array("aws4_request".utf8))
    }

    /// "AWS4-HMAC-SHA256\n" + timestamp + "\n" + scope + "\n" + hex(sha256(canonicalRequest)).
    public static func stringToSign(timestamp: String, scope: String, canonicalRequest: String) -> String {
        "AWS4-HMAC-SHA256\n\(timestamp)\n\(scope)\n" + Hasher.digest(.sha256, Array(canonicalRequest.utf8)).hex
    }

    /// hex(HMAC-SHA256(signingKey, stringToSign)).
    public static func signature(signingKey: [UInt8], stringToSign: String) -> String {
        hmacSHA256(key: signingKey, Array(stringToSign.utf8)).hex
    }

    /// S3-style canonical URI: each '/'-separated segment of the raw path is percent-decoded and
    /// re-encoded with the AWS rules (A-Z a-z 0-9 - . _ ~ kept, everything else %XX uppercase).
    /// No dot-segment normalization, no double encoding; empty segments, a trailing slash and an
    /// encoded slash inside a segment ("%2F") are preserved. An empty path is "/".
    public static func canonicalURI(rawPath: String) -> String {
        if rawPath.isEmpty { return "/" }
        let segments = Array(rawPath.utf8).split(separator: 0x2F, omittingEmptySubsequences: false)
        var out = segments.map { percentEncode(percentDecode($0, plusAsSpace: false), keepSlash: false) }.joined(separator: "/")
        if !out.hasPrefix("/") { out = "/" + out }
        return out
    }

    /// Canonical query string: parameters split on '&' (empty pieces skipped), names and values
    /// percent-decoded ('+' read as a space) and re-encoded with the AWS rules, parameters whose
    /// decoded name is in `excluding` dropped, sorted by name then value, value-less keys as "a=".
    public static func canonicalQuery(rawQuery: String, excluding: Set<String> = []) -> String {
        var pairs: [(String, String)] = []
        for piece in Array(rawQuery.utf8).split(separator: 0x26) {
            let name: ArraySlice<UInt8>, value: ArraySlice<UInt8>
            if let eq = piece.firstIndex(of: 0x3D) {
                name = piece[piece.startIndex..<eq]; value = piece[(eq + 1)...]
            } else {
                name = piece; value = []
            }
            let decodedName = percentDecode(name, plusAsSpace: true)
            if !excluding.isEmpty, excluding.contains(String(decoding: decodedName, as: UTF8.self)) { continue }
            pairs.append((percentEncode(decodedName, keepSlash: false),
                          percentEncode(percentDecode(value, plusAsSpace: true), keepSlash: false)))
        }
        pairs.sort { a, b in
            if a.0 != b.0 { return a.0.utf8.lexicographicallyPrecedes(b.0.utf8) }
            return a.1.utf8.lexicographicallyPrecedes(b.1.utf8)
        }
        return pairs.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    /// Canonical header value: trimmed, inner whitespace runs collapsed to one space.
    public static func canonicalHeaderValue(_ value: String) -> String {
        value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }).joined(separator: " ")
    }

    /// The canonical request. `signedHeaders` are used as given (they should be lowercase and
    /// sorted); each header's values are canonicalized and repeated headers joined with ",".
    public static func canonicalRequest(method: String, rawPath: String, rawQuery: String,
                                        headers: [(name: String, value: String)], signedHeaders: [String],
                                        payloadHash: String, excludingQuery: Set<String> = []) -> String {
        canonicalRequest(method: method, rawPath: rawPath, rawQuery: rawQuery, headers: HeaderIndex(headers),
                         signedHeaders: signedHeaders, payloadHash: payloadHash, excludingQuery: excludingQuery)
    }

    static func canonicalRequest(method: String, rawPath: String, rawQuery: String, headers: HeaderIndex,
                                 signedHeaders: [String], payloadHash: String, excludingQuery: Set<String>) -> String {
        var out = method + "\n" + canonicalURI(rawPath: rawPath) + "\n" + canonicalQuery(rawQuery: rawQuery, excluding: excludingQuery) + "\n"
        for name in signedHeaders {
            let values = headers.values(name.lowercased()).map(canonicalHeaderValue)
            out += name + ":" + values.joined(separator: ",") + "\n"
        }
        out += "\n" + signedHeaders.joined(separator: ";") + "\n" + payloadHash
        return out
    }

    /// Signature of one aws-chunked data chunk:
    /// "AWS4-HMAC-SHA256-PAYLOAD\n" + timestamp + "\n" + scope + "\n" + previous + "\n" + sha256("") + "\n" + chunk hash.
    public static func chunkSignature(context: ChunkSigningContext, previousSignature: String, chunkSHA256Hex: String) -> String {
        let sts = "AWS4-HMAC-SHA256-PAYLOAD\n\(context.timestamp)\n\(context.scope)\n\(previousSignature)\n\(emptySHA256Hex)\n\(chunkSHA256Hex)"
        return signature(signingKey: context.signingKey, stringToSign: sts)
    }

    /// Signature of the trailing headers: "AWS4-HMAC-SHA256-TRAILER\n" + timestamp + "\n" + scope +
    /// "\n" + previous (the final 0-size chunk's signature) + "\n" + sha256 of the trailer lines
    /// (each "name:value\n", see `canonicalTrailers`).
    public static func trailerSignature(context: ChunkSigningContext, previousSignature: String, trailerSHA256Hex: String) -> String {
        let sts = "AWS4-HMAC-SHA256-TRAILER\n\(context.timestamp)\n\(context.scope)\n\(previousSignature)\n\(trailerSHA256Hex)"
        return signature(signingKey: context.signingKey, stringToSign: sts)
    }

    /// The bytes hashed for the trailer signature: "name:value\n" per trailer, names lowercased,
    /// values trimmed, in the given order.
    public static func canonicalTrailers(_ trailers: [(name: String, value: String)]) -> [UInt8] {
        var out: [UInt8] = []
        for (name, value) in trailers {
            out += Array(name.lowercased().utf8); out.append(0x3A)
            out += Array(trimmed(value).utf8); out.append(0x0A)
        }
        return out
    }

    // MARK: Client side

    /// Signs a request with the Authorization header (S3 style).
    ///
    /// `rawPath`/`rawQuery` are exactly what will be sent (percent-encoded; see `uriEncode`).
    /// `headers` must contain "host". Removes any previous authorization / x-amz-date headers,
    /// adds `x-amz-date`, `x-amz-content-sha256: payloadHash` (unless `addContentSHA256Header` is
    /// false), `x-amz-security-token` when `sessionToken` is given, and `authorization`. Every header
    /// except authorization, user-agent, expect, x-amzn-trace-id, transfer-encoding and connection
    /// is signed. Returns the signing context whose `seedSignature` is the request signature (the
    /// seed for aws-chunked streaming uploads).
    @discardableResult
    public static func sign(method: String, rawPath: String, rawQuery: String = "",
                            headers: inout [(name: String, value: String)], payloadHash: String,
                            accessKeyID: String, secret: String, region: String, service: String = "s3",
                            date: Date, sessionToken: String? = nil,
                            addContentSHA256Header: Bool = true) -> ChunkSigningContext {
        let ts = timestamp(date)
        let day = String(ts.prefix(8))
        var replaced: Set<String> = ["authorization", "x-amz-date"]
        if addContentSHA256Header { replaced.insert("x-amz-content-sha256") }
        if sessionToken != nil { replaced.insert("x-amz-security-token") }
        headers.removeAll { replaced.contains($0.name.lowercased()) }
        headers.append((name: "x-amz-date", value: ts))
        if addContentSHA256Header { headers.append((name: "x-amz-content-sha256", value: payloadHash)) }
        if let sessionToken { headers.append((name: "x-amz-security-token", value: sessionToken)) }

        let signed = Array(Set(headers.map { $0.name.lowercased() }).subtracting(unsignedHeaderNames))
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let canonical = canonicalRequest(method: method, rawPath: rawPath, rawQuery: rawQuery, headers: HeaderIndex(headers),
                                         signedHeaders: signed, payloadHash: payloadHash, excludingQuery: [])
        let key = signingKey(secret: secret, date: day, region: region, service: service)
        let sig = signature(signingKey: key, stringToSign: stringToSign(timestamp: ts, scope: scope, canonicalRequest: canonical))
        headers.append((name: "authorization",
                        value: "AWS4-HMAC-SHA256 Credential=\(accessKeyID)/\(scope), SignedHeaders=\(signed.joined(separator: ";")), Signature=\(sig)"))
        return ChunkSigningContext(signingKey: key, timestamp: ts, scope: scope, seedSignature: sig)
    }

    /// Presigns a request: returns the complete raw query string to send (the given `rawQuery`,
    /// then X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders,
    /// [X-Amz-Security-Token,] X-Amz-Signature). `headers` are the headers to sign and must include
    /// "host"; the URL is "scheme://host" + rawPath + "?" + result. The payload is UNSIGNED-PAYLOAD
    /// unless `payloadHash` says otherwise.
    public static func presign(method: String, rawPath: String, rawQuery: String = "",
                               headers: [(name: String, value: String)], accessKeyID: String, secret: String,
                               region: String, service: String = "s3", date: Date, expires: Int,
                               sessionToken: String? = nil,
                               payloadHash: String = PayloadMode.unsignedPayloadLiteral) -> String {
        let ts = timestamp(date)
        let day = String(ts.prefix(8))
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let signed = Array(Set(headers.map { $0.name.lowercased() })).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        var params = [
            "X-Amz-Algorithm=AWS4-HMAC-SHA256",
            "X-Amz-Credential=" + uriEncode("\(accessKeyID)/\(scope)", encodeSlash: true),
            "X-Amz-Date=" + ts,
            "X-Amz-Expires=\(expires)",
            "X-Amz-SignedHeaders=" + uriEncode(signed.joined(separator: ";"), encodeSlash: true),
        ]
        if let sessionToken { params.append("X-Amz-Security-Token=" + uriEncode(sessionToken, encodeSlash: true)) }
        var query = params.joined(separator: "&")
        if !rawQuery.isEmpty { query = rawQuery + "&" + query }
        let canonical = canonicalRequest(method: method, rawPath: rawPath, rawQuery: query, headers: HeaderIndex(headers),
                                         signedHeaders: signed, payloadHash: payloadHash, excludingQuery: [])
        let key = signingKey(secret: secret, date: day, region: region, service: service)
        let sig = signature(signingKey: key, stringToSign: stringToSign(timestamp: ts, scope: scope, canonicalRequest: canonical))
        return query + "&X-Amz-Signature=" + sig
    }

    /// AWS URI encoding of a string (UTF-8): A-Z a-z 0-9 - . _ ~ kept, '/' kept unless
    /// `encodeSlash`, everything else %XX (uppercase). Use `encodeSlash: false` for object keys in
    /// paths, `true` for query names and values.
    public static func uriEncode(_ text: String, encodeSlash: Bool) -> String {
        percentEncode(Array(text.utf8), keepSlash: !encodeSlash)
    }

    // MARK: Time

    /// "yyyyMMdd'T'HHmmss'Z'" in UTC (fractional seconds truncated).
    public static func timestamp(_ date: Date) -> String {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86400 : -((-seconds + 86399) / 86400)
        let secondOfDay = seconds - days * 86400
        let (y, m, d) = civilFromDays(days)
        func pad(_ v: Int64, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return pad(y, 4) + pad(m, 2) + pad(d, 2) + "T" + pad(secondOfDay / 3600, 2) + pad(secondOfDay % 3600 / 60, 2)
            + pad(secondOfDay % 60, 2) + "Z"
    }

    /// Parses "yyyyMMdd'T'HHmmss'Z'" (UTC); nil when malformed or out of range.
    public static func parseTimestamp(_ text: String) -> Date? {
        let b = Array(text.utf8)
        guard b.count == 16, b[8] == UInt8(ascii: "T"), b[15] == UInt8(ascii: "Z") else { return nil }
        func num(_ r: Range<Int>) -> Int64? {
            var v: Int64 = 0
            for i in r {
                guard b[i] >= 0x30 && b[i] <= 0x39 else { return nil }
                v = v * 10 + Int64(b[i] - 0x30)
            }
            return v
        }
        guard let y = num(0..<4), let mo = num(4..<6), let d = num(6..<8), let h = num(9..<11),
              let mi = num(11..<13), let s = num(13..<15) else { return nil }
        return makeDate(y, mo, d, h, mi, s)
    }

    /// Parses an IMF-fixdate (RFC 7231) such as "Fri, 24 May 2013 00:00:00 GMT".
    public static func parseHTTPDate(_ text: String) -> Date? {
        let parts = trimmed(text).split(separator: " ")
        guard parts.count == 6, parts[0].hasSuffix(","), parts[5] == "GMT" || parts[5] == "UTC" else { return nil }
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard let d = Int64(parts[1]), let mIndex = months.firstIndex(of: String(parts[2])), let y = Int64(parts[3]) else { return nil }
        let hms = parts[4].split(separator: ":")
        guard hms.count == 3, let h = Int64(hms[0]), let mi = Int64(hms[1]), let s = Int64(hms[2]) else { return nil }
        return makeDate(y, Int64(mIndex + 1), d, h, mi, s)
    }

    private static func makeDate(_ y: Int64, _ mo: Int64, _ d: Int64, _ h: Int64, _ mi: Int64, _ s: Int64) -> Date? {
        guard (1...12).contains(mo), (1...31).contains(d), (0...23).contains(h), (0...59).contains(mi), (0...60).contains(s) else { return nil }
        let days = daysFromCivil(y, mo, d)
        guard civilFromDays(days) == (y, mo, d) else { return nil }  // rejects e.g. Feb 30
        return Date(timeIntervalSince1970: TimeInterval(days * 86400 + h * 3600 + mi * 60 + s))
    }

    // Howard Hinnant's civil calendar algorithms.
    private static func daysFromCivil(_ y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    private static func civilFromDays(_ z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    // MARK: Helpers

    /// Constant-time comparison (for equal lengths) of two signatures.
    public static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<x.count { diff |= x[i] ^ y[i] }
        return diff == 0
    }

    static func trimmed(_ s: String) -> String {
        var sub = Substring(s)
        while let f = sub.first, f == " " || f == "\t" || f == "\r" || f == "\n" { sub.removeFirst() }
        while let l = sub.last, l == " " || l == "\t" || l == "\r" || l == "\n" { sub.removeLast() }
        return String(sub)
    }

    /// Decoded query parameters (for reading X-Amz-* values).
    static func decodedQueryItems(_ rawQuery: String) -> [(name: String, value: String)] {
        Array(rawQuery.utf8).split(separator: 0x26).map { piece in
            if let eq = piece.firstIndex(of: 0x3D) {
                return (String(decoding: percentDecode(piece[piece.startIndex..<eq], plusAsSpace: true), as: UTF8.self),
                        String(decoding: percentDecode(piece[(eq + 1)...], plusAsSpace: true), as: UTF8.self))
            }
            return (String(decoding: percentDecode(piece, plusAsSpace: true), as: UTF8.self), "")
        }
    }

    private static let upperHex: [UInt8] = Array("0123456789ABCDEF".utf8)

    private static func isUnreserved(_ b: UInt8) -> Bool {
        (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39)
            || b == 0x2D || b == 0x2E || b == 0x5F || b == 0x7E
    }

    static func percentEncode<C: Collection<UInt8>>(_ bytes: C, keepSlash: Bool) -> String {
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

    /// Percent-decoding; a '%' not followed by two hex digits is kept literally.
    static func percentDecode(_ bytes: ArraySlice<UInt8>, plusAsSpace: Bool) -> [UInt8] {
        func hexValue(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: return c - 0x30
            case 0x41...0x46: return c - 0x41 + 10
            case 0x61...0x66: return c - 0x61 + 10
            default: return nil
            }
        }
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

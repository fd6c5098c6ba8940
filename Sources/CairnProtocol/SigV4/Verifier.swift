import CairnCore
import Foundation

// AWS Signature Version 4 for S3. References: "Authenticating Requests (AWS Signature Version 4)" in the
// Amazon S3 API Reference (sig-v4-header-based-auth, sigv4-query-string-auth, sigv4-streaming,
// sigv4-streaming-trailers) and the AWS SigV4 test suite.

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
        let query = URIEncoding.lenientQueryItems(request.rawQuery)
        let authorization = headers.values("authorization")
        let presignNames: Set<String> = ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature"]
        let isPresigned = query.contains { presignNames.contains($0.name) }

        if !authorization.isEmpty && isPresigned {
            throw SigV4Error(.invalidArgument,
                             "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified")
        }
        if !authorization.isEmpty {
            return try check(try headerClaim(request, headers: headers, authorization: authorization), request, headers: headers, now: now)
        }
        if isPresigned {
            return try check(try queryClaim(request, headers: headers, query: query), request, headers: headers, now: now)
        }
        if query.contains(where: { $0.name == "AWSAccessKeyId" }) && query.contains(where: { $0.name == "Signature" }) {
            throw SigV4Error(.invalidRequest, SigV4.unsupportedMechanismMessage)
        }
        throw SigV4Error(.accessDenied, "anonymous access is not allowed")
    }

    // MARK: The two ways to carry a signature

    /// What one authentication mechanism (the Authorization header, or presigned query parameters)
    /// supplies to the shared checks in `check`, and how it words its errors.
    private struct Claim {
        var scope: CredentialScope
        var signedHeadersText: String
        var signature: String
        /// The request time as signed, resolved when `check` reaches that step.
        var time: () throws -> (timestamp: String, date: Date)
        /// The payload hashes the signature may cover, in the order to try them.
        var payloads: () throws -> [(hash: String, mode: PayloadMode)]
        var isPresigned: Bool
        /// Query parameters left out of the canonical query (the signature itself, when presigned).
        var excludedQuery: Set<String>
        /// Errors about the request's own SigV4 fields: AuthorizationHeaderMalformed or AuthorizationQueryParametersError.
        var malformed: (String) -> SigV4Error
        var signedHeadersMalformed: String
        var credentialDateMismatch: String
        /// Fails when the request is outside its validity window at `now`.
        var checkWindow: (Date, Date) throws -> Void
    }

    private func headerClaim(_ request: SigV4Request, headers: HeaderIndex, authorization: [String]) throws -> Claim {
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
        let fields = try authorizationFields(auth.dropFirst(algorithm.count), malformed: malformed)
        guard let credential = fields["Credential"], let signedHeadersText = fields["SignedHeaders"],
              let signature = fields["Signature"] else {
            throw malformed("the authorization header requires three components: Credential, SignedHeaders, and Signature.")
        }
        guard let scope = CredentialScope(credential) else {
            throw malformed("the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".")
        }
        if let problem = scopeProblem(scope) { throw malformed(problem) }
        let maxClockSkew = self.maxClockSkew
        return Claim(
            scope: scope, signedHeadersText: signedHeadersText, signature: signature,
            time: {
                // x-amz-date, else Date.
                if let amzDate = headers.values("x-amz-date").first {
                    guard let d = AMZDate.parse(SigV4.trimmed(amzDate)) else {
                        throw SigV4Error(.accessDenied, "AWS authentication requires a valid Date or x-amz-date header")
                    }
                    return (SigV4.trimmed(amzDate), d)
                }
                if let httpDate = headers.values("date").first, let d = HTTPDate.parse(httpDate) { return (AMZDate.format(d), d) }
                throw SigV4Error(.accessDenied, "AWS authentication requires a valid Date or x-amz-date header")
            },
            payloads: {
                guard let contentSHA = headers.values("x-amz-content-sha256").first.map(SigV4.trimmed) ?? request.bodySHA256 else {
                    throw SigV4Error(.invalidRequest, "Missing required header for this request: x-amz-content-sha256")
                }
                guard let payload = PayloadMode(contentSHA256: contentSHA) else {
                    throw SigV4Error(.invalidArgument, SigV4.invalidContentSHA256Message)
                }
                return [(contentSHA, payload)]
            },
            isPresigned: false, excludedQuery: [], malformed: malformed,
            signedHeadersMalformed: "the SignedHeaders component is empty or malformed.",
            credentialDateMismatch: "Invalid credential date. Date is not the same as X-Amz-Date.",
            checkWindow: { date, now in
                guard abs(date.timeIntervalSince(now)) <= maxClockSkew else {
                    throw SigV4Error(.requestTimeTooSkewed, "The difference between the request time and the current time is too large.")
                }
            })
    }

    /// `Credential=…, SignedHeaders=…, Signature=…`, each component once.
    private func authorizationFields(_ text: Substring, malformed: (String) -> SigV4Error) throws -> [String: String] {
        var fields: [String: String] = [:]
        for part in text.split(separator: ",") {
            let item = SigV4.trimmed(String(part))
            if item.isEmpty { continue }
            guard let eq = item.firstIndex(of: "=") else { throw malformed("the authorization component \"\(item)\" is malformed.") }
            let key = String(item[..<eq]), value = String(item[item.index(after: eq)...])
            guard fields.updateValue(value, forKey: key) == nil else { throw malformed("the authorization component \"\(key)\" appears more than once.") }
        }
        return fields
    }

    private func queryClaim(_ request: SigV4Request, headers: HeaderIndex, query: [(name: String, value: String)]) throws -> Claim {
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
        guard let date = AMZDate.parse(amzDate) else {
            throw queryError("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
        }
        // An expiry outside 1…604800 is refused as S3 refuses an expired URL: 403 AccessDenied.
        guard let expires = Int(expiresText) else { throw SigV4Error(.accessDenied, "X-Amz-Expires should be a number") }
        guard expires >= 1 else { throw SigV4Error(.accessDenied, "X-Amz-Expires must be non-negative and non-zero") }
        guard expires <= 604800 else { throw SigV4Error(.accessDenied, "X-Amz-Expires must be less than a week (in seconds) that is 604800") }
        let maxClockSkew = self.maxClockSkew
        return Claim(
            scope: scope, signedHeadersText: signedHeadersText, signature: signature,
            time: { (amzDate, date) },
            payloads: {
                // The X-Amz-Content-Sha256 query parameter if present (it is signed), else an
                // x-amz-content-sha256 header (falling back to UNSIGNED-PAYLOAD, which is what SDK presigners
                // sign), else UNSIGNED-PAYLOAD.
                var candidates: [String] = []
                if let contentSHA256 = try single("X-Amz-Content-Sha256") {
                    candidates = [contentSHA256]
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
                return modes
            },
            isPresigned: true, excludedQuery: ["X-Amz-Signature"], malformed: queryError,
            signedHeadersMalformed: "X-Amz-SignedHeaders is empty or malformed.",
            credentialDateMismatch: "Error parsing the X-Amz-Credential parameter; Invalid credential date. Date is not the same as X-Amz-Date.",
            checkWindow: { date, now in
                if date.timeIntervalSince(now) > maxClockSkew {
                    throw SigV4Error(.requestTimeTooSkewed, "The difference between the request time and the current time is too large.")
                }
                if now.timeIntervalSince(date) > Double(expires) { throw SigV4Error(.accessDenied, "Request has expired") }
            })
    }

    // MARK: The checks every signature passes

    /// Signed headers, the key, the time, then the signature over each candidate payload hash.
    private func check(_ claim: Claim, _ request: SigV4Request, headers: HeaderIndex, now: Date) throws -> VerifiedRequest {
        let signedHeaders = claim.signedHeadersText.split(separator: ";", omittingEmptySubsequences: false).map(String.init)
        guard !claim.signedHeadersText.isEmpty, !signedHeaders.contains(where: \.isEmpty) else {
            throw claim.malformed(claim.signedHeadersMalformed)
        }
        guard signedHeaders.contains(where: { $0.lowercased() == "host" }) else {
            throw SigV4Error(.accessDenied, "There were headers present in the request which were not signed (HeadersNotSigned: host)")
        }
        let scope = claim.scope
        guard let secret = secretForAccessKey(scope.accessKeyID) else {
            throw SigV4Error(.invalidAccessKeyId, "The AWS Access Key Id you provided does not exist in our records.")
        }
        let (timestamp, date) = try claim.time()
        guard timestamp.hasPrefix(scope.date) else { throw claim.malformed(claim.credentialDateMismatch) }
        try claim.checkWindow(date, now)

        let key = SigV4.signingKey(secret: secret, date: scope.date, region: scope.region, service: scope.service)
        var firstFailure: (stringToSign: String, canonical: String)?
        for (hash, mode) in try claim.payloads() {
            let canonical = SigV4.canonicalRequest(method: request.method, rawPath: request.rawPath, rawQuery: request.rawQuery,
                                                   headers: headers, signedHeaders: signedHeaders, payloadHash: hash,
                                                   excludingQuery: claim.excludedQuery)
            let stringToSign = SigV4.stringToSign(timestamp: timestamp, scope: scope.scope, canonicalRequest: canonical)
            let expected = SigV4.signature(signingKey: key, stringToSign: stringToSign)
            if SigV4.constantTimeEquals(expected, claim.signature) {
                var chunkSigning: ChunkSigningContext?
                if !claim.isPresigned && (mode == .streamingSigned || mode == .streamingSignedTrailer) {
                    chunkSigning = ChunkSigningContext(signingKey: key, timestamp: timestamp, scope: scope.scope, seedSignature: expected)
                }
                return VerifiedRequest(accessKeyID: scope.accessKeyID, payload: mode, chunkSigning: chunkSigning,
                                       isPresigned: claim.isPresigned, date: date)
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

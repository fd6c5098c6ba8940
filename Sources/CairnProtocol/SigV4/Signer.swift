import CairnCore
import Foundation

// AWS Signature Version 4 for S3. References: "Authenticating Requests (AWS Signature Version 4)" in the
// Amazon S3 API Reference (sig-v4-header-based-auth, sigv4-query-string-auth, sigv4-streaming,
// sigv4-streaming-trailers) and the AWS SigV4 test suite.

extension SigV4 {
    // MARK: Client side

    /// Signs a request with the Authorization header (S3 style).
    ///
    /// `rawPath`/`rawQuery` are exactly what will be sent (percent-encoded; see `URIEncoding.encode`).
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
        let ts = AMZDate.format(date)
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
        let ts = AMZDate.format(date)
        let day = String(ts.prefix(8))
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let signed = Array(Set(headers.map { $0.name.lowercased() })).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        var params = [
            "X-Amz-Algorithm=AWS4-HMAC-SHA256",
            "X-Amz-Credential=" + URIEncoding.encode("\(accessKeyID)/\(scope)", encodeSlash: true),
            "X-Amz-Date=" + ts,
            "X-Amz-Expires=\(expires)",
            "X-Amz-SignedHeaders=" + URIEncoding.encode(signed.joined(separator: ";"), encodeSlash: true),
        ]
        if let sessionToken { params.append("X-Amz-Security-Token=" + URIEncoding.encode(sessionToken, encodeSlash: true)) }
        var query = params.joined(separator: "&")
        if !rawQuery.isEmpty { query = rawQuery + "&" + query }
        let canonical = canonicalRequest(method: method, rawPath: rawPath, rawQuery: query, headers: HeaderIndex(headers),
                                         signedHeaders: signed, payloadHash: payloadHash, excludingQuery: [])
        let key = signingKey(secret: secret, date: day, region: region, service: service)
        let sig = signature(signingKey: key, stringToSign: stringToSign(timestamp: ts, scope: scope, canonicalRequest: canonical))
        return query + "&X-Amz-Signature=" + sig
    }
}

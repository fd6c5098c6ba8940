import CairnCore
import Foundation

// AWS Signature Version 4 for S3. References: "Authenticating Requests (AWS Signature Version 4)" in the
// Amazon S3 API Reference (sig-v4-header-based-auth, sigv4-query-string-auth, sigv4-streaming,
// sigv4-streaming-trailers) and the AWS SigV4 test suite.

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

    /// "AWS4-HMAC-SHA256\n" + timestamp + "\n" + scope + "\n" + hex(sha256(canonicalRequest)), hashing the
    /// bytes the client sent (header escapes undone, see `HeaderBytes`).
    public static func stringToSign(timestamp: String, scope: String, canonicalRequest: String) -> String {
        "AWS4-HMAC-SHA256\n\(timestamp)\n\(scope)\n" + Hasher.digest(.sha256, HeaderBytes.unescape(canonicalRequest)).hex
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
        var out = segments.map { URIEncoding.encode(URIEncoding.lenientDecode($0, plusAsSpace: false), keepSlash: false) }.joined(separator: "/")
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
            let decodedName = URIEncoding.lenientDecode(name, plusAsSpace: true)
            if !excluding.isEmpty, excluding.contains(String(decoding: decodedName, as: UTF8.self)) { continue }
            pairs.append((URIEncoding.encode(decodedName, keepSlash: false),
                          URIEncoding.encode(URIEncoding.lenientDecode(value, plusAsSpace: true), keepSlash: false)))
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
}

import CairnCore
import HTTPTypes

/// Every S3 operation Cairn recognises, named after the AWS API, parsed from method, path and query.
/// Operations without a handler still have a case and answer 501 NotImplemented.
enum Endpoint: Equatable {
    case listBuckets
    case createBucket(bucket: String)
    case headBucket(bucket: String)
    case deleteBucket(bucket: String)
    case getBucketLocation(bucket: String)
    case getBucketVersioning(bucket: String)
    case listObjects(bucket: String)
    case listObjectsV2(bucket: String)
    case listMultipartUploads(bucket: String)
    case deleteObjects(bucket: String)
    case putObject(bucket: String, key: String)
    case copyObject(bucket: String, key: String)
    case getObject(bucket: String, key: String)
    case headObject(bucket: String, key: String)
    case deleteObject(bucket: String, key: String)
    case createMultipartUpload(bucket: String, key: String)
    case uploadPart(bucket: String, key: String, uploadID: String, partNumber: Int)
    case uploadPartCopy(bucket: String, key: String, uploadID: String, partNumber: Int)
    case completeMultipartUpload(bucket: String, key: String, uploadID: String)
    case abortMultipartUpload(bucket: String, key: String, uploadID: String)
    case listParts(bucket: String, key: String, uploadID: String)
    case notImplemented(String)

    /// Sub-resources that name bucket or object configuration Cairn does not implement.
    static let unsupportedSubresources: Set<String> = [
        "acl", "analytics", "accelerate", "cors", "encryption", "intelligent-tiering", "inventory", "lifecycle", "logging",
        "metrics", "notification", "object-lock", "ownershipControls", "policy", "policyStatus", "publicAccessBlock",
        "replication", "requestPayment", "tagging", "website", "legal-hold", "retention", "torrent", "restore", "select",
        "versions", "versionId", "attributes", "session", "renameObject",
    ]

    /// Parses the operation. `key` is nil for a bucket-level request; `bucket` is nil for the service.
    static func parse(method: String, bucket: String?, key: String?, query: Query, hasCopySource: Bool) throws -> Endpoint {
        if let sub = query.names.first(where: { unsupportedSubresources.contains($0) }) {
            return .notImplemented("\(method) ?\(sub)")
        }
        guard let bucket else {
            return method == "GET" ? .listBuckets : .notImplemented("\(method) /")
        }
        guard let key else {
            switch method {
            case "GET":
                if query.has("location") { return .getBucketLocation(bucket: bucket) }
                if query.has("versioning") { return .getBucketVersioning(bucket: bucket) }
                if query.has("uploads") { return .listMultipartUploads(bucket: bucket) }
                if query["list-type"] == "2" { return .listObjectsV2(bucket: bucket) }
                return .listObjects(bucket: bucket)
            case "HEAD": return .headBucket(bucket: bucket)
            case "PUT":
                if query.has("versioning") { return .notImplemented("PutBucketVersioning") }
                return .createBucket(bucket: bucket)
            case "DELETE": return .deleteBucket(bucket: bucket)
            case "POST":
                if query.has("delete") { return .deleteObjects(bucket: bucket) }
                return .notImplemented("POST on a bucket (browser uploads)")
            default: return .notImplemented(method)
            }
        }
        let uploadID = query["uploadId"]
        switch method {
        case "GET":
            if let uploadID { return .listParts(bucket: bucket, key: key, uploadID: uploadID) }
            return .getObject(bucket: bucket, key: key)
        case "HEAD": return .headObject(bucket: bucket, key: key)
        case "PUT":
            if let uploadID {
                guard let n = query["partNumber"].flatMap(Int.init), (1...10_000).contains(n) else {
                    throw S3Error.invalidArgument("Part number must be an integer between 1 and 10000, inclusive", name: "partNumber", value: query["partNumber"])
                }
                return hasCopySource ? .uploadPartCopy(bucket: bucket, key: key, uploadID: uploadID, partNumber: n)
                    : .uploadPart(bucket: bucket, key: key, uploadID: uploadID, partNumber: n)
            }
            return hasCopySource ? .copyObject(bucket: bucket, key: key) : .putObject(bucket: bucket, key: key)
        case "DELETE":
            if let uploadID { return .abortMultipartUpload(bucket: bucket, key: key, uploadID: uploadID) }
            return .deleteObject(bucket: bucket, key: key)
        case "POST":
            if query.has("uploads") { return .createMultipartUpload(bucket: bucket, key: key) }
            if let uploadID { return .completeMultipartUpload(bucket: bucket, key: key, uploadID: uploadID) }
            return .notImplemented("POST on an object")
        default: return .notImplemented(method)
        }
    }

    /// The bucket and key an object-level operation addresses.
    var object: (bucket: String, key: String)? {
        switch self {
        case .putObject(let b, let k), .copyObject(let b, let k), .getObject(let b, let k), .headObject(let b, let k),
             .deleteObject(let b, let k), .createMultipartUpload(let b, let k),
             .uploadPart(let b, let k, _, _), .uploadPartCopy(let b, let k, _, _), .completeMultipartUpload(let b, let k, _),
             .abortMultipartUpload(let b, let k, _), .listParts(let b, let k, _):
            return (b, k)
        default: return nil
        }
    }
}

/// A percent-decoded query string. Value-less names (`?uploads`) map to "".
struct Query {
    private(set) var items: [(name: String, value: String)] = []

    init(raw: String) throws {
        guard !raw.isEmpty else { return }
        for part in raw.split(separator: "&", omittingEmptySubsequences: true) {
            let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = percentDecode(pieces[0], plusIsSpace: true),
                  let value = pieces.count > 1 ? percentDecode(pieces[1], plusIsSpace: true) : "" else {
                throw S3Error.invalidArgument("The query string is not valid percent-encoded UTF-8.")
            }
            items.append((name, value))
        }
    }

    var names: [String] { items.map(\.name) }
    func has(_ name: String) -> Bool { items.contains { $0.name == name } }
    subscript(_ name: String) -> String? { items.first { $0.name == name }?.value }
}

/// Decodes %XX escapes into UTF-8; nil when an escape is malformed or the result is not valid UTF-8.
func percentDecode(_ text: some StringProtocol, plusIsSpace: Bool = false) -> String? {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(text.utf8.count)
    var it = Array(text.utf8)[...]
    while let c = it.popFirst() {
        if c == UInt8(ascii: "%") {
            guard it.count >= 2, let v = decodeHex(String(decoding: it.prefix(2), as: UTF8.self)) else { return nil }
            bytes.append(v[0])
            it = it.dropFirst(2)
        } else if plusIsSpace && c == UInt8(ascii: "+") {
            bytes.append(UInt8(ascii: " "))
        } else {
            bytes.append(c)
        }
    }
    return String(validating: bytes, as: UTF8.self)
}

/// URL-encodes for `encoding-type=url` listings (S3 keeps `/` unescaped... in keys it encodes everything but unreserved and '/').
func urlEncode(_ text: String) -> String {
    var out = ""
    for b in text.utf8 {
        switch b {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "/"):
            out.unicodeScalars.append(Unicode.Scalar(b))
        default:
            out += "%" + String(b >> 4, radix: 16, uppercase: true) + String(b & 0xf, radix: 16, uppercase: true)
        }
    }
    return out
}

/// Bucket naming rules (general purpose buckets): 3–63 characters of lowercase letters, digits, '.' and '-',
/// starting and ending with a letter or digit, no "..", not an IPv4 address.
func validateBucketName(_ name: String) throws {
    let bytes = Array(name.utf8)
    func bad() -> S3Error { S3Error("InvalidBucketName", .badRequest, "The specified bucket is not valid.", extra: [("BucketName", name)]) }
    guard (3...63).contains(bytes.count) else { throw bad() }
    func alnum(_ c: UInt8) -> Bool { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(c) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) }
    guard alnum(bytes.first!), alnum(bytes.last!) else { throw bad() }
    guard bytes.allSatisfy({ alnum($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }) else { throw bad() }
    guard !name.contains(".."), !name.contains(".-"), !name.contains("-.") else { throw bad() }
    // Reserved prefixes and suffixes (S3 general purpose bucket naming rules).
    for reserved in ["xn--", "sthree-", "amzn-s3-demo-"] where name.hasPrefix(reserved) { throw bad() }
    for reserved in ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] where name.hasSuffix(reserved) { throw bad() }
    // `/api/...` is Cairn's native API (native-api.md).
    if name == "api" { throw bad() }
    let parts = name.split(separator: ".")
    if parts.count == 4 && parts.allSatisfy({ UInt8($0) != nil }) { throw bad() }
}

/// Object key rules: 1–1024 bytes of UTF-8, no NUL or other C0 control except tab... keys are also
/// rejected when a path segment is "." or "..", or empty (a "//" or a leading "/"); a trailing "/" (a folder
/// marker) is allowed. Keys stay safe to mirror onto a filesystem (`aws s3 sync`, rclone, DVC).
func validateKey(_ key: String) throws {
    let bytes = Array(key.utf8)
    guard !bytes.isEmpty else { throw S3Error.invalidArgument("Object key must not be empty.") }
    guard bytes.count <= 1024 else {
        throw S3Error("KeyTooLongError", .badRequest, "Your key is too long", extra: [("MaxSizeAllowed", "1024"), ("Size", String(bytes.count))])
    }
    guard !bytes.contains(where: { $0 < 0x20 && $0 != 0x09 || $0 == 0x7f }) else {
        throw S3Error.invalidArgument("Object key must not contain NUL or control characters.", name: "key")
    }
    let segments = key.split(separator: "/", omittingEmptySubsequences: false)
    for (i, segment) in segments.enumerated() {
        if segment == "." || segment == ".." {
            throw S3Error.invalidArgument("Object key must not contain '.' or '..' path segments.", name: "key")
        }
        if segment.isEmpty && i != segments.count - 1 {
            throw S3Error.invalidArgument("Object key must not contain empty path segments ('//' or a leading '/').", name: "key")
        }
    }
}

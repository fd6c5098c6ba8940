import HTTPTypes

// The names the store accepts, as S3 states them for buckets, and stricter for keys so that keys stay
// safe to mirror onto a filesystem. Both the S3 API and the native API (commits) check them.

/// Bucket naming rules (general purpose buckets): 3–63 characters of lowercase letters, digits, '.' and '-',
/// starting and ending with a letter or digit, no "..", not an IPv4 address.
public func validateBucketName(_ name: String) throws {
    let bytes = Array(name.utf8)
    func bad() -> ServiceError { ServiceError("InvalidBucketName", .badRequest, "The specified bucket is not valid.", extra: [("BucketName", name)]) }
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
public func validateKey(_ key: String) throws {
    let bytes = Array(key.utf8)
    guard !bytes.isEmpty else { throw ServiceError.invalidArgument("Object key must not be empty.") }
    guard bytes.count <= 1024 else {
        throw ServiceError("KeyTooLongError", .badRequest, "Your key is too long", extra: [("MaxSizeAllowed", "1024"), ("Size", String(bytes.count))])
    }
    guard !bytes.contains(where: { $0 < 0x20 && $0 != 0x09 || $0 == 0x7f }) else {
        throw ServiceError.invalidArgument("Object key must not contain NUL or control characters.", name: "key")
    }
    let segments = key.split(separator: "/", omittingEmptySubsequences: false)
    for (i, segment) in segments.enumerated() {
        if segment == "." || segment == ".." {
            throw ServiceError.invalidArgument("Object key must not contain '.' or '..' path segments.", name: "key")
        }
        if segment.isEmpty && i != segments.count - 1 {
            throw ServiceError.invalidArgument("Object key must not contain empty path segments ('//' or a leading '/').", name: "key")
        }
    }
}

import CairnCore
import CairnHTTP
import CairnProtocol
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
                    throw ServiceError.invalidArgument("Part number must be an integer between 1 and 10000, inclusive", name: "partNumber", value: query["partNumber"])
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
}

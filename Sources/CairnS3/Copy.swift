import CairnCore
import CairnHTTP
import CairnProtocol
import CairnStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// CopyObject and the `x-amz-copy-source` headers UploadPartCopy shares.
extension S3Service {
    func copyObject(_ c: ServiceRequest, _ bucket: String, _ key: String) async throws -> Response {
        let (source, sourceBucket, sourceKey) = try copySource(c)
        try checkCopyPreconditions(c, source)
        let directive = c.header("x-amz-metadata-directive")?.uppercased() ?? "COPY"
        if sourceBucket == bucket && sourceKey == key && directive == "COPY" {
            throw ServiceError.invalidRequest("This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
        }
        let headers: StoredHeaders
        switch directive {
        case "COPY": headers = source.headers
        case "REPLACE": headers = try objectHeaders(c)
        default: throw ServiceError.invalidArgument("Unknown metadata directive.", name: "x-amz-metadata-directive", value: directive)
        }
        let record = try await store.copyObject(from: source, toBucket: bucket, key: key, headers: headers, condition: try writeCondition(c))
        var w = XMLWriter()
        w.open("CopyObjectResult", xmlns: s3Namespace)
        w.element("LastModified", ISO8601Time.format(record.modified))
        w.element("ETag", "\"\(record.etag)\"")
        for sum in record.checksums { w.element(sum.algorithm.xmlElementName, sum.value) }
        w.close("CopyObjectResult")
        return xmlResponse(w.string)
    }

    /// Resolves `x-amz-copy-source` ("bucket/key" or "/bucket/key", URL-encoded).
    func copySource(_ c: ServiceRequest) throws -> (ObjectRecord, String, String) {
        guard var raw = c.header("x-amz-copy-source") else { throw ServiceError.invalidArgument("Copy Source must mention the source bucket and key: sourcebucket/sourcekey") }
        if let q = raw.firstIndex(of: "?") {
            if raw[q...].contains("versionId=") && !raw.hasSuffix("versionId=null") { throw S3Error.notImplemented("copy of an object version") }
            raw = String(raw[..<q])
        }
        guard let decoded = URIEncoding.decode(raw) else { throw ServiceError.invalidArgument("Copy Source is not valid URL-encoded UTF-8.") }
        let trimmed = decoded.hasPrefix("/") ? String(decoded.dropFirst()) : decoded
        guard let slash = trimmed.firstIndex(of: "/"), trimmed.index(after: slash) < trimmed.endIndex else {
            throw ServiceError.invalidArgument("Copy Source must mention the source bucket and key: sourcebucket/sourcekey", name: "x-amz-copy-source", value: raw)
        }
        let bucket = String(trimmed[..<slash]), key = String(trimmed[trimmed.index(after: slash)...])
        try validateKey(key)  // a source that could never be stored is 400, as the same key would be anywhere else
        guard let record = try store.object(bucket: bucket, key: key) else {
            try requireBucket(bucket)
            throw ServiceError(StoreError.noSuchKey(bucket: bucket, key: key))
        }
        return (record, bucket, key)
    }

    func checkCopyPreconditions(_ c: ServiceRequest, _ source: ObjectRecord) throws {
        let modified = floor(source.modified.timeIntervalSince1970)
        if let im = c.header("x-amz-copy-source-if-match"), !etagList(im).contains(where: { $0 == "*" || $0 == source.etag }) {
            throw ServiceError(StoreError.preconditionFailed)
        }
        if let inm = c.header("x-amz-copy-source-if-none-match"), etagList(inm).contains(where: { $0 == "*" || $0 == source.etag }) {
            throw ServiceError(StoreError.preconditionFailed)
        }
        if let ius = c.header("x-amz-copy-source-if-unmodified-since").flatMap(HTTPDate.parse), modified > ius.timeIntervalSince1970 {
            throw ServiceError(StoreError.preconditionFailed)
        }
        if let ims = c.header("x-amz-copy-source-if-modified-since").flatMap(HTTPDate.parse), modified <= ims.timeIntervalSince1970 {
            throw ServiceError(StoreError.preconditionFailed)
        }
    }
}


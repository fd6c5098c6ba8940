import CairnCore
import CairnHTTP
import CairnProtocol
import CairnStore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

extension S3Service {
    /// ListBuckets, in name order, paged with `max-buckets` and `continuation-token` (the last name of the
    /// previous page), filtered by `prefix` and `bucket-region`.
    func listBuckets(_ c: ServiceRequest) throws -> Response {
        var maxBuckets = 10_000
        if let text = c.query["max-buckets"] {
            guard let n = Int(text), (1...10_000).contains(n) else {
                throw ServiceError.invalidArgument("Argument max-buckets must be an integer between 1 and 10000", name: "max-buckets", value: text)
            }
            maxBuckets = n
        }
        var after: String?
        if let token = c.query["continuation-token"] {
            guard let bytes = base64Decode(token), let name = String(validating: bytes, as: UTF8.self) else {
                throw ServiceError.invalidArgument("The continuation token provided is incorrect", name: "continuation-token", value: token)
            }
            after = name
        }
        let prefix = c.query["prefix"]
        var buckets = try store.listBuckets().filter { b in
            (prefix.map { b.name.hasPrefix($0) } ?? true) && (after.map { $0.utf8.lexicographicallyPrecedes(b.name.utf8) } ?? true)
        }
        if let wanted = c.query["bucket-region"], wanted != region { buckets = [] }
        let page = buckets.prefix(maxBuckets)
        var w = XMLWriter()
        w.open("ListAllMyBucketsResult", xmlns: s3Namespace)
        w.principal("Owner", c.auth.accessKeyID)
        w.open("Buckets")
        for b in page {
            w.open("Bucket"); w.element("Name", b.name); w.element("CreationDate", ISO8601Time.format(b.created)); w.element("BucketRegion", region); w.close("Bucket")
        }
        w.close("Buckets")
        if buckets.count > page.count, let last = page.last { w.element("ContinuationToken", base64Encode(Array(last.name.utf8))) }
        if let prefix { w.element("Prefix", prefix) }
        w.close("ListAllMyBucketsResult")
        return xmlResponse(w.string)
    }

    func createBucket(_ c: ServiceRequest, _ bucket: String) async throws -> Response {
        let body = try await Payload.collect(c, limit: 64 << 10)
        if !body.isEmpty {
            // CreateBucketConfiguration: only a LocationConstraint naming our region (or none) is accepted.
            let xml: XMLElement
            do { xml = try parseXML(body) } catch { throw S3Error.malformedXML }
            guard xml.name == "CreateBucketConfiguration" else { throw S3Error.malformedXML }
            if let location = xml.child("LocationConstraint")?.text, !location.isEmpty, location != region {
                throw ServiceError("IllegalLocationConstraintException", .badRequest,
                              "The \(location) location constraint is incompatible for the region specific endpoint this request was sent to.")
            }
        }
        do {
            try await store.createBucket(bucket)
        } catch StoreError.bucketAlreadyOwnedByYou where region == "us-east-1" {
            // AWS's legacy behaviour in us-east-1: success, the bucket and its objects untouched.
        }
        return Response.empty(headers: [.location: "/\(bucket)"])
    }

    func headBucket(_ bucket: String) throws -> Response {
        try requireBucket(bucket)
        return Response.empty(headers: [HTTPField.Name("x-amz-bucket-region")!: region])
    }

    func deleteBucket(_ bucket: String) async throws -> Response {
        try await store.deleteBucket(bucket)
        return Response.empty(.noContent)
    }

    func getBucketLocation(_ bucket: String) throws -> Response {
        try requireBucket(bucket)
        // us-east-1 is reported as an empty constraint, as S3 does.
        let location = region == "us-east-1" ? "" : xmlEscape(region)
        return xmlResponse("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<LocationConstraint xmlns=\"\(s3Namespace)\">\(location)</LocationConstraint>")
    }

    func getBucketVersioning(_ bucket: String) throws -> Response {
        try requireBucket(bucket)
        var w = XMLWriter()
        w.open("VersioningConfiguration", xmlns: s3Namespace)
        w.close("VersioningConfiguration")
        return xmlResponse(w.string)
    }

    func listObjects(_ c: ServiceRequest, _ bucket: String, v2: Bool) throws -> Response {
        let q = c.query
        let prefix = q["prefix"] ?? ""
        let delimiter = q["delimiter"].flatMap { $0.isEmpty ? nil : $0 }
        var maxKeys = 1000
        if let text = q["max-keys"] {
            guard let n = Int(text), n >= 0 else { throw ServiceError.invalidArgument("Provided max-keys not an integer or within integer range", name: "max-keys", value: text) }
            maxKeys = min(n, 1000)
        }
        let (urlEncoded, enc) = try listingEncoding(c)

        var startAfter: String?
        if v2 {
            if let token = q["continuation-token"] {
                guard let bytes = base64Decode(token), let key = String(validating: bytes, as: UTF8.self) else {
                    throw ServiceError.invalidArgument("The continuation token provided is incorrect", name: "continuation-token", value: token)
                }
                startAfter = key
            } else {
                startAfter = q["start-after"]
            }
        } else {
            startAfter = q["marker"]
        }
        // max-keys=0 asks for nothing: an empty page that is not truncated (the bucket must still exist).
        let listing = maxKeys == 0 ? try emptyListing(bucket)
            : try store.list(bucket: bucket, prefix: prefix, delimiter: delimiter, startAfter: startAfter.flatMap { $0.isEmpty ? nil : $0 }, maxKeys: maxKeys)

        var w = XMLWriter()
        w.open("ListBucketResult", xmlns: s3Namespace)
        w.element("Name", bucket)
        w.element("Prefix", enc(prefix))
        if let delimiter { w.element("Delimiter", enc(delimiter)) }
        w.element("MaxKeys", String(maxKeys))
        if urlEncoded { w.element("EncodingType", "url") }
        w.element("IsTruncated", listing.isTruncated ? "true" : "false")
        if v2 {
            w.element("KeyCount", String(listing.objects.count + listing.commonPrefixes.count))
            if let token = q["continuation-token"] { w.element("ContinuationToken", token) }
            if let after = q["start-after"] { w.element("StartAfter", enc(after)) }
            if listing.isTruncated, let last = listing.last { w.element("NextContinuationToken", base64Encode(Array(last.utf8))) }
        } else {
            w.element("Marker", enc(q["marker"] ?? ""))
            if listing.isTruncated, let last = listing.last { w.element("NextMarker", enc(last)) }
        }
        for (key, record) in listing.objects {
            w.open("Contents")
            w.element("Key", enc(key))
            w.element("LastModified", ISO8601Time.format(record.modified))
            w.element("ETag", "\"\(record.etag)\"")
            w.element("Size", String(record.size))
            w.element("StorageClass", "STANDARD")
            if !v2 || q["fetch-owner"] == "true" {
                w.principal("Owner", c.auth.accessKeyID)
            }
            w.close("Contents")
        }
        for p in listing.commonPrefixes {
            w.open("CommonPrefixes"); w.element("Prefix", enc(p)); w.close("CommonPrefixes")
        }
        w.close("ListBucketResult")
        return xmlResponse(w.string)
    }

    /// `encoding-type`: absent (fields as stored, XML-escaped) or `url` (the fields AWS encodes are
    /// URI-encoded, `/` kept). Returns whether it is `url`, and the encoder for those fields.
    func listingEncoding(_ c: ServiceRequest) throws -> (Bool, (String) -> String) {
        switch c.query["encoding-type"] {
        case nil: return (false, { $0 })
        case "url": return (true, { URIEncoding.encode($0, encodeSlash: false) })
        case let other?: throw ServiceError.invalidArgument("Invalid Encoding Method specified in Request", name: "encoding-type", value: other)
        }
    }

    private func emptyListing(_ bucket: String) throws -> Store.Listing {
        try requireBucket(bucket)
        return Store.Listing()
    }

    func deleteObjects(_ c: ServiceRequest, _ bucket: String) async throws -> Response {
        if c.header("content-md5") == nil && !ChecksumAlgorithm.allCases.contains(where: { c.header($0.headerName) != nil })
            && c.header("x-amz-trailer") == nil && c.header("x-amz-sdk-checksum-algorithm") == nil {
            throw ServiceError.invalidRequest("Missing required header for this request: Content-MD5 or x-amz-checksum-*")
        }
        let body = try await Payload.collect(c, limit: Self.maxXMLBody)
        let xml: XMLElement
        do { xml = try parseXML(body) } catch { throw S3Error.malformedXML }
        guard xml.name == "Delete" else { throw S3Error.malformedXML }
        let quiet = xml.child("Quiet")?.text.trimmingCharacters(in: .whitespaces).lowercased() == "true"
        let objects = xml.children(named: "Object")
        guard !objects.isEmpty, objects.count <= 1000 else { throw S3Error.malformedXML }
        var valid: [String] = []
        var errors: [(String, ServiceError)] = []
        for o in objects {
            guard let key = o.child("Key")?.text else { throw S3Error.malformedXML }
            if o.child("VersionId") != nil, o.child("VersionId")?.text != "null" {
                errors.append((key, ServiceError("NoSuchVersion", .notFound, "The specified version does not exist.")))
                continue
            }
            do { try validateKey(key); valid.append(key) } catch let e as ServiceError { errors.append((key, e)) }
        }
        try await store.deleteObjects(bucket: bucket, keys: valid)
        var w = XMLWriter()
        w.open("DeleteResult", xmlns: s3Namespace)
        if !quiet {
            for key in valid { w.open("Deleted"); w.element("Key", key); w.close("Deleted") }
        }
        for (key, e) in errors {
            w.open("Error"); w.element("Key", key); w.element("Code", e.code); w.element("Message", e.message); w.close("Error")
        }
        w.close("DeleteResult")
        return xmlResponse(w.string)
    }
}

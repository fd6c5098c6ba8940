import CairnCore
import CairnHTTP
import CairnProtocol
import CairnStore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

extension S3Service {
    func createMultipartUpload(_ c: ServiceRequest, _ bucket: String, _ key: String) async throws -> Response {
        try requireBucket(bucket)
        let headers = try objectHeaders(c)
        let (algorithm, type) = try Self.uploadChecksum(c)
        let upload = try await store.createUpload(bucket: bucket, key: key, headers: headers, checksumAlgorithm: algorithm, checksumType: type)
        var w = XMLWriter()
        w.open("InitiateMultipartUploadResult", xmlns: s3Namespace)
        w.element("Bucket", bucket); w.element("Key", key); w.element("UploadId", upload.id)
        w.close("InitiateMultipartUploadResult")
        var out: HTTPFields = [:]
        if let algorithm = upload.checksumAlgorithm { out[HTTPField.Name("x-amz-checksum-algorithm")!] = algorithm.rawValue }
        if let type = upload.checksumType { out[HTTPField.Name("x-amz-checksum-type")!] = type.rawValue }
        return xmlResponse(w.string, headers: out)
    }

    /// `x-amz-checksum-algorithm` and `x-amz-checksum-type` of CreateMultipartUpload: a type needs an
    /// algorithm, and FULL_OBJECT takes only the CRCs, COMPOSITE all but CRC64NVME (as in S3).
    static func uploadChecksum(_ c: ServiceRequest) throws -> (ChecksumAlgorithm?, MultipartChecksumType?) {
        let algorithm = try c.header("x-amz-checksum-algorithm").map { name in
            guard let a = ChecksumAlgorithm(name: name) else { throw ServiceError.invalidRequest("Checksum algorithm \(name) is not supported.") }
            return a
        }
        guard let type = try checksumTypeHeader(c) else { return (algorithm, nil) }
        guard let algorithm else {
            throw ServiceError.invalidRequest("The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.")
        }
        guard type.supports(algorithm) else {
            throw ServiceError.invalidRequest("The \(type.rawValue) checksum type cannot be used with the \(algorithm.rawValue.lowercased()) checksum algorithm.")
        }
        return (algorithm, type)
    }

    /// `x-amz-checksum-type`, if sent.
    static func checksumTypeHeader(_ c: ServiceRequest) throws -> MultipartChecksumType? {
        try c.header("x-amz-checksum-type").map { name in
            guard let type = MultipartChecksumType(name: name) else { throw ServiceError.invalidRequest("Value for x-amz-checksum-type header is invalid.") }
            return type
        }
    }

    /// An upload ID is only valid on the bucket and key it was created for.
    private func requireUpload(_ bucket: String, _ key: String, _ id: String) throws -> UploadRecord {
        guard let upload = try store.upload(id), upload.bucket == bucket, upload.key == key else {
            throw ServiceError(StoreError.noSuchUpload(id))
        }
        return upload
    }

    func uploadPart(_ c: ServiceRequest, _ bucket: String, _ key: String, _ id: String, _ number: Int) async throws -> Response {
        let upload = try requireUpload(bucket, key, id)
        let (blob, checksum) = try await Payload.ingest(c, store: store, required: upload.checksumAlgorithm)
        guard blob.size <= 5 << 30 else { throw ServiceError("EntityTooLarge", .badRequest, "Your proposed upload exceeds the maximum allowed size") }
        let part = try await store.putPart(uploadID: id, number: number, blob: blob, checksums: checksum.map { [$0] } ?? [])
        var out: HTTPFields = [.eTag: "\"\(part.etag)\""]
        if let checksum { out[HTTPField.Name(checksum.algorithm.headerName)!] = checksum.value }
        return Response.empty(headers: out)
    }

    func uploadPartCopy(_ c: ServiceRequest, _ bucket: String, _ key: String, _ id: String, _ number: Int) async throws -> Response {
        let upload = try requireUpload(bucket, key, id)
        let (source, _, _) = try copySource(c)
        try checkCopyPreconditions(c, source)
        let range = try c.header("x-amz-copy-source-range").map { try Self.copySourceRange($0, size: source.size) } ?? 0..<source.size
        guard let blob = try store.blob(source.blob) else { throw ServiceError(StoreError.missingChunk(source.blob.hex)) }
        // The part's checksum, when the upload has an algorithm, is computed over the copied bytes.
        let algorithm = upload.checksumAlgorithm
        let writer = store.makeBlobWriter(checksums: algorithm.map { [$0] } ?? [])
        try await streamBlob(store: store, blob: blob, range: range) { buffer in
            try buffer.withUnsafeReadableBytes { try writer.write($0) }
        }
        let ingested = try writer.finish()
        let checksums = algorithm.flatMap { a in ingested.checksums[a].map { [StoredChecksum(algorithm: a, value: base64Encode($0))] } } ?? []
        let part = try await store.putPart(uploadID: id, number: number, blob: ingested, checksums: checksums)
        var w = XMLWriter()
        w.open("CopyPartResult", xmlns: s3Namespace)
        w.element("LastModified", ISO8601Time.format(part.modified))
        w.element("ETag", "\"\(part.etag)\"")
        for sum in part.checksums { w.element(sum.algorithm.xmlElementName, sum.value) }
        w.close("CopyPartResult")
        return xmlResponse(w.string)
    }

    /// `bytes=first-last`, both given and inside the source; anything else is 400 InvalidArgument, as in S3.
    static func copySourceRange(_ text: String, size: UInt64) throws -> Range<UInt64> {
        let parts = text.hasPrefix("bytes=") ? text.dropFirst(6).split(separator: "-", omittingEmptySubsequences: false) : []
        guard parts.count == 2, let first = UInt64(parts[0]), let last = UInt64(parts[1]), first <= last else {
            throw ServiceError.invalidArgument("The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy",
                                               name: "x-amz-copy-source-range", value: text)
        }
        guard last < size else {
            throw ServiceError.invalidArgument("Range specified is not valid for source object of size: \(size)", name: "x-amz-copy-source-range", value: text)
        }
        return first..<(last + 1)
    }

    func completeMultipartUpload(_ c: ServiceRequest, _ bucket: String, _ key: String, _ id: String) async throws -> Response {
        // Here `x-amz-checksum-*` is the client's checksum of the object, not of the XML body.
        let body = try await Payload.collect(c, limit: Self.maxXMLBody, checksumHeaders: false)
        let xml: XMLElement
        do { xml = try parseXML(body) } catch { throw S3Error.malformedXML }
        guard xml.name == "CompleteMultipartUpload" else { throw S3Error.malformedXML }
        var completion = Store.Completion(parts: [])
        for p in xml.children(named: "Part") {
            guard let n = p.child("PartNumber").flatMap({ Int($0.text.trimmingCharacters(in: .whitespacesAndNewlines)) }),
                  let etag = p.child("ETag")?.text else { throw S3Error.malformedXML }
            completion.parts.append((n, etag))
            for alg in ChecksumAlgorithm.allCases {
                if let v = p.child(alg.xmlElementName)?.text { completion.partChecksums[n, default: []].append(StoredChecksum(algorithm: alg, value: v)) }
            }
        }
        guard !completion.parts.isEmpty else { throw S3Error.malformedXML }
        completion.checksum = try objectChecksumHeader(c)
        completion.checksumType = try Self.checksumTypeHeader(c)
        if let text = c.header("x-amz-mp-object-size") {
            guard let size = UInt64(text) else { throw ServiceError.invalidArgument("The x-amz-mp-object-size header must be a number.", name: "x-amz-mp-object-size", value: text) }
            completion.size = size
        }
        completion.condition = try writeCondition(c, etagAllowed: true)
        let done = try await store.completeUpload(id, bucket: bucket, key: key, completion)
        var w = XMLWriter()
        w.open("CompleteMultipartUploadResult", xmlns: s3Namespace)
        w.element("Location", "/\(bucket)/\(key)")
        w.element("Bucket", bucket); w.element("Key", key)
        w.element("ETag", "\"\(done.etag)\"")
        for sum in done.checksums {
            w.element(sum.algorithm.xmlElementName, sum.value)
            w.element("ChecksumType", sum.type.rawValue)
        }
        w.close("CompleteMultipartUploadResult")
        return xmlResponse(w.string)
    }

    /// The one `x-amz-checksum-*` header a CompleteMultipartUpload may carry: the object's checksum
    /// (a COMPOSITE value may keep its `-N`).
    private func objectChecksumHeader(_ c: ServiceRequest) throws -> StoredChecksum? {
        guard let (algorithm, value) = try PayloadChecks.checksumHeader(c) else { return nil }
        let digest = value.split(separator: "-", maxSplits: 1).first.map(String.init) ?? ""
        guard let bytes = base64Decode(digest), bytes.count == algorithm.digestLength else {
            throw ServiceError.badDigest("The \(algorithm.rawValue) you specified did not match the calculated checksum.")
        }
        return StoredChecksum(algorithm: algorithm, value: value)
    }

    func abortMultipartUpload(_ id: String) async throws -> Response {
        try await store.abortUpload(id)
        return Response.empty(.noContent)
    }

    func listParts(_ c: ServiceRequest, _ bucket: String, _ key: String, _ id: String) throws -> Response {
        let upload = try requireUpload(bucket, key, id)
        var maxParts = 1000
        if let t = c.query["max-parts"] {
            guard let n = Int(t), n >= 0 else { throw ServiceError.invalidArgument("Argument max-parts must be an integer between 0 and 2147483647", name: "max-parts", value: t) }
            maxParts = min(n, 1000)
        }
        let marker = c.query["part-number-marker"].flatMap(Int.init) ?? 0
        let all = try store.parts(uploadID: id).filter { $0.number > marker }
        let page = Array(all.prefix(maxParts))
        var w = XMLWriter()
        w.open("ListPartsResult", xmlns: s3Namespace)
        w.element("Bucket", bucket); w.element("Key", key); w.element("UploadId", id)
        w.principal("Initiator", c.auth.accessKeyID)
        w.principal("Owner", c.auth.accessKeyID)
        w.element("StorageClass", "STANDARD")
        w.element("PartNumberMarker", String(marker))
        w.element("NextPartNumberMarker", String(page.last?.number ?? marker))
        w.element("MaxParts", String(maxParts))
        w.element("IsTruncated", all.count > page.count ? "true" : "false")
        if let alg = upload.checksumAlgorithm { w.element("ChecksumAlgorithm", alg.rawValue) }
        if let type = upload.checksumType { w.element("ChecksumType", type.rawValue) }
        for p in page {
            w.open("Part")
            w.element("PartNumber", String(p.number))
            w.element("LastModified", ISO8601Time.format(p.modified))
            w.element("ETag", "\"\(p.etag)\"")
            w.element("Size", String(p.size))
            for sum in p.checksums { w.element(sum.algorithm.xmlElementName, sum.value) }
            w.close("Part")
        }
        w.close("ListPartsResult")
        return xmlResponse(w.string)
    }

    func listMultipartUploads(_ c: ServiceRequest, _ bucket: String) throws -> Response {
        try requireBucket(bucket)
        let prefix = c.query["prefix"] ?? ""
        let keyMarker = c.query["key-marker"] ?? ""
        let idMarker = c.query["upload-id-marker"] ?? ""
        var maxUploads = 1000
        if let t = c.query["max-uploads"], let n = Int(t), n >= 0 { maxUploads = min(n, 1000) }
        let all = try store.uploads(bucket: bucket)
            .filter { $0.key.hasPrefix(prefix) }
            .sorted { ($0.key.utf8.lexicographicallyPrecedes($1.key.utf8)) || ($0.key == $1.key && $0.created < $1.created) }
            .filter { keyMarker.isEmpty || $0.key.utf8.lexicographicallyPrecedes(keyMarker.utf8) == false && ($0.key != keyMarker || (!idMarker.isEmpty && $0.id > idMarker)) }
        let page = Array(all.prefix(maxUploads))
        let (urlEncoded, enc) = try listingEncoding(c)
        var w = XMLWriter()
        w.open("ListMultipartUploadsResult", xmlns: s3Namespace)
        w.element("Bucket", bucket)
        w.element("KeyMarker", enc(keyMarker)); w.element("UploadIdMarker", idMarker)
        w.element("NextKeyMarker", enc(page.last?.key ?? "")); w.element("NextUploadIdMarker", page.last?.id ?? "")
        w.element("Prefix", enc(prefix))
        if urlEncoded { w.element("EncodingType", "url") }
        w.element("MaxUploads", String(maxUploads))
        w.element("IsTruncated", all.count > page.count ? "true" : "false")
        for u in page {
            w.open("Upload")
            w.element("Key", enc(u.key)); w.element("UploadId", u.id)
            w.principal("Initiator", c.auth.accessKeyID)
            w.principal("Owner", c.auth.accessKeyID)
            w.element("StorageClass", "STANDARD")
            w.element("Initiated", ISO8601Time.format(u.created))
            if let alg = u.checksumAlgorithm { w.element("ChecksumAlgorithm", alg.rawValue) }
            if let type = u.checksumType { w.element("ChecksumType", type.rawValue) }
            w.close("Upload")
        }
        w.close("ListMultipartUploadsResult")
        return xmlResponse(w.string)
    }
}

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
        var algorithm: ChecksumAlgorithm?
        if let name = c.header("x-amz-checksum-algorithm") {
            guard let a = ChecksumAlgorithm(name: name) else { throw ServiceError.invalidRequest("Checksum algorithm \(name) is not supported.") }
            algorithm = a
        }
        let upload = try await store.createUpload(bucket: bucket, key: key, headers: headers, checksumAlgorithm: algorithm)
        var w = XMLWriter()
        w.open("InitiateMultipartUploadResult", xmlns: s3Namespace)
        w.element("Bucket", bucket); w.element("Key", key); w.element("UploadId", upload.id)
        w.close("InitiateMultipartUploadResult")
        var out: HTTPFields = [:]
        if let algorithm { out[HTTPField.Name("x-amz-checksum-algorithm")!] = algorithm.rawValue }
        return xmlResponse(w.string, headers: out)
    }

    /// An upload ID is only valid on the bucket and key it was created for.
    private func requireUpload(_ bucket: String, _ key: String, _ id: String) throws -> UploadRecord {
        guard let upload = try store.upload(id), upload.bucket == bucket, upload.key == key else {
            throw ServiceError(StoreError.noSuchUpload(id))
        }
        return upload
    }

    func uploadPart(_ c: ServiceRequest, _ bucket: String, _ key: String, _ id: String, _ number: Int) async throws -> Response {
        _ = try requireUpload(bucket, key, id)
        let (blob, checksum) = try await Payload.ingest(c, store: store)
        guard blob.size <= 5 << 30 else { throw ServiceError("EntityTooLarge", .badRequest, "Your proposed upload exceeds the maximum allowed size") }
        let part = try await store.putPart(uploadID: id, number: number, blob: blob, checksums: checksum.map { [$0] } ?? [])
        var out: HTTPFields = [.eTag: "\"\(part.etag)\""]
        if let checksum { out[HTTPField.Name(checksum.algorithm.headerName)!] = checksum.value }
        return Response.empty(headers: out)
    }

    func uploadPartCopy(_ c: ServiceRequest, _ bucket: String, _ key: String, _ id: String, _ number: Int) async throws -> Response {
        _ = try requireUpload(bucket, key, id)
        let (source, _, _) = try copySource(c)
        try checkCopyPreconditions(c, source)
        let range = try c.header("x-amz-copy-source-range").map { try Self.copySourceRange($0, size: source.size) } ?? 0..<source.size
        guard let blob = try store.blob(source.blob) else { throw ServiceError(StoreError.missingChunk(source.blob.hex)) }
        let writer = store.makeBlobWriter()
        try await streamBlob(store: store, blob: blob, range: range) { buffer in
            try buffer.withUnsafeReadableBytes { try writer.write($0) }
        }
        let ingested = try writer.finish()
        let part = try await store.putPart(uploadID: id, number: number, blob: ingested, checksums: [])
        var w = XMLWriter()
        w.open("CopyPartResult", xmlns: s3Namespace)
        w.element("LastModified", ISO8601Time.format(part.modified))
        w.element("ETag", "\"\(part.etag)\"")
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
        let upload = try requireUpload(bucket, key, id)
        let body = try await Payload.collect(c, limit: Self.maxXMLBody)
        let xml: XMLElement
        do { xml = try parseXML(body) } catch { throw S3Error.malformedXML }
        guard xml.name == "CompleteMultipartUpload" else { throw S3Error.malformedXML }
        var requested: [(number: Int, etag: String)] = []
        var partChecksums: [Int: [(ChecksumAlgorithm, String)]] = [:]
        for p in xml.children(named: "Part") {
            guard let n = p.child("PartNumber").flatMap({ Int($0.text.trimmingCharacters(in: .whitespacesAndNewlines)) }),
                  let etag = p.child("ETag")?.text else { throw S3Error.malformedXML }
            requested.append((n, etag))
            for alg in ChecksumAlgorithm.allCases {
                if let v = p.child(alg.xmlElementName)?.text { partChecksums[n, default: []].append((alg, v)) }
            }
        }
        guard !requested.isEmpty else { throw S3Error.malformedXML }
        // A part checksum named at completion must match the one verified at upload.
        let stored = Dictionary(try store.parts(uploadID: id).map { ($0.number, $0) }, uniquingKeysWith: { a, _ in a })
        for (n, sums) in partChecksums {
            for (alg, value) in sums {
                if let part = stored[n], let have = part.checksums.first(where: { $0.algorithm == alg }), have.value != value {
                    throw ServiceError(StoreError.invalidPart("checksum of part \(n)"))
                }
            }
        }
        let record = try await store.completeUpload(id, parts: requested, condition: try writeCondition(c, etagAllowed: true))
        var w = XMLWriter()
        w.open("CompleteMultipartUploadResult", xmlns: s3Namespace)
        w.element("Location", "/\(upload.bucket)/\(upload.key)")
        w.element("Bucket", bucket); w.element("Key", key)
        w.element("ETag", "\"\(record.etag)\"")
        for sum in record.checksums { w.element(sum.algorithm.xmlElementName, sum.value) }
        w.close("CompleteMultipartUploadResult")
        return xmlResponse(w.string)
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
        var w = XMLWriter()
        w.open("ListMultipartUploadsResult", xmlns: s3Namespace)
        w.element("Bucket", bucket)
        w.element("KeyMarker", keyMarker); w.element("UploadIdMarker", idMarker)
        w.element("NextKeyMarker", page.last?.key ?? ""); w.element("NextUploadIdMarker", page.last?.id ?? "")
        w.element("Prefix", prefix)
        w.element("MaxUploads", String(maxUploads))
        w.element("IsTruncated", all.count > page.count ? "true" : "false")
        for u in page {
            w.open("Upload")
            w.element("Key", u.key); w.element("UploadId", u.id)
            w.principal("Initiator", c.auth.accessKeyID)
            w.principal("Owner", c.auth.accessKeyID)
            w.element("StorageClass", "STANDARD")
            w.element("Initiated", ISO8601Time.format(u.created))
            if let alg = u.checksumAlgorithm { w.element("ChecksumAlgorithm", alg.rawValue) }
            w.close("Upload")
        }
        w.close("ListMultipartUploadsResult")
        return xmlResponse(w.string)
    }
}

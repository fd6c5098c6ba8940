import CairnCore
import CairnHTTP
import CairnProtocol
import CairnStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// Headers stored with an object and returned on GET/HEAD.
private let storedHeaderNames = ["content-type", "content-encoding", "content-disposition", "content-language", "cache-control", "expires"]
/// User metadata may total 2 KB in S3.
private let maxMetadataBytes = 2048

extension S3Service {
    /// The headers to keep for a new object: standard content headers and `x-amz-meta-*`.
    func objectHeaders(_ c: ServiceRequest) throws -> StoredHeaders {
        var headers: StoredHeaders = []
        var metaBytes = 0
        for field in c.headers {
            let name = field.name.canonicalName
            if storedHeaderNames.contains(name) {
                var value = field.value
                if name == "content-encoding" {
                    // aws-chunked is transfer framing, not a property of the object; the other codings stay as sent.
                    value = value.split(separator: ",", omittingEmptySubsequences: false)
                        .filter { $0.trimmingCharacters(in: .whitespaces) != "aws-chunked" }.joined(separator: ",")
                        .trimmingCharacters(in: CharacterSet(charactersIn: " \t,"))
                    if value.isEmpty { continue }
                }
                headers.append((name, value))
            } else if name.hasPrefix("x-amz-meta-") {
                metaBytes += name.utf8.count - 11 + HeaderBytes.unescape(field.value).count  // the bytes sent
                headers.append((name, field.value))
            }
        }
        guard metaBytes <= maxMetadataBytes else {
            throw ServiceError("MetadataTooLarge", .badRequest, "Your metadata headers exceed the maximum allowed metadata size.", extra: [("MaxSizeAllowed", "2048")])
        }
        if !headers.contains(where: { $0.name == "content-type" }) { headers.append(("content-type", "binary/octet-stream")) }
        return headers
    }

    /// The precondition of a write. `If-None-Match` names `*` on every write, and also an ETag on
    /// CompleteMultipartUpload (`etagAllowed`), as S3 accepts them.
    func writeCondition(_ c: ServiceRequest, etagAllowed: Bool = false) throws -> Store.WriteCondition {
        if let inm = c.header("if-none-match")?.trimmingCharacters(in: .whitespaces) {
            if inm == "*" { return .mustNotExist }
            guard etagAllowed else { throw S3Error.notImplemented("If-None-Match on writes other than '*'") }
            return .etagDiffers(unquote(inm))
        }
        if let im = c.header("if-match") { return .etagMatches(unquote(im)) }
        return .none
    }

    func putObject(_ c: ServiceRequest, _ bucket: String, _ key: String) async throws -> Response {
        try requireBucket(bucket)
        let headers = try objectHeaders(c)
        let condition = try writeCondition(c)
        let (blob, checksum) = try await Payload.ingest(c, store: store)
        let record = try await store.putObject(bucket: bucket, key: key, blob: blob, headers: headers,
                                               checksums: checksum.map { [$0] } ?? [], condition: condition)
        var out: HTTPFields = [.eTag: "\"\(record.etag)\""]
        if let checksum { out[HTTPField.Name(checksum.algorithm.headerName)!] = checksum.value }
        return Response.empty(headers: out)
    }

    func deleteObject(_ bucket: String, _ key: String) async throws -> Response {
        try await store.deleteObject(bucket: bucket, key: key)
        return Response.empty(.noContent)
    }

    /// The part number of a `partNumber` read: 1...10000 and one of the object's parts (a single-part
    /// object has part 1 only).
    private func partNumber(_ text: String, _ record: ObjectRecord) throws -> Int {
        guard let n = Int(text), (1...10_000).contains(n) else {
            throw ServiceError.invalidArgument("Part number must be an integer between 1 and 10000, inclusive", name: "partNumber", value: text)
        }
        let count = max(record.partSizes.count, 1)
        guard n <= count else {
            if record.partSizes.isEmpty { throw ServiceError(StoreError.invalidPart("part \(n) of a single-part object")) }
            throw ServiceError("InvalidPartNumber", .rangeNotSatisfiable, "The requested partnumber is not satisfiable",
                               extra: [("PartNumberRequested", String(n)), ("ActualPartCount", String(count))])
        }
        return n
    }

    /// The bytes of part `n` of the object: for a multipart object that part, for any other object part 1
    /// is the whole. A 206 with `Content-Range`, as S3 answers.
    private func partRange(_ c: ServiceRequest, _ n: Int, _ record: ObjectRecord, headers: inout HTTPFields) throws -> (Range<UInt64>, HTTPResponse.Status) {
        guard c.header("range") == nil else { throw ServiceError.invalidRequest("Cannot specify both Range header and partNumber query parameter") }
        let sizes = record.partSizes.isEmpty ? [record.size] : record.partSizes
        let start = sizes[..<(n - 1)].reduce(0, +)
        let range = start..<(start + sizes[n - 1])
        headers[.contentRange] = range.isEmpty ? "bytes */\(record.size)" : "bytes \(range.lowerBound)-\(range.upperBound - 1)/\(record.size)"
        return (range, .partialContent)
    }

    /// Evaluates GET/HEAD preconditions (RFC 7232 order, as S3 applies them). A 304 or 412 carries the
    /// object's `ETag` and `Last-Modified`, as a 200 would.
    private func checkPreconditions(_ c: ServiceRequest, _ record: ObjectRecord) throws {
        let etag = record.etag
        let modified = floor(record.modified.timeIntervalSince1970)
        func failed(_ error: ServiceError) -> ServiceError {
            var e = error
            e.headers = [.eTag: "\"\(etag)\"", .lastModified: HTTPDate.format(record.modified)]
            return e
        }
        if let im = c.header("if-match") {
            if !etagList(im).contains(where: { $0 == "*" || $0 == etag }) { throw failed(ServiceError(StoreError.preconditionFailed)) }
        } else if let ius = c.header("if-unmodified-since").flatMap(HTTPDate.parse), modified > ius.timeIntervalSince1970 {
            throw failed(ServiceError(StoreError.preconditionFailed))
        }
        if let inm = c.header("if-none-match") {
            if etagList(inm).contains(where: { $0 == "*" || $0 == etag }) { throw failed(S3Error.notModified) }
        } else if let ims = c.header("if-modified-since").flatMap(HTTPDate.parse), modified <= ims.timeIntervalSince1970 {
            throw failed(S3Error.notModified)
        }
    }

    func getObject(_ c: ServiceRequest, _ bucket: String, _ key: String, head: Bool) throws -> Response {
        guard let record = try store.object(bucket: bucket, key: key) else {
            try requireBucket(bucket)
            throw ServiceError(StoreError.noSuchKey(bucket: bucket, key: key))
        }
        try checkPreconditions(c, record)

        var headers: HTTPFields = [
            .eTag: "\"\(record.etag)\"",
            .lastModified: HTTPDate.format(record.modified),
            .acceptRanges: "bytes",
        ]
        for (name, value) in record.headers { headers[HTTPField.Name(name)!] = value }
        for (name, param) in [("content-type", "response-content-type"), ("content-disposition", "response-content-disposition"),
                              ("content-encoding", "response-content-encoding"), ("content-language", "response-content-language"),
                              ("cache-control", "response-cache-control"), ("expires", "response-expires")] {
            if let v = c.query[param] { headers[HTTPField.Name(name)!] = v }
        }

        let part = try c.query["partNumber"].map { try partNumber($0, record) }
        let (range, status) = try part.map { try partRange(c, $0, record, headers: &headers) }
            ?? requestedRange(c, size: record.size, headers: &headers)
        if c.header("x-amz-checksum-mode")?.uppercased() == "ENABLED" {
            // A checksum only of exactly the bytes sent: the whole object's, or one part's, never a Range's.
            var sums: [StoredChecksum] = []
            if let n = part, !record.partSizes.isEmpty {
                if record.partChecksums.count == record.partSizes.count { sums = [record.partChecksums[n - 1]] }
            } else if status == .ok || part != nil {
                sums = record.checksums  // part 1 of a single-part object is the whole
            }
            // A part's checksum is reported with the type of the object's, which it was made into.
            let type = record.checksums.first?.type ?? .fullObject
            for sum in sums {
                headers[HTTPField.Name(sum.algorithm.headerName)!] = sum.value
                headers[HTTPField.Name("x-amz-checksum-type")!] = type.rawValue
            }
        }
        if !record.partSizes.isEmpty { headers[HTTPField.Name("x-amz-mp-parts-count")!] = String(record.partSizes.count) }
        headers[.contentLength] = String(range.count)
        if head { return Response(status: status, headers: headers, body: .init()) }

        guard let blob = try store.blob(record.blob) else { throw ServiceError(StoreError.missingChunk(record.blob.hex)) }
        return Response(status: status, headers: headers, body: try blobBody(store: store, blob, range: range, what: "\(bucket)/\(key)", logger: logger, requestID: c.requestID))
    }
}

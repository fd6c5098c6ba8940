import CairnCore
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
    func objectHeaders(_ c: S3Context) throws -> StoredHeaders {
        var headers: StoredHeaders = []
        var metaBytes = 0
        for field in c.headers {
            let name = field.name.canonicalName
            if storedHeaderNames.contains(name) {
                var value = field.value
                if name == "content-encoding" {
                    // aws-chunked is transfer framing, not a property of the object.
                    value = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0 != "aws-chunked" && !$0.isEmpty }.joined(separator: ",")
                    if value.isEmpty { continue }
                }
                headers.append((name, value))
            } else if name.hasPrefix("x-amz-meta-") {
                metaBytes += name.utf8.count - 11 + field.value.utf8.count
                headers.append((name, field.value))
            }
        }
        guard metaBytes <= maxMetadataBytes else {
            throw S3Error("MetadataTooLarge", .badRequest, "Your metadata headers exceed the maximum allowed metadata size.", extra: [("MaxSizeAllowed", "2048")])
        }
        if !headers.contains(where: { $0.name == "content-type" }) { headers.append(("content-type", "binary/octet-stream")) }
        return headers
    }

    func requireBucket(_ bucket: String) throws {
        guard try store.bucket(bucket) != nil else { throw S3Error(StoreError.noSuchBucket(bucket)) }
    }

    func writeCondition(_ c: S3Context) throws -> Store.WriteCondition {
        if let inm = c.header("if-none-match") {
            guard inm.trimmingCharacters(in: .whitespaces) == "*" else {
                throw S3Error.notImplemented("If-None-Match on writes other than '*'")
            }
            return .mustNotExist
        }
        if let im = c.header("if-match") { return .etagMatches(unquote(im)) }
        return .none
    }

    func putObject(_ c: S3Context, _ bucket: String, _ key: String) async throws -> Response {
        try requireBucket(bucket)
        let headers = try objectHeaders(c)
        let condition = try writeCondition(c)
        let (blob, checksum) = try await Payload.ingest(c, store: store)
        let record = try await store.putObject(bucket: bucket, key: key, blob: blob, headers: headers,
                                               checksums: checksum.map { [$0] } ?? [], condition: condition)
        var out: HTTPFields = [.eTag: "\"\(record.etag)\""]
        if let checksum { out[HTTPField.Name(checksum.algorithm.headerName)!] = checksum.value }
        return emptyResponse(headers: out)
    }

    func deleteObject(_ bucket: String, _ key: String) async throws -> Response {
        try await store.deleteObject(bucket: bucket, key: key)
        return emptyResponse(.noContent)
    }

    /// Evaluates GET/HEAD preconditions (RFC 7232 order, as S3 applies them).
    private func checkPreconditions(_ c: S3Context, _ record: ObjectRecord) throws {
        let etag = record.etag
        let modified = floor(record.modified.timeIntervalSince1970)
        if let im = c.header("if-match") {
            if !etagList(im).contains(where: { $0 == "*" || $0 == etag }) { throw S3Error(StoreError.preconditionFailed) }
        } else if let ius = c.header("if-unmodified-since").flatMap(HTTPDate.parse), modified > ius.timeIntervalSince1970 {
            throw S3Error(StoreError.preconditionFailed)
        }
        if let inm = c.header("if-none-match") {
            if etagList(inm).contains(where: { $0 == "*" || $0 == etag }) { throw S3Error.notModified }
        } else if let ims = c.header("if-modified-since").flatMap(HTTPDate.parse), modified <= ims.timeIntervalSince1970 {
            throw S3Error.notModified
        }
    }

    func getObject(_ c: S3Context, _ bucket: String, _ key: String, head: Bool) throws -> Response {
        guard let record = try store.object(bucket: bucket, key: key) else {
            try requireBucket(bucket)
            throw S3Error(StoreError.noSuchKey(bucket: bucket, key: key))
        }
        try checkPreconditions(c, record)
        if c.query.has("partNumber") { throw S3Error.notImplemented("GetObject with partNumber") }

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

        let (range, status) = try requestedRange(c, size: record.size, headers: &headers)
        if status == .ok, c.header("x-amz-checksum-mode")?.uppercased() == "ENABLED" {
            // Whole-object checksums only on whole-object responses, never on a 206.
            for sum in record.checksums {
                headers[HTTPField.Name(sum.algorithm.headerName)!] = sum.value
                headers[HTTPField.Name("x-amz-checksum-type")!] = sum.isComposite ? "COMPOSITE" : "FULL_OBJECT"
            }
        }
        if !record.partSizes.isEmpty { headers[HTTPField.Name("x-amz-mp-parts-count")!] = String(record.partSizes.count) }
        headers[.contentLength] = String(range.count)
        if head { return Response(status: status, headers: headers, body: .init()) }

        guard let blob = try store.blob(record.blob) else { throw S3Error(StoreError.missingChunk(record.blob.hex)) }
        return Response(status: status, headers: headers, body: try blobBody(c, blob, range: range, what: "\(bucket)/\(key)"))
    }

    /// The byte range a request's `Range` header asks for (the whole content without one), and the status
    /// to answer with; sets `Content-Range` on a 206.
    func requestedRange(_ c: S3Context, size: UInt64, headers: inout HTTPFields) throws -> (Range<UInt64>, HTTPResponse.Status) {
        guard let text = c.header("range"), let r = try parseRange(text, size: size) else { return (0..<size, .ok) }
        headers[.contentRange] = "bytes \(r.lowerBound)-\(r.upperBound - 1)/\(size)"
        return (r, .partialContent)
    }

    /// Streams `range` of a blob, every chunk verified as it is read.
    /// Before any header goes out, every chunk of the range must be indexed (not quarantined) and the first
    /// one must read back verified: most failures then get a clear error instead of a cut connection, and a
    /// small object is checked whole.
    func blobBody(_ c: S3Context, _ blob: BlobRecord, range: Range<UInt64>, what: String) throws -> ResponseBody {
        try store.checkReadable(blob, range: range)
        let first = try firstChunk(blob, range: range)
        let (store, logger, requestID) = (self.store, self.logger, c.requestID)
        return ResponseBody(contentLength: Int(range.count)) { writer in
            do {
                try await streamBlob(store: store, blob: blob, range: range, first: first) { try await writer.write($0) }
            } catch {
                // Headers are gone already: the only honest signal left is to cut the connection short.
                logger.error("GET \(what) failed mid-stream: \(error)", metadata: ["request-id": .string(requestID)])
                throw error
            }
            try await writer.finish(nil)
        }
    }

    func copyObject(_ c: S3Context, _ bucket: String, _ key: String) async throws -> Response {
        let (source, sourceBucket, sourceKey) = try copySource(c)
        try checkCopyPreconditions(c, source)
        let directive = c.header("x-amz-metadata-directive")?.uppercased() ?? "COPY"
        if sourceBucket == bucket && sourceKey == key && directive == "COPY" {
            throw S3Error.invalidRequest("This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
        }
        let headers: StoredHeaders
        switch directive {
        case "COPY": headers = source.headers
        case "REPLACE": headers = try objectHeaders(c)
        default: throw S3Error.invalidArgument("Unknown metadata directive.", name: "x-amz-metadata-directive", value: directive)
        }
        let record = try await store.copyObject(from: source, toBucket: bucket, key: key, headers: headers, condition: try writeCondition(c))
        var w = XMLWriter()
        w.open("CopyObjectResult", xmlns: s3Namespace)
        w.element("LastModified", HTTPDate.iso8601(record.modified))
        w.element("ETag", "\"\(record.etag)\"")
        for sum in record.checksums { w.element(sum.algorithm.xmlElementName, sum.value) }
        w.close("CopyObjectResult")
        return xmlResponse(w.string)
    }

    /// Resolves `x-amz-copy-source` ("bucket/key" or "/bucket/key", URL-encoded).
    func copySource(_ c: S3Context) throws -> (ObjectRecord, String, String) {
        guard var raw = c.header("x-amz-copy-source") else { throw S3Error.invalidArgument("Copy Source must mention the source bucket and key: sourcebucket/sourcekey") }
        if let q = raw.firstIndex(of: "?") {
            if raw[q...].contains("versionId=") && !raw.hasSuffix("versionId=null") { throw S3Error.notImplemented("copy of an object version") }
            raw = String(raw[..<q])
        }
        guard let decoded = percentDecode(raw) else { throw S3Error.invalidArgument("Copy Source is not valid URL-encoded UTF-8.") }
        let trimmed = decoded.hasPrefix("/") ? String(decoded.dropFirst()) : decoded
        guard let slash = trimmed.firstIndex(of: "/"), trimmed.index(after: slash) < trimmed.endIndex else {
            throw S3Error.invalidArgument("Copy Source must mention the source bucket and key: sourcebucket/sourcekey", name: "x-amz-copy-source", value: raw)
        }
        let bucket = String(trimmed[..<slash]), key = String(trimmed[trimmed.index(after: slash)...])
        guard let record = try store.object(bucket: bucket, key: key) else {
            try requireBucket(bucket)
            throw S3Error(StoreError.noSuchKey(bucket: bucket, key: key))
        }
        return (record, bucket, key)
    }

    func checkCopyPreconditions(_ c: S3Context, _ source: ObjectRecord) throws {
        let modified = floor(source.modified.timeIntervalSince1970)
        if let im = c.header("x-amz-copy-source-if-match"), !etagList(im).contains(where: { $0 == "*" || $0 == source.etag }) {
            throw S3Error(StoreError.preconditionFailed)
        }
        if let inm = c.header("x-amz-copy-source-if-none-match"), etagList(inm).contains(where: { $0 == "*" || $0 == source.etag }) {
            throw S3Error(StoreError.preconditionFailed)
        }
        if let ius = c.header("x-amz-copy-source-if-unmodified-since").flatMap(HTTPDate.parse), modified > ius.timeIntervalSince1970 {
            throw S3Error(StoreError.preconditionFailed)
        }
        if let ims = c.header("x-amz-copy-source-if-modified-since").flatMap(HTTPDate.parse), modified <= ims.timeIntervalSince1970 {
            throw S3Error(StoreError.preconditionFailed)
        }
    }
}

/// Streams `range` of a blob, chunk by chunk, each verified against its sha256 before it is sent.
/// The first chunk `range` touches, read and verified, with its index; nil for an empty range.
private func firstChunkIndex(_ blob: BlobRecord, _ range: Range<UInt64>) -> Int? {
    guard !range.isEmpty else { return nil }
    var start: UInt64 = 0
    for i in 0..<blob.chunks.count {
        let end = start + UInt64(blob.chunks.lengths[i])
        if end > range.lowerBound { return i }
        start = end
    }
    return nil
}

extension S3Service {
    func firstChunk(_ blob: BlobRecord, range: Range<UInt64>) throws -> (index: Int, bytes: [UInt8])? {
        guard let i = firstChunkIndex(blob, range) else { return nil }
        let reader = store.checkoutChunkReader()
        defer { store.recycle(reader) }
        return (i, try reader.read(blob.chunks.digest(at: i)))
    }
}

/// Streams `range` of a blob chunk by chunk, each verified; `first` is a chunk already read (by `firstChunk`).
func streamBlob(store: Store, blob: BlobRecord, range: Range<UInt64>, first: (index: Int, bytes: [UInt8])? = nil,
                write: (ByteBuffer) async throws -> Void) async throws {
    guard !range.isEmpty else { return }
    let reader = store.checkoutChunkReader()
    defer { store.recycle(reader) }
    var chunkStart: UInt64 = 0
    for i in 0..<blob.chunks.count {
        let length = UInt64(blob.chunks.lengths[i])
        let chunkEnd = chunkStart + length
        defer { chunkStart = chunkEnd }
        if chunkEnd <= range.lowerBound { continue }
        if chunkStart >= range.upperBound { break }
        let bytes = first?.index == i ? first!.bytes : try reader.read(blob.chunks.digest(at: i))
        let lo = Int(max(range.lowerBound, chunkStart) - chunkStart)
        let hi = Int(min(range.upperBound, chunkEnd) - chunkStart)
        try await write(ByteBuffer(bytes: bytes[lo..<hi]))
    }
}

func unquote(_ etag: String) -> String {
    var s = etag.trimmingCharacters(in: .whitespaces)
    if s.hasPrefix("W/") { s.removeFirst(2) }
    return s.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
}

func etagList(_ header: String) -> [String] { header.split(separator: ",").map { unquote(String($0)) } }

/// Parses a single `bytes=` range. nil means "serve the whole object" (unparseable or multi-range, as S3
/// does); a range that starts beyond the object throws InvalidRange.
func parseRange(_ text: String, size: UInt64) throws -> Range<UInt64>? {
    let t = text.trimmingCharacters(in: .whitespaces)
    guard t.hasPrefix("bytes="), !t.contains(",") else { return nil }
    let spec = t.dropFirst(6)
    guard let dash = spec.firstIndex(of: "-") else { return nil }
    let first = spec[..<dash].trimmingCharacters(in: .whitespaces), last = spec[spec.index(after: dash)...].trimmingCharacters(in: .whitespaces)
    func invalid() -> S3Error {
        S3Error("InvalidRange", .rangeNotSatisfiable, "The requested range is not satisfiable", extra: [("ActualObjectSize", String(size)), ("RangeRequested", text)])
    }
    if first.isEmpty {
        guard let n = UInt64(last) else { return nil }
        guard n > 0, size > 0 else { throw invalid() }
        return (size - min(n, size))..<size
    }
    guard let start = UInt64(first) else { return nil }
    guard start < size else { throw invalid() }
    if last.isEmpty { return start..<size }
    guard let end = UInt64(last), end >= start else { return nil }
    return start..<min(end + 1, size)
}

import CairnCore
import CairnHTTP
import CairnProtocol
import CairnStore
import HTTPTypes
import Hummingbird

/// Content by digest: `/api/v1/blobs/sha256/<hex>` and `/api/v1/blobs/md5/<hex>`, with Range.
extension APIService {
    func getBlob(_ c: ServiceRequest, algorithm: String, hex: String, head: Bool) throws -> Response {
        let blob: BlobRecord?
        switch algorithm {
        case "sha256":
            guard hex.count == 64, let digest = decodeHex(hex) else { throw ServiceError.invalidArgument("A sha256 digest is 64 hex digits.") }
            blob = try store.blob(digest)
        case "md5":
            guard hex.count == 32, let digest = decodeHex(hex) else { throw ServiceError.invalidArgument("An md5 digest is 32 hex digits.") }
            blob = try store.blob(md5: digest)
        default:
            throw ServiceError("NotFound", .notFound, "Blobs are addressed by sha256 or md5, not \(algorithm).")
        }
        guard let blob else { throw ServiceError("NoSuchBlob", .notFound, "No blob has the \(algorithm) \(hex.lowercased()).") }
        return try blobResponse(c, blob, head: head)
    }

    /// A blob's bytes (Range supported), `ETag` = its sha256.
    func blobResponse(_ c: ServiceRequest, _ blob: BlobRecord, head: Bool) throws -> Response {
        var headers: HTTPFields = [
            .eTag: "\"\(blob.sha256.hex)\"", .acceptRanges: "bytes", .contentType: "application/octet-stream",
            HTTPField.Name("x-cairn-sha256")!: blob.sha256.hex, HTTPField.Name("x-cairn-md5")!: blob.md5.hex,
        ]
        let (range, status) = try requestedRange(c, size: blob.size, headers: &headers)
        headers[.contentLength] = String(range.count)
        if head { return Response(status: status, headers: headers, body: .init()) }
        return Response(status: status, headers: headers, body: try blobBody(store: store, blob, range: range, what: "blob \(blob.sha256.hex)", logger: logger, requestID: c.requestID))
    }
}

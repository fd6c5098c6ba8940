import CairnCore
import CairnHTTP
import CairnProtocol
import CairnStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The S3 API over one store: path-style addressing, authentication, the operation router and S3 error XML.
public struct S3Service: HTTPAPI {
    let store: Store
    let region: String
    let authenticator: Authenticator
    let virtualHosts: VirtualHosts
    let logger: Logger

    public init(store: Store, region: String, authenticator: Authenticator, virtualHosts: VirtualHosts = VirtualHosts([]), logger: Logger) {
        self.store = store
        self.region = region
        self.authenticator = authenticator
        self.virtualHosts = virtualHosts
        self.logger = logger
    }

    /// Largest XML body accepted (DeleteObjects with 1000 long keys fits comfortably).
    static let maxXMLBody = 4 << 20

    /// S3 takes every request no other API claims.
    public func handles(_ request: Request) -> Bool { true }

    public func respond(to request: Request, requestID: String) async throws -> Response {
        let (bucket, key) = try virtualHosts.bucket(in: request).map { ($0, try Self.key(request.uri.path)) }
            ?? Self.bucketAndKey(request.uri.path)
        if request.method == .options { throw Self.preflightRefusal(request) }
        let c = try authenticator.context(for: request, requestID: requestID)
        let hasCopySource = request.headers[HTTPField.Name("x-amz-copy-source")!] != nil
        let endpoint = try Endpoint.parse(method: request.method.rawValue, bucket: bucket, key: key, query: c.query, hasCopySource: hasCopySource)
        if let bucket, endpoint != .listBuckets {
            if case .createBucket = endpoint { try validateBucketName(bucket) } else if (try? validateBucketName(bucket)) == nil {
                // An invalid name cannot exist: answer as S3 does for lookups.
                throw ServiceError(StoreError.noSuchBucket(bucket))
            }
        }
        if let key { try validateKey(key) }
        return try await dispatch(c, endpoint)
    }

    /// A CORS preflight (OPTIONS, unsigned) is refused as S3 refuses one for a bucket without a CORS
    /// configuration: 400 without an `Origin` header, 403 with one.
    static func preflightRefusal(_ request: Request) -> ServiceError {
        guard request.headers[HTTPField.Name("origin")!] != nil else {
            return ServiceError("BadRequest", .badRequest, "Insufficient information. Origin request header needed.")
        }
        return ServiceError("AccessForbidden", .forbidden, "CORSResponse: CORS is not enabled for this bucket.")
    }

    /// The percent-decoded key of a virtual-hosted–style request path (`/key`; nil for `/`).
    static func key(_ rawPath: String) throws -> String? {
        guard rawPath.hasPrefix("/") else { throw ServiceError.invalidArgument("The request path must start with '/'.") }
        guard rawPath.count > 1 else { return nil }
        guard let key = URIEncoding.decode(rawPath.dropFirst()) else { throw ServiceError.invalidURI }
        return key
    }

    /// The percent-decoded bucket and key of a path-style request path (`/bucket/key`: the key is everything
    /// after the first '/', exactly).
    static func bucketAndKey(_ rawPath: String) throws -> (bucket: String?, key: String?) {
        guard rawPath.hasPrefix("/") else { throw ServiceError.invalidArgument("The request path must start with '/'.") }
        let path = rawPath.dropFirst()
        guard !path.isEmpty else { return (nil, nil) }
        let slash = path.firstIndex(of: "/")
        guard let bucket = URIEncoding.decode(path[..<(slash ?? path.endIndex)]) else { throw ServiceError.invalidURI }
        guard let slash, path.index(after: slash) < path.endIndex else { return (bucket, nil) }
        guard let key = URIEncoding.decode(path[path.index(after: slash)...]) else { throw ServiceError.invalidURI }
        return (bucket, key)
    }

    private func dispatch(_ c: ServiceRequest, _ endpoint: Endpoint) async throws -> Response {
        switch endpoint {
        case .listBuckets: return try listBuckets(c)
        case .createBucket(let b): return try await createBucket(c, b)
        case .headBucket(let b): return try headBucket(b)
        case .deleteBucket(let b): return try await deleteBucket(b)
        case .getBucketLocation(let b): return try getBucketLocation(b)
        case .getBucketVersioning(let b): return try getBucketVersioning(b)
        case .listObjects(let b): return try listObjects(c, b, v2: false)
        case .listObjectsV2(let b): return try listObjects(c, b, v2: true)
        case .listMultipartUploads(let b): return try listMultipartUploads(c, b)
        case .deleteObjects(let b): return try await deleteObjects(c, b)
        case .putObject(let b, let k): return try await putObject(c, b, k)
        case .copyObject(let b, let k): return try await copyObject(c, b, k)
        case .getObject(let b, let k): return try getObject(c, b, k, head: false)
        case .headObject(let b, let k): return try getObject(c, b, k, head: true)
        case .deleteObject(let b, let k): return try await deleteObject(b, k)
        case .createMultipartUpload(let b, let k): return try await createMultipartUpload(c, b, k)
        case .uploadPart(let b, let k, let id, let n): return try await uploadPart(c, b, k, id, n)
        case .uploadPartCopy(let b, let k, let id, let n): return try await uploadPartCopy(c, b, k, id, n)
        case .completeMultipartUpload(let b, let k, let id): return try await completeMultipartUpload(c, b, k, id)
        case .abortMultipartUpload(_, _, let id): return try await abortMultipartUpload(id)
        case .listParts(let b, let k, let id): return try listParts(c, b, k, id)
        case .notImplemented(let what): throw S3Error.notImplemented(what)
        }
    }

    public func errorResponse(_ error: ServiceError, cause: any Error, request: Request, requestID: String) -> Response {
        var headers: HTTPFields = [.contentType: "application/xml"]
        headers.append(contentsOf: error.headers)
        if request.method == .head || error.status == .notModified {
            headers[.contentLength] = "0"
            return Response(status: error.status, headers: headers, body: .init())
        }
        let resource = URIEncoding.decode(request.uri.path) ?? request.uri.path
        return Response(status: error.status, headers: headers,
                        body: .init(byteBuffer: ByteBuffer(string: S3Error.xml(error, resource: resource, requestID: requestID))))
    }

    func xmlResponse(_ xml: String, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) -> Response {
        var headers: HTTPFields = [.contentType: "application/xml"]
        headers.append(contentsOf: extra)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: xml)))
    }

    func requireBucket(_ bucket: String) throws {
        guard try store.bucket(bucket) != nil else { throw ServiceError(StoreError.noSuchBucket(bucket)) }
    }
}

let s3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/"

extension XMLWriter {
    /// An `Owner` or `Initiator` element: Cairn reports the access key as both ID and display name.
    mutating func principal(_ element: String, _ accessKeyID: String) {
        open(element)
        self.element("ID", accessKeyID)
        self.element("DisplayName", accessKeyID)
        close(element)
    }
}

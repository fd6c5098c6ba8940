import CairnCore
import CairnStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// What a key may do. `read` fetches and queries (GET, HEAD, and fetching chunks); `write` also uploads,
/// deletes and registers; `admin` also moves protected aliases and changes protection.
public enum KeyRole: String, Sendable, CaseIterable {
    case read, write, admin
}

/// Access keys the server accepts: access key ID → secret, and each key's role (`admin` when not given).
public struct Credentials: Sendable {
    public var secrets: [String: String]
    public var roles: [String: KeyRole]
    public init(_ secrets: [String: String], roles: [String: KeyRole] = [:]) {
        self.secrets = secrets
        self.roles = roles
    }

    public struct Key: Sendable, Equatable {
        public var id: String
        public var secret: String
        public var role: KeyRole
    }

    public struct KeysFileError: Error, Equatable, CustomStringConvertible {
        public var line: Int
        public var message: String
        public var description: String { "\(line): \(message)" }
    }

    /// Parses `ACCESS_KEY_ID SECRET_ACCESS_KEY [read|write|admin]` lines; blank lines and `#` comments are skipped.
    public static func parseKeysFile(_ text: String) throws -> [Key] {
        var keys: [Key] = []
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let fields = trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard fields.count == 2 || fields.count == 3 else {
                throw KeysFileError(line: n + 1, message: "expected 'ACCESS_KEY_ID SECRET_ACCESS_KEY [read|write|admin]'")
            }
            guard let role = fields.count == 3 ? KeyRole(rawValue: fields[2]) : .admin else {
                throw KeysFileError(line: n + 1, message: "the role is read, write or admin, not \(fields[2])")
            }
            keys.append(Key(id: fields[0], secret: fields[1], role: role))
        }
        return keys
    }
}

/// What one S3 request carries once routed and authenticated.
struct S3Context {
    let request: Request
    let requestID: String
    let endpoint: Endpoint
    let query: Query
    let auth: VerifiedRequest
    let role: KeyRole
    var headers: HTTPFields { request.headers }
    func header(_ name: String) -> String? { HTTPField.Name(name).flatMap { request.headers[$0] } }
}

/// The S3 API over one store: routing, authentication, errors and request logging.
public final class S3Service: Sendable {
    let store: Store
    let region: String
    let verifier: SigV4Verifier
    let roles: [String: KeyRole]
    let maintenance: MaintenanceSettings
    let logger: Logger
    let dedupeStats = DedupeStats()
    /// JSON of versions already served (immutable).
    let encodedVersions = BoundedCache<String, Data>(limit: 20_000)

    public init(store: Store, region: String, credentials: Credentials, maintenance: MaintenanceSettings = MaintenanceSettings(), logger: Logger) {
        self.store = store
        self.maintenance = maintenance
        self.region = region
        self.logger = logger
        let secrets = credentials.secrets
        self.verifier = SigV4Verifier(region: region, secretForAccessKey: { secrets[$0] })
        self.roles = credentials.roles
    }

    /// Largest request header section accepted (S3 allows 8 KB of user metadata; signatures add little).
    static let maxHeaderBytes = 64 << 10

    /// Largest XML body accepted (DeleteObjects with 1000 long keys fits comfortably).
    static let maxXMLBody = 4 << 20

    public func handle(_ request: Request) async -> Response {
        let started = ContinuousClock.now
        let requestID = String(UInt64.random(in: 0...UInt64.max) | 1 << 63, radix: 16, uppercase: true)
        let rawPath = request.uri.path
        var response: Response
        do {
            response = try await route(request, requestID: requestID)
        } catch {
            let s3 = s3Error(error, requestID: requestID)
            if rawPath.hasPrefix("/api/v1/") {
                var missing: [String]?
                if case .missingChunks(let digests) = error as? StoreError { missing = digests }
                response = jsonErrorResponse(s3, missing: missing, head: request.method == .head)
            } else {
                response = errorResponse(s3, request: request, requestID: requestID)
            }
        }
        response.headers[.amzRequestID] = requestID
        response.headers[.server] = "Cairn"
        let elapsed = ContinuousClock.now - started
        let tenthsOfMs = elapsed.components.seconds * 10_000 + elapsed.components.attoseconds / 100_000_000_000_000
        logger.info("\(request.method.rawValue) \(rawPath) \(response.status.code) \(response.headers[.contentLength] ?? "-") \(tenthsOfMs / 10).\(tenthsOfMs % 10)ms", metadata: ["request-id": .string(requestID)])
        return response
    }

    private func route(_ request: Request, requestID: String) async throws -> Response {
        let rawPath = request.uri.path
        let rawQuery = request.uri.query ?? ""
        let headerBytes = request.headers.reduce(0) { $0 + $1.name.rawName.utf8.count + $1.value.utf8.count + 4 }
        guard headerBytes <= Self.maxHeaderBytes else {
            throw S3Error("RequestHeaderSectionTooLarge", .badRequest, "Your request header section exceeds the maximum allowed size.",
                          extra: [("MaxSizeAllowed", String(Self.maxHeaderBytes))])
        }
        let isAnonymous = request.headers[.authorization] == nil && !rawQuery.contains("X-Amz-Signature=")
        if isAnonymous && request.method == .get && (rawPath == "/healthz" || rawPath == "/readyz") {
            return Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "ok\n")))
        }
        if request.method == .get && rawPath == "/api/v1/openapi.json" {  // public, signed or not: it describes the API, no data
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
        }

        if rawPath.hasPrefix("/api/v1/") {
            return try await routeNative(request, requestID: requestID, path: rawPath.dropFirst(8))
        }

        // Path-style addressing: /bucket/key. The key is everything after the first '/', exactly.
        guard rawPath.hasPrefix("/") else { throw S3Error.invalidArgument("The request path must start with '/'.") }
        let path = rawPath.dropFirst()
        var bucket: String?, key: String?
        if !path.isEmpty {
            let slash = path.firstIndex(of: "/")
            guard let b = percentDecode(path[..<(slash ?? path.endIndex)]) else { throw S3Error("InvalidURI", .badRequest, "Couldn't parse the specified URI.") }
            bucket = b
            if let slash, path.index(after: slash) < path.endIndex {
                guard let k = percentDecode(path[path.index(after: slash)...]) else { throw S3Error("InvalidURI", .badRequest, "Couldn't parse the specified URI.") }
                key = k
            }
        }

        let auth = try authenticate(request)
        let role = try authorize(request, auth)
        let query = try Query(raw: rawQuery)
        let hasCopySource = request.headers[HTTPField.Name("x-amz-copy-source")!] != nil
        let endpoint = try Endpoint.parse(method: request.method.rawValue, bucket: bucket, key: key, query: query, hasCopySource: hasCopySource)
        if let bucket, endpoint != .listBuckets {
            if case .createBucket = endpoint { try validateBucketName(bucket) } else if (try? validateBucketName(bucket)) == nil {
                // An invalid name cannot exist: answer as S3 does for lookups.
                throw S3Error(StoreError.noSuchBucket(bucket))
            }
        }
        if let key { try validateKey(key) }
        let context = S3Context(request: request, requestID: requestID, endpoint: endpoint, query: query, auth: auth, role: role)
        return try await dispatch(context)
    }

    func authenticate(_ request: Request, bodySHA256: String? = nil) throws -> VerifiedRequest {
        var headers: [(name: String, value: String)] = request.headers.map { ($0.name.canonicalName, $0.value) }
        if let authority = request.head.authority { headers.append(("host", authority)) }
        let sigRequest = SigV4Request(method: request.method.rawValue, rawPath: request.uri.path, rawQuery: request.uri.query ?? "", headers: headers,
                                      bodySHA256: bodySHA256)
        return try verifier.verify(sigRequest, now: Date())
    }

    /// The key's role, once it is known to allow the request: a read-only key may only read. Finer rules
    /// (protected aliases need `admin`) are checked where they apply.
    func authorize(_ request: Request, _ auth: VerifiedRequest) throws -> KeyRole {
        let role = roles[auth.accessKeyID] ?? .admin
        guard role == .read else { return role }
        let method = request.method
        // Fetching chunks is a POST that only reads.
        if method == .get || method == .head || (method == .post && request.uri.path == "/api/v1/dedupe/chunks") { return role }
        throw S3Error("AccessDenied", .forbidden, "The key \(auth.accessKeyID) is read-only: it may fetch and query, not change anything.")
    }

    private func dispatch(_ c: S3Context) async throws -> Response {
        switch c.endpoint {
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
        case .uploadPart(_, _, let id, let n): return try await uploadPart(c, id, n)
        case .uploadPartCopy(_, _, let id, let n): return try await uploadPartCopy(c, id, n)
        case .completeMultipartUpload(let b, let k, let id): return try await completeMultipartUpload(c, b, k, id)
        case .abortMultipartUpload(_, _, let id): return try await abortMultipartUpload(id)
        case .listParts(let b, let k, let id): return try listParts(c, b, k, id)
        case .notImplemented(let what): throw S3Error.notImplemented(what)
        }
    }

    /// The S3 error code, status and message for any error a handler throws.
    private func s3Error(_ error: any Error, requestID: String) -> S3Error {
        let s3: S3Error
        switch error {
        case let e as S3Error: s3 = e
        case let e as StoreError: s3 = S3Error(e)
        case let e as SigV4Error: s3 = S3Error(e)
        case let e as AWSChunkedError: s3 = S3Error(e.code, .init(code: e.httpStatus), e.message)
        default:
            logger.error("internal error: \(error)", metadata: ["request-id": .string(requestID)])
            s3 = S3Error("InternalError", .internalServerError, "We encountered an internal error. Please try again.")
        }
        if s3.status.code >= 500 { logger.error("\(s3)", metadata: ["request-id": .string(requestID)]) }
        return s3
    }

    private func errorResponse(_ s3: S3Error, request: Request, requestID: String) -> Response {
        var headers: HTTPFields = [.contentType: "application/xml"]
        if request.method == .head || s3.status == .notModified {
            headers[.contentLength] = "0"
            return Response(status: s3.status, headers: headers, body: .init())
        }
        let resource = percentDecode(request.uri.path) ?? request.uri.path
        return Response(status: s3.status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: s3.xml(resource: resource, requestID: requestID))))
    }

    func xmlResponse(_ xml: String, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) -> Response {
        var headers: HTTPFields = [.contentType: "application/xml"]
        headers.append(contentsOf: extra)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: xml)))
    }

    func emptyResponse(_ status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) -> Response {
        var headers = extra
        headers[.contentLength] = "0"
        return Response(status: status, headers: headers, body: .init())
    }
}

extension S3Error {
    init(_ error: SigV4Error) {
        let status: HTTPResponse.Status
        switch error.code {
        case .accessDenied, .invalidAccessKeyId, .signatureDoesNotMatch, .requestTimeTooSkewed: status = .forbidden
        default: status = .badRequest
        }
        self.init(error.code.rawValue, status, error.message)
    }
}

let s3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/"

extension HTTPField.Name {
    static let amzRequestID = HTTPField.Name("x-amz-request-id")!
}

extension XMLWriter {
    /// An `Owner` or `Initiator` element: Cairn reports the access key as both ID and display name.
    mutating func principal(_ element: String, _ accessKeyID: String) {
        open(element)
        self.element("ID", accessKeyID)
        self.element("DisplayName", accessKeyID)
        close(element)
    }
}

import CairnCore
import CairnProtocol
import CairnStore
import HTTPTypes
import Logging

/// An error answer: code, HTTP status and message, plus the extra elements S3 adds for some codes
/// (`BucketName`, `Key`, `ArgumentName`, …). Every API throws these; the S3 API renders them as S3 error XML,
/// the JSON APIs as `{"error": {"code", "message"}}`. Codes follow S3's wherever S3 has one, in every API.
public struct ServiceError: Error, CustomStringConvertible {
    public var code: String
    public var status: HTTPResponse.Status
    public var message: String
    public var extra: [(String, String)] = []
    /// Headers the answer carries besides the error (a 304 or 412 has the object's `ETag` and `Last-Modified`).
    public var headers: HTTPFields = [:]

    public init(_ code: String, _ status: HTTPResponse.Status, _ message: String, extra: [(String, String)] = []) {
        self.code = code
        self.status = status
        self.message = message
        self.extra = extra
    }

    public var description: String { "\(code): \(message)" }

    public static func invalidArgument(_ message: String, name: String? = nil, value: String? = nil) -> ServiceError {
        var extra: [(String, String)] = []
        if let name { extra.append(("ArgumentName", name)) }
        if let value { extra.append(("ArgumentValue", value)) }
        return ServiceError("InvalidArgument", .badRequest, message, extra: extra)
    }
    public static func invalidRequest(_ message: String) -> ServiceError { ServiceError("InvalidRequest", .badRequest, message) }
    public static func invalidDigest(_ message: String = "The Content-MD5 or checksum value that you specified is not valid.") -> ServiceError {
        ServiceError("InvalidDigest", .badRequest, message)
    }
    public static func badDigest(_ message: String) -> ServiceError { ServiceError("BadDigest", .badRequest, message) }
    public static let incompleteBody = ServiceError("IncompleteBody", .badRequest, "You did not provide the number of bytes specified by the Content-Length HTTP header.")
    public static let invalidURI = ServiceError("InvalidURI", .badRequest, "Couldn't parse the specified URI.")
    public static func entityTooLarge(_ message: String) -> ServiceError { ServiceError("EntityTooLarge", .contentTooLarge, message) }
    public static func accessDenied(_ message: String) -> ServiceError { ServiceError("AccessDenied", .forbidden, message) }
    public static let methodNotAllowed = ServiceError("MethodNotAllowed", .methodNotAllowed, "The specified method is not allowed against this resource.")

    /// The answer for anything a handler throws; unexpected errors are logged and answered as InternalError,
    /// and every 5xx is logged.
    public init(answering error: any Error, logger: Logger, requestID: String) {
        switch error {
        case let e as ServiceError: self = e
        case let e as StoreError: self.init(e)
        case let e as SigV4Error: self.init(e)
        case let e as AWSChunkedError: self.init(e.code, .init(code: e.httpStatus), e.message)
        default:
            logger.error("internal error: \(error)", metadata: ["request-id": .string(requestID)])
            self.init("InternalError", .internalServerError, "We encountered an internal error. Please try again.")
        }
        if status.code >= 500 { logger.error("\(self)", metadata: ["request-id": .string(requestID)]) }
    }

    init(_ error: SigV4Error) {
        self.init(error.code.rawValue, .init(code: error.httpStatus), error.message)
    }

    /// Engine errors, as every API answers them.
    public init(_ error: StoreError) {
        switch error {
        case .noSuchBucket(let b): self.init("NoSuchBucket", .notFound, "The specified bucket does not exist", extra: [("BucketName", b)])
        case .bucketAlreadyOwnedByYou(let b):
            self.init("BucketAlreadyOwnedByYou", .conflict, "Your previous request to create the named bucket succeeded and you already own it.", extra: [("BucketName", b)])
        case .bucketNotEmpty(let b): self.init("BucketNotEmpty", .conflict, "The bucket you tried to delete is not empty", extra: [("BucketName", b)])
        case .noSuchKey(_, let k): self.init("NoSuchKey", .notFound, "The specified key does not exist.", extra: [("Key", k)])
        case .preconditionFailed: self.init("PreconditionFailed", .preconditionFailed, "At least one of the pre-conditions you specified did not hold", extra: [("Condition", "If-Match")])
        case .noSuchUpload(let id):
            self.init("NoSuchUpload", .notFound, "The specified multipart upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.", extra: [("UploadId", id)])
        case .invalidPart: self.init("InvalidPart", .badRequest, "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.")
        case .invalidPartOrder: self.init("InvalidPartOrder", .badRequest, "The list of parts was not in ascending order. Parts must be ordered by part number.")
        case .entityTooSmall: self.init("EntityTooSmall", .badRequest, "Your proposed upload is smaller than the minimum allowed object size.")
        case .invalidRequest(let why): self.init("InvalidRequest", .badRequest, why)
        case .corruptChunk, .missingChunk: self.init("InternalError", .internalServerError, "The object's stored data failed verification and cannot be served: \(error)")
        case .shuttingDown: self.init("ServiceUnavailable", .serviceUnavailable, "The server is shutting down. Please retry.")
        // S3 clients retry 503 SlowDown on their own.
        case .chunkCollected: self.init("SlowDown", .serviceUnavailable, "\(error.description)")
        case .maintenanceRunning: self.init("MaintenanceRunning", .conflict, error.description)
        case .noSuchSession: self.init("NoSuchSession", .notFound, error.description)
        case .missingChunks: self.init("MissingChunks", .conflict, error.description)
        case .badDigest(let why): self.init("BadDigest", .badRequest, why)
        case .registryConflict(let why): self.init("Conflict", .conflict, why)
        case .registryNotFound(let why): self.init("NotFound", .notFound, why)
        case .registryInvalid(let why): self.init("InvalidRequest", .badRequest, why)
        case .aliasProtected(let why): self.init("AliasProtected", .forbidden, why)
        }
    }
}

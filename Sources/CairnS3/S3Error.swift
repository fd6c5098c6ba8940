import CairnCore
import CairnStore
import HTTPTypes

/// An S3 error response: code, HTTP status and message, rendered as S3 error XML.
public struct S3Error: Error, CustomStringConvertible {
    public var code: String
    public var status: HTTPResponse.Status
    public var message: String
    /// Extra elements S3 includes for some errors (e.g. `BucketName`, `Key`, `ArgumentName`).
    public var extra: [(String, String)] = []

    public init(_ code: String, _ status: HTTPResponse.Status, _ message: String, extra: [(String, String)] = []) {
        self.code = code
        self.status = status
        self.message = message
        self.extra = extra
    }

    public var description: String { "\(code): \(message)" }

    func xml(resource: String, requestID: String) -> String {
        var w = XMLWriter()
        w.open("Error")
        w.element("Code", code)
        w.element("Message", message)
        for (name, value) in extra { w.element(name, value) }
        w.element("Resource", resource)
        w.element("RequestId", requestID)
        w.close("Error")
        return w.string
    }

    static func notImplemented(_ what: String) -> S3Error {
        S3Error("NotImplemented", .init(code: 501), "A header or query you provided implies functionality that is not implemented: \(what)")
    }
    static func invalidArgument(_ message: String, name: String? = nil, value: String? = nil) -> S3Error {
        var extra: [(String, String)] = []
        if let name { extra.append(("ArgumentName", name)) }
        if let value { extra.append(("ArgumentValue", value)) }
        return S3Error("InvalidArgument", .badRequest, message, extra: extra)
    }
    static func invalidRequest(_ message: String) -> S3Error { S3Error("InvalidRequest", .badRequest, message) }
    static let malformedXML = S3Error("MalformedXML", .badRequest, "The XML you provided was not well-formed or did not validate against our published schema.")
    static func invalidDigest(_ message: String = "The Content-MD5 or checksum value that you specified is not valid.") -> S3Error {
        S3Error("InvalidDigest", .badRequest, message)
    }
    static func badDigest(_ message: String) -> S3Error { S3Error("BadDigest", .badRequest, message) }
    static let incompleteBody = S3Error("IncompleteBody", .badRequest, "You did not provide the number of bytes specified by the Content-Length HTTP header.")
    static let methodNotAllowed = S3Error("MethodNotAllowed", .methodNotAllowed, "The specified method is not allowed against this resource.")
    static let notModified = S3Error("NotModified", .notModified, "Not Modified")
}

extension S3Error {
    /// Maps engine errors to S3 errors.
    init(_ error: StoreError) {
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

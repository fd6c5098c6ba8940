import Hummingbird
import HTTPTypes
import Logging
import NIOCore

/// One API served on the shared port: S3, or the JSON APIs under `/api/v1/`.
public protocol HTTPAPI: Sendable {
    /// True when the request is this API's.
    func handles(_ request: Request) -> Bool
    /// Answers a request (authentication included); throws to answer an error.
    func respond(to request: Request, requestID: String) async throws -> Response
    /// An error as this API answers it; `cause` is what was thrown.
    func errorResponse(_ error: ServiceError, cause: any Error, request: Request, requestID: String) -> Response
}

/// Dispatches each request to the first API that handles it (the last one takes the rest), and does
/// what every request shares: a request ID, the header size limit, the health endpoints, error answers,
/// the `Server` header and one log line.
public struct Responder: HTTPResponder {
    public typealias Context = BasicRequestContext
    let apis: [any HTTPAPI]
    let logger: Logger

    /// Largest request header section accepted (S3 allows 8 KB of user metadata; signatures add little).
    public static let maxHeaderBytes = 64 << 10

    public init(apis: [any HTTPAPI], logger: Logger) {
        precondition(!apis.isEmpty, "a server needs at least one API")
        self.apis = apis
        self.logger = logger
    }

    public func respond(to request: Request, context: Context) async throws -> Response {
        let started = ContinuousClock.now
        let requestID = String(UInt64.random(in: 0...UInt64.max) | 1 << 63, radix: 16, uppercase: true)
        let rawPath = request.uri.path
        let api = apis.first { $0.handles(request) } ?? apis[apis.count - 1]
        var response: Response
        do {
            response = try await answer(request, api: api, requestID: requestID)
        } catch {
            response = api.errorResponse(ServiceError(answering: error, logger: logger, requestID: requestID), cause: error,
                                         request: request, requestID: requestID)
        }
        response.headers[.amzRequestID] = requestID
        response.headers[.server] = "Cairn"
        let elapsed = ContinuousClock.now - started
        let tenthsOfMs = elapsed.components.seconds * 10_000 + elapsed.components.attoseconds / 100_000_000_000_000
        logger.info("\(request.method.rawValue) \(rawPath) \(response.status.code) \(response.headers[.contentLength] ?? "-") \(tenthsOfMs / 10).\(tenthsOfMs % 10)ms", metadata: ["request-id": .string(requestID)])
        return response
    }

    private func answer(_ request: Request, api: any HTTPAPI, requestID: String) async throws -> Response {
        let headerBytes = request.headers.reduce(0) { $0 + $1.name.rawName.utf8.count + $1.value.utf8.count + 4 }
        guard headerBytes <= Self.maxHeaderBytes else {
            throw ServiceError("RequestHeaderSectionTooLarge", .badRequest, "Your request header section exceeds the maximum allowed size.",
                            extra: [("MaxSizeAllowed", String(Self.maxHeaderBytes))])
        }
        let path = request.uri.path
        let isAnonymous = request.headers[.authorization] == nil && !(request.uri.query ?? "").contains("X-Amz-Signature=")
        if isAnonymous && request.method == .get && (path == "/healthz" || path == "/readyz") {
            return Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "ok\n")))
        }
        return try await api.respond(to: request, requestID: requestID)
    }
}

extension HTTPField.Name {
    public static let amzRequestID = HTTPField.Name("x-amz-request-id")!
}

extension Response {
    /// A response without a body (`Content-Length: 0`).
    public static func empty(_ status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) -> Response {
        var headers = extra
        headers[.contentLength] = "0"
        return Response(status: status, headers: headers, body: .init())
    }
}

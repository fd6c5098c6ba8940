import AsyncHTTPClient
import CairnCore
import CairnProtocol
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// Where the server is and who we are.
public struct ClientSettings: Sendable, Equatable {
    public var endpoint: URL
    public var accessKeyID: String
    public var secretAccessKey: String
    public var region: String

    public init(endpoint: URL, accessKeyID: String, secretAccessKey: String, region: String) {
        self.endpoint = endpoint
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.region = region
    }
}

/// Errors the CLI reports, each with a message a user can act on.
public enum ClientError: Error, CustomStringConvertible {
    case unreachable(String, String)
    case server(status: Int, code: String, message: String, missing: [String])
    case protocolError(String)
    case local(String)

    public var description: String {
        switch self {
        case .unreachable(let url, let why): return "cannot reach the Cairn server at \(url): \(why)"
        case .server(let status, let code, let message, _):
            switch code {
            case "InvalidAccessKeyId", "SignatureDoesNotMatch":
                return "the server refused the credentials (\(code)): \(message)"
            case "AccessDenied":
                return "access denied (AccessDenied): \(message == "403 Forbidden" ? "the server refused the credentials" : message)"
            case "NoSuchBucket": return "the bucket does not exist (NoSuchBucket): \(message)"
            default: return "the server answered \(status) \(code): \(message)"
            }
        case .protocolError(let why): return "unexpected answer from the server: \(why)"
        case .local(let why): return why
        }
    }
}

/// Bytes on the wire in both directions (HTTP bodies), for the transfer summary.
public final class WireCounters: Sendable {
    private let counts = Mutex((sent: 0, received: 0))
    public var sent: Int { counts.withLock { $0.sent } }
    public var received: Int { counts.withLock { $0.received } }
    func add(sent: Int = 0, received: Int = 0) { counts.withLock { $0.sent += sent; $0.received += received } }
}

/// A signed HTTP connection pool to one Cairn server.
public final class Connection: Sendable {
    public let settings: ClientSettings
    public let counters = WireCounters()
    private let http: HTTPClient
    private let host: String

    public init(settings: ClientSettings, connections: Int = 8) {
        self.settings = settings
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: connections)
        // The pool retries a refused connection until the connect timeout: keep it short enough that an
        // unreachable server is reported promptly.
        configuration.timeout = .init(connect: .seconds(3), read: .seconds(300))
        configuration.decompression = .disabled
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let u = settings.endpoint
        let defaultPort = u.scheme == "https" ? 443 : 80
        host = (u.host ?? "localhost") + (u.port.map { $0 == defaultPort ? "" : ":\($0)" } ?? "")
    }

    public func shutdown() async { try? await http.shutdown() }

    public struct Reply: Sendable {
        public var status: Int
        public var headers: HTTPHeaders
        public var body: [UInt8]
    }

    /// Sends a request and collects the answer; throws `ClientError.server` for 4xx/5xx answers.
    /// `path` is already percent-encoded. Bodies up to 1 MiB are signed; larger ones go as UNSIGNED-PAYLOAD
    /// (the chunk frames they carry are verified digest by digest on the server).
    public func send(_ method: HTTPMethod, _ path: String, query: String = "", body: [UInt8]? = nil, limit: Int = 1 << 30) async throws -> Reply {
        // 503 (SlowDown: garbage collection took a chunk this request relied on; shutting down) is retried,
        // as S3 clients do: every native API request is safe to repeat.
        var attempt = 0
        while true {
            do {
                return try await sendOnce(method, path, query: query, body: body, limit: limit)
            } catch ClientError.server(503, _, _, _) where attempt < 4 {
                attempt += 1
                try? await Task.sleep(for: .milliseconds(100 << attempt))
            }
        }
    }

    private func sendOnce(_ method: HTTPMethod, _ path: String, query: String, body: [UInt8]?, limit: Int) async throws -> Reply {
        let response = try await execute(method, path, query: query, body: body)
        var collected: [UInt8] = []
        do {
            for try await buffer in response.body {
                guard collected.count + buffer.readableBytes <= limit else { throw ClientError.protocolError("answer larger than \(limit) bytes") }
                collected.append(contentsOf: buffer.readableBytesView)
            }
        } catch let e as ClientError { throw e } catch {
            throw ClientError.unreachable(settings.endpoint.absoluteString, "the connection broke: \(error)")
        }
        counters.add(received: collected.count)
        let status = Int(response.status.code)
        if status >= 400 { throw Self.serverError(status: status, body: collected) }
        return Reply(status: status, headers: response.headers, body: collected)
    }

    /// Sends a request and returns the response for streaming its body (the caller counts received bytes
    /// with `countReceived`). Throws `ClientError.server` for error answers.
    public func stream(_ method: HTTPMethod, _ path: String, query: String = "", body: [UInt8]? = nil) async throws -> HTTPClientResponse {
        let response = try await execute(method, path, query: query, body: body)
        let status = Int(response.status.code)
        if status >= 400 {
            let bytes = try await response.body.collect(upTo: 1 << 20)
            throw Self.serverError(status: status, body: Array(bytes.readableBytesView))
        }
        return response
    }

    public func countReceived(_ n: Int) { counters.add(received: n) }

    private func execute(_ method: HTTPMethod, _ path: String, query: String, body: [UInt8]?) async throws -> HTTPClientResponse {
        let payload = body ?? []
        let payloadHash = payload.count <= 1 << 20 ? Hasher.digest(.sha256, payload).hex : PayloadMode.unsignedPayloadLiteral
        var headers: [(name: String, value: String)] = [("host", host)]
        if body != nil { headers.append(("content-length", String(payload.count))) }
        SigV4.sign(method: method.rawValue, rawPath: path, rawQuery: query, headers: &headers, payloadHash: payloadHash,
                   accessKeyID: settings.accessKeyID, secret: settings.secretAccessKey, region: settings.region, date: Date())
        let base = settings.endpoint.absoluteString.hasSuffix("/") ? String(settings.endpoint.absoluteString.dropLast()) : settings.endpoint.absoluteString
        var request = HTTPClientRequest(url: base + path + (query.isEmpty ? "" : "?" + query))
        request.method = method
        for (name, value) in headers where name != "content-length" { request.headers.add(name: name, value: value) }
        if let body {
            request.body = .bytes(ByteBuffer(bytes: body))
            counters.add(sent: body.count)
        }
        do {
            return try await http.execute(request, timeout: .seconds(600))
        } catch {
            throw ClientError.unreachable(settings.endpoint.absoluteString, Self.describe(error))
        }
    }

    private static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        if text.contains("connectTimeout") { return "connection timed out" }
        if text.contains("Connection refused") || text.contains("connectionRefused") || text.contains("ECONNREFUSED") { return "connection refused" }
        return text
    }

    static func serverError(status: Int, body: [UInt8]) -> ClientError {
        if let answer = try? WireJSON.decode(ErrorBody.self, from: Data(body)) {
            return .server(status: status, code: answer.error.code, message: answer.error.message, missing: answer.error.missing ?? [])
        }
        if body.isEmpty && status == 403 { return .server(status: status, code: "AccessDenied", message: "403 Forbidden", missing: []) }
        // An S3 XML error (the S3 API answered): pull out Code and Message.
        let text = String(decoding: body.prefix(4096), as: UTF8.self)
        func element(_ name: String) -> String? {
            guard let a = text.range(of: "<\(name)>"), let b = text.range(of: "</\(name)>", range: a.upperBound..<text.endIndex) else { return nil }
            return String(text[a.upperBound..<b.lowerBound])
        }
        return .server(status: status, code: element("Code") ?? "HTTP\(status)", message: element("Message") ?? text, missing: [])
    }
}

/// Percent-encodes one path segment (bucket names, keys keep their '/').
func encodePath(_ segment: String, keepSlash: Bool = false) -> String { URIEncoding.encode(segment, encodeSlash: !keepSlash) }

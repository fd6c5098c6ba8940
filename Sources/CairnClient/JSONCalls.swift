import CairnProtocol
import Foundation
import NIOHTTP1

/// JSON requests and answers of the API, typed with `CairnProtocol`'s wire types.
extension Connection {
    /// Sends `body` (if any) as JSON and decodes the answer as `T`.
    func json<T: Decodable>(_ type: T.Type, _ method: HTTPMethod, _ path: String, query: String = "",
                            body: (some Encodable & Sendable)? = Optional<Empty>.none) async throws -> T {
        let bytes = try body.map { Array(try WireJSON.encode($0)) }
        let reply = try await send(method, path, query: query, body: bytes)
        do { return try WireJSON.decode(T.self, from: Data(reply.body)) } catch {
            throw ClientError.protocolError("\(method) \(path): the answer is not the expected JSON (\(error))")
        }
    }

    /// A request whose answer has no body worth reading (204).
    func call(_ method: HTTPMethod, _ path: String, query: String = "") async throws {
        _ = try await send(method, path, query: query)
    }
}

/// No body.
struct Empty: Codable, Sendable {}

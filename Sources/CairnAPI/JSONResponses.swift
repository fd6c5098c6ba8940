import CairnHTTP
import CairnProtocol
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// How the JSON API writes answers and reads bodies.
extension APIService {
    func encoded<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> Response {
        jsonResponse((try? WireJSON.encode(value)) ?? Data("{}".utf8), status: status)
    }

    func jsonResponse(_ data: some Collection<UInt8>, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) -> Response {
        var headers: HTTPFields = [.contentType: "application/json", .contentLength: String(data.count)]
        headers.append(contentsOf: extra)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    func binary(_ bytes: [UInt8], headers extra: HTTPFields = [:]) -> Response {
        var headers: HTTPFields = [.contentType: "application/octet-stream", .contentLength: String(bytes.count)]
        headers.append(contentsOf: extra)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// A JSON body of type `T`, verified like every body (signature, checksums); InvalidRequest says what is wrong.
    func decodeBody<T: Decodable>(_ c: ServiceRequest) async throws -> T {
        let body = try await Payload.collect(c, limit: Self.maxJSONBody)
        do { return try WireJSON.decode(T.self, from: Data(body)) } catch let DecodingError.keyNotFound(key, _) {
            throw ServiceError.invalidRequest("Malformed JSON body: the field \(key.stringValue) is missing.")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            throw ServiceError.invalidRequest("Malformed JSON body: wrong type at \(context.codingPath.map(\.stringValue).joined(separator: ".")).")
        } catch {
            throw ServiceError.invalidRequest("Malformed JSON body.")
        }
    }
}

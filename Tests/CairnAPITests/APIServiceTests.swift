@testable import CairnAPI
import CairnCore
import CairnHTTP
import CairnProtocol
import CairnStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Testing

/// The JSON API called in process: a real store in a temporary directory, requests signed with SigV4 as
/// the CLI signs them, answers read from the response body.
@Suite struct APIServiceTests {
    static let key = "test-key", secret = "test-secret"

    /// A store and the API over it, removed when the test ends.
    final class Fixture {
        let directory: URL
        let store: Store
        let api: APIService

        init(roles: [String: KeyRole] = [:], extraKeys: [String: String] = [:]) throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-api-\(UUID().uuidString)")
            store = try Store.open(directory: directory)
            var secrets = extraKeys
            secrets[APIServiceTests.key] = APIServiceTests.secret
            let authenticator = Authenticator(region: "us-east-1", credentials: Credentials(secrets, roles: roles))
            api = APIService(store: store, authenticator: authenticator, logger: Logger(label: "test"))
        }

        deinit {
            store.close()
            try? FileManager.default.removeItem(at: directory)
        }

        /// Sends a request (signed unless `signed` is false) and returns the status and body.
        func send(_ method: HTTPRequest.Method, _ path: String, query: String = "", body: [UInt8] = [], signed: Bool = true,
                  key: String = APIServiceTests.key, secret: String = APIServiceTests.secret) async throws -> (HTTPResponse.Status, [UInt8]) {
            var headers: [(name: String, value: String)] = [("host", "127.0.0.1:9000")]
            if signed {
                SigV4.sign(method: method.rawValue, rawPath: path, rawQuery: query, headers: &headers,
                           payloadHash: Hasher.digest(.sha256, body).hex, accessKeyID: key, secret: secret, region: "us-east-1", date: Date())
            }
            var fields = HTTPFields()
            // As on the wire: HTTPTypes carries Host as the request's authority, not as a header field.
            for (name, value) in headers where name != "host" { fields.append(HTTPField(name: HTTPField.Name(name)!, value: value)) }
            let head = HTTPRequest(method: method, scheme: "http", authority: "127.0.0.1:9000",
                                   path: query.isEmpty ? path : path + "?" + query, headerFields: fields)
            let request = Request(head: head, body: RequestBody(buffer: ByteBuffer(bytes: body)))
            let response: Response
            do { response = try await api.respond(to: request, requestID: "test") } catch {
                let answer = ServiceError(answering: error, logger: Logger(label: "test"), requestID: "test")
                response = api.errorResponse(answer, cause: error, request: request, requestID: "test")
            }
            let collector = Collector()
            try await response.body.write(CollectingWriter(collector: collector))
            return (response.status, collector.bytes)
        }

        func json<T: Decodable>(_ type: T.Type, _ method: HTTPRequest.Method, _ path: String, query: String = "", body: [UInt8] = [],
                                status: HTTPResponse.Status = .ok) async throws -> T {
            let (got, bytes) = try await send(method, path, query: query, body: body)
            #expect(got == status, "\(method) \(path): \(String(decoding: bytes, as: UTF8.self))")
            return try WireJSON.decode(T.self, from: Data(bytes))
        }
    }

    final class Collector: @unchecked Sendable {  // written by one response body, read after it finished
        var bytes: [UInt8] = []
    }

    struct CollectingWriter: ResponseBodyWriter {
        let collector: Collector
        mutating func write(_ buffer: ByteBuffer) async throws { collector.bytes += buffer.readableBytesView }
        consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }

    // MARK: The route table

    /// A sample value for each path parameter, so that every template becomes a path that must route back to it.
    private static let samples = ["session": "00112233445566778899aabbccddeeff", "bucket": "data", "algorithm": "sha256",
                                  "hex": String(repeating: "ab", count: 32), "model": "team/fraud", "version": "3",
                                  "path": "weights/model.bin", "alias": "production", "digest": "md5:" + String(repeating: "0", count: 32)]

    @Test func everyRouteMatchesItsOwnTemplate() throws {
        #expect(APIRoute.allCases.count >= 30)
        for route in APIRoute.allCases {
            var segments: [String] = []
            var expected: [String: String] = [:]
            for part in route.template.dropFirst("/api/v1/".count).split(separator: "/") {
                if part.hasPrefix("{") {
                    let name = String(part.dropFirst().dropLast())
                    let value = try #require(Self.samples[name], "no sample for {\(name)}")
                    expected[name] = value
                    segments += value.split(separator: "/").map(String.init)
                } else {
                    segments.append(String(part))
                }
            }
            let match = APIRoute.match(method: route.method, segments: segments)
            #expect(match == APIRoute.Match(route: route, parameters: expected), "\(route.method) \(route.template)")
        }
    }

    @Test func templatesAreUnique() {
        let lines = APIRoute.allCases.map { "\($0.method.rawValue) \($0.template)" }
        #expect(Set(lines).count == lines.count)
    }

    @Test func openAPIDocumentIsPublicAndNamesExactlyTheRoutes() async throws {
        let fixture = try Fixture()
        let (status, body) = try await fixture.send(.get, "/api/v1/openapi.json", signed: false)
        #expect(status == .ok)
        #expect(body == PackageResources.openapi_json)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        let methods: Set<String> = ["get", "put", "post", "delete", "head", "patch"]
        let documented = Set(paths.flatMap { path, operations in operations.keys.filter(methods.contains).map { "\($0.uppercased()) \(path)" } })
        let routed = Set(APIRoute.allCases.map { "\($0.method.rawValue) \($0.template)" })
        #expect(documented == routed)
    }

    // MARK: Requests

    @Test func unsignedRequestsAreDeniedAsJSON() async throws {
        let fixture = try Fixture()
        let (status, body) = try await fixture.send(.get, "/api/v1/models", signed: false)
        #expect(status == .forbidden)
        #expect(try WireJSON.decode(ErrorBody.self, from: Data(body)).error.code == "AccessDenied")
    }

    @Test func unknownPathsAndMethods() async throws {
        let fixture = try Fixture()
        let (status, body) = try await fixture.send(.get, "/api/v1/nothing/here")
        #expect(status == .notFound)
        #expect(try WireJSON.decode(ErrorBody.self, from: Data(body)).error.message == "No such API endpoint: GET /api/v1/nothing/here")
        #expect(try await fixture.send(.put, "/api/v1/models").0 == .methodNotAllowed)
        // A model path names its model first: an unknown model answers before an unknown operation.
        let (unknown, answer) = try await fixture.send(.get, "/api/v1/models/absent/versions/1/nonsense")
        #expect(unknown == .notFound)
        #expect(try WireJSON.decode(ErrorBody.self, from: Data(answer)).error.code == "NoSuchModel")
        let (invalid, bad) = try await fixture.send(.get, "/api/v1/models/bad@name")
        #expect(invalid == .badRequest)
        #expect(try WireJSON.decode(ErrorBody.self, from: Data(bad)).error.code == "InvalidModelName")
    }

    @Test func modelsRoundTripAsWireTypes() async throws {
        let fixture = try Fixture()
        let request = CreateModelRequest(name: "team/fraud", description: "fraud scores", tags: ["task": "cls"])
        let created = try await fixture.json(ModelInfo.self, .post, "/api/v1/models", body: Array(try WireJSON.encode(request)), status: .created)
        #expect(created.name == "team/fraud" && created.tags == ["task": "cls"] && created.createdBy == Self.key && created.latestVersion == 0)
        let read = try await fixture.json(ModelInfo.self, .get, "/api/v1/models/team/fraud")
        #expect(read == created)
        let page = try await fixture.json(ModelPage.self, .get, "/api/v1/models", query: "prefix=team%2F")
        #expect(page.models == [created] && page.next == nil)
        let again = try await fixture.send(.post, "/api/v1/models", body: Array(try WireJSON.encode(request)))
        #expect(again.0 == .conflict)
    }

    @Test func readKeysReadButDoNotWrite() async throws {
        let fixture = try Fixture(roles: ["viewer": .read], extraKeys: ["viewer": "viewer-secret"])
        let body = Array(try WireJSON.encode(CreateModelRequest(name: "m")))
        let (status, answer) = try await fixture.send(.post, "/api/v1/models", body: body, key: "viewer", secret: "viewer-secret")
        #expect(status == .forbidden)
        #expect(try WireJSON.decode(ErrorBody.self, from: Data(answer)).error.code == "AccessDenied")
        #expect(try await fixture.send(.get, "/api/v1/models", key: "viewer", secret: "viewer-secret").0 == .ok)
        #expect(try fixture.store.model("m") == nil)
    }

    @Test func dedupeConfigurationDescribesTheChunker() async throws {
        let fixture = try Fixture()
        let configuration = try await fixture.json(DedupeConfiguration.self, .get, "/api/v1/dedupe")
        let p = fixture.store.chunkerParameters
        #expect(configuration.chunker == .init(minSize: p.minSize, avgSize: p.averageSize, maxSize: p.maxSize, normalization: p.normalization))
        #expect(configuration.version == 1 && configuration.maxBatchBytes == APIService.maxChunkBatchBytes)
    }
}

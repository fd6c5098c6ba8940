import CairnProtocol
import HTTPTypes
import Hummingbird

/// What one request carries once it is authenticated: the request, its ID, its decoded query, who signed
/// it and with which role.
public struct ServiceRequest: Sendable {
    public let request: Request
    public let requestID: String
    public let query: Query
    public let auth: VerifiedRequest
    public let role: KeyRole

    public var headers: HTTPFields { request.headers }
    public func header(_ name: String) -> String? { HTTPField.Name(name).flatMap { request.headers[$0] } }

    /// Throws AccessDenied unless the key is an admin key.
    public func requireAdmin(_ what: String) throws {
        guard role == .admin else {
            throw ServiceError.accessDenied("\(what) needs an admin key; \(auth.accessKeyID) is a \(role.rawValue) key.")
        }
    }
}

/// A percent-decoded query string. Value-less names (`?uploads`) map to "".
public struct Query: Sendable {
    public private(set) var items: [(name: String, value: String)] = []

    public init(raw: String) throws {
        guard !raw.isEmpty else { return }
        for part in raw.split(separator: "&", omittingEmptySubsequences: true) {
            let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = URIEncoding.decode(pieces[0], plusIsSpace: true),
                  let value = pieces.count > 1 ? URIEncoding.decode(pieces[1], plusIsSpace: true) : "" else {
                throw ServiceError.invalidArgument("The query string is not valid percent-encoded UTF-8.")
            }
            items.append((name, value))
        }
    }

    public var names: [String] { items.map(\.name) }
    public func has(_ name: String) -> Bool { items.contains { $0.name == name } }
    public subscript(_ name: String) -> String? { items.first { $0.name == name }?.value }
}

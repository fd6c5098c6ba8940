import CairnProtocol
import Foundation
import HTTPTypes
import Hummingbird

/// The prelude every API shares: SigV4 verification of the request, then the key's role.
public struct Authenticator: Sendable {
    let verifier: SigV4Verifier
    let roles: [String: KeyRole]

    public init(region: String, credentials: Credentials) {
        let secrets = credentials.secrets
        verifier = SigV4Verifier(region: region, secretForAccessKey: { secrets[$0] })
        roles = credentials.roles
    }

    /// Authenticates and authorizes `request`. `bodySHA256` stands in for a missing `x-amz-content-sha256`
    /// (the caller hashed the body); `readOnlyPost` says whether a POST only reads (fetching chunks).
    public func context(for request: Request, requestID: String, bodySHA256: String? = nil, readOnlyPost: Bool = false) throws -> ServiceRequest {
        let auth = try authenticate(request, bodySHA256: bodySHA256)
        let role = try authorize(request, auth, readOnlyPost: readOnlyPost)
        return ServiceRequest(request: request, requestID: requestID, query: try Query(raw: request.uri.query ?? ""), auth: auth, role: role)
    }

    func authenticate(_ request: Request, bodySHA256: String?) throws -> VerifiedRequest {
        var headers: [(name: String, value: String)] = request.headers.map { ($0.name.canonicalName, $0.value) }
        if let authority = request.head.authority { headers.append(("host", authority)) }
        let sigRequest = SigV4Request(method: request.method.rawValue, rawPath: request.uri.path, rawQuery: request.uri.query ?? "",
                                      headers: headers, bodySHA256: bodySHA256)
        return try verifier.verify(sigRequest, now: Date())
    }

    /// The key's role, once it is known to allow the request: a read-only key may only read. Finer rules
    /// (protected aliases need `admin`) are checked where they apply.
    func authorize(_ request: Request, _ auth: VerifiedRequest, readOnlyPost: Bool) throws -> KeyRole {
        let role = roles[auth.accessKeyID] ?? .admin
        guard role == .read else { return role }
        let method = request.method
        if method == .get || method == .head || (method == .post && readOnlyPost) { return role }
        throw ServiceError.accessDenied("The key \(auth.accessKeyID) is read-only: it may fetch and query, not change anything.")
    }
}

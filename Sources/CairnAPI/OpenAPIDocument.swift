import Hummingbird
import NIOCore

/// The OpenAPI 3.1 description of this API: `openapi.json` beside this file (the source of truth),
/// embedded at build time and served at `GET /api/v1/openapi.json`. Tests/integration/test_openapi.py keeps
/// it true: it checks the document against the server and against `APIRoute`'s table.
extension APIService {
    func openAPIResponse() -> Response {
        jsonResponse(PackageResources.openapi_json)
    }
}

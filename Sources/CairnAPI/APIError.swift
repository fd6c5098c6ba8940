import CairnHTTP
import Hummingbird

/// The errors only the JSON API answers (the shared ones are on `ServiceError`).
enum APIError {
    static func noSuchEndpoint(_ request: Request) -> ServiceError {
        ServiceError("NotFound", .notFound, "No such API endpoint: \(request.method.rawValue) \(request.uri.path)")
    }
    static func invalidModelName(_ name: String) -> ServiceError {
        ServiceError("InvalidModelName", .badRequest, "Invalid model name \(name.debugDescription): lowercase letters, digits, '-', '_', '.' and '/' between segments.")
    }
    static func noSuchModel(_ name: String) -> ServiceError { ServiceError("NoSuchModel", .notFound, "Model \(name) does not exist.") }
    static func noSuchAlias(_ model: String, _ alias: String) -> ServiceError {
        ServiceError("NoSuchAlias", .notFound, "Alias \(alias) of \(model) does not exist.")
    }
}

import CairnHTTP
import HTTPTypes

/// The errors only S3 operations answer, and S3's error document. Errors every API shares (store
/// errors, payload checks, names) are on `ServiceError`.
enum S3Error {
    static func notImplemented(_ what: String) -> ServiceError {
        ServiceError("NotImplemented", .init(code: 501), "A header or query you provided implies functionality that is not implemented: \(what)")
    }
    static let malformedXML = ServiceError("MalformedXML", .badRequest, "The XML you provided was not well-formed or did not validate against our published schema.")
    static let notModified = ServiceError("NotModified", .notModified, "Not Modified")

    /// `<Error><Code>…</Code><Message>…</Message>…<Resource>…</Resource><RequestId>…</RequestId></Error>`.
    static func xml(_ error: ServiceError, resource: String, requestID: String) -> String {
        var w = XMLWriter()
        w.open("Error")
        w.element("Code", error.code)
        w.element("Message", error.message)
        for (name, value) in error.extra { w.element(name, value) }
        w.element("Resource", resource)
        w.element("RequestId", requestID)
        w.close("Error")
        return w.string
    }
}

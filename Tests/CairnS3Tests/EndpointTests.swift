@testable import CairnS3
import CairnHTTP
import Testing

@Suite struct EndpointTests {
    @Test func endpoints() throws {
        func parse(_ method: String, _ bucket: String?, _ key: String?, _ query: String, copy: Bool = false) throws -> Endpoint {
            try Endpoint.parse(method: method, bucket: bucket, key: key, query: try Query(raw: query), hasCopySource: copy)
        }
        #expect(try parse("GET", nil, nil, "") == .listBuckets)
        #expect(try parse("GET", "b", nil, "list-type=2&prefix=a") == .listObjectsV2(bucket: "b"))
        #expect(try parse("GET", "b", nil, "location") == .getBucketLocation(bucket: "b"))
        #expect(try parse("POST", "b", nil, "delete") == .deleteObjects(bucket: "b"))
        #expect(try parse("PUT", "b", "k", "partNumber=3&uploadId=u") == .uploadPart(bucket: "b", key: "k", uploadID: "u", partNumber: 3))
        #expect(try parse("PUT", "b", "k", "partNumber=3&uploadId=u", copy: true) == .uploadPartCopy(bucket: "b", key: "k", uploadID: "u", partNumber: 3))
        #expect(try parse("PUT", "b", "k", "", copy: true) == .copyObject(bucket: "b", key: "k"))
        #expect(try parse("POST", "b", "k", "uploads") == .createMultipartUpload(bucket: "b", key: "k"))
        #expect(try parse("GET", "b", "k", "x-id=GetObject") == .getObject(bucket: "b", key: "k"))
        if case .notImplemented = try parse("PUT", "b", "k", "tagging") {} else { Issue.record("tagging should be 501") }
        if case .notImplemented = try parse("GET", "b", nil, "acl") {} else { Issue.record("acl should be 501") }
        #expect(throws: ServiceError.self) { try parse("PUT", "b", "k", "partNumber=0&uploadId=u") }
    }
}

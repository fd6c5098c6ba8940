import CairnHTTP
import HTTPTypes
import Hummingbird
import NIOCore
import Testing

@Suite struct VirtualHostsTests {
    private func request(host: String) -> Request {
        Request(head: HTTPRequest(method: .get, scheme: "http", authority: host, path: "/key"), body: RequestBody(buffer: ByteBuffer()))
    }

    @Test func bucketsComeFromSubdomainsOfTheDomains() {
        let hosts = VirtualHosts(["s3.example.test", "Storage.Local."])
        #expect(hosts.bucket(in: request(host: "models.s3.example.test")) == "models")
        #expect(hosts.bucket(in: request(host: "models.s3.example.test:9000")) == "models")
        #expect(hosts.bucket(in: request(host: "my.dotted.bucket.s3.example.test")) == "my.dotted.bucket")
        #expect(hosts.bucket(in: request(host: "DATA.storage.local")) == "data")
        #expect(hosts.bucket(in: request(host: "s3.example.test:9000")) == nil, "the domain itself is path-style")
        #expect(hosts.bucket(in: request(host: "127.0.0.1:9000")) == nil)
        #expect(hosts.bucket(in: request(host: "evils3.example.test")) == nil)
        #expect(VirtualHosts([]).bucket(in: request(host: "models.s3.example.test")) == nil)
    }
}

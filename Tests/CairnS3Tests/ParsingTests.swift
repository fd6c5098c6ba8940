@testable import CairnS3
import Foundation
import Testing

@Suite struct ParsingTests {
    @Test func bucketNames() throws {
        for good in ["abc", "my-bucket.data", "a1b", String(repeating: "a", count: 63)] {
            #expect(throws: Never.self) { try validateBucketName(good) }
        }
        for bad in ["ab", String(repeating: "a", count: 64), "Abc", "-abc", "abc-", "a..b", "a.-b", "192.168.1.1", "a_b", "a b", "ab/"] {
            #expect(throws: S3Error.self, "\(bad)") { try validateBucketName(bad) }
        }
    }

    @Test func objectKeys() throws {
        for good in ["a", "dir/", "a/b/c.txt", "files/md5/ab/cdef", "ünïcödé/🙂", "a..b", ".hidden", String(repeating: "k", count: 1024)] {
            #expect(throws: Never.self) { try validateKey(good) }
        }
        let cases: [(String, String)] = [
            ("", "InvalidArgument"), ("a\u{0}b", "InvalidArgument"), ("a/../b", "InvalidArgument"), ("..", "InvalidArgument"),
            ("./a", "InvalidArgument"), ("a//b", "InvalidArgument"), ("/a", "InvalidArgument"),
            (String(repeating: "k", count: 1025), "KeyTooLongError"), ("a\nb", "InvalidArgument"),
        ]
        for (key, code) in cases {
            do {
                try validateKey(key)
                Issue.record("accepted \(key.debugDescription)")
            } catch let e as S3Error {
                #expect(e.code == code, "\(key.debugDescription)")
            }
        }
    }

    @Test func ranges() throws {
        #expect(try parseRange("bytes=0-9", size: 100) == 0..<10)
        #expect(try parseRange("bytes=90-", size: 100) == 90..<100)
        #expect(try parseRange("bytes=-10", size: 100) == 90..<100)
        #expect(try parseRange("bytes=-1000", size: 100) == 0..<100)
        #expect(try parseRange("bytes=50-1000", size: 100) == 50..<100)
        #expect(try parseRange("bytes=0-1,5-6", size: 100) == nil)
        #expect(try parseRange("items=0-1", size: 100) == nil)
        #expect(try parseRange("bytes=5-1", size: 100) == nil)
        #expect(throws: S3Error.self) { try parseRange("bytes=100-", size: 100) }
        #expect(throws: S3Error.self) { try parseRange("bytes=-5", size: 0) }
    }

    @Test func percentDecoding() {
        #expect(percentDecode("a%20b%2Fc") == "a b/c")
        #expect(percentDecode("a+b", plusIsSpace: true) == "a b")
        #expect(percentDecode("a+b") == "a+b")
        #expect(percentDecode("%E2%9C%93") == "✓")
        #expect(percentDecode("%ZZ") == nil)
        #expect(percentDecode("%C3") == nil, "truncated UTF-8 is rejected")
        #expect(urlEncode("a b/ü") == "a%20b/%C3%BC")
    }

    @Test func httpDates() {
        let date = Date(timeIntervalSince1970: 784_111_777)
        #expect(HTTPDate.format(date) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT") == date)
        #expect(HTTPDate.parse("not a date") == nil)
        #expect(HTTPDate.iso8601(Date(timeIntervalSince1970: 1_255_369_830.5)) == "2009-10-12T17:50:30.500Z")
    }

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
        #expect(throws: S3Error.self) { try parse("PUT", "b", "k", "partNumber=0&uploadId=u") }
    }
}

@Suite struct KeysFileTests {
    @Test func rolesDefaultToAdmin() throws {
        let keys = try Credentials.parseKeysFile("""
            # operators
            root  s3cr3t
            ci\tci-secret write

            viewer viewer-secret read
            """)
        #expect(keys == [.init(id: "root", secret: "s3cr3t", role: .admin), .init(id: "ci", secret: "ci-secret", role: .write),
                         .init(id: "viewer", secret: "viewer-secret", role: .read)])
    }

    @Test func badLinesNameTheirLine() {
        #expect(throws: Credentials.KeysFileError(line: 2, message: "the role is read, write or admin, not owner")) {
            try Credentials.parseKeysFile("a b\nc d owner\n")
        }
        #expect(throws: Credentials.KeysFileError.self) { try Credentials.parseKeysFile("only-one-field\n") }
    }
}

@Suite struct RegistryDateTests {
    @Test func millisecondTimestampsRoundTrip() {
        #expect(formatISO8601Milliseconds(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
        #expect(formatISO8601Milliseconds(Date(timeIntervalSince1970: 1_795_749_860.2289)) == "2026-11-27T03:24:20.228Z")
        #expect(formatISO8601Milliseconds(Date(timeIntervalSince1970: -0.5)) == "1969-12-31T23:59:59.500Z")
        let date = Date(timeIntervalSince1970: 1_700_000_000.123)
        #expect(parseISO8601(formatISO8601Milliseconds(date)).map { abs($0.timeIntervalSince(date)) < 0.001 } == true)
    }
}

@Suite struct JSONWriterTests {
    @Test func writesWhatJSONSerializationReadsBack() throws {
        var w = JSONWriter()
        w.open("{")
        w.field("a", "quote \" backslash \\ newline \n tab \t bell \u{7} ünïcødé 🙂")
        w.field("n", UInt64.max)
        w.field("neg", -5)
        w.field("absent", nil as String?)
        w.key("list")
        w.open("[")
        w.open("{"); w.field("x", true); w.close("}")
        w.open("{"); w.close("}")
        w.open("["); w.close("]")
        w.close("]")
        w.field("z", false)
        w.close("}")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(w.bytes)) as? [String: Any])
        #expect(object["a"] as? String == "quote \" backslash \\ newline \n tab \t bell \u{7} ünïcødé 🙂")
        #expect((object["n"] as? NSNumber)?.uint64Value == UInt64.max)
        #expect(object["neg"] as? Int == -5 && object["absent"] == nil && object["z"] as? Bool == false)
        let list = try #require(object["list"] as? [Any])
        #expect(list.count == 3 && (list[0] as? [String: Any])?["x"] as? Bool == true)
    }
}

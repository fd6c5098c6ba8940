@testable import CairnHTTP
import Testing

@Suite struct NamesAndRangesTests {
    @Test func bucketNames() throws {
        for good in ["abc", "my-bucket.data", "a1b", String(repeating: "a", count: 63)] {
            #expect(throws: Never.self) { try validateBucketName(good) }
        }
        for bad in ["ab", String(repeating: "a", count: 64), "Abc", "-abc", "abc-", "a..b", "a.-b", "192.168.1.1", "a_b", "a b", "ab/"] {
            #expect(throws: ServiceError.self, "\(bad)") { try validateBucketName(bad) }
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
            } catch let e as ServiceError {
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
        #expect(throws: ServiceError.self) { try parseRange("bytes=100-", size: 100) }
        #expect(throws: ServiceError.self) { try parseRange("bytes=-5", size: 0) }
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

import CairnCore
import CairnProtocol
import Foundation

extension Store {
    // MARK: Buckets

    public func createBucket(_ name: String) async throws {
        let db = self.db
        try await committer.write { txn in
            let record = BucketRecord(name: name, created: Date())
            guard try txn.put(db.buckets, Array(name.utf8), record.encode(), onlyIfAbsent: true) else {
                throw StoreError.bucketAlreadyOwnedByYou(name)
            }
        }
    }

    public func deleteBucket(_ name: String) async throws {
        let db = self.db
        try await committer.write { txn in
            guard try txn.contains(db.buckets, Array(name.utf8)) else { throw StoreError.noSuchBucket(name) }
            var empty = true
            let prefix = Keys.object(name, "")
            try txn.scan(db.objects, from: prefix) { key, _ in
                empty = !key.starts(with: prefix)
                return false
            }
            guard empty else { throw StoreError.bucketNotEmpty(name) }
            // Open multipart uploads die with their bucket.
            var uploads: [String] = []
            try txn.scan(db.uploads, from: []) { key, value in
                let id = String(decoding: key, as: UTF8.self)
                if let u = try? UploadRecord.decode(id: id, Array(value)), u.bucket == name { uploads.append(id) }
                return true
            }
            for id in uploads { try self.deleteUpload(txn, id) }
            try txn.delete(db.buckets, Array(name.utf8))
        }
    }

    public func bucket(_ name: String) throws -> BucketRecord? {
        try environment.read { txn in try txn.get(db.buckets, Array(name.utf8)).map { try BucketRecord.decode(name: name, $0) } }
    }

    public func listBuckets() throws -> [BucketRecord] {
        try environment.read { txn in
            var result: [BucketRecord] = []
            try txn.scan(db.buckets, from: []) { key, value in
                result.append(try BucketRecord.decode(name: String(decoding: key, as: UTF8.self), Array(value)))
                return true
            }
            return result
        }
    }
}

import CairnCore
import CairnProtocol
import Foundation

extension Store {
    public struct Listing: Sendable {
        public var objects: [(key: String, record: ObjectRecord)] = []
        public var commonPrefixes: [String] = []
        public var isTruncated = false
        /// The last key or common prefix returned: where the next page starts after.
        public var last: String?

        public init() {}
    }

    /// Lists keys in UTF-8 byte order after `startAfter`, rolling keys up to the first `delimiter`
    /// after `prefix` into common prefixes. Whole subtrees under a common prefix are skipped with one seek.
    public func list(bucket: String, prefix: String, delimiter: String?, startAfter: String?, maxKeys: Int) throws -> Listing {
        let bucketPrefix = Keys.object(bucket, "")
        var walk = ListingWalk(prefix: Array(prefix.utf8), delimiter: delimiter.flatMap { $0.isEmpty ? nil : Array($0.utf8) },
                               after: startAfter.map { Array($0.utf8) }, maxKeys: maxKeys)
        var seek = bucketPrefix + walk.prefix.prefix(Keys.directKeyLimit)
        if let after = walk.after, walk.prefix.lexicographicallyPrecedes(after) { seek = bucketPrefix + after.prefix(Keys.directKeyLimit) }
        try environment.read { txn in
            guard try txn.contains(db.buckets, Array(bucket.utf8)) else { throw StoreError.noSuchBucket(bucket) }
            while let next = try scanRun(txn, from: seek, bucketPrefix: bucketPrefix, &walk) { seek = next }
        }
        return walk.listing
    }

    /// Visits index keys from `seek` until the walk stops (nil), skips a common prefix or passes a group of
    /// long keys (the index key to continue from).
    private func scanRun(_ txn: Transaction, from seek: [UInt8], bucketPrefix: [UInt8], _ walk: inout ListingWalk) throws -> [UInt8]? {
        let limit = Keys.directKeyLimit
        /// Past every index key that starts with `bytes` (0xFF never occurs in UTF-8; 34 of them pass a hash too).
        func beyond(_ bytes: [UInt8]) -> [UInt8] { bucketPrefix + bytes.prefix(limit) + [UInt8](repeating: 0xff, count: 34) }
        var next: [UInt8]?
        var longKeyGroup: [UInt8]?
        try txn.scan(db.objects, from: seek) { rawKey, value in
            guard rawKey.starts(with: bucketPrefix) else { return false }
            let indexKey = Array(rawKey[bucketPrefix.count...])
            if indexKey.count > limit && indexKey[limit] == 0xff {
                longKeyGroup = Array(indexKey[..<limit])
                return false
            }
            switch try walk.visit(indexKey, Array(value)) {
            case .next: return true
            case .stop: return false
            case .skip(let cp): next = beyond(cp); return false
            }
        }
        guard let shared = longKeyGroup else { return next }
        return try visitLongKeys(txn, sharing: shared, bucketPrefix: bucketPrefix, &walk) ? beyond(shared) : nil
    }

    /// Long keys sharing their first 400 bytes sort by hash in the index: reads the group, sorts it and visits
    /// it in key order. False when the walk stopped.
    private func visitLongKeys(_ txn: Transaction, sharing shared: [UInt8], bucketPrefix: [UInt8], _ walk: inout ListingWalk) throws -> Bool {
        let groupStart = bucketPrefix + shared + [0xff]
        var group: [(key: [UInt8], value: [UInt8])] = []
        try txn.scan(db.objects, from: groupStart) { rawKey, value in
            guard rawKey.starts(with: groupStart) else { return false }
            let v = Array(value)
            group.append((Array(try ObjectRecord.decode(v).key.utf8), v))
            return true
        }
        var skipping: [UInt8]?
        for entry in group.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            if let cp = skipping, entry.key.starts(with: cp) { continue }
            skipping = nil
            switch try walk.visit(entry.key, entry.value) {
            case .next: break
            case .stop: return false
            case .skip(let cp): skipping = cp
            }
        }
        return true
    }
}

/// One listing's rules and progress: applies prefix, start-after, delimiter and max-keys to keys in order.
private struct ListingWalk {
    let prefix: [UInt8]
    let delimiter: [UInt8]?
    let after: [UInt8]?
    let maxKeys: Int
    var listing = Store.Listing()
    var count = 0

    enum Step { case next, stop, skip(commonPrefix: [UInt8]) }

    mutating func visit(_ key: [UInt8], _ value: [UInt8]) throws -> Step {
        guard key.starts(with: prefix) else { return prefix.lexicographicallyPrecedes(key) ? .stop : .next }
        if let after, !after.lexicographicallyPrecedes(key) { return .next }
        var commonPrefix: [UInt8]?
        if let d = delimiter, let r = firstRange(of: d, in: key, from: prefix.count) {
            commonPrefix = Array(key[..<r.upperBound])
        }
        if let cp = commonPrefix, let after, after.starts(with: cp) {
            return .skip(commonPrefix: cp)  // a page ended at or inside this common prefix
        }
        if count == maxKeys {
            listing.isTruncated = true
            return .stop
        }
        count += 1
        if let cp = commonPrefix {
            let s = String(decoding: cp, as: UTF8.self)
            listing.commonPrefixes.append(s)
            listing.last = s
            return .skip(commonPrefix: cp)
        }
        let record = try ObjectRecord.decode(value)
        listing.objects.append((record.key, record))
        listing.last = record.key
        return .next
    }
}

private func firstRange(of needle: [UInt8], in haystack: [UInt8], from start: Int) -> Range<Int>? {
    guard !needle.isEmpty, haystack.count >= needle.count else { return nil }
    var i = start
    while i + needle.count <= haystack.count {
        if haystack[i] == needle[0] && haystack[i..<i + needle.count].elementsEqual(needle) { return i..<i + needle.count }
        i += 1
    }
    return nil
}

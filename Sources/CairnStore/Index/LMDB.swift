import CLMDB
import Foundation

/// An LMDB error: the return code and what we were doing.
public struct LMDBError: Error, CustomStringConvertible {
    public let code: Int32
    public let operation: String
    public var description: String { "LMDB \(operation): \(String(cString: mdb_strerror(code))) (\(code))" }
}

@inline(__always)
func check(_ rc: Int32, _ operation: @autoclosure () -> String) throws {
    if rc != 0 { throw LMDBError(code: rc, operation: operation()) }
}

/// A handle to a named LMDB database inside an environment.
public struct Database: Sendable, Hashable {
    let dbi: MDB_dbi
}

/// An LMDB environment opened with `MDB_NOTLS` so that read transactions are not bound to a thread.
///
/// Every transaction is a synchronous closure: LMDB binds write transactions to the OS thread that began them,
/// so no `await` may happen inside one. Writers are serialised by `GroupCommitter`, which runs on its own thread.
final class Environment: @unchecked Sendable {  // LMDB environments are thread safe; transactions are not shared.
    let env: OpaquePointer
    /// Sees every put of every write transaction (the garbage collector's view of writes during a run).
    let journal = WriteJournal()

    init(directory: String, mapSize: Int, maxDatabases: UInt32) throws {
        var env: OpaquePointer?
        try check(mdb_env_create(&env), "env_create")
        guard let env else { throw LMDBError(code: -1, operation: "env_create") }
        self.env = env
        do {
            try check(mdb_env_set_maxdbs(env, maxDatabases), "set_maxdbs")
            try check(mdb_env_set_mapsize(env, mapSize), "set_mapsize")
            try check(mdb_env_set_maxreaders(env, 512), "set_maxreaders")
            try check(mdb_env_open(env, directory, UInt32(MDB_NOTLS), 0o644), "env_open \(directory)")
        } catch {
            mdb_env_close(env)
            throw error
        }
    }

    deinit { mdb_env_close(env) }

    /// Opens (creating if needed) a named database. Must run before concurrent use.
    func open(_ name: String) throws -> Database {
        var txn: OpaquePointer?
        try check(mdb_txn_begin(env, nil, 0, &txn), "txn_begin")
        var dbi: MDB_dbi = 0
        let rc = mdb_dbi_open(txn, name, UInt32(MDB_CREATE), &dbi)
        if rc != 0 {
            mdb_txn_abort(txn)
            throw LMDBError(code: rc, operation: "dbi_open \(name)")
        }
        try check(mdb_txn_commit(txn), "commit dbi_open")
        return Database(dbi: dbi)
    }

    /// Runs `body` in a read-only transaction.
    func read<T>(_ body: (Transaction) throws -> T) throws -> T {
        var txn: OpaquePointer?
        try check(mdb_txn_begin(env, nil, UInt32(MDB_RDONLY), &txn), "read txn_begin")
        defer { mdb_txn_abort(txn) }
        return try body(Transaction(txn: txn!, journal: nil))
    }

    /// Runs `body` in a write transaction and commits it; aborts when `body` throws.
    /// Blocks on LMDB's writer lock: call only from a thread that may block (the committer thread, tools, tests).
    func write<T>(_ body: (Transaction) throws -> T) throws -> T {
        var txn: OpaquePointer?
        try check(mdb_txn_begin(env, nil, 0, &txn), "write txn_begin")
        let result: T
        do {
            result = try body(Transaction(txn: txn!, journal: journal))
        } catch {
            mdb_txn_abort(txn)
            throw error
        }
        // mdb_txn_commit frees the transaction even when it fails: never abort after it.
        try check(mdb_txn_commit(txn), "commit")
        return result
    }

    func sync() throws { try check(mdb_env_sync(env, 1), "env_sync") }
}

/// A transaction handle, valid only inside the closure that received it.
struct Transaction {
    let txn: OpaquePointer
    /// Set for write transactions.
    var journal: WriteJournal?

    func get(_ db: Database, _ key: [UInt8]) throws -> [UInt8]? {
        try key.withUnsafeBytes { kp in
            var k = MDB_val(mv_size: kp.count, mv_data: UnsafeMutableRawPointer(mutating: kp.baseAddress))
            var v = MDB_val()
            let rc = mdb_get(txn, db.dbi, &k, &v)
            if rc == MDB_NOTFOUND { return nil }
            try check(rc, "get")
            return Array(UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size))
        }
    }

    func contains(_ db: Database, _ key: [UInt8]) throws -> Bool {
        try key.withUnsafeBytes { kp in
            var k = MDB_val(mv_size: kp.count, mv_data: UnsafeMutableRawPointer(mutating: kp.baseAddress))
            var v = MDB_val()
            let rc = mdb_get(txn, db.dbi, &k, &v)
            if rc == MDB_NOTFOUND { return false }
            try check(rc, "get")
            return true
        }
    }

    /// Stores `value` under `key`. With `onlyIfAbsent`, returns false (and changes nothing) when the key exists.
    @discardableResult
    func put(_ db: Database, _ key: [UInt8], _ value: [UInt8], onlyIfAbsent: Bool = false) throws -> Bool {
        journal?.record(db, key, value)
        return try key.withUnsafeBytes { kp in
            try value.withUnsafeBytes { vp in
                var k = MDB_val(mv_size: kp.count, mv_data: UnsafeMutableRawPointer(mutating: kp.baseAddress))
                var v = MDB_val(mv_size: vp.count, mv_data: UnsafeMutableRawPointer(mutating: vp.baseAddress))
                let rc = mdb_put(txn, db.dbi, &k, &v, onlyIfAbsent ? UInt32(MDB_NOOVERWRITE) : 0)
                if rc == MDB_KEYEXIST { return false }
                try check(rc, "put")
                return true
            }
        }
    }

    /// Deletes `key`; returns false when it was absent.
    @discardableResult
    func delete(_ db: Database, _ key: [UInt8]) throws -> Bool {
        try key.withUnsafeBytes { kp in
            var k = MDB_val(mv_size: kp.count, mv_data: UnsafeMutableRawPointer(mutating: kp.baseAddress))
            let rc = mdb_del(txn, db.dbi, &k, nil)
            if rc == MDB_NOTFOUND { return false }
            try check(rc, "del")
            return true
        }
    }

    /// Visits entries in key order starting at the first key >= `start`, until `visit` returns false.
    /// The key and value buffers are valid only during the call.
    func scan(_ db: Database, from start: [UInt8], _ visit: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Bool) throws {
        var cursor: OpaquePointer?
        try check(mdb_cursor_open(txn, db.dbi, &cursor), "cursor_open")
        defer { mdb_cursor_close(cursor) }
        var k = MDB_val(), v = MDB_val()
        var rc: Int32 = start.withUnsafeBytes { sp in
            k = MDB_val(mv_size: sp.count, mv_data: UnsafeMutableRawPointer(mutating: sp.baseAddress))
            return start.isEmpty ? mdb_cursor_get(cursor, &k, &v, MDB_FIRST) : mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE)
        }
        while rc == 0 {
            let key = UnsafeRawBufferPointer(start: k.mv_data, count: k.mv_size)
            let value = UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size)
            if try !visit(key, value) { return }
            rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)
        }
        if rc != MDB_NOTFOUND { try check(rc, "cursor_get") }
    }

    /// Number of entries in `db`.
    func count(_ db: Database) throws -> Int {
        var stat = MDB_stat()
        try check(mdb_stat(txn, db.dbi, &stat), "stat")
        return stat.ms_entries
    }

    /// Runs `body` in a nested transaction: its changes are undone if it throws, the parent's are kept.
    func nested<T>(_ body: (Transaction) throws -> T) throws -> T {
        var child: OpaquePointer?
        try check(mdb_txn_begin(mdb_txn_env(txn), txn, 0, &child), "nested txn_begin")
        let result: T
        do {
            result = try body(Transaction(txn: child!, journal: journal))
        } catch {
            mdb_txn_abort(child)
            throw error
        }
        try check(mdb_txn_commit(child), "nested commit")
        return result
    }
}

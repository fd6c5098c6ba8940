import Synchronization

/// A thread-safe dictionary that forgets everything when it reaches `limit` entries (for immutable values,
/// where a miss only costs a lookup).
public final class BoundedCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let values = Mutex<[Key: Value]>([:])
    private let limit: Int

    public init(limit: Int) { self.limit = limit }

    public subscript(key: Key) -> Value? {
        get { values.withLock { $0[key] } }
        set {
            values.withLock { values in
                if values.count >= limit { values.removeAll(keepingCapacity: true) }
                values[key] = newValue
            }
        }
    }
}

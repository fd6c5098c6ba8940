import Synchronization

/// Records puts to the watched databases while active. The garbage collector activates it from the
/// writer thread before taking its snapshot, so every write that snapshot misses is in here; a put that is
/// later rolled back only makes the collector keep a little more.
final class WriteJournal: Sendable {
    typealias Entry = (db: Database, key: [UInt8], value: [UInt8])

    private struct State {
        var watched: Set<Database> = []
        var entries: [Entry] = []
        var active = false
    }

    private let state = Mutex(State())

    func start(watching dbs: Set<Database>) {
        state.withLock { $0 = State(watched: dbs, entries: [], active: true) }
    }

    /// The entries recorded since the last call.
    func drain() -> [Entry] {
        state.withLock { state in
            defer { state.entries = [] }
            return state.entries
        }
    }

    func stop() { state.withLock { $0 = State() } }

    func record(_ db: Database, _ key: [UInt8], _ value: [UInt8]) {
        state.withLock { state in
            if state.active && state.watched.contains(db) { state.entries.append((db, key, value)) }
        }
    }
}

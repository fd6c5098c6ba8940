import Foundation
import Synchronization

/// An ingest in progress: its pack records are not in the index yet. Released when the ingest commits
/// (or is abandoned).
final class IngestToken: Sendable {
    let id: UInt64
    let started: Date
    private let registry: IngestRegistry

    fileprivate init(id: UInt64, started: Date, registry: IngestRegistry) {
        self.id = id
        self.started = started
        self.registry = registry
    }

    deinit { registry.end(id) }
}

/// Ingests in progress. A pack last appended to before the oldest of them started holds only records of
/// finished ingests, so the index tells the whole truth about it (garbage collection relies on this).
final class IngestRegistry: Sendable {
    private struct State {
        var next: UInt64 = 0
        var active: [UInt64: Date] = [:]
    }

    private let state = Mutex(State())

    func begin() -> IngestToken {
        // File times come from the kernel's coarse clock and can lag a precise `Date()` by a tick: start a
        // second early so that every pack this ingest appends to counts as modified after it began.
        let now = Date().addingTimeInterval(-1)
        let id: UInt64 = state.withLock { state in
            state.next += 1
            state.active[state.next] = now
            return state.next
        }
        return IngestToken(id: id, started: now, registry: self)
    }

    fileprivate func end(_ id: UInt64) { state.withLock { _ = $0.active.removeValue(forKey: id) } }

    var oldestStart: Date? { state.withLock { $0.active.values.min() } }
}

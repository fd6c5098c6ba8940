import CairnProtocol
import Foundation
import Synchronization

/// One maintenance job (garbage collection, scrub or fsck) at a time, and the last reports for the status
/// endpoint.
public final class JobLock: Sendable {
    public struct Failure: Sendable {
        public var job: String
        public var at: Date
        public var message: String
    }

    private struct State {
        var running: String?
        var lastGC: GCReport?
        var lastScrub: ScrubReport?
        var lastError: Failure?
        var runs: [String: Int] = [:]
    }

    private let state = Mutex(State())

    public var lastGC: GCReport? { state.withLock { $0.lastGC } }
    public var lastScrub: ScrubReport? { state.withLock { $0.lastScrub } }
    /// The last job that failed, when, and why.
    public var lastError: Failure? { state.withLock { $0.lastError } }
    /// Completed runs per job since the server started.
    public var runs: [String: Int] { state.withLock { $0.runs } }
    /// The job running now, if any.
    public var current: String? { state.withLock { $0.running } }

    /// Throws `maintenanceRunning` when another job holds the lock.
    func begin(_ job: String) throws {
        try state.withLock { state in
            if let running = state.running { throw StoreError.maintenanceRunning(running) }
            state.running = job
        }
    }

    func end(gc: GCReport? = nil, scrub: ScrubReport? = nil, error: (any Error)? = nil) {
        state.withLock { state in
            if let running = state.running {
                if let error { state.lastError = Failure(job: running, at: Date(), message: "\(error)") } else { state.runs[running, default: 0] += 1 }
            }
            state.running = nil
            if let gc { state.lastGC = gc }
            if let scrub { state.lastScrub = scrub }
        }
    }
}

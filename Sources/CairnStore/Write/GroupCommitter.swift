import Foundation

/// Serialises all index writes on one dedicated thread and commits them in batches (group commit).
///
/// LMDB allows one writer at a time and binds a write transaction to its thread; blocking a cooperative
/// thread on LMDB's writer lock would stall Swift concurrency. Each job runs in a nested transaction so
/// that one failing job does not undo the others in its batch. Before the batch commits, the packs its jobs
/// wrote to are fsynced: pack bytes are durable before any index entry points at them.
final class GroupCommitter: @unchecked Sendable {  // queue guarded by `condition`
    private struct Job {
        let packs: Set<UInt64>
        let run: (Transaction) throws -> Void
        let finish: (Result<Void, any Error>) -> Void
    }

    private let environment: Environment
    private let packs: PackStore
    private let condition = NSCondition()
    private var queue: [Job] = []
    private var stopping = false
    private let stopped = DispatchSemaphore(value: 0)

    init(environment: Environment, packs: PackStore) {
        self.environment = environment
        self.packs = packs
        let thread = Thread { [unowned self] in self.loop() }
        thread.name = "cairn-index-writer"
        thread.start()
    }

    /// Runs `body` in a write transaction; returns once its batch is durably committed.
    func write<T: Sendable>(syncing packs: Set<UInt64> = [], _ body: @escaping @Sendable (Transaction) throws -> T) async throws -> T {
        let box = ResultBox<T>()
        return try await withCheckedThrowingContinuation { continuation in
            enqueue(Job(packs: packs, run: { box.value = try body($0) }, finish: { result in
                switch result {
                case .success: continuation.resume(returning: box.value!)
                case .failure(let error): continuation.resume(throwing: error)
                }
            }))
        }
    }

    /// Carries a job's result from the writer thread to the awaiting task (written before `finish`).
    private final class ResultBox<T>: @unchecked Sendable { var value: T? }  // written by the writer thread before the job resumes its caller

    private func enqueue(_ job: Job) {
        condition.lock()
        if stopping {
            condition.unlock()
            job.finish(.failure(StoreError.shuttingDown))
            return
        }
        queue.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Finishes queued jobs, then stops the thread. Later calls return at once.
    func stop() {
        condition.lock()
        if stopping {
            condition.unlock()
            return
        }
        stopping = true
        condition.signal()
        condition.unlock()
        stopped.wait()
    }

    private func loop() {
        while true {
            condition.lock()
            while queue.isEmpty && !stopping { condition.wait() }
            if queue.isEmpty && stopping {
                condition.unlock()
                stopped.signal()
                return
            }
            let batch = queue
            queue.removeAll(keepingCapacity: true)
            condition.unlock()
            run(batch)
        }
    }

    private func run(_ batch: [Job]) {
        var results = [Result<Void, any Error>](repeating: .success(()), count: batch.count)
        do {
            try packs.sync(batch.reduce(into: Set<UInt64>()) { $0.formUnion($1.packs) })
            try environment.write { txn in
                for (i, job) in batch.enumerated() {
                    do { try txn.nested { try job.run($0) } } catch { results[i] = .failure(error) }
                }
            }
        } catch {
            results = Array(repeating: .failure(error), count: batch.count)
        }
        for (job, result) in zip(batch, results) { job.finish(result) }
    }
}

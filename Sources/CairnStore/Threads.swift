import Foundation

/// Runs blocking work (long read transactions, file copies) on its own thread, off the cooperative pool.
func onOwnThread<T>(_ body: @escaping () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        let box = UncheckedBox(body)
        Thread {
            do { continuation.resume(returning: try box.value()) } catch { continuation.resume(throwing: error) }
        }.start()
    }
}

private final class UncheckedBox<T>: @unchecked Sendable {  // handed to the one thread that uses it, once
    let value: T
    init(_ value: T) { self.value = value }
}

import ArgumentParser
import CairnCore
import Foundation

struct BenchChunker: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench-chunker", abstract: "Measure the chunker on pseudo-random data (one core).", shouldDisplay: false)

    @Option(name: .customLong("size-mib")) var sizeMiB = 1024

    func run() throws {
        let size = sizeMiB << 20
        var data = [UInt8](repeating: 0, count: size)
        var state: UInt64 = 0x9E3779B97F4A7C15
        data.withUnsafeMutableBytes { p in
            let words = p.bindMemory(to: UInt64.self)
            for i in 0..<words.count { state ^= state << 13; state ^= state >> 7; state ^= state << 17; words[i] = state }
        }
        let chunker = Chunker(.standard)
        func measure(_ body: (UnsafeRawBufferPointer) -> Void) -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            data.withUnsafeBytes { body($0) }
            return Double(size) / Double(DispatchTime.now().uptimeNanoseconds - start)
        }
        var chunks = 0
        let cdc = measure { p in
            var offset = 0
            while offset < p.count {
                let n = chunker.nextBoundary(in: UnsafeRawBufferPointer(rebasing: p[offset...]), isFinal: true)!
                offset += n
                chunks += 1
            }
        }
        let withHash = measure { p in
            var offset = 0
            while offset < p.count {
                let n = chunker.nextBoundary(in: UnsafeRawBufferPointer(rebasing: p[offset...]), isFinal: true)!
                _ = Hasher.digest(.sha256, UnsafeRawBufferPointer(rebasing: p[offset..<offset + n]))
                offset += n
            }
        }
        print("{\"bytes\": \(size), \"chunks\": \(chunks), \"gb_per_s\": \(String(format: "%.3f", cdc)), \"gb_per_s_with_sha256\": \(String(format: "%.3f", withHash))}")
    }
}

import Testing
import CairnCore

/// Deterministic test data: SplitMix64 with a per-test seed, 8 bytes per step (little-endian).
private func pseudoRandomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var state = seed
    var out = [UInt8](repeating: 0, count: count)
    var i = 0
    while i < count {
        state = state &+ 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        for k in 0..<8 where i + k < count { out[i + k] = UInt8(truncatingIfNeeded: z >> (8 * UInt64(k))) }
        i += 8
    }
    return out
}

private let small = ChunkerParameters(minSize: 256, averageSize: 1024, maxSize: 4096, normalization: 2)

private func chunkDigests(_ data: [UInt8], _ lengths: [Int]) -> [String] {
    var offset = 0
    return lengths.map { length in
        defer { offset += length }
        return Hasher.digest(.sha256, data[offset..<(offset + length)]).hex
    }
}

@Suite struct ChunkerTests {
    /// Pins the format: the gear table generator, the masks and the boundaries they produce.
    @Test func formatIsPinned() {
        let gear = Chunker.gearTable
        #expect(gear.count == 256)
        #expect(Chunker.gearSeed == 0x6361_6972_6E2D_6763)
        #expect(gear[0] == 0x97A8_0C68_9ACA_2321)
        #expect(gear[1] == 0xD6D3_3B29_8F4E_7F36)
        #expect(gear[255] == 0xD443_7E45_A0E3_9366)

        #expect(Chunker.maskTable.count == 49)
        for (k, mask) in Chunker.maskTable.enumerated() {
            var expected: UInt64 = 0
            for j in 0..<k { expected |= 1 << UInt64(63 - (j * 48) / k) }
            #expect(mask == expected, "maskTable[\(k)]")
            #expect(mask.nonzeroBitCount == k)
        }
        let standard = Chunker(.standard)
        #expect(standard.smallMask == 0xA4A4_A4A4_A4A4_0000)
        #expect(standard.largeMask == 0x9224_4892_2448_0000)
        #expect(standard.effectiveMinSize == 16_384)
        #expect(standard.effectiveNormalSize == 65_536)
        #expect(standard.effectiveMaxSize == 262_144)
        #expect(ChunkerParameters.standard.isValid)

        let data = pseudoRandomBytes(1 << 20, seed: 0xC0FFEE)
        let lengths = standard.chunkLengths(of: data)
        #expect(lengths == goldenStandardLengths, "chunk boundaries changed: \(lengths)")
        #expect(small.isValid)
        let smallLengths = Chunker(small).chunkLengths(of: Array(data[0..<20_000]))
        #expect(smallLengths == goldenSmallLengths, "chunk boundaries changed: \(smallLengths)")
    }

    @Test func deterministicAndBounded() {
        for parameters in [ChunkerParameters.standard, small] {
            let chunker = Chunker(parameters)
            #expect(chunker.parameters == parameters)
            let data = pseudoRandomBytes(3 << 20, seed: 1)
            let lengths = chunker.chunkLengths(of: data)
            #expect(lengths == Chunker(parameters).chunkLengths(of: data))
            #expect(lengths.reduce(0, +) == data.count)
            for length in lengths.dropLast() {
                #expect(length > parameters.minSize && length <= parameters.maxSize)
            }
            #expect(lengths.last! >= 1 && lengths.last! <= parameters.maxSize)
        }
    }

    @Test func edgeCases() {
        let chunker = Chunker(.standard)
        #expect(chunker.chunkLengths(of: []) == [])
        #expect(chunker.chunkLengths(of: [1, 2, 3]) == [3])
        let empty: [UInt8] = []
        empty.withUnsafeBytes { buffer in
            #expect(chunker.nextBoundary(in: buffer, isFinal: true) == nil)
            #expect(chunker.nextBoundary(in: buffer, isFinal: false) == nil)
        }
        let short = pseudoRandomBytes(16_384, seed: 5)
        short.withUnsafeBytes { buffer in
            #expect(chunker.nextBoundary(in: buffer, isFinal: false) == nil)
            #expect(chunker.nextBoundary(in: buffer, isFinal: true) == 16_384)
        }
        // Constant data has no content boundaries after the hash settles: chunks of maxSize.
        let zeros = [UInt8](repeating: 0, count: 1 << 20)
        let zeroLengths = chunker.chunkLengths(of: zeros)
        #expect(zeroLengths.reduce(0, +) == zeros.count)
        #expect(zeroLengths.dropLast().allSatisfy { $0 == zeroLengths[0] })
        zeros.withUnsafeBytes { buffer in
            let piece = UnsafeRawBufferPointer(rebasing: buffer[0..<(256 * 1024)])
            #expect(chunker.nextBoundary(in: piece, isFinal: false) == zeroLengths[0])
        }
        // Degenerate parameters are clamped rather than trapping.
        let odd = Chunker(ChunkerParameters(minSize: 10_000, averageSize: 0, maxSize: 100, normalization: 9))
        #expect(!odd.parameters.isValid)
        #expect(odd.chunkLengths(of: pseudoRandomBytes(1000, seed: 2)) == Array(repeating: 100, count: 10))
    }

    /// Feeding the data as a stream of arbitrary pieces gives the same chunks as the whole buffer.
    @Test(arguments: [0, 1, 2])
    func streamingMatchesWholeBuffer(_ variant: Int) {
        let parameters = variant == 2 ? small : .standard
        let chunker = Chunker(parameters)
        let data = pseudoRandomBytes(variant == 2 ? 200_000 : 2_500_000, seed: UInt64(100 + variant))
        let expected = chunker.chunkLengths(of: data)

        var pieceState: UInt64 = 0x5EED &+ UInt64(variant)
        func nextPieceSize() -> Int {
            pieceState = pieceState &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let r = Int(truncatingIfNeeded: pieceState >> 33)
            return variant == 1 ? 1 + r % 300_000 : 1 + r % 9_000
        }
        var pending: [UInt8] = []
        var produced: [Int] = []
        var offset = 0
        while offset < data.count || !pending.isEmpty {
            let n = min(nextPieceSize(), data.count - offset)
            pending.append(contentsOf: data[offset..<(offset + n)])
            offset += n
            let isFinal = offset == data.count
            while true {
                let cut = pending.withUnsafeBytes { chunker.nextBoundary(in: $0, isFinal: isFinal) }
                guard let cut else { break }
                produced.append(cut)
                pending.removeFirst(cut)
            }
            if isFinal { #expect(pending.isEmpty) }
        }
        #expect(produced == expected)
    }

    /// Inserting bytes near the start only changes the first chunk or two.
    @Test func boundariesAreStableUnderInsertion() {
        let chunker = Chunker(.standard)
        let original = pseudoRandomBytes(4 << 20, seed: 77)
        var modified = original
        modified.insert(contentsOf: [0xDE, 0xAD, 0xBE, 0xEF, 0x42], at: 20_000)
        let a = chunker.chunkLengths(of: original)
        let b = chunker.chunkLengths(of: modified)
        #expect(a.count > 40)
        let originalDigests = Set(chunkDigests(original, a))
        let changed = chunkDigests(modified, b).filter { !originalDigests.contains($0) }
        #expect(changed.count <= 2)
        #expect(Array(a.suffix(a.count - 2)) == Array(b.suffix(a.count - 2)))

        // A deletion in the middle changes only the chunks around it.
        var cut = original
        cut.removeSubrange(2_000_000..<2_000_100)
        let c = chunker.chunkLengths(of: cut)
        let unchanged = chunkDigests(cut, c).filter { originalDigests.contains($0) }
        #expect(unchanged.count >= c.count - 2)
    }

    @Test func averageChunkSize() {
        let chunker = Chunker(.standard)
        let data = pseudoRandomBytes(8 << 20, seed: 2024)
        let lengths = chunker.chunkLengths(of: data)
        let average = data.count / lengths.count
        // FastCDC with normalization level 2 and minSize skipping: expected ≈ 74 KiB for these parameters.
        #expect(average > 56 * 1024 && average < 96 * 1024, "average \(average)")
        let atMax = lengths.dropLast().filter { $0 == 256 * 1024 }.count
        #expect(atMax * 100 <= lengths.count)  // forced cuts are rare on random data
    }
}

/// Produced by this implementation and, independently, by a byte-at-a-time Python transcription of the
/// definition in Chunker.swift's documentation.
private let goldenStandardLengths: [Int] = [
    16760, 124580, 66132, 66951, 32279, 68027, 74224, 55615, 76206, 85755, 109981, 30432, 89653, 103234, 48747,
]
private let goldenSmallLengths: [Int] = [
    1222, 1264, 1056, 428, 1175, 1072, 1225, 2036, 1043, 1244, 1034, 319, 1230, 1039, 1035, 1056, 2091, 431,
]

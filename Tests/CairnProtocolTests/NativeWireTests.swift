import CairnCore
import CairnProtocol
import Testing

@Suite struct DedupeWireTests {
    func sample(_ lengths: [UInt32]) -> Manifest {
        var digests: [UInt8] = []
        for (i, _) in lengths.enumerated() { digests += [UInt8](repeating: UInt8(i + 1), count: 32) }
        return Manifest(size: lengths.reduce(0) { $0 + UInt64($1) }, sha256: [UInt8](repeating: 0xAB, count: 32),
                        md5: [UInt8](repeating: 0xCD, count: 16), digests: digests, lengths: lengths)
    }

    @Test func manifestRoundTripsWithKeys() throws {
        let entries = [KeyedManifest(key: "a/b.bin", manifest: sample([100, 200, 300])), KeyedManifest(key: "empty", manifest: sample([]))]
        var bytes: [UInt8] = []
        for e in entries { e.encode(into: &bytes) }
        #expect(bytes.count == entries.reduce(0) { $0 + 2 + $1.key.utf8.count + $1.manifest.encodedLength })
        #expect(try KeyedManifest.decodeAll(bytes, maxChunk: 1000) == entries)
        // The layout is little-endian as documented: size 600 right after the magic.
        #expect(Array(bytes[9..<13]) == Array("CMF1".utf8))
        #expect(Array(bytes[13..<21]) == [0x58, 0x02, 0, 0, 0, 0, 0, 0])
    }

    @Test func malformedManifestsAreRejected() throws {
        var good: [UInt8] = []
        KeyedManifest(key: "k", manifest: sample([10, 20])).encode(into: &good)
        #expect(throws: WireError.self) { try KeyedManifest.decodeAll(Array(good.dropLast()), maxChunk: 1000) }
        #expect(throws: WireError.self) { try KeyedManifest.decodeAll(good, maxChunk: 15) }  // chunk longer than allowed
        var wrongSize = good
        wrongSize[6] = 31  // declared size 31 ≠ 10 + 20
        #expect(throws: WireError.self) { try KeyedManifest.decodeAll(wrongSize, maxChunk: 1000) }
        var badMagic = good
        badMagic[3] = UInt8(ascii: "X")
        #expect(throws: WireError.self) { try KeyedManifest.decodeAll(badMagic, maxChunk: 1000) }
        var hugeCount = good
        hugeCount[3 + 60] = 0xFF  // count's high byte: far more entries than the body holds
        hugeCount[3 + 63] = 0xFF
        #expect(throws: WireError.self) { try KeyedManifest.decodeAll(hugeCount, maxChunk: 1000) }
    }

    @Test func frameDecoderReassemblesFramesSplitAnywhere() throws {
        var stream: [UInt8] = []
        var expected: [([UInt8], [UInt8])] = []
        for i in 0..<5 {
            let payload = [UInt8](repeating: UInt8(i), count: 50 + i * 37)
            let digest = Hasher.digest(.sha256, payload)
            ChunkFrame.appendHeader(to: &stream, digest: digest, rawLength: payload.count, storedLength: payload.count, zstd: false)
            stream += payload
            expected.append((digest, payload))
        }
        for step in [1, 7, 41, 1000] {
            var decoder = ChunkFrameDecoder(maxChunk: 1 << 16)
            var got: [([UInt8], [UInt8])] = []
            var offset = 0
            while offset < stream.count {
                let piece = Array(stream[offset..<min(stream.count, offset + step)])
                try piece.withUnsafeBytes { try decoder.feed($0) { h, p in got.append((h.digest, Array(p))) } }
                offset += step
            }
            #expect(decoder.isAtBoundary)
            #expect(got.map(\.0) == expected.map(\.0))
            #expect(got.map(\.1) == expected.map(\.1))
        }
        var decoder = ChunkFrameDecoder(maxChunk: 1 << 16)
        try Array(stream.dropLast()).withUnsafeBytes { try decoder.feed($0) { _, _ in } }
        #expect(!decoder.isAtBoundary)
    }

    @Test func frameHeadersAreChecked() {
        func header(raw: UInt32, stored: UInt32, encoding: UInt8) -> [UInt8] {
            var h = [UInt8](repeating: 1, count: 32)
            h.appendLE(raw); h.appendLE(stored); h.append(encoding)
            return h
        }
        #expect(throws: WireError.self) { try header(raw: 10, stored: 10, encoding: 2).withUnsafeBytes { try ChunkFrame.parseHeader($0, maxChunk: 100) } }
        #expect(throws: WireError.self) { try header(raw: 101, stored: 101, encoding: 0).withUnsafeBytes { try ChunkFrame.parseHeader($0, maxChunk: 100) } }
        #expect(throws: WireError.self) { try header(raw: 10, stored: 9, encoding: 0).withUnsafeBytes { try ChunkFrame.parseHeader($0, maxChunk: 100) } }
        #expect(throws: WireError.self) { try header(raw: 0, stored: 0, encoding: 0).withUnsafeBytes { try ChunkFrame.parseHeader($0, maxChunk: 100) } }
        #expect((try? header(raw: 10, stored: 9, encoding: 1).withUnsafeBytes { try ChunkFrame.parseHeader($0, maxChunk: 100) })?.zstd == true)
    }
}

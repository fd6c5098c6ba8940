import Testing
import CairnCore

private let checkInput = Array("123456789".utf8)
private let helloWorld = Array("hello world".utf8)

/// Bit-at-a-time reference CRC (reflected, init = xorout = all ones).
private func referenceCRC(_ data: [UInt8], polynomial: UInt64, width: Int) -> UInt64 {
    let mask: UInt64 = width == 64 ? ~0 : (1 << UInt64(width)) - 1
    var c = mask
    for byte in data {
        c ^= UInt64(byte)
        for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ polynomial : c >> 1 }
    }
    return c ^ mask
}

private func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var state = seed
    return (0..<count).map { _ in
        state = state &+ 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return UInt8(truncatingIfNeeded: z ^ (z >> 31))
    }
}

private func value(_ bytes: [UInt8]) -> UInt64 { bytes.reduce(0) { $0 << 8 | UInt64($1) } }

@Suite struct ChecksumsTests {
    @Test func checkValues() {
        #expect(value(ChecksumAlgorithm.crc32.checksum(checkInput)) == 0xCBF4_3926)
        #expect(value(ChecksumAlgorithm.crc32c.checksum(checkInput)) == 0xE306_9283)
        #expect(value(ChecksumAlgorithm.crc64nvme.checksum(checkInput)) == 0xAE8B_1486_0A79_9888)
        #expect(ChecksumAlgorithm.sha1.checksum(checkInput).hex == "f7c3bc1d808e04732adf679965ccc34ca7ae3441")
        #expect(
            ChecksumAlgorithm.sha256.checksum(checkInput).hex
                == "15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225")
        #expect(ChecksumAlgorithm.crc32.checksum(checkInput) == [0xCB, 0xF4, 0x39, 0x26])  // big-endian
        checkInput.withUnsafeBytes { buffer in
            #expect(crc32(buffer) == 0xCBF4_3926)
            #expect(crc32c(buffer) == 0xE306_9283)
            #expect(crc32cTableDriven(buffer) == 0xE306_9283)
            #expect(crc64nvme(buffer) == 0xAE8B_1486_0A79_9888)
        }
    }

    /// The header values AWS sends (cross-checked with Python's zlib/hashlib and a bitwise CRC).
    @Test func awsBase64Forms() {
        let empty: [UInt8] = []
        #expect(base64Encode(ChecksumAlgorithm.crc32.checksum(empty)) == "AAAAAA==")
        #expect(base64Encode(ChecksumAlgorithm.crc32c.checksum(empty)) == "AAAAAA==")
        #expect(base64Encode(ChecksumAlgorithm.crc64nvme.checksum(empty)) == "AAAAAAAAAAA=")
        #expect(base64Encode(ChecksumAlgorithm.sha1.checksum(empty)) == "2jmj7l5rSw0yVb/vlWAYkK/YBwk=")
        #expect(base64Encode(ChecksumAlgorithm.sha256.checksum(empty)) == "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")
        #expect(base64Encode(ChecksumAlgorithm.crc32.checksum(helloWorld)) == "DUoRhQ==")
        #expect(base64Encode(ChecksumAlgorithm.crc32c.checksum(helloWorld)) == "yZRlqg==")
        #expect(base64Encode(ChecksumAlgorithm.crc64nvme.checksum(helloWorld)) == "jSnVw/bqjr4=")
        #expect(base64Encode(ChecksumAlgorithm.sha1.checksum(helloWorld)) == "Kq5sNclPz7QV2+lfQIuc6R7oRu0=")
        #expect(
            base64Encode(ChecksumAlgorithm.sha256.checksum(helloWorld)) == "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=")
        #expect(base64Encode(ChecksumAlgorithm.crc32.checksum(checkInput)) == "y/Q5Jg==")
        #expect(base64Encode(ChecksumAlgorithm.crc64nvme.checksum(checkInput)) == "rosUhgp5mIg=")
    }

    @Test func algorithmNames() {
        #expect(ChecksumAlgorithm(name: "crc32") == .crc32)
        #expect(ChecksumAlgorithm(name: "CRC32C") == .crc32c)
        #expect(ChecksumAlgorithm(name: "crc64nvme") == .crc64nvme)
        #expect(ChecksumAlgorithm(name: "Crc64Nvme") == .crc64nvme)
        #expect(ChecksumAlgorithm(name: "sha1") == .sha1)
        #expect(ChecksumAlgorithm(name: "SHA256") == .sha256)
        #expect(ChecksumAlgorithm(name: "md5") == nil)
        #expect(ChecksumAlgorithm(name: "") == nil)
        #expect(ChecksumAlgorithm(name: "crc32 ") == nil)
        #expect(ChecksumAlgorithm.allCases.map(\.digestLength) == [4, 4, 8, 20, 32])
        for algorithm in ChecksumAlgorithm.allCases {
            #expect(algorithm.checksum(helloWorld).count == algorithm.digestLength)
        }
    }

    @Test func tablesMatchBitwiseReference() {
        let data = randomBytes(300, seed: 7)
        for start in 0..<9 {
            for length in stride(from: 0, to: 300 - start, by: 7) {
                let slice = Array(data[start..<(start + length)])
                #expect(value(ChecksumAlgorithm.crc32.checksum(slice)) == referenceCRC(slice, polynomial: 0xEDB8_8320, width: 32))
                #expect(value(ChecksumAlgorithm.crc32c.checksum(slice)) == referenceCRC(slice, polynomial: 0x82F6_3B78, width: 32))
                #expect(
                    value(ChecksumAlgorithm.crc64nvme.checksum(slice))
                        == referenceCRC(slice, polynomial: 0x9A6C_9329_AC4B_C9B5, width: 64))
                slice.withUnsafeBytes { buffer in
                    #expect(UInt64(crc32cTableDriven(buffer)) == referenceCRC(slice, polynomial: 0x82F6_3B78, width: 32))
                }
            }
        }
    }

    /// Only meaningful where the CPU has SSE4.2: elsewhere `crc32c` is the table-driven code itself.
    @Test(.enabled(if: crc32cIsHardwareAccelerated, "CRC32C runs on tables without SSE4.2"))
    func hardwareCRC32CMatchesTables() {
        let data = randomBytes(70_000, seed: 11)
        data.withUnsafeBytes { buffer in
            for start in 0..<16 {
                for length in [0, 1, 7, 8, 9, 31, 32, 33, 64, 1000, 65_536] {
                    let piece = UnsafeRawBufferPointer(rebasing: buffer[start..<(start + length)])
                    #expect(crc32c(piece) == crc32cTableDriven(piece))
                }
            }
        }
    }

    @Test(arguments: ChecksumAlgorithm.allCases)
    func streamingEqualsOneShot(_ algorithm: ChecksumAlgorithm) {
        let data = randomBytes(200_003, seed: 42)
        let expected = algorithm.checksum(data)
        let pieces = [0, 1, 2, 3, 5, 7, 8, 15, 16, 17, 31, 100, 1023, 4096, 65_537]
        let computer = ChecksumComputer(algorithm)
        #expect(computer.algorithm == algorithm)
        var offset = 0
        var k = 0
        data.withUnsafeBytes { buffer in
            while offset < buffer.count {
                let n = min(pieces[k % pieces.count], buffer.count - offset)
                computer.update(UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset + n)]))
                offset += n
                k += 1
            }
        }
        #expect(computer.finalize() == expected)

        // The generic overload and the `continuing:` one-shot functions agree too.
        let generic = ChecksumComputer(algorithm)
        generic.update(data[0..<12_345])
        generic.update(data[12_345...])
        #expect(generic.finalize() == expected)
        data.withUnsafeBytes { buffer in
            let a = UnsafeRawBufferPointer(rebasing: buffer[0..<99_999])
            let b = UnsafeRawBufferPointer(rebasing: buffer[99_999...])
            switch algorithm {
            case .crc32: #expect(UInt64(crc32(b, continuing: crc32(a))) == value(expected))
            case .crc32c: #expect(UInt64(crc32c(b, continuing: crc32c(a))) == value(expected))
            case .crc64nvme: #expect(crc64nvme(b, continuing: crc64nvme(a)) == value(expected))
            case .sha1, .sha256: break
            }
        }
    }

    @Test(arguments: [ChecksumAlgorithm.crc32, .crc32c, .crc64nvme])
    func combine(_ algorithm: ChecksumAlgorithm) {
        let data = randomBytes(10_000, seed: 3)
        for split in [0, 1, 5, 4096, 9_999, 10_000] {
            let a = Array(data[..<split]), b = Array(data[split...])
            let combined = algorithm.combine(algorithm.checksum(a), algorithm.checksum(b), secondLength: b.count)
            #expect(combined == algorithm.checksum(data))
        }
        #expect(ChecksumAlgorithm.sha256.combine([], [], secondLength: 0) == nil)
        #expect(algorithm.combine([1], [2], secondLength: 1) == nil)
    }

    @Test func base64RoundTrip() {
        for length in 0..<70 {
            let bytes = randomBytes(length, seed: UInt64(length))
            let text = base64Encode(bytes)
            #expect(text.utf8.count == (length + 2) / 3 * 4)
            #expect(base64Decode(text) == bytes)
        }
        #expect(base64Encode(Array("foobar".utf8)) == "Zm9vYmFy")
        #expect(base64Encode(Array("fooba".utf8)) == "Zm9vYmE=")
        #expect(base64Encode(Array("foob".utf8)) == "Zm9vYg==")
        #expect(base64Encode([0xFB, 0xFF, 0xBF]) == "+/+/")
        #expect(base64Decode("") == [])
        #expect(base64Decode("AA==") == [0])
    }

    @Test(arguments: [
        "A", "AA", "AAA", "AAAAA", "A===", "====", "AA=A", "=AAA", "AAA=AAAA", "AAAA=", "AAAA====",
        "AB==", "AAB=",  // non-zero bits under the padding (non-canonical)
        "Zm9v\n", " Zm9v", "Zm9v YmFy", "Zm9-", "Zm9_", "Zm9v!A==", "Zm9vYmE", "Zm9vYg=", "ü===",
    ])
    func base64RejectsMalformed(_ text: String) {
        #expect(base64Decode(text) == nil)
    }
}

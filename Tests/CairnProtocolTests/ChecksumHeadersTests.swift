import CairnCore
import CairnProtocol
import Testing

@Suite struct ChecksumHeadersTests {
    @Test func headerNames() {
        #expect(ChecksumAlgorithm.crc32.headerName == "x-amz-checksum-crc32")
        #expect(ChecksumAlgorithm.crc32c.headerName == "x-amz-checksum-crc32c")
        #expect(ChecksumAlgorithm.crc64nvme.headerName == "x-amz-checksum-crc64nvme")
        #expect(ChecksumAlgorithm.sha1.headerName == "x-amz-checksum-sha1")
        #expect(ChecksumAlgorithm.sha256.headerName == "x-amz-checksum-sha256")
        #expect(ChecksumAlgorithm(headerName: "X-Amz-Checksum-CRC64NVME") == .crc64nvme)
        #expect(ChecksumAlgorithm(headerName: "x-amz-checksum-md5") == nil)
    }
}

import CairnCore

extension ChecksumAlgorithm {
    /// The request/response header carrying this checksum, lowercase: "x-amz-checksum-crc32", ...
    public var headerName: String { "x-amz-checksum-" + rawValue.lowercased() }

    /// The algorithm an `x-amz-checksum-*` header (any case) or an `x-amz-trailer` value names.
    public init?(headerName: String) {
        guard let found = Self.allCases.first(where: { $0.headerName == headerName.lowercased() }) else { return nil }
        self = found
    }
}

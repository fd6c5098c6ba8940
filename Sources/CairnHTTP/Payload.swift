import CairnCore
import CairnProtocol
import CairnStore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The integrity checks a request body must pass: its signed sha256, Content-MD5, and at most one
/// `x-amz-checksum-*` value, given as a header or announced in `x-amz-trailer` and sent after the body.
public struct PayloadChecks {
    var contentMD5: [UInt8]?
    var algorithm: ChecksumAlgorithm?
    var headerValue: [UInt8]?
    var trailerName: String?

    /// - Parameters:
    ///   - required: the algorithm the body must be checked with (a part of an upload that declared one): the
    ///     client may name it or leave it out (then it is computed), naming another is an error.
    ///   - checksumHeaders: false where `x-amz-checksum-*` headers describe something else (the object a
    ///     CompleteMultipartUpload makes, not its XML body).
    public init(_ c: ServiceRequest, required: ChecksumAlgorithm? = nil, checksumHeaders: Bool = true) throws {
        if let md5 = c.header("content-md5") {
            guard let bytes = base64Decode(md5.trimmingCharacters(in: .whitespaces)), bytes.count == 16 else { throw ServiceError.invalidDigest() }
            contentMD5 = bytes
        }
        if checksumHeaders, let (alg, value) = try Self.checksumHeader(c) {
            // A value that is not even base64 of the algorithm's length cannot match the body: BadDigest, as for
            // any other value that does not match.
            guard let bytes = base64Decode(value), bytes.count == alg.digestLength else {
                throw ServiceError.badDigest("The \(alg.rawValue) you specified did not match the calculated checksum.")
            }
            algorithm = alg
            headerValue = bytes
        }
        if let trailer = c.header("x-amz-trailer")?.trimmingCharacters(in: .whitespaces).lowercased(), !trailer.isEmpty {
            guard let alg = ChecksumAlgorithm(headerName: trailer) else {
                throw ServiceError.invalidRequest("The value specified in the x-amz-trailer header is not supported")
            }
            if let a = algorithm, a != alg { throw ServiceError.invalidRequest("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.") }
            algorithm = alg
            trailerName = trailer
        }
        if algorithm == nil, checksumHeaders, let sdk = c.header("x-amz-sdk-checksum-algorithm") {
            guard let alg = ChecksumAlgorithm(name: sdk) else {
                throw ServiceError.invalidRequest("Checksum algorithm \(sdk) is not supported.")
            }
            algorithm = alg
        }
        if let required {
            if let algorithm, algorithm != required {
                throw ServiceError.invalidRequest("Checksum Type mismatch occurred, expected checksum Type: \(required.rawValue.lowercased()), actual checksum Type: \(algorithm.rawValue.lowercased())")
            }
            algorithm = required
        }
    }

    /// The one `x-amz-checksum-*` header of a request, if any, its value trimmed; more than one is 400.
    public static func checksumHeader(_ c: ServiceRequest) throws -> (ChecksumAlgorithm, String)? {
        let named = ChecksumAlgorithm.allCases.compactMap { alg in c.header(alg.headerName).map { (alg, $0.trimmingCharacters(in: .whitespaces)) } }
        guard named.count <= 1 else { throw ServiceError.invalidRequest("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.") }
        return named.first
    }

    public var algorithms: Set<ChecksumAlgorithm> { algorithm.map { [$0] } ?? [] }

    /// Verifies the computed digests; returns the checksum to store and echo, if any.
    public func verify(md5: [UInt8], checksums: [ChecksumAlgorithm: [UInt8]], trailers: [String: String]) throws -> StoredChecksum? {
        if let contentMD5, contentMD5 != md5 {
            throw ServiceError.badDigest("The Content-MD5 you specified did not match what we received.")
        }
        guard let algorithm, let computed = checksums[algorithm] else { return nil }
        var expected = headerValue
        if let trailerName {
            guard let text = trailers[trailerName] else {
                throw ServiceError.invalidRequest("The trailing header \(trailerName) announced in x-amz-trailer was not sent.")
            }
            guard let bytes = base64Decode(text.trimmingCharacters(in: .whitespaces)), bytes.count == algorithm.digestLength else {
                throw ServiceError.badDigest("The \(algorithm.rawValue) you specified did not match the calculated checksum.")
            }
            expected = bytes
        }
        if let expected, expected != computed {
            throw ServiceError.badDigest("The \(algorithm.rawValue) you specified did not match the calculated checksum.")
        }
        return StoredChecksum(algorithm: algorithm, value: base64Encode(computed))
    }
}

/// Reads request bodies in every payload mode S3 clients use, stripping aws-chunked framing and
/// verifying chunk signatures; the framing never reaches the store.
public enum Payload {
    public struct Outcome {
        public var trailers: [String: String] = [:]
        public var length: UInt64 = 0
    }

    /// Streams the decoded body into `sink`. The caller must verify the declared sha256 (see `verifySHA256`).
    public static func stream(_ c: ServiceRequest, into sink: (UnsafeRawBufferPointer) throws -> Void) async throws -> Outcome {
        var outcome = Outcome()
        let declaredLength = c.header("content-length").flatMap(UInt64.init)
        switch c.auth.payload {
        case .sha256, .unsigned:
            do {
                for try await buffer in c.request.body {
                    try buffer.withUnsafeReadableBytes { try sink($0) }
                    outcome.length += UInt64(buffer.readableBytes)
                }
            } catch let e as ServiceError { throw e } catch let e as StoreError { throw e } catch let e as StoreIOError { throw e } catch {
                throw ServiceError.incompleteBody
            }
            if let declaredLength, declaredLength != outcome.length { throw ServiceError.incompleteBody }
        case .streamingSigned, .streamingSignedTrailer, .streamingUnsignedTrailer:
            let signing: ChunkSigningContext? = c.auth.payload == .streamingUnsignedTrailer ? nil : c.auth.chunkSigning
            var decoder = AWSChunkedDecoder(signing: signing)
            do {
                for try await buffer in c.request.body {
                    try buffer.withUnsafeReadableBytes { try decoder.feed($0, emit: sink) }
                }
            } catch let e as AWSChunkedError { throw e } catch let e as ServiceError { throw e } catch let e as StoreIOError { throw e } catch {
                throw ServiceError.incompleteBody
            }
            outcome.trailers = try decoder.finish()
            outcome.length = UInt64(decoder.decodedByteCount)
            if let decoded = c.header("x-amz-decoded-content-length") {
                guard let n = UInt64(decoded) else { throw ServiceError.invalidArgument("x-amz-decoded-content-length is not a number.") }
                guard n == outcome.length else { throw ServiceError.incompleteBody }
            }
        }
        return outcome
    }

    /// Fails when the payload hash signed in `x-amz-content-sha256` is not the body's sha256.
    public static func verifySHA256(_ c: ServiceRequest, actual: [UInt8]) throws {
        if case .sha256(let hex) = c.auth.payload, hex.lowercased() != actual.hex {
            throw ServiceError("XAmzContentSHA256Mismatch", .badRequest, "The provided 'x-amz-content-sha256' header does not match what was computed.")
        }
    }

    /// Collects a small body (XML), verifying its sha256, Content-MD5 and checksum.
    public static func collect(_ c: ServiceRequest, limit: Int, checksumHeaders: Bool = true) async throws -> [UInt8] {
        let checks = try PayloadChecks(c, checksumHeaders: checksumHeaders)
        var body: [UInt8] = []
        var computers = checks.algorithms.map { ChecksumComputer($0) }
        let outcome = try await stream(c) { bytes in
            guard body.count + bytes.count <= limit else {
                throw ServiceError("MaxMessageLengthExceeded", .badRequest, "Your request was too big.")
            }
            body.append(contentsOf: bytes)
        }
        try verifySHA256(c, actual: Hasher.digest(.sha256, body))
        var sums: [ChecksumAlgorithm: [UInt8]] = [:]
        for i in computers.indices {
            body.withUnsafeBytes { computers[i].update($0) }
            sums[computers[i].algorithm] = computers[i].finalize()
        }
        computers.removeAll()
        _ = try checks.verify(md5: Hasher.digest(.md5, body), checksums: sums, trailers: outcome.trailers)
        return body
    }

    /// Streams the body into a new blob in the store and verifies every digest the client declared; with
    /// `required`, that checksum is computed (and returned) whether the client sent it or not.
    public static func ingest(_ c: ServiceRequest, store: Store, required: ChecksumAlgorithm? = nil) async throws -> (blob: IngestedBlob, checksum: StoredChecksum?) {
        let checks = try PayloadChecks(c, required: required)
        let writer = store.makeBlobWriter(checksums: checks.algorithms)
        let outcome = try await stream(c) { try writer.write($0) }
        let blob = try writer.finish()
        try verifySHA256(c, actual: blob.sha256)
        let checksum = try checks.verify(md5: blob.md5, checksums: blob.checksums, trailers: outcome.trailers)
        return (blob, checksum)
    }
}

import CairnProtocol
import Foundation
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// Keeps header bytes that are not UTF-8 intact through SwiftNIO's HTTP/1 parser and encoder, which
/// speak `String` (see `HeaderBytes` for the escape).
///
/// Sits between the socket (or TLS) and NIO's codec. Inbound it finds each request head, escapes its
/// header lines (the request line stays as sent), and passes bodies through untouched, following
/// `Content-Length` from one head to the next. A request with `Transfer-Encoding`, or a head it cannot
/// frame, ends the escaping for the rest of the connection: bytes then pass as they are, as they would
/// without this handler, and NIO's parser answers for them. Outbound it unescapes the buffer holding a
/// response head that `ResponseHeadMarker` saw escapes in.
final class RawHeaderBytesHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    /// Beyond this a head is not looked at (NIO's parser, configured in `runServer`, refuses it anyway).
    static let maxHeadBytes = 8 << 20

    private enum State {
        case head
        case body(remaining: UInt64)
        case passthrough
    }
    private var state = State.head
    /// The start of a head whose end has not arrived yet.
    private var partialHead: ByteBuffer?
    /// Set by `ResponseHeadMarker`: the next buffer written is a response head with escapes.
    var escapedResponseHeadPending = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        while buffer.readableBytes > 0 {
            switch state {
            case .passthrough:
                context.fireChannelRead(wrapInboundOut(buffer))
                return
            case .body(let remaining):
                let n = Int(min(remaining, UInt64(buffer.readableBytes)))
                context.fireChannelRead(wrapInboundOut(buffer.readSlice(length: n)!))
                state = remaining == UInt64(n) ? .head : .body(remaining: remaining - UInt64(n))
            case .head:
                let searchFrom = max(0, (partialHead?.readableBytes ?? 0) - 3)
                if partialHead == nil { partialHead = buffer } else { partialHead!.writeBuffer(&buffer) }
                buffer = ByteBuffer()
                guard let end = Self.headEnd(partialHead!, from: searchFrom) else {
                    if partialHead!.readableBytes > Self.maxHeadBytes { passThrough(context) }
                    continue
                }
                var pending = partialHead!
                partialHead = nil
                let head = pending.readSlice(length: end)!
                buffer = pending
                forward(head: head, context: context)
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if partialHead != nil { passThrough(context) }
        context.fireChannelInactive()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if escapedResponseHeadPending, case .byteBuffer(let head) = unwrapOutboundIn(data) {
            escapedResponseHeadPending = false
            if let raw = head.withUnsafeReadableBytes({ HeaderBytes.unescape($0) }) {
                context.write(wrapOutboundOut(.byteBuffer(context.channel.allocator.buffer(bytes: raw))), promise: promise)
                return
            }
        }
        context.write(data, promise: promise)
    }

    /// Hands on what is buffered and stops looking at the bytes of this connection.
    private func passThrough(_ context: ChannelHandlerContext) {
        state = .passthrough
        if let pending = partialHead {
            partialHead = nil
            context.fireChannelRead(wrapInboundOut(pending))
        }
    }

    /// Sends one complete head on, escaped, and sets the state for what follows it.
    private func forward(head: ByteBuffer, context: ChannelHandlerContext) {
        let framing = head.withUnsafeReadableBytes { Self.framing(of: $0) }
        let escaped: [UInt8]? = head.withUnsafeReadableBytes { bytes in
            guard let lineEnd = Self.find([0x0D, 0x0A], in: bytes, from: 0),
                  let rest = HeaderBytes.escape(UnsafeRawBufferPointer(rebasing: bytes[lineEnd...])) else { return nil }
            return Array(bytes[..<lineEnd]) + rest
        }
        context.fireChannelRead(wrapInboundOut(escaped.map { context.channel.allocator.buffer(bytes: $0) } ?? head))
        switch framing {
        case .length(0): state = .head
        case .length(let n): state = .body(remaining: n)
        case .unknown: state = .passthrough
        }
    }

    enum Framing: Equatable {
        /// The body is this many bytes (0: none).
        case length(UInt64)
        /// Chunked, or not understood: stop following the framing.
        case unknown
    }

    /// The body framing a request head declares (RFC 9112 §6.3): `Content-Length`, one value (repeated
    /// copies allowed); none means no body; `Transfer-Encoding` or anything malformed is `.unknown`.
    static func framing(of head: UnsafeRawBufferPointer) -> Framing {
        var length: UInt64?
        var start = (find([0x0D, 0x0A], in: head, from: 0) ?? head.count) + 2
        while start < head.count {
            let end = find([0x0D, 0x0A], in: head, from: start) ?? head.count
            let line = UnsafeRawBufferPointer(rebasing: head[start..<end])
            start = end + 2
            guard let colon = line.firstIndex(of: 0x3A) else { continue }
            let name = String(decoding: line[..<colon], as: UTF8.self).lowercased()
            let value = String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingCharacters(in: Self.optionalWhitespace)
            switch name {
            case "transfer-encoding": return .unknown
            case "content-length":
                guard !value.isEmpty, value.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let n = UInt64(value),
                      length == nil || length == n else { return .unknown }
                length = n
            default: continue
            }
        }
        return .length(length ?? 0)
    }

    /// RFC 9110's OWS around a field value: space and tab only.
    private static let optionalWhitespace = CharacterSet(charactersIn: " \t")

    /// The length of the head through its blank line, if `buffer` holds all of it.
    static func headEnd(_ buffer: ByteBuffer, from: Int) -> Int? {
        buffer.withUnsafeReadableBytes { bytes in find([0x0D, 0x0A, 0x0D, 0x0A], in: bytes, from: from).map { $0 + 4 } }
    }

    static func find(_ needle: [UInt8], in bytes: UnsafeRawBufferPointer, from: Int) -> Int? {
        guard bytes.count >= needle.count, from <= bytes.count - needle.count else { return nil }
        var i = from
        while i <= bytes.count - needle.count {
            if bytes[i] == needle[0] && needle.indices.allSatisfy({ bytes[i + $0] == needle[$0] }) { return i }
            i += 1
        }
        return nil
    }
}

/// Tells `RawHeaderBytesHandler` that the response head NIO's encoder writes next holds escapes.
final class ResponseHeadMarker: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let raw: RawHeaderBytesHandler
    init(_ raw: RawHeaderBytesHandler) { self.raw = raw }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .head(let head) = unwrapOutboundIn(data), head.headers.contains(where: { HeaderBytes.hasEscapes($0.value) }) {
            raw.escapedResponseHeadPending = true
        }
        context.write(data, promise: promise)
    }
}

/// Puts `RawHeaderBytesHandler` in front of NIO's HTTP/1 codec and `ResponseHeadMarker` behind it
/// (Hummingbird's extra handlers go only after the codec). It passes every event on as it is.
final class RawHeaderBytesInstaller: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = HTTPRequestPart

    func handlerAdded(context: ChannelHandlerContext) {
        do {
            let pipeline = context.pipeline.syncOperations
            let raw = RawHeaderBytesHandler()
            try pipeline.addHandler(raw, position: .before(try pipeline.handler(type: HTTPResponseEncoder.self)))
            try pipeline.addHandler(ResponseHeadMarker(raw), position: .after(try pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)))
        } catch {
            context.fireErrorCaught(error)
        }
    }
}

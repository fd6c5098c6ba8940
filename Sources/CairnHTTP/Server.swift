import CairnStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOHTTPTypes
import NIOSSL

/// Answers `Expect: 100-continue` as soon as a request head arrives, so clients (botocore waits a
/// second otherwise) start sending the body. Authentication errors are still returned after it.
final class ContinueHandler: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundOut = HTTPResponsePart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data), head.headerFields[.expect]?.lowercased() == "100-continue" {
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
        }
        context.fireChannelRead(data)
    }
}

/// Configuration of `cairn serve`.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var region: String
    public var tlsCertificatePath: String?
    public var tlsKeyPath: String?

    public init(host: String, port: Int, region: String, tlsCertificatePath: String?, tlsKeyPath: String?) {
        self.host = host
        self.port = port
        self.region = region
        self.tlsCertificatePath = tlsCertificatePath
        self.tlsKeyPath = tlsKeyPath
    }
}

/// Serves `apis` (see `Responder`) until SIGTERM or SIGINT, then closes the store (pending commits are drained first).
public func runServer(store: Store, apis: [any HTTPAPI], configuration: ServerConfiguration, logger: Logger) async throws {
    let http1 = HTTP1Channel.Configuration(
        additionalChannelHandlers: [RawHeaderBytesInstaller(), ContinueHandler()],
        idleTimeout: .seconds(300),
        // Generous parser limits so that an oversized header section gets a proper S3 error from the
        // handler (RequestHeaderSectionTooLarge) instead of a bare 400; beyond these the parser answers 400.
        httpDecoderConfiguration: .init(maxHeaderFieldSize: 4 << 20, maxHeaderListSize: 4 << 20, maxHeaderFieldCount: 1000))
    var server: HTTPServerBuilder = .http1(configuration: http1)
    var secure = false
    if let certPath = configuration.tlsCertificatePath, let keyPath = configuration.tlsKeyPath {
        let certificates = try NIOSSLCertificate.fromPEMFile(certPath).map { NIOSSLCertificateSource.certificate($0) }
        let key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        let tls = TLSConfiguration.makeServerConfiguration(certificateChain: certificates, privateKey: .privateKey(key))
        server = try .tls(.http1(configuration: http1), tlsConfiguration: tls)
        secure = true
    }
    let scheme = secure ? "https" : "http"
    let app = Application(
        responder: Responder(apis: apis, logger: logger),
        server: server,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "Cairn"),
        onServerRunning: { channel in
            logger.info("listening on \(scheme)://\(configuration.host):\(channel.localAddress?.port ?? configuration.port) (region \(configuration.region))")
        },
        logger: logger)
    do {
        try await app.runService()
    } catch {
        store.close()
        throw error
    }
    logger.info("shutting down: draining index writes")
    store.close()
}

import Hummingbird

/// Virtual-hosted–style addressing: a request to `BUCKET.DOMAIN` names the bucket in its host, for each
/// domain `cairn serve --domain` names. Requests to other hosts (or to a domain itself) are path-style.
public struct VirtualHosts: Sendable {
    let domains: [String]

    public init(_ domains: [String]) {
        self.domains = domains.map { $0.lowercased().trimmingSuffix(".") }.filter { !$0.isEmpty }
    }

    /// The bucket the request's host names, or nil for a path-style request.
    public func bucket(in request: Request) -> String? {
        guard !domains.isEmpty, var host = request.head.authority?.lowercased() else { return nil }
        if !host.hasSuffix("]"), let colon = host.lastIndex(of: ":") { host = String(host[..<colon]) }
        host = host.trimmingSuffix(".")
        for domain in domains where host.hasSuffix("." + domain) {
            let bucket = host.dropLast(domain.count + 1)
            if !bucket.isEmpty { return String(bucket) }
        }
        return nil
    }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> String { hasSuffix(suffix) ? String(dropLast(suffix.count)) : self }
}

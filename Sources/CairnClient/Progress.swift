import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What a push or pull did, as `--json` prints it.
public struct TransferSummary: Sendable, Codable {
    public var files = 0
    public var logicalBytes = 0
    public var bytesSent = 0
    public var bytesReceived = 0
    public var chunksTotal = 0
    public var chunksTransferred = 0
    public var chunksDeduped = 0
    /// Chunk payload bytes that crossed the wire (after wire compression).
    public var payloadBytes = 0
    public var dedupeRatio = 0.0
    public var seconds = 0.0

    enum CodingKeys: String, CodingKey {
        case files, logicalBytes = "logical_bytes", bytesSent = "bytes_sent", bytesReceived = "bytes_received", chunksTotal = "chunks_total"
        case chunksTransferred = "chunks_transferred", chunksDeduped = "chunks_deduped", dedupeRatio = "dedupe_ratio", seconds
    }

    /// The summary of a finished transfer; the ratio counts chunk payload bytes against logical bytes.
    init(files: Int, logicalBytes: Int, chunksTotal: Int, chunksTransferred: Int, payloadBytes: Int, wire: WireCounters, started: Date) {
        self.files = files
        self.logicalBytes = logicalBytes
        self.chunksTotal = chunksTotal
        self.chunksTransferred = chunksTransferred
        chunksDeduped = chunksTotal - chunksTransferred
        self.payloadBytes = payloadBytes
        bytesSent = wire.sent
        bytesReceived = wire.received
        dedupeRatio = logicalBytes > 0 ? max(0, 1 - Double(payloadBytes) / Double(logicalBytes)) : 0
        seconds = Date().timeIntervalSince(started)
    }

    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }
}

/// Progress of a transfer: a redrawn bar on a terminal, a plain line every few seconds otherwise.
/// All output goes to stderr, so stdout stays clean for `--json`.
public final class Progress: Sendable {
    public enum Style: Sendable { case terminal, lines, quiet }

    private struct State {
        var total = 0, done = 0, saved = 0, files = 0, filesDone = 0
        var lastDraw = Date.distantPast
        var phase = ""
        var phaseStarted = Date()
    }

    private let verb: String
    private let style: Style
    private let state = Mutex(State())

    public init(verb: String, style: Style) {
        self.verb = verb
        self.style = style
    }

    public static func defaultStyle(quiet: Bool) -> Style {
        quiet ? .quiet : (isatty(2) != 0 ? .terminal : .lines)
    }

    func setFiles(_ n: Int) { state.withLock { $0.files = n } }
    /// Starts a phase ("chunking", "sending", …) whose bar runs from 0 to `total` bytes.
    func begin(_ p: String, total: Int) {
        state.withLock { $0.phase = p; $0.total = total; $0.done = 0; $0.phaseStarted = Date() }
        draw(force: style == .terminal)
    }
    func advance(bytes: Int = 0, saved: Int = 0, files: Int = 0) {
        state.withLock { $0.done += bytes; $0.saved += saved; $0.filesDone += files }
        draw()
    }

    private func draw(force: Bool = false) {
        guard style != .quiet else { return }
        let now = Date()
        let line: String? = state.withLock { s in
            let interval = style == .terminal ? 0.2 : 5.0
            guard force || now.timeIntervalSince(s.lastDraw) >= interval else { return nil }
            s.lastDraw = now
            let elapsed = max(now.timeIntervalSince(s.phaseStarted), 0.001)
            let rate = Double(s.done) / elapsed
            let eta = rate > 0 && s.total > s.done ? formatSeconds(Double(s.total - s.done) / rate) : "-"
            let pct = s.total > 0 ? min(100, s.done * 100 / s.total) : 100
            let bar: String
            if style == .terminal {
                let width = 24, filled = width * pct / 100
                bar = "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "] "
            } else {
                bar = ""
            }
            return "\(verb) \(s.phase) \(bar)\(pct)% \(formatBytes(s.done))/\(formatBytes(s.total)) \(s.filesDone)/\(s.files) files \(formatBytes(Int(rate)))/s ETA \(eta), dedupe saved \(formatBytes(s.saved))"
        }
        guard let line else { return }
        if style == .terminal {
            printError("\r\u{1B}[2K" + line)
        } else {
            printError(line + "\n")
        }
    }

    /// Ends the bar with a final line.
    func finish(_ summary: TransferSummary) {
        guard style != .quiet else { return }
        if style == .terminal { printError("\r\u{1B}[2K") }
        let sent = verb == "push" ? "sent \(formatBytes(summary.bytesSent))" : "received \(formatBytes(summary.bytesReceived))"
        printError("\(verb): \(summary.files) files, \(formatBytes(summary.logicalBytes)), \(sent), \(summary.chunksDeduped)/\(summary.chunksTotal) chunks deduplicated (\(String(format: "%.1f", summary.dedupeRatio * 100))% saved) in \(String(format: "%.2f", summary.seconds)) s\n")
    }
}

public func formatBytes(_ n: Int) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var v = Double(n), i = 0
    while v >= 1024 && i < units.count - 1 { v /= 1024; i += 1 }
    return i == 0 ? "\(n) B" : String(format: "%.1f %@", v, units[i])
}

func formatSeconds(_ s: Double) -> String {
    s < 60 ? String(format: "%.0fs", s) : String(format: "%dm%02ds", Int(s) / 60, Int(s) % 60)
}

/// Writes text to stderr (fd 2) directly: the C `stderr` global is not concurrency-safe in Swift 6.
public func printError(_ text: String) {
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
        let n = bytes.withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
        if n <= 0 { if n < 0 && errno == EINTR { continue }; return }
        bytes = bytes.dropFirst(n)
    }
}

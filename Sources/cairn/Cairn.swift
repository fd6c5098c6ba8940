import ArgumentParser

@main
struct Cairn: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cairn",
        abstract: "Content-addressed artifact store with an S3-compatible API.",
        subcommands: [Serve.self, Push.self, Pull.self, Login.self, Config.self, Model.self, Lineage.self, GC.self, Scrub.self, Fsck.self, BenchChunker.self, BenchGC.self, Routes.self])
}

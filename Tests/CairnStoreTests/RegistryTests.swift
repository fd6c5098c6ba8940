import CairnCore
import CairnProtocol
@testable import CairnStore
import Foundation
import Testing

/// Puts `bytes` in the store as an object (so a blob exists) and returns the file entry naming it.
func storedFile(_ store: Store, _ path: String, _ bytes: [UInt8]) async throws -> VersionFile {
    try? await store.createBucket("files")
    let blob = try ingest(store, bytes)
    try await store.putObject(bucket: "files", key: path, blob: blob, headers: [], checksums: [])
    return VersionFile(path: path, sha256: blob.sha256.hex, md5: "", size: 0)
}

@Suite struct RegistryTests {
    @Test func namesAreValidated() {
        for good in ["flag-combo", "team/vision/resnet_50", "a.b", "m1", "Fraud Detector", "Team/Vision.v2", "détecteur de fraude",
                     "モデル", String(repeating: "a", count: 200)] {
            #expect(RegistryNames.isValidModel(good), "\(good)")
        }
        for bad in ["", "a//b", "/a", "a/", "../x", "a/../b", ".hidden", " lead", "trail ", "a@b", "tab\there", "nul\u{0}",
                    "bidi\u{202E}", "x/versions", String(repeating: "a", count: 201)] {
            #expect(!RegistryNames.isValidModel(bad), "\(bad)")
        }
        for good in ["production", "Champion", "v2-canary", "chámpion", "a_b.c"] { #expect(RegistryNames.isValidAlias(good), "\(good)") }
        for bad in ["42", "a/b", "two words", "", ".x", "a@b", String(repeating: "a", count: 256)] {
            #expect(!RegistryNames.isValidAlias(bad), "\(bad)")
        }
    }

    @Test func versionsAreNumberedImmutableAndResolveTheirBlobs() async throws {
        let t = try TemporaryStore()
        let store = t.store!
        let weights = pseudoRandomBytes(300_000, seed: 5)
        let file = try await storedFile(store, "model.pkl", weights)
        _ = try await store.createModel(ModelRecord(name: "team/flag-combo", description: "d", tags: ["task": "cls"], createdBy: "alice"))
        await #expect(throws: StoreError.registryConflict("model team/flag-combo exists")) {
            try await store.createModel(ModelRecord(name: "team/flag-combo", createdBy: "bob"))
        }
        await #expect(throws: StoreError.self) { try await store.createModel(ModelRecord(name: "bad@name", createdBy: "bob")) }

        let v1 = try await store.createVersion(model: "team/flag-combo", VersionDraft(files: [file], metrics: ["auc": 0.91]), by: "alice")
        let v2 = try await store.createVersion(model: "team/flag-combo", VersionDraft(files: [file]), by: "alice", number: 2)
        #expect(v1.version == 1 && v2.version == 2)
        #expect(v1.files.first?.md5 == Hasher.digest(.md5, weights).hex && v1.files.first?.size == UInt64(weights.count))
        await #expect(throws: StoreError.registryConflict("version 2 of team/flag-combo exists and is immutable")) {
            try await store.createVersion(model: "team/flag-combo", VersionDraft(files: [file]), by: "alice", number: 2)
        }
        let unknownBlob = VersionFile(path: "x", sha256: String(repeating: "ab", count: 32), md5: "", size: 0)
        await #expect(throws: StoreError.self) { try await store.createVersion(model: "team/flag-combo", VersionDraft(files: [unknownBlob]), by: "a") }
        let unsafe = VersionFile(path: "../x", sha256: file.sha256, md5: "", size: 0)
        await #expect(throws: StoreError.self) { try await store.createVersion(model: "team/flag-combo", VersionDraft(files: [unsafe]), by: "a") }
        await #expect(throws: StoreError.registryNotFound("model nope does not exist")) { try await store.createVersion(model: "nope", VersionDraft(files: []), by: "a") }

        #expect(try store.version(model: "team/flag-combo", 1) == v1)
        #expect(try store.versions(model: "team/flag-combo", after: 0, limit: 10).versions.map(\.version) == [1, 2])
        #expect(try store.model("team/flag-combo")?.latestVersion == 2)
        let listed = try store.models(prefix: "team/", tags: ["task": "cls"], after: nil, limit: 10).models.map(\.name)
        #expect(listed == ["team/flag-combo"])
        #expect(try store.models(prefix: "team/", tags: ["task": "other"], after: nil, limit: 10).models.isEmpty)
    }

    @Test func aliasesMoveWithHistoryAndProtection() async throws {
        let t = try TemporaryStore()
        let store = t.store!
        let file = try await storedFile(store, "w.bin", pseudoRandomBytes(1000, seed: 6))
        _ = try await store.createModel(ModelRecord(name: "m", createdBy: "a"))
        for _ in 1...3 { _ = try await store.createVersion(model: "m", VersionDraft(files: [file]), by: "a") }

        try await store.setAlias(model: "m", "production", version: 1, by: "alice", reason: "first")
        let afterFirst = Date()
        try await Task.sleep(for: .milliseconds(5))
        try await store.setAlias(model: "m", "production", version: 2, by: "bob", protect: true)
        await #expect(throws: StoreError.self) { try await store.setAlias(model: "m", "production", version: 3, by: "eve") }
        await #expect(throws: StoreError.self) { try await store.deleteAlias(model: "m", "production", by: "eve") }
        try await store.setAlias(model: "m", "production", version: 3, by: "admin", reason: "rollout", force: true)
        await #expect(throws: StoreError.self) { try await store.setAlias(model: "m", "production", version: 9, by: "admin", force: true) }

        #expect(try store.alias(model: "m", "production")?.version == 3)
        #expect(try store.alias(model: "m", "production")?.protected == true)
        let history = try store.aliasHistory(model: "m", "production")
        #expect(history.map(\.to) == [1, 2, 3])
        #expect(history.map(\.from) == [nil, 1, 2])
        #expect(history.map(\.by) == ["alice", "bob", "admin"])
        #expect(history.last?.reason == "rollout")
        #expect(try store.aliasVersion(model: "m", "production", at: afterFirst) == 1)
        #expect(try store.aliasVersion(model: "m", "production", at: Date()) == 3)
        #expect(try store.aliasVersion(model: "m", "production", at: Date(timeIntervalSince1970: 0)) == nil)

        try await store.deleteAlias(model: "m", "production", by: "admin", force: true)
        #expect(try store.alias(model: "m", "production") == nil)
        #expect(try store.aliasHistory(model: "m", "production").last?.to == nil)
        #expect(try store.aliasVersion(model: "m", "production", at: Date()) == nil)
    }

    @Test func lineageIndexesFindVersionsByDatasetAndParent() async throws {
        let t = try TemporaryStore()
        let store = t.store!
        let file = try await storedFile(store, "w.bin", pseudoRandomBytes(1000, seed: 7))
        let md5 = String(repeating: "12", count: 16), sha = String(repeating: "34", count: 32)
        _ = try await store.createModel(ModelRecord(name: "base", createdBy: "a"))
        _ = try await store.createModel(ModelRecord(name: "tuned", createdBy: "a"))
        _ = try await store.createVersion(model: "base", VersionDraft(files: [file], lineage: Lineage(datasets: [DatasetRef(md5: md5, path: "data/train.csv")])), by: "a")
        _ = try await store.createVersion(model: "base", VersionDraft(files: [file]), by: "a")
        _ = try await store.createVersion(model: "tuned", VersionDraft(files: [file], lineage: Lineage(datasets: [DatasetRef(sha256: sha)], parents: [ParentRef(model: "base", version: 1)])), by: "a")
        await #expect(throws: StoreError.self) {
            try await store.createVersion(model: "tuned", VersionDraft(files: [file], lineage: Lineage(parents: [ParentRef(model: "base", version: 7)])), by: "a")
        }
        #expect(try store.versions(usingDataset: DatasetDigest(parsing: "md5:\(md5)")!) == [ParentRef(model: "base", version: 1)])
        #expect(try store.versions(usingDataset: DatasetDigest(parsing: "sha256:\(sha)")!) == [ParentRef(model: "tuned", version: 1)])
        #expect(try store.versions(usingDataset: DatasetDigest(parsing: "md5:\(String(repeating: "00", count: 16))")!).isEmpty)
        #expect(try store.children(of: ParentRef(model: "base", version: 1)) == [ParentRef(model: "tuned", version: 1)])
        #expect(try store.children(of: ParentRef(model: "base", version: 2)).isEmpty)
        #expect(DatasetDigest(parsing: "md5:xyz") == nil)
    }

    @Test func registrySurvivesReopen() async throws {
        let t = try TemporaryStore()
        let file = try await storedFile(t.store, "w.bin", pseudoRandomBytes(1000, seed: 8))
        _ = try await t.store.createModel(ModelRecord(name: "m", createdBy: "a"))
        let v = try await t.store.createVersion(model: "m", VersionDraft(files: [file], params: ["lr": "0.1"]), by: "a")
        try await t.store.setAlias(model: "m", "staging", version: 1, by: "a")
        try t.reopen()
        let reread = try #require(try t.store.version(model: "m", 1))
        #expect(reread.files == v.files && reread.params == v.params && reread.createdBy == v.createdBy)
        #expect(abs(reread.createdAt.timeIntervalSince(v.createdAt)) < 0.001)  // stored in milliseconds
        #expect(try t.store.alias(model: "m", "staging")?.version == 1)
    }
}

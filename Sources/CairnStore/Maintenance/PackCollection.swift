import CairnCore
import CairnProtocol
import Foundation

/// A chunk record of a pack as the chunk index names it.
private typealias LiveRecord = (digest: [UInt8], location: ChunkLocation)

extension Store {
    /// Deletes packs the index no longer references and compacts mostly-garbage ones. Only packs that no
    /// ingest in progress may still be appending index-less records to, and older than the grace period.
    func collectPacks(_ options: GCOptions, planned: Set<UInt64>, report: inout GCReport) async throws {
        let now = Date()
        let cutoff = min(ingests.oldestStart ?? now, now.addingTimeInterval(-options.grace))
        let current = packs.currentID
        let eligible = try packs.list().filter { planned.contains($0.id) && $0.id != current && $0.modified < cutoff }
        guard !eligible.isEmpty else { return }
        let live = try liveRecords(in: Set(eligible.map(\.id)))

        var deleted = 0
        for file in eligible where live[file.id] == nil {
            try packs.delete(file.id)
            deleted += 1
            if deleted == 1 { crashPoint("delete-packs") }
        }
        report.packsDeleted += deleted

        let toCompact = eligible.filter { file in
            guard let records = live[file.id] else { return false }
            let liveBytes = records.reduce(0) { $0 + PackFormat.recordHeaderLength + Int($1.location.storedLength) }
            return Double(liveBytes) < Double(file.size - PackFormat.headerLength) * options.compactBelow
        }
        guard !toCompact.isEmpty else { return }
        try await compact(toCompact.map(\.id), live: live, report: &report)
    }

    /// The live records of these packs, from the index as it is now.
    private func liveRecords(in packIDs: Set<UInt64>) throws -> [UInt64: [LiveRecord]] {
        var live: [UInt64: [LiveRecord]] = [:]
        try environment.read { txn in
            try txn.scan(db.chunks, from: []) { key, value in
                let location = try ChunkLocation.decode(Array(value))
                if packIDs.contains(location.pack) { live[location.pack, default: []].append((Array(key), location)) }
                return true
            }
        }
        return live
    }

    /// Copies each live record (verified) to the current pack, makes the copies durable, then switches the
    /// index entries that still point at the old place in one transaction; deletes the old packs after that.
    private func compact(_ packIDs: [UInt64], live: [UInt64: [LiveRecord]], report: inout GCReport) async throws {
        let token = ingests.begin()
        defer { withExtendedLifetime(token) {} }
        let (moves, corrupt) = try await onOwnThread { try self.copyLiveRecords(packIDs.map { live[$0] ?? [] }.joined()) }
        crashPoint("compact-copy")
        let db = self.db
        report.chunksMoved += try await committer.write { txn in
            var moved = 0
            for m in moves {
                guard let now = try txn.get(db.chunks, m.digest), try ChunkLocation.decode(now) == m.from else { continue }
                try txn.put(db.chunks, m.digest, m.to.encode())
                moved += 1
            }
            return moved
        }
        crashPoint("compact-switch")
        report.corruptChunks += corrupt
        // A pack still referenced (a corrupt record left in place) stays.
        let compacted = Set(packIDs)
        let referenced = try liveRecords(in: compacted)
        for id in compacted where referenced[id] == nil {
            try packs.delete(id)
            report.packsCompacted += 1
        }
    }

    /// Appends a verified copy of each record to the current pack and syncs it; returns the moves and how
    /// many records were corrupt (left in place for scrub to report).
    private func copyLiveRecords(_ records: some Sequence<LiveRecord>) throws
        -> (moves: [(digest: [UInt8], from: ChunkLocation, to: ChunkLocation)], corrupt: Int) {
        var moves: [(digest: [UInt8], from: ChunkLocation, to: ChunkLocation)] = []
        var corrupt = 0
        let reader = makeChunkReader()
        for (digest, location) in records {
            // Gone or moved since the scan (a new upload of a quarantined chunk, say): nothing to copy.
            guard let (found, payload) = try? reader.readRecord(digest), found == location else { continue }
            guard (try? reader.decode(digest, found, payload)) != nil else {
                corrupt += 1
                continue
            }
            // The payload sits right after its 48-byte header in the reader's record buffer.
            let record = UnsafeRawBufferPointer(start: payload.baseAddress! - PackFormat.recordHeaderLength,
                                                count: PackFormat.recordHeaderLength + payload.count)
            let (pack, offset) = try packs.append(record)
            moves.append((digest, location, ChunkLocation(pack: pack, offset: offset, storedLength: location.storedLength,
                                                          rawLength: location.rawLength, compressed: location.compressed)))
        }
        try packs.syncCurrent()
        return (moves, corrupt)
    }
}

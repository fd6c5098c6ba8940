"""Garbage collection, scrub and fsck (issue 5) against the release binary.

Every test starts servers of its own (``needs_process``): the collections here
run with a grace period of 0 s and measure pack bytes on disk, so none of them
touches the session server the rest of the suite shares.

1. a writer loop (PUT, overwrite, delete, multipart, registry versions through
   the JSON API and `cairn model register`, reads) while collections with and
   without compaction run: everything live reads back, fsck is consistent, and
   after a final collection the packs hold little more than the live data;
2. the dedupe race: chunks a session was told are present (or uploaded) survive
   a collection until the commit; commits racing collections either succeed
   with intact objects or fail cleanly with MissingChunks; S3 PUTs of content
   just deleted racing collections succeed;
3. kill -9 at each phase of a collection (CAIRN_GC_CRASH_AT): consistent after
   restart, live data intact, the next collection finishes the job;
4. `dvc gc -c` in one of two DVC projects sharing a bucket, then `cairn gc`:
   the disk space comes back and both projects still pull byte-identical data;
5. scrub finds a flipped byte, quarantines the chunk, names the object and the
   model version; reads fail instead of serving wrong bytes; re-uploading heals;
6. fsck rebuilds a lost chunk index from the packs (`cairn fsck --data`);
7. abandoned multipart uploads and expired dedupe sessions are collected, live
   ones are not;
8. admin API edges: key roles, dry runs, status, one maintenance job at a time,
   and reports that say what a run does (dry-run pack plan, grace_chunks);
9. lineage pinning: dataset blobs named only by a version's lineage are kept,
   unless pin-lineage=false;
10. the default grace period spares fresh garbage; --gc-interval/--gc-grace
   run collections on their own.
"""

from __future__ import annotations

import hashlib
import http.client
import io
import json
import os
import random
import shutil
import struct
import threading
import time
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import botocore
import pytest
from boto3.s3.transfer import TransferConfig

import harness
from harness import (
    KiB,
    MiB,
    CairnServer,
    Manifest,
    RawS3,
    Session,
    assert_client_error,
    assert_native_error,
    cairn_env,
    dvc_credentials,
    dvc_data_hashes,
    dvc_init,
    find_tool,
    list_all_keys,
    make_cli_env,
    make_client,
    native,
    native_json,
    parse_frames,
    parse_listing,
    post_json,
    run,
    s3_sha256,
    s3_sha256_size,
    sha256_hex,
)

pytestmark = pytest.mark.needs_process

CHUNK_MAX = 256 * KiB  # the store's default chunker maximum (storage-layout.md)
CHUNK_MIN = 16 * KiB
RECORD_HEADER = 48
PACK_HEADER = 16
WRITER_SECONDS = float(os.environ.get("CAIRN_TEST_GC_WRITER_SECONDS", "35"))


# ---------------------------------------------------------------- servers and admin calls


def start_server(server_factory, name: str, *, extra_args=(), extra_env=None, **kwargs) -> CairnServer:
    """An own server; no scheduled collections (the tests run them)."""
    defaults = [] if "--gc-interval" in extra_args else ["--gc-interval", "0"]
    srv = server_factory.create(name, extra_args=[*defaults, *extra_args], **kwargs)
    srv.extra_env = dict(extra_env or {})
    srv.start()
    return srv


def admin(raw: RawS3, job: str, **query):
    """POST /api/v1/admin/<job>; keyword names use _ for - (compact_below=...)."""
    q = {k.replace("_", "-"): str(v) for k, v in query.items()}
    return native(raw, "POST", f"/admin/{job}", query=q or None)


def run_gc(raw: RawS3, **query) -> dict:
    query.setdefault("grace", "0s")
    report = native_json(admin(raw, "gc", **query))
    assert report["dry_run"] is (query.get("dry_run") == "true"), report
    return report


def run_fsck(raw: RawS3, **query) -> dict:
    return native_json(admin(raw, "fsck", **query))


def assert_consistent(report: dict, what: str = "fsck") -> None:
    assert report["consistent"] is True, f"{what} found problems: {json.dumps(report, indent=1)[:4000]}"
    for k in ("bad_chunk_entries", "missing_chunks", "missing_blobs", "bad_md5_entries", "blob_ref_mismatches"):
        assert report[k] == 0, (k, report)


def status(raw: RawS3) -> dict:
    return native_json(native(raw, "GET", "/admin/status"))


def pack_files(data_dir: Path) -> dict[str, int]:
    """relative pack path (xx/<16 hex>.pack) -> size."""
    root = data_dir / "packs"
    return {p.relative_to(root).as_posix(): p.stat().st_size for p in root.glob("*/*.pack")}


def pack_bytes(data_dir: Path) -> int:
    return sum(pack_files(data_dir).values())


@dataclass
class PackRecord:
    offset: int
    flags: int
    digest: bytes
    raw_length: int
    stored_length: int

    @property
    def payload_offset(self) -> int:
        return self.offset + RECORD_HEADER


def read_pack(path: Path) -> list[PackRecord]:
    """The records of a pack file, by the grammar in storage-layout.md."""
    data = path.read_bytes()
    assert data[:8] == b"CAIRNPAK" and struct.unpack(">I", data[8:12])[0] == 1, f"{path}: bad pack header"
    records, off = [], PACK_HEADER
    while off + RECORD_HEADER <= len(data) and data[off : off + 4] == b"CCHK":
        raw_len, stored = struct.unpack(">II", data[off + 40 : off + 48])
        if off + RECORD_HEADER + stored > len(data):
            break
        records.append(PackRecord(off, data[off + 4], data[off + 8 : off + 40], raw_len, stored))
        off += RECORD_HEADER + stored
    return records


# ---------------------------------------------------------------- the cairn CLI


# The CLI runs of this file time out after 5 minutes and are checked by the callers (cairn), by exit
# status (cairn_json) or by exit status 1 and the error code anywhere on stderr (cairn_fails).
cairn = partial(harness.cairn, check=False, timeout=300)
cairn_json = partial(harness.cairn_json, timeout=300)
cairn_fails = partial(harness.cairn_fails, one_error_line=False, timeout=300)


# ---------------------------------------------------------------- native API helpers


def server_manifest(raw: RawS3, bucket: str, key: str) -> Manifest:
    """The manifest the server made for an object (its own chunking)."""
    resp = native(raw, "GET", f"/dedupe/manifests/{bucket}", query={"prefix": key})
    assert resp.status == 200, resp
    entries = dict(parse_listing(resp.body))
    assert key in entries, (key, list(entries))
    return entries[key]


def split_chunks(data: bytes, manifest: Manifest) -> dict[bytes, bytes]:
    """digest -> chunk bytes, cutting `data` along the manifest."""
    out, off = {}, 0
    for digest, length in manifest.chunks:
        piece = data[off : off + length]
        assert hashlib.sha256(piece).digest() == digest
        out[digest] = piece
        off += length
    assert off == len(data)
    return out


def create_model(raw: RawS3, name: str) -> None:
    native_json(post_json(raw, "/models", {"name": name}), 201)


def register_version(raw: RawS3, name: str, files: list[dict], **extra) -> dict:
    return native_json(post_json(raw, f"/models/{name}/versions", {"files": files, **extra}), 201)


def version_file(raw: RawS3, name: str, version: int, path: str):
    return native(raw, "GET", f"/models/{name}/versions/{version}/files/{urllib.parse.quote(path)}")


def count_503s(client) -> list[str]:
    """Every 503 the client sees (before its own retries), by operation."""
    seen: list[str] = []

    def hook(response=None, operation=None, **_):
        if response is not None and response[0] is not None and response[0].status_code == 503:
            seen.append(getattr(operation, "name", "?"))

    client.meta.events.register_first("needs-retry.s3", hook)
    return seen


def assert_read_fails_without_wrong_bytes(raw: RawS3, path: str, original: bytes) -> str:
    """A read of content with a corrupt chunk fails (500 InternalError before
    any byte, or a cut connection) and never hands out a wrong byte."""
    status_code, got, complete = raw.fetch(path)
    if status_code == 500:
        assert complete and b"InternalError" in got, (status_code, got[:500])
        return "500 InternalError"
    assert status_code == 200, (status_code, got[:500])
    assert not complete or len(got) < len(original), (
        f"GET {path} returned a complete 200 response of {len(got)} bytes for content with a corrupt chunk"
    )
    assert got == original[: len(got)], f"GET {path}: the {len(got)} bytes served are not the content's prefix"
    return f"cut after {len(got)} bytes"


# ---------------------------------------------------------------- 1. writer loop while GC runs


@dataclass
class Family:
    """A random byte stream; a family's contents are prefixes of it."""

    seed: int
    size: int
    kind: str  # "prefix": single-stream PUTs of prefixes; "whole": exactly one content (multipart, CLI files)


@dataclass
class Ledger:
    """What must exist: live objects and registered versions, by content id (family, length)."""

    families: dict[int, Family] = field(default_factory=dict)
    shas: dict[tuple[int, int], str] = field(default_factory=dict)
    live: dict[str, tuple[int, int]] = field(default_factory=dict)
    deleted: list[tuple[int, int]] = field(default_factory=list)
    versions: dict[tuple[str, int], dict[str, tuple[int, int]]] = field(default_factory=dict)
    ops: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    slowdowns: list[str] = field(default_factory=list)
    _cache: tuple[int, bytes] | None = None

    def new_family(self, rng: random.Random, size: int, kind: str) -> tuple[int, int]:
        fid = len(self.families)
        self.families[fid] = Family(rng.getrandbits(63), size, kind)
        return (fid, size)

    def data(self, cid: tuple[int, int]) -> bytes:
        fid, n = cid
        if self._cache is None or self._cache[0] != fid:
            fam = self.families[fid]
            self._cache = (fid, random.Random(fam.seed).randbytes(fam.size))
        out = self._cache[1][:n]
        self.shas.setdefault(cid, sha256_hex(out))
        return out

    def sha(self, cid) -> str:
        if cid not in self.shas:
            self.data(cid)
        return self.shas[cid]

    def live_contents(self) -> set[tuple[int, int]]:
        out = set(self.live.values())
        for files in self.versions.values():
            out |= set(files.values())
        return out

    def bounds(self) -> tuple[int, int, int]:
        """(lower, upper, contents) bounds of the distinct live chunk bytes.

        Prefixes of one stream chunked from offset 0 share every chunk up to
        the chunk containing their end: the longest live prefix stores its
        length, every other live prefix at most one more (tail) chunk."""
        by_family: dict[int, set[int]] = defaultdict(set)
        contents = self.live_contents()
        for fid, n in contents:
            by_family[fid].add(n)
        lower = upper = 0
        for fid, lengths in by_family.items():
            longest = max(lengths)
            lower += longest
            upper += longest
            if self.families[fid].kind == "prefix":
                upper += sum(min(n, CHUNK_MAX) for n in lengths if n != longest)
            else:
                assert len(lengths) == 1
        return lower, upper, len(contents)


def _writer(srv, ledger: Ledger, bucket: str, stop: threading.Event, errors: list, seed: int, tmp: Path) -> None:
    rng = random.Random(seed)
    ep = srv.endpoint()
    s3 = make_client(ep, retries=10)
    ledger.slowdowns = count_503s(s3)
    raw = RawS3(ep)
    env = cairn_env(tmp / "cli-home", ep)
    json_model, cli_model = "gcloop/json", "gcloop/cli"
    create_model(raw, json_model)
    mpu = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB, max_concurrency=2)
    started = time.monotonic()
    cli_marks = [started + WRITER_SECONDS / 3, started + 2 * WRITER_SECONDS / 3]
    n = 0

    def put(key: str, cid) -> None:
        s3.put_object(Bucket=bucket, Key=key, Body=ledger.data(cid))
        old = ledger.live.get(key)
        ledger.live[key] = cid
        if old is not None and old != cid:
            ledger.deleted.append(old)

    def fresh_key() -> str:
        nonlocal n
        n += 1
        return f"obj/{n:05d}"

    def prefix_content() -> tuple[int, int]:
        fams = [c for c in ledger.live.values() if ledger.families[c[0]].kind == "prefix"]
        if not fams:
            return ledger.new_family(rng, rng.randint(10 * KiB, 3 * MiB), "prefix")
        fid, _ = rng.choice(fams)
        return (fid, rng.randint(10 * KiB, ledger.families[fid].size))

    try:
        while not stop.is_set() and time.monotonic() - started < WRITER_SECONDS:
            if cli_marks and time.monotonic() >= cli_marks[0] and ledger.live:
                cli_marks.pop(0)
                # `cairn model register`: one new file, one copy of a live object.
                d = tmp / f"cli-{n}"
                d.mkdir()
                fresh = ledger.new_family(rng, rng.randint(300 * KiB, 1 * MiB), "whole")
                (d / "fresh.bin").write_bytes(ledger.data(fresh))
                copy = rng.choice(list(ledger.live.values()))
                (d / "copy.bin").write_bytes(ledger.data(copy))
                doc = cairn_json(env, "model", "register", cli_model, d)
                assert {f["path"]: f["sha256"] for f in doc["files"]} == {
                    "fresh.bin": ledger.sha(fresh), "copy.bin": ledger.sha(copy)}, doc
                ledger.versions[(cli_model, doc["version"])] = {"fresh.bin": fresh, "copy.bin": copy}
                ledger.ops["cli-register"] += 1
                continue
            op = rng.choices(
                ["new", "prefix", "dup", "revive", "overwrite", "delete", "version", "multipart", "read"],
                weights=[28, 12, 8, 8, 12, 18, 7, 3, 8],
            )[0]
            if op in ("dup", "overwrite", "delete", "version", "read") and len(ledger.live) < 4:
                op = "new"
            if op == "revive" and not ledger.deleted:
                op = "new"
            if op == "new":
                put(fresh_key(), ledger.new_family(rng, rng.randint(10 * KiB, 3 * MiB), "prefix"))
            elif op == "prefix":
                put(fresh_key(), prefix_content())
            elif op == "dup":
                put(fresh_key(), rng.choice(list(ledger.live.values())))
            elif op == "revive":
                # Content of a deleted object: its blob and chunks may be collection candidates right now.
                put(fresh_key(), rng.choice(ledger.deleted[-20:]))
            elif op == "overwrite":
                key = rng.choice(sorted(ledger.live))
                cid = prefix_content() if rng.random() < 0.5 else ledger.new_family(rng, rng.randint(10 * KiB, 3 * MiB), "prefix")
                put(key, cid)
            elif op == "delete":
                key = rng.choice(sorted(ledger.live))
                s3.delete_object(Bucket=bucket, Key=key)
                ledger.deleted.append(ledger.live.pop(key))
            elif op == "version":
                keys = rng.sample(sorted(ledger.live), rng.randint(1, 2))
                files = [{"path": f"f{i}.bin", "bucket": bucket, "key": k} for i, k in enumerate(keys)]
                doc = register_version(raw, json_model, files)
                want = {f"f{i}.bin": ledger.live[k] for i, k in enumerate(keys)}
                assert {f["path"]: f["sha256"] for f in doc["files"]} == {p: ledger.sha(c) for p, c in want.items()}, doc
                ledger.versions[(json_model, doc["version"])] = want
            elif op == "multipart":
                cid = ledger.new_family(rng, rng.randint(5 * MiB + 512 * KiB, 7 * MiB), "whole")
                key = fresh_key()
                s3.upload_fileobj(io.BytesIO(ledger.data(cid)), bucket, key, Config=mpu)
                ledger.live[key] = cid
            elif op == "read":
                key = rng.choice(sorted(ledger.live))
                got = s3_sha256_size(s3, bucket, key)
                cid = ledger.live[key]
                assert got == (ledger.sha(cid), cid[1]), f"read of {key} during GC returned other content"
            ledger.ops[op] += 1
    except Exception as e:  # reported by the test
        errors.append(f"writer: {type(e).__name__}: {e}")
    finally:
        stop.set()


def _collector(srv, stop: threading.Event, reports: list, errors: list, seed: int) -> None:
    rng = random.Random(seed)
    raw = RawS3(srv.endpoint())
    i = 0
    while not stop.is_set():
        query = {"grace": "0s"}
        if i % 2:
            query["compact-below"] = "0.9"
        try:
            resp = native(raw, "POST", "/admin/gc", query=query)
            if resp.status != 200:
                errors.append(f"gc {query}: {resp!r}")
                return
            reports.append(json.loads(resp.body))
        except Exception as e:
            errors.append(f"gc {query}: {type(e).__name__}: {e}")
            return
        i += 1
        stop.wait(rng.uniform(0.1, 0.6))


def _verify_ledger(srv, ledger: Ledger, bucket: str) -> None:
    ep = srv.endpoint()
    s3, raw = make_client(ep), RawS3(ep)
    listed = set(list_all_keys(s3, bucket))
    assert listed == set(ledger.live), (
        f"listed but not live: {sorted(listed - set(ledger.live))[:10]}; "
        f"live but not listed: {sorted(set(ledger.live) - listed)[:10]}"
    )
    bad = []
    for key, cid in sorted(ledger.live.items()):
        try:
            got = s3_sha256_size(s3, bucket, key)
        except botocore.exceptions.ClientError as e:
            bad.append(f"{key}: {e}")
            continue
        if got != (ledger.sha(cid), cid[1]):
            bad.append(f"{key}: content (len {got[1]}) is not the last one written (len {cid[1]})")
    for (model, n), files in sorted(ledger.versions.items()):
        for path, cid in files.items():
            resp = version_file(raw, model, n, path)
            if resp.status != 200 or sha256_hex(resp.body) != ledger.sha(cid):
                bad.append(f"{model}@{n} {path}: {resp.status}, {len(resp.body)} bytes, want {cid[1]}")
    assert not bad, "\n".join(bad[:30]) + f"\n({len(bad)} problems)"


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_writer_loop_while_gc_runs(server_factory, tmp_path):
    srv = start_server(server_factory, "gc-loop")
    bucket = "gc-writer"
    make_client(srv.endpoint()).create_bucket(Bucket=bucket)
    seed = int(os.environ.get("CAIRN_TEST_GC_SEED") or random.randrange(1 << 30))
    print(f"seed {seed}")
    ledger, stop = Ledger(), threading.Event()
    errors: list[str] = []
    reports: list[dict] = []
    writer = threading.Thread(target=_writer, args=(srv, ledger, bucket, stop, errors, seed, tmp_path), daemon=True)
    collector = threading.Thread(target=_collector, args=(srv, stop, reports, errors, seed + 1), daemon=True)
    writer.start()
    collector.start()
    writer.join(WRITER_SECONDS + 240)
    stop.set()
    collector.join(120)
    assert not writer.is_alive() and not collector.is_alive(), "a thread hung"
    assert srv.alive(), srv.log_tail()
    assert not errors, "\n".join(errors)

    totals = {k: sum(r[k] for r in reports) for k in
              ("freed_chunks", "freed_blobs", "revived", "packs_deleted", "packs_compacted", "chunks_moved", "corrupt_chunks")}
    print(f"ops {dict(ledger.ops)}; {len(reports)} collections: {totals}; "
          f"503s seen by the writer: {len(ledger.slowdowns)}; live objects {len(ledger.live)}, versions {len(ledger.versions)}")
    # The loop really raced writes against deletions and compactions.
    assert len(reports) >= 10, f"only {len(reports)} collections ran"
    assert ledger.ops["delete"] >= 20 and ledger.ops["version"] >= 3 and ledger.ops["cli-register"] == 2, ledger.ops
    assert totals["freed_chunks"] > 0 and totals["freed_blobs"] > 0, totals
    assert totals["packs_compacted"] + totals["packs_deleted"] > 0 and totals["chunks_moved"] > 0, totals
    assert totals["corrupt_chunks"] == 0, totals

    _verify_ledger(srv, ledger, bucket)
    raw = RawS3(srv.endpoint())
    assert_consistent(run_fsck(raw))

    # A final collection: compaction below 95% live leaves at most ~5% garbage per pack.
    final = run_gc(raw, compact_below="0.95")
    after = run_gc(raw, dry_run="true")
    assert after["candidate_chunks"] == 0 and after["candidate_blobs"] == 0, after
    lower, upper, contents = ledger.bounds()
    on_disk = pack_bytes(srv.data_dir)
    packs = len(pack_files(srv.data_dir))
    overhead = RECORD_HEADER * (upper // CHUNK_MIN + 2 * contents) + PACK_HEADER * packs
    print(f"final gc {final}; pack bytes {on_disk} in {packs} packs; live bytes between {lower} and {upper}")
    assert on_disk >= lower, f"pack bytes {on_disk} < {lower} bytes of live content: live data is gone"
    assert on_disk <= 1.10 * upper + overhead, (
        f"after the final collection the packs hold {on_disk} bytes for at most {upper} live bytes (+{overhead} headers)"
    )
    _verify_ledger(srv, ledger, bucket)
    assert_consistent(run_fsck(raw))


# ---------------------------------------------------------------- 2. the dedupe race


def _bucket_server(server_factory, name: str, bucket: str, **kwargs):
    srv = start_server(server_factory, name, **kwargs)
    ep = srv.endpoint()
    s3 = make_client(ep, retries=10)
    s3.create_bucket(Bucket=bucket)
    return srv, s3, RawS3(ep)


def _commit_until_done(sess: Session, bucket: str, key: str, manifest: Manifest, chunks: dict[bytes, bytes],
                       unclean: list[str]) -> int:
    """Commits until it works. A failure must be a clean 409 MissingChunks
    naming chunks the store lacks: upload exactly those and commit again.
    Any other failure is recorded in `unclean` (then every chunk is uploaded
    again to go on). Returns the number of failed commits."""
    failures = 0
    for _ in range(6):
        resp = sess.commit(bucket, [(key, manifest)])
        if resp.status == 200:
            doc = native_json(resp)
            assert [o["key"] for o in doc["objects"]] == [key], doc
            assert doc["objects"][0]["sha256"] == manifest.sha256.hex(), doc
            return failures
        failures += 1
        try:
            err = assert_native_error(resp, 409, "MissingChunks")
            missing = [bytes.fromhex(h) for h in err["missing"]]
            assert missing and set(missing) <= set(chunks), err
        except AssertionError:
            unclean.append(f"commit of {key}: {resp!r}")
            missing = list(chunks)
        sess.upload_chunks([chunks[d] for d in missing])
    raise AssertionError(f"commit of {key} still failing after {failures} attempts")


@pytest.mark.timeout(300)
def test_session_pins_survive_gc_until_commit(server_factory):
    bucket = "gc-dedupe"
    srv, s3, raw = _bucket_server(server_factory, "gc-pins", bucket)
    unclean: list[str] = []

    # A client asks which chunks of X the server has: all (X exists). Then X is deleted.
    x = os.urandom(2 * MiB + 12345)
    s3.put_object(Bucket=bucket, Key="x", Body=x)
    mx = server_manifest(raw, bucket, "x")
    assert len(mx.chunks) >= 8 and sum(n for _, n in mx.chunks) == len(x)
    sess = Session(raw)
    assert sess.missing([d for d, _ in mx.chunks]) == []
    s3.delete_object(Bucket=bucket, Key="x")

    # The collection frees X's blob but not the chunks the session was told about.
    report = run_gc(raw, compact_below="0.99")
    assert report["candidate_blobs"] == 1 and report["freed_blobs"] == 1, report
    assert report["candidate_chunks"] == 0 and report["freed_chunks"] == 0, report
    resp = sess.commit(bucket, [("x-again", mx)])
    doc = native_json(resp)
    assert doc["objects"][0]["sha256"] == sha256_hex(x), doc
    assert s3_sha256_size(s3, bucket, "x-again") == (sha256_hex(x), len(x))
    sess.close()

    # The control: without the missing query nothing pins Y's chunks, and they go.
    y = os.urandom(1 * MiB + 999)
    s3.put_object(Bucket=bucket, Key="y", Body=y)
    my = server_manifest(raw, bucket, "y")
    s3.delete_object(Bucket=bucket, Key="y")
    distinct = {d for d, _ in my.chunks}
    report = run_gc(raw)
    assert report["freed_blobs"] == 1 and report["freed_chunks"] == len(distinct), report
    sess2 = Session(raw)
    err = assert_native_error(sess2.commit(bucket, [("y-again", my)]), 409, "MissingChunks")
    assert sorted(err["missing"]) == sorted(d.hex() for d in distinct), err
    assert _commit_until_done(sess2, bucket, "y-again", my, split_chunks(y, my), unclean) == 1
    assert not unclean, unclean
    assert s3_sha256_size(s3, bucket, "y-again") == (sha256_hex(y), len(y))
    sess2.close()

    # With the sessions gone, a collection keeps both objects (they are roots now).
    run_gc(raw, compact_below="0.99")
    assert s3_sha256_size(s3, bucket, "x-again") == (sha256_hex(x), len(x))
    assert s3_sha256_size(s3, bucket, "y-again") == (sha256_hex(y), len(y))
    assert_consistent(run_fsck(raw))


@pytest.mark.timeout(300)
def test_dedupe_commits_racing_gc(server_factory):
    """Put X, delete X, start a collection, and meanwhile commit X's manifest
    again: (a) as the protocol says (missing query, upload what is missing,
    commit), with pack compaction going on; (b) straight away, without a
    query, at delays that track the moment the collection deletes the chunks
    (a commit there must fail cleanly with MissingChunks or succeed)."""
    bucket = "gc-race"
    srv, s3, raw = _bucket_server(server_factory, "gc-race", bucket)
    rng = random.Random()
    committed: dict[str, str] = {}
    outcomes: dict[str, int] = defaultdict(int)
    pinned_conflicts: list[str] = []
    unclean: list[str] = []
    revived = 0
    rounds = [("asked", i) for i in range(12)] + [("direct", i) for i in range(80)]
    delay = 0.002  # (b): tracks the moment the collection deletes (committed before it: later next time)
    for n, (mode, i) in enumerate(rounds):
        data = os.urandom(rng.randint(1 * MiB, 2 * MiB))
        key = f"src/{n}"
        s3.put_object(Bucket=bucket, Key=key, Body=data)
        if mode == "asked":  # a pack to compact: the collection lasts longer
            s3.put_object(Bucket=bucket, Key=f"filler/{n}", Body=os.urandom(6 * MiB))
            s3.delete_object(Bucket=bucket, Key=f"filler/{n}")
        manifest = server_manifest(raw, bucket, key)
        chunks = split_chunks(data, manifest)
        s3.delete_object(Bucket=bucket, Key=key)

        gc_result: list = []
        query = {"grace": "0s", "compact_below": "0.9"} if mode == "asked" else {"grace": "0s"}
        gc = threading.Thread(target=lambda: gc_result.append(admin(raw, "gc", **query)))
        sess = Session(raw)
        target = f"copy/{n}"
        if mode == "asked":
            gc.start()
            time.sleep(rng.choice([0, 0, 0.001, 0.002, 0.004, 0.008, 0.02, 0.05]))
            missing = sess.missing([d for d, _ in manifest.chunks])
            sess.upload_chunks([chunks[d] for d in dict.fromkeys(missing)])
            failures = _commit_until_done(sess, bucket, target, manifest, chunks, unclean)
            present = len(manifest.chunks) - len(missing)
            outcomes["asked: " + ("all present" if not missing else "all missing" if not present else "some missing")] += 1
            if failures:
                pinned_conflicts.append(f"{target}: {failures} failed commits after a missing query and upload")
        else:
            gc.start()
            time.sleep(max(0.0, delay + rng.uniform(-0.0003, 0.0003)))
            failures = _commit_until_done(sess, bucket, target, manifest, chunks, unclean)
            delay = delay + 0.0007 if not failures else max(0.0, delay - 0.0007)
            outcomes["direct: " + ("committed" if not failures else "failed, then re-upload")] += 1
        gc.join(60)
        assert not gc.is_alive()
        assert gc_result and gc_result[0].status == 200, gc_result
        revived += json.loads(gc_result[0].body)["revived"]
        assert s3_sha256_size(s3, bucket, target) == (sha256_hex(data), len(data)), target
        committed[target] = sha256_hex(data)
        sess.close()
    print(f"outcomes: {dict(outcomes)}; candidates revived by the collections: {revived}; unclean failures: {len(unclean)}")
    # native-api.md: "A commit ... that names chunks the store lacks answers 409 with code MissingChunks".
    assert not unclean, f"{len(unclean)} commits failed otherwise than with 409 MissingChunks:\n" + "\n".join(unclean[:3])
    # native-api.md: "A session pins every chunk it uploaded and every chunk a missing query found present".
    assert not pinned_conflicts, pinned_conflicts

    run_gc(raw, compact_below="0.9")
    assert_consistent(run_fsck(raw))
    for key, sha in committed.items():
        assert s3_sha256(s3, bucket, key) == sha, key


@pytest.mark.timeout(300)
def test_s3_puts_of_deleted_content_racing_gc(server_factory):
    bucket = "gc-put-race"
    srv, s3, raw = _bucket_server(server_factory, "gc-put-race", bucket)
    slowdowns = count_503s(s3)
    rng = random.Random()
    written: dict[str, str] = {}
    errors: list[str] = []
    for i in range(8):
        data = os.urandom(2 * MiB + rng.randint(0, 100_000))
        s3.put_object(Bucket=bucket, Key=f"orig/{i}", Body=data)
        s3.put_object(Bucket=bucket, Key=f"filler/{i}", Body=os.urandom(6 * MiB))
        s3.delete_object(Bucket=bucket, Key=f"orig/{i}")
        s3.delete_object(Bucket=bucket, Key=f"filler/{i}")

        def put(key: str, delay: float) -> None:
            time.sleep(delay)
            try:
                s3.put_object(Bucket=bucket, Key=key, Body=data)
            except Exception as e:
                errors.append(f"{key}: {e!r}")

        threads = [threading.Thread(target=lambda: admin(raw, "gc", grace="0s", compact_below="0.9"))]
        for j in range(3):
            threads.append(threading.Thread(target=put, args=(f"copy/{i}/{j}", rng.choice([0, 0.002, 0.005, 0.01, 0.03]))))
            written[f"copy/{i}/{j}"] = sha256_hex(data)
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert not errors, errors
        for j in range(3):
            assert s3_sha256(s3, bucket, f"copy/{i}/{j}") == written[f"copy/{i}/{j}"]
    print(f"503 SlowDown answers retried by boto3: {len(slowdowns)}")
    run_gc(raw, compact_below="0.9")
    assert_consistent(run_fsck(raw))
    for key, sha in written.items():
        assert s3_sha256(s3, bucket, key) == sha, key


# ---------------------------------------------------------------- 3. kill -9 at each phase


GC_PHASES = ["plan", "delete-index", "delete-packs", "compact-copy", "compact-switch"]


@pytest.mark.timeout(300)
@pytest.mark.parametrize("phase", GC_PHASES)
def test_kill9_at_gc_phase(server_factory, tmp_path, phase):
    bucket = "gc-crash"
    srv, s3, raw = _bucket_server(server_factory, f"gc-crash-{phase}", bucket)
    data_dir = srv.data_dir
    # Pack P1: garbage only (after the deletes below). Sealed by a first collection.
    s3.put_object(Bucket=bucket, Key="garbage/a", Body=os.urandom(3 * MiB))
    first = run_gc(raw)
    assert first["freed_chunks"] == 0 and first["packs_deleted"] == first["packs_compacted"] == 0, first
    p1 = set(pack_files(data_dir))
    assert len(p1) == 1, p1
    # Pack P2: live objects and as much garbage.
    keep = {"keep/0": os.urandom(2 * MiB), "keep/1": os.urandom(1 * MiB + 777)}
    for k, v in keep.items():
        s3.put_object(Bucket=bucket, Key=k, Body=v)
    s3.put_object(Bucket=bucket, Key="garbage/b", Body=os.urandom(3 * MiB))
    p2 = set(pack_files(data_dir)) - p1
    assert len(p2) == 1, p2
    s3.delete_object(Bucket=bucket, Key="garbage/a")
    s3.delete_object(Bucket=bucket, Key="garbage/b")
    plan = run_gc(raw, dry_run="true", compact_below="0.99")
    assert plan["candidate_blobs"] == 2 and plan["candidate_chunks"] > 0, plan
    before = run_fsck(raw)
    packs_before = pack_files(data_dir)
    srv.stop()

    srv.extra_env = {"CAIRN_GC_CRASH_AT": phase}
    srv.start()
    try:
        resp = admin(raw, "gc", grace="0s", compact_below="0.99")
    except (OSError, http.client.HTTPException):
        resp = None
    assert resp is None, f"the server answered {resp!r} instead of dying at {phase}"
    assert srv.proc.wait(20) == -9, f"server exit status {srv.proc.returncode}, want SIGKILL\n{srv.log_tail()}"
    srv.extra_env = {}

    # On the stopped store: consistent, and the collection got as far as the phase says.
    env = cairn_env(tmp_path / "home", srv.endpoint())
    offline = cairn_json(env, "fsck", "--data", data_dir)
    assert_consistent(offline, "cairn fsck --data")
    packs_now = pack_files(data_dir)
    p1n, p2n = next(iter(p1)), next(iter(p2))
    if phase == "plan":
        assert packs_now == packs_before
        assert (offline["chunks"], offline["blobs"]) == (before["chunks"], before["blobs"]), (offline, before)
    elif phase == "delete-index":
        assert packs_now == packs_before
        assert offline["blobs"] < before["blobs"] or offline["chunks"] < before["chunks"], (offline, before)
    elif phase == "delete-packs":
        assert p1n not in packs_now and packs_now.get(p2n) == packs_before[p2n], packs_now
        assert offline["blobs"] == before["blobs"] - 2 and offline["chunks"] < before["chunks"], (offline, before)
    else:  # compact-copy, compact-switch: P1 deleted, P2's live records copied to a new pack, P2 still there
        assert p1n not in packs_now and packs_now.get(p2n) == packs_before[p2n], packs_now
        copies = set(packs_now) - set(packs_before)
        assert len(copies) == 1, packs_now
        copied = {r.digest for r in read_pack(data_dir / "packs" / next(iter(copies)))}
        assert len(copied) == offline["chunks"], (len(copied), offline)

    srv.start()
    for k, v in keep.items():
        assert s3_sha256_size(s3, bucket, k) == (sha256_hex(v), len(v)), k
    assert_consistent(run_fsck(raw))
    if phase == "compact-switch":
        # The index already points at the copies: P2 is unreferenced, the next run deletes it.
        assert run_gc(raw, dry_run="true")["packs_to_delete"] >= 1

    # A normal collection finishes the job.
    final = run_gc(raw, compact_below="0.99")
    assert final["corrupt_chunks"] == 0, final
    after = run_gc(raw, dry_run="true")
    assert after["candidate_chunks"] == 0 and after["candidate_blobs"] == 0, after
    assert p1n not in pack_files(data_dir) and p2n not in pack_files(data_dir), pack_files(data_dir)
    live = sum(len(v) for v in keep.values())
    on_disk = pack_bytes(data_dir)
    assert live <= on_disk <= 1.10 * live + 64 * KiB, (on_disk, live, pack_files(data_dir))
    for k, v in keep.items():
        assert s3_sha256_size(s3, bucket, k) == (sha256_hex(v), len(v)), k
    assert_consistent(run_fsck(raw))


# ---------------------------------------------------------------- 4. DVC gc, then cairn gc


@pytest.mark.timeout(900)
def test_dvc_gc_then_cairn_gc(server_factory, tmp_path):
    dvc = find_tool("dvc")
    bucket = "dvc-gc"
    srv, s3, raw = _bucket_server(server_factory, "gc-dvc", bucket)
    ep = srv.endpoint()
    env = make_cli_env(tmp_path / "home", ep)
    site = tmp_path / "home" / "dvc-site-cache"
    a, b = tmp_path / "project-a", tmp_path / "project-b"
    dvc_init(a, env, dvc, ep, f"s3://{bucket}/team-a", site)
    dvc_init(b, env, dvc, ep, f"s3://{bucket}/team-b", site)

    # A: v1 (6 MiB of weights + notes), pushed; then new weights (v2), pushed.
    v1_size = 6 * MiB
    rng = random.Random()
    (a / "data").mkdir()
    (a / "data" / "weights.bin").write_bytes(rng.randbytes(v1_size))
    (a / "data" / "notes.txt").write_text("the notes stay the same\n" * 100)
    run([dvc, "add", "data"], a, env)
    run([dvc, "push"], a, env)
    (a / "data" / "weights.bin").write_bytes(rng.randbytes(2 * MiB))
    run([dvc, "add", "data"], a, env)
    run([dvc, "push"], a, env)
    a_v2 = dvc_data_hashes(a / "data")
    # B: its own data, committed so that a fresh clone can pull it.
    (b / "data").mkdir()
    (b / "data" / "b.bin").write_bytes(rng.randbytes(2 * MiB))
    (b / "data" / "b.csv").write_text("".join(f"{i},{rng.random()}\n" for i in range(2000)))
    run([dvc, "add", "data"], b, env)
    run([dvc, "push"], b, env)
    run(["git", "add", "-A"], b, env)
    run(["git", "commit", "-q", "-m", "data"], b, env)
    b_data = dvc_data_hashes(b / "data")
    a_keys_before = set(list_all_keys(s3, bucket, "team-a/"))
    b_keys = set(list_all_keys(s3, bucket, "team-b/"))

    # dvc gc in A removes v1's objects from A's prefix of the remote, nothing of B's.
    run([dvc, "gc", "-w", "-c", "-f"], a, env)
    a_keys_after = set(list_all_keys(s3, bucket, "team-a/"))
    removed = a_keys_before - a_keys_after
    assert removed and a_keys_after < a_keys_before, (a_keys_before, a_keys_after)
    assert set(list_all_keys(s3, bucket, "team-b/")) == b_keys

    before = pack_bytes(srv.data_dir)
    cli = cairn_env(tmp_path / "cairn-home", ep)
    report = cairn_json(cli, "gc", "--grace", "0s")
    after = pack_bytes(srv.data_dir)
    print(f"dvc gc removed {len(removed)} objects; cairn gc: {report}; pack bytes {before} -> {after}")
    assert report["freed_blobs"] == len(removed), report  # v1's weights and its .dir manifest
    assert before - after >= 0.8 * v1_size, f"pack bytes fell by {before - after}, want >= 80% of {v1_size}"
    assert before - after <= v1_size + 64 * KiB, f"pack bytes fell by {before - after}: more than A's v1"
    assert report["bytes_freed"] == before - after, report

    # B's data pulls byte-identical into a fresh clone; A's current data too.
    clone = tmp_path / "clone-b"
    run(["git", "clone", "-q", str(b), str(clone)], tmp_path, env)
    dvc_credentials(clone, env, dvc, ep)
    run([dvc, "pull"], clone, env)
    assert dvc_data_hashes(clone / "data") == b_data
    shutil.rmtree(a / ".dvc" / "cache")
    shutil.rmtree(a / "data")
    run([dvc, "pull"], a, env)
    assert dvc_data_hashes(a / "data") == a_v2
    assert json.loads(run([dvc, "status", "-c", "--json"], a, env).stdout or "{}") == {}
    assert_consistent(run_fsck(raw))


# ---------------------------------------------------------------- 5. scrub


@pytest.mark.timeout(300)
def test_scrub_quarantines_corrupt_chunk_and_reupload_heals(server_factory, tmp_path):
    bucket = "gc-scrub"
    srv, s3, raw = _bucket_server(server_factory, "gc-scrub", bucket)
    data = os.urandom(4 * MiB + 4321)
    s3.put_object(Bucket=bucket, Key="victim.bin", Body=data)
    model = "scrub/model"
    create_model(raw, model)
    version = register_version(raw, model, [{"path": "w/victim.bin", "bucket": bucket, "key": "victim.bin"}])
    assert version["version"] == 1

    # Every record in the packs belongs to the object (random data: stored raw). Flip one payload byte
    # of the first record, i.e. of the object's first chunk.
    packs = pack_files(srv.data_dir)
    assert len(packs) == 1, packs
    pack_name = next(iter(packs))
    pack_path = srv.data_dir / "packs" / pack_name
    records = read_pack(pack_path)
    assert sum(r.raw_length for r in records) == len(data) and all(r.flags == 0 for r in records)
    first = records[0]
    assert first.digest == hashlib.sha256(data[: first.raw_length]).digest()
    with open(pack_path, "r+b") as f:
        f.seek(first.payload_offset + first.stored_length // 2)
        byte = f.read(1)
        f.seek(-1, os.SEEK_CUR)
        f.write(bytes([byte[0] ^ 0x5A]))

    obj_path = f"/{bucket}/victim.bin"
    file_path = f"/api/v1/models/{model}/versions/1/files/w/victim.bin"
    print("GET before scrub:", assert_read_fails_without_wrong_bytes(raw, obj_path, data))
    print("version file before scrub:", assert_read_fails_without_wrong_bytes(raw, file_path, data))
    # Ranges that do not touch the bad chunk are still served.
    tail = s3.get_object(Bucket=bucket, Key="victim.bin", Range=f"bytes={len(data) - 100_000}-")["Body"].read()
    assert tail == data[-100_000:]

    env = cairn_env(tmp_path / "home", srv.endpoint())
    report = cairn_json(env, "scrub", status=3)
    assert report["chunks_checked"] == len(records), report
    assert [(c["digest"], c["pack"], c["offset"]) for c in report["corrupt"]] == [(first.digest.hex(), pack_name, first.offset)], report
    assert report["quarantined"] == 1, report
    assert {"bucket": bucket, "key": "victim.bin"} in report["affected_objects"], report
    assert {"model": model, "version": 1, "path": "w/victim.bin"} in report["affected_versions"], report
    assert status(raw)["last_scrub"]["quarantined"] == 1

    print("GET after scrub:", assert_read_fails_without_wrong_bytes(raw, obj_path, data))
    print("version file after scrub:", assert_read_fails_without_wrong_bytes(raw, file_path, data))
    fsck = cairn_json(env, "fsck")  # quarantined references alone do not make the store inconsistent
    assert fsck["quarantined_references"] >= 1 and fsck["missing_chunks"] == 0, fsck
    again = cairn_json(env, "scrub")  # the quarantined chunk is no longer in the index: nothing corrupt left
    assert again["corrupt"] == [] and again["chunks_checked"] == len(records) - 1, again

    # Uploading the same bytes again (under another key) stores a good copy: everything heals.
    s3.put_object(Bucket=bucket, Key="healer.bin", Body=data)
    assert s3_sha256_size(s3, bucket, "victim.bin") == (sha256_hex(data), len(data))
    resp = version_file(raw, model, 1, "w/victim.bin")
    assert resp.status == 200 and resp.body == data
    fsck = cairn_json(env, "fsck")
    assert fsck["quarantined_references"] == 0 and fsck["consistent"], fsck
    assert cairn_json(env, "scrub")["corrupt"] == []
    # The collector drops the corrupt record with the rest of the garbage; the data stays.
    run_gc(raw, compact_below="0.99")
    assert s3_sha256_size(s3, bucket, "victim.bin") == (sha256_hex(data), len(data))
    assert_consistent(run_fsck(raw))


# ---------------------------------------------------------------- 6. fsck rebuilds the chunk index


@pytest.mark.timeout(300)
def test_fsck_rebuilds_deleted_chunk_index(server_factory, tmp_path):
    import lmdb  # Tests/integration/requirements.txt
    bucket = "gc-fsck"
    srv, s3, raw = _bucket_server(server_factory, "gc-fsck", bucket)
    objects = {f"obj/{i}": os.urandom(random.randint(100 * KiB, 2 * MiB)) for i in range(5)}
    objects["obj/dup"] = objects["obj/0"]
    for k, v in objects.items():
        s3.put_object(Bucket=bucket, Key=k, Body=v)
    big = os.urandom(6 * MiB + 5)
    s3.upload_fileobj(io.BytesIO(big), bucket, "obj/multipart",
                      Config=TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB))
    objects["obj/multipart"] = big
    create_model(raw, "fsck/model")
    register_version(raw, "fsck/model", [{"path": "m.bin", "bucket": bucket, "key": "obj/3"}])
    healthy = run_fsck(raw)
    assert_consistent(healthy)
    env = cairn_env(tmp_path / "home", srv.endpoint())
    # --data refuses a store a server has open (and changes nothing).
    for extra in ((), ("--rebuild-chunk-index",)):
        proc = cairn(env, "fsck", "--data", srv.data_dir, *extra)
        assert proc.returncode == 1 and "in use" in proc.stderr, (proc.returncode, proc.stdout, proc.stderr)
    srv.stop()

    env_lmdb = lmdb.open(str(srv.data_dir / "index"), max_dbs=40, map_size=1 << 40, subdir=True)
    try:
        chunks_db = env_lmdb.open_db(b"chunks", create=False)
        with env_lmdb.begin(write=True) as txn:
            assert txn.stat(chunks_db)["entries"] == healthy["chunks"]
            txn.drop(chunks_db, delete=False)
        with env_lmdb.begin() as txn:
            assert txn.stat(chunks_db)["entries"] == 0
    finally:
        env_lmdb.close()

    broken = cairn_json(env, "fsck", "--data", srv.data_dir, status=3)
    assert broken["consistent"] is False and broken["chunks"] == 0 and broken["missing_chunks"] > 0, broken
    fixed = cairn_json(env, "fsck", "--data", srv.data_dir, "--rebuild-chunk-index")
    assert_consistent(fixed, "fsck --rebuild-chunk-index")
    assert fixed["rebuilt_chunks"] == healthy["chunks"] and fixed["chunks"] == healthy["chunks"], (fixed, healthy)
    assert cairn_json(env, "fsck", "--data", srv.data_dir)["consistent"] is True

    srv.start()
    for k, v in objects.items():
        assert s3_sha256_size(s3, bucket, k) == (sha256_hex(v), len(v)), k
    resp = version_file(raw, "fsck/model", 1, "m.bin")
    assert resp.status == 200 and resp.body == objects["obj/3"]
    assert_consistent(run_fsck(raw))


# ---------------------------------------------------------------- 7. abandoned uploads and sessions


@pytest.mark.timeout(300)
def test_gc_aborts_old_uploads_and_expires_sessions(server_factory):
    bucket = "gc-abandoned"
    srv, s3, raw = _bucket_server(server_factory, "gc-abandoned", bucket, extra_args=["--session-ttl", "2"])

    def chunk_count() -> int:
        return status(raw)["store"]["chunks"]

    # An upload with one part and a session with uploaded chunks, both left alone.
    old_up = s3.create_multipart_upload(Bucket=bucket, Key="old")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="old", UploadId=old_up, PartNumber=1, Body=os.urandom(1 * MiB))
    part_chunks = chunk_count()
    assert part_chunks >= 4
    s1 = Session(raw)
    s1_chunks = [os.urandom(64 * KiB) for _ in range(4)]
    s1.upload_chunks(s1_chunks)
    assert chunk_count() == part_chunks + 4
    time.sleep(3)

    # Just before the collection: a live session with chunks and a young upload.
    s2 = Session(raw)
    s2_data = os.urandom(3 * 48 * KiB)
    s2_manifest, s2_chunks = Manifest.of(s2_data, [48 * KiB, 96 * KiB])
    s2.upload_chunks(s2_chunks)
    young = os.urandom(512 * KiB)
    young_up = s3.create_multipart_upload(Bucket=bucket, Key="young")["UploadId"]
    etag = s3.upload_part(Bucket=bucket, Key="young", UploadId=young_up, PartNumber=1, Body=young)["ETag"]
    before = chunk_count()
    young_chunks = before - part_chunks - 4 - 3

    report = run_gc(raw, upload_max_age="1s")
    # The live session goes on at once (its TTL is 2 s).
    doc = native_json(s2.commit(bucket, [("from-s2", s2_manifest)]))
    assert doc["objects"][0]["sha256"] == sha256_hex(s2_data)
    print(report)
    assert report["aborted_uploads"] == 1 and report["expired_sessions"] == 1, report
    assert report["freed_chunks"] == part_chunks + 4, report
    assert chunk_count() == before - part_chunks - 4 == 3 + young_chunks

    with pytest.raises(botocore.exceptions.ClientError) as exc:
        s3.list_parts(Bucket=bucket, Key="old", UploadId=old_up)
    assert_client_error(exc, 404, "NoSuchUpload")
    assert_native_error(native(raw, "POST", f"/dedupe/sessions/{s1.id}/missing", s1_chunks and hashlib.sha256(s1_chunks[0]).digest()),
                        404, "NoSuchSession")
    assert_native_error(native(raw, "POST", "/dedupe/chunks", b"".join(hashlib.sha256(c).digest() for c in s1_chunks)),
                        409, "MissingChunks")
    frames = parse_frames(native(raw, "POST", "/dedupe/chunks", b"".join(hashlib.sha256(c).digest() for c in s2_chunks)).body)
    assert [f.payload for f in frames] == s2_chunks
    assert s3_sha256_size(s3, bucket, "from-s2") == (sha256_hex(s2_data), len(s2_data))

    # The young upload survived and completes.
    assert [p["PartNumber"] for p in s3.list_parts(Bucket=bucket, Key="young", UploadId=young_up)["Parts"]] == [1]
    s3.complete_multipart_upload(Bucket=bucket, Key="young", UploadId=young_up,
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
    assert s3_sha256_size(s3, bucket, "young") == (sha256_hex(young), len(young))
    assert_consistent(run_fsck(raw))


# ---------------------------------------------------------------- 8. admin API edges


ROLE_KEYS = {
    "admin": ("gcadmin", "gcadminsecret0123456789xyz"),
    "write": ("gcwriter", "gcwritersecret0123456789xy"),
    "read": ("gcreader", "gcreadersecret0123456789xy"),
}


@pytest.mark.timeout(300)
def test_admin_api_roles_dry_run_and_status(server_factory, tmp_path):
    keys = tmp_path / "keys"
    keys.write_text("".join(f"{i} {s} {role}\n" for role, (i, s) in ROLE_KEYS.items()))
    bucket = "gc-admin"
    srv, s3, raw = _bucket_server(server_factory, "gc-admin", bucket, keys_file=keys,
                                  access_key=ROLE_KEYS["admin"][0], secret_key=ROLE_KEYS["admin"][1])
    ep = srv.endpoint()
    keep = os.urandom(2 * MiB)
    s3.put_object(Bucket=bucket, Key="keep", Body=keep)
    s3.put_object(Bucket=bucket, Key="gone", Body=os.urandom(3 * MiB))
    s3.delete_object(Bucket=bucket, Key="gone")

    # Read and write keys may not run maintenance (but may read the status).
    for role in ("read", "write"):
        other = RawS3(ep.with_keys(*ROLE_KEYS[role]))
        for job in ("gc", "scrub", "fsck"):
            assert_native_error(admin(other, job, grace="0s"), 403, "AccessDenied")
        assert status(other)["status"] == "ok"
        env = cairn_env(tmp_path / f"home-{role}", ep.with_keys(*ROLE_KEYS[role]))
        cairn_fails(env, "gc", "--grace", "0s", code="AccessDenied")
        cairn_fails(env, "scrub", code="AccessDenied")
        cairn_fails(env, "fsck", code="AccessDenied")
    st = status(raw)
    assert st.get("last_gc") is None and st.get("last_scrub") is None and st.get("running") is None, st

    # A dry run reports candidates and changes nothing.
    packs, fsck = pack_files(srv.data_dir), run_fsck(raw)
    dry = run_gc(raw, dry_run="true", compact_below="0.99")
    assert dry["candidate_blobs"] == 1 and dry["candidate_chunks"] > 0 and dry["candidate_chunk_bytes"] >= 3 * MiB, dry
    assert dry["freed_chunks"] == dry["freed_blobs"] == dry["packs_deleted"] == dry["packs_compacted"] == 0, dry
    assert pack_files(srv.data_dir) == packs
    assert run_fsck(raw) == fsck
    assert status(raw).get("last_gc") is None, "a dry run was recorded as the last collection"

    # A real run: recorded in the status, and it does what the dry run said.
    real = run_gc(raw, compact_below="0.99")
    assert real["freed_blobs"] == 1 and real["freed_chunks"] == dry["candidate_chunks"], (dry, real)
    last = status(raw).get("last_gc")
    assert last is not None and last["started_at"] == real["started_at"] and last["freed_chunks"] == real["freed_chunks"], last
    assert last["dry_run"] is False
    assert pack_bytes(srv.data_dir) <= len(keep) * 1.1 + 64 * KiB
    assert s3_sha256_size(s3, bucket, "keep") == (sha256_hex(keep), len(keep))


@pytest.mark.timeout(300)
def test_gc_report_matches_what_a_run_does(server_factory):
    """The report says what happens: a dry run names the packs a real run (same
    options) then compacts or deletes, and `grace_chunks` counts the
    unreferenced chunks the grace period spares (OpenAPI: "Unreferenced chunks
    spared because their pack is within the grace period")."""
    problems = []
    keys = ("candidate_chunks", "candidate_blobs", "grace_chunks", "marked_chunks", "total_chunks", "packs",
            "packs_to_delete", "packs_to_compact", "packs_deleted", "packs_compacted", "freed_chunks", "bytes_freed")

    bucket = "gc-report"
    srv, s3, raw = _bucket_server(server_factory, "gc-report", bucket)
    s3.put_object(Bucket=bucket, Key="keep", Body=os.urandom(2 * MiB))
    s3.put_object(Bucket=bucket, Key="gone", Body=os.urandom(3 * MiB))
    s3.delete_object(Bucket=bucket, Key="gone")
    dry = run_gc(raw, dry_run="true", compact_below="0.99")
    real = run_gc(raw, compact_below="0.99")
    print("dry run:", {k: dry[k] for k in keys}, "\nrun:    ", {k: real[k] for k in keys})
    assert real["packs_compacted"] == 1 and real["freed_chunks"] == dry["candidate_chunks"] > 0, real
    if (dry["packs_to_compact"], dry["packs_to_delete"]) != (real["packs_compacted"], real["packs_deleted"]):
        problems.append(f"dry run: packs_to_compact {dry['packs_to_compact']}, packs_to_delete {dry['packs_to_delete']}; "
                        f"the run then compacted {real['packs_compacted']}, deleted {real['packs_deleted']}")

    # Default grace (24 h): the deleted object's chunks are spared, and should be counted as such.
    srv2, s3b, raw2 = _bucket_server(server_factory, "gc-report-grace", bucket)
    s3b.put_object(Bucket=bucket, Key="keep", Body=os.urandom(1 * MiB))
    s3b.put_object(Bucket=bucket, Key="gone", Body=os.urandom(2 * MiB))
    s3b.delete_object(Bucket=bucket, Key="gone")
    graced = native_json(admin(raw2, "gc"))
    later = run_gc(raw2)
    print("grace 24h:", {k: graced[k] for k in keys}, "\ngrace 0s: ", {k: later[k] for k in keys})
    assert graced["freed_chunks"] == 0 and later["freed_chunks"] > 0, (graced, later)
    if graced["grace_chunks"] != later["freed_chunks"]:
        problems.append(f"grace 24h: grace_chunks {graced['grace_chunks']} (marked_chunks {graced['marked_chunks']} of "
                        f"{graced['total_chunks']}), yet the next run with grace 0s freed {later['freed_chunks']} chunks")
    assert not problems, "\n".join(problems)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_one_maintenance_job_at_a_time(server_factory):
    """While a collection runs (a compaction of ~100 MiB), another collection,
    a scrub and an fsck are refused with 409 MaintenanceRunning."""
    bucket = "gc-busy"
    srv, s3, raw = _bucket_server(server_factory, "gc-busy", bucket)
    for attempt in range(3):
        for i in range(24):
            s3.put_object(Bucket=bucket, Key=f"a{attempt}/{i}", Body=os.urandom(8 * MiB))
        for i in range(0, 24, 2):
            s3.delete_object(Bucket=bucket, Key=f"a{attempt}/{i}")
        result: list = []
        first = threading.Thread(target=lambda: result.append(admin(raw, "gc", grace="0s", compact_below="0.99")))
        first.start()
        refused: list = []
        while first.is_alive() and len(refused) < 3:
            st = status(raw)
            if st.get("running") == "garbage collection":
                for job in ("gc", "scrub", "fsck")[len(refused):]:
                    resp = admin(raw, job, grace="0s") if job == "gc" else admin(raw, job)
                    if resp.status == 200:
                        assert not first.is_alive() or result, f"{job} ran during a collection: {resp!r}"
                        break
                    refused.append((job, assert_native_error(resp, 409, "MaintenanceRunning")))
            time.sleep(0.005)
        first.join(120)
        assert result and result[0].status == 200, result
        if len(refused) == 3:
            break
    else:
        pytest.skip("could not overlap a request with a running collection in 3 attempts")
    print(f"attempt {attempt + 1}: {refused}")
    assert status(raw).get("running") is None
    assert native_json(admin(raw, "scrub"))["corrupt"] == []


# ---------------------------------------------------------------- 9. lineage pinning


@pytest.mark.timeout(300)
def test_lineage_datasets_pinned_unless_disabled(server_factory):
    bucket = "gc-lineage"
    srv, s3, raw = _bucket_server(server_factory, "gc-lineage", bucket)
    weights, by_sha, by_md5 = os.urandom(1 * MiB), os.urandom(1 * MiB + 3), os.urandom(700 * KiB)
    for k, v in (("weights", weights), ("ds-sha", by_sha), ("ds-md5", by_md5)):
        s3.put_object(Bucket=bucket, Key=k, Body=v)
    create_model(raw, "pinning/model")
    register_version(raw, "pinning/model", [{"path": "w.bin", "bucket": bucket, "key": "weights"}],
                     lineage={"datasets": [{"sha256": sha256_hex(by_sha)}, {"md5": hashlib.md5(by_md5).hexdigest()}]})
    # The datasets' objects go; their blobs are named only by the version's lineage now.
    s3.delete_object(Bucket=bucket, Key="ds-sha")
    s3.delete_object(Bucket=bucket, Key="ds-md5")

    pinned = run_gc(raw, compact_below="0.99")
    assert pinned["candidate_blobs"] == 0 and pinned["freed_chunks"] == 0, pinned
    for blob in (f"sha256/{sha256_hex(by_sha)}", f"md5/{hashlib.md5(by_md5).hexdigest()}"):
        resp = native(raw, "GET", f"/blobs/{blob}")
        assert resp.status == 200 and resp.body in (by_sha, by_md5), (blob, resp)

    unpinned = run_gc(raw, pin_lineage="false", compact_below="0.99")
    assert unpinned["freed_blobs"] == 2 and unpinned["freed_chunks"] > 0, unpinned
    for blob in (f"sha256/{sha256_hex(by_sha)}", f"md5/{hashlib.md5(by_md5).hexdigest()}"):
        assert native(raw, "GET", f"/blobs/{blob}").status == 404, blob
    assert pack_bytes(srv.data_dir) <= 1.10 * len(weights) + 64 * KiB
    resp = version_file(raw, "pinning/model", 1, "w.bin")
    assert resp.status == 200 and resp.body == weights
    assert_consistent(run_fsck(raw))


# ---------------------------------------------------------------- 10. grace period and schedule


@pytest.mark.timeout(300)
def test_grace_period_and_scheduled_collection(server_factory):
    # The default grace period (24 h) spares garbage in packs written just now.
    bucket = "gc-grace"
    srv, s3, raw = _bucket_server(server_factory, "gc-grace", bucket)
    s3.put_object(Bucket=bucket, Key="keep", Body=os.urandom(1 * MiB))
    s3.put_object(Bucket=bucket, Key="gone", Body=os.urandom(2 * MiB))
    s3.delete_object(Bucket=bucket, Key="gone")
    packs = pack_files(srv.data_dir)
    graced = native_json(admin(raw, "gc"))
    assert graced["grace_seconds"] == 86_400, graced
    assert graced["candidate_chunks"] == graced["candidate_blobs"] == graced["freed_chunks"] == graced["freed_blobs"] == 0, graced
    assert graced["packs_deleted"] == graced["packs_compacted"] == 0 and pack_files(srv.data_dir) == packs, graced
    freed = run_gc(raw, grace="0s")
    assert freed["freed_blobs"] == 1 and freed["freed_chunks"] > 0 and freed["packs_compacted"] == 1, freed
    srv.stop()

    # --gc-interval / --gc-grace: the server collects on its own.
    srv2, s3b, raw2 = _bucket_server(server_factory, "gc-sched", bucket,
                                     extra_args=["--gc-interval", "1s", "--gc-grace", "0s"])
    s3b.put_object(Bucket=bucket, Key="keep", Body=(keep := os.urandom(1 * MiB)))
    s3b.put_object(Bucket=bucket, Key="gone", Body=os.urandom(2 * MiB))
    s3b.delete_object(Bucket=bucket, Key="gone")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        last = status(raw2).get("last_gc")
        if last and last["freed_blobs"] == 1:
            break
        time.sleep(0.2)
    else:
        raise AssertionError(f"no scheduled collection freed the deleted object within 20 s: {status(raw2)}")
    assert last["grace_seconds"] == 0 and last["dry_run"] is False, last
    assert s3_sha256_size(s3b, bucket, "keep") == (sha256_hex(keep), len(keep))
    assert_consistent(run_fsck(raw2))

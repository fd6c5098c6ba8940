"""The `cairn push` / `cairn pull` companion CLI against a real server.

The CLI is the same binary as the server (harness.cairn_binary()).  Every
transfer is checked by content hash; what went over the wire is checked two
ways: the CLI's own `--json` summary and the server's dedupe counters
(`GET /api/v1/dedupe/stats`).

The module builds one directory tree (a 300 MiB float32-like file, a 64 MiB
one, 1,000 small files, empty files, nested and odd names, symlinks) once and
shares it, its push and its pull between tests through module-scoped
fixtures.  CAIRN_TEST_CLI_BIG_MIB shrinks the large file for quick runs.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import botocore
import pytest

from harness import (
    KiB,
    MiB,
    Manifest,
    RawS3,
    assert_native_error,
    assert_no_object,
    cairn,
    cairn_binary,
    cairn_env,
    chunk_frame,
    dedupe_stats,
    error_line,
    find_tool,
    free_port,
    keyed_manifest,
    list_all_keys,
    make_client,
    md5_file,
    native,
    native_json,
    needs_cli,
    parse_listing,
    partial_files,
    run,
    s3_sha256,
    sha256_file,
    stats_delta,
    temp_bucket,
    tree_hashes,
    unique_bucket_name,
)

pytestmark = needs_cli

BIG_SIZE = int(os.environ.get("CAIRN_TEST_CLI_BIG_MIB", "300")) * MiB
SERIES_SIZE = 64 * MiB
SMALL_FILES = 1000

SUMMARY_FIELDS = {
    "files": int,
    "logical_bytes": int,
    "bytes_sent": int,
    "bytes_received": int,
    "chunks_total": int,
    "chunks_transferred": int,
    "chunks_deduped": int,
    "dedupe_ratio": float,
    "seconds": float,
}


# ---------------------------------------------------------------- data


_F32_BLOCK = 4 * MiB
# float32-like words: the low 23 bits random, the top byte fixed (0x3f: sign
# and exponent of values in [0.5, 2)), like real model weights or samples:
# about a quarter of every word is predictable, so chunks compress somewhat.
_F32_AND = int.from_bytes(b"\xff\xff\x7f\x00" * (_F32_BLOCK // 4), "little")
_F32_OR = int.from_bytes(b"\x00\x00\x00\x3f" * (_F32_BLOCK // 4), "little")


def float_like(rng: random.Random, n: int) -> bytes:
    """n bytes of float32-like data (n a multiple of 4), never repeating."""
    out = []
    while n > 0:
        size = min(n, _F32_BLOCK)
        x = int.from_bytes(rng.randbytes(size), "little")
        if size == _F32_BLOCK:
            x = (x & _F32_AND) | _F32_OR
        else:
            x = (x & (_F32_AND >> (8 * (_F32_BLOCK - size)))) | (_F32_OR >> (8 * (_F32_BLOCK - size)))
        out.append(x.to_bytes(size, "little"))
        n -= size
    return b"".join(out)


def write_float_like(path: Path, size: int, seed: int) -> None:
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(left, _F32_BLOCK)
            f.write(float_like(rng, n))
            left -= n


def rewrite_regions(path: Path, fraction: float, regions: int, seed: int) -> int:
    """Overwrite `regions` spread-out regions totalling `fraction` of the file
    with new data, in place; returns the number of bytes changed."""
    size = path.stat().st_size
    length = (int(size * fraction / regions) // 4) * 4
    rng = random.Random(seed)
    with open(path, "r+b") as f:
        for i in range(regions):
            offset = (int(size * (i + 0.5) / regions) // 4) * 4
            f.seek(offset)
            f.write(float_like(rng, length))
    return length * regions


def regular_files(root: Path) -> dict[str, int]:
    """relative posix path -> size of every regular file (symlinks excluded)."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames:
            p = Path(dirpath) / name
            if not p.is_symlink() and p.is_file():
                out[p.relative_to(root).as_posix()] = p.stat().st_size
    return out


def link_or_copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


@dataclass
class Tree:
    root: Path
    sizes: dict[str, int]  # rel -> size, regular files only
    hashes: dict[str, str] = field(default_factory=dict)  # rel -> sha256

    @property
    def total(self) -> int:
        return sum(self.sizes.values())


def make_tree_v1(root: Path) -> Tree:
    write_float_like(root / "big" / "weights.f32", BIG_SIZE, seed=1)
    write_float_like(root / "data" / "series.f32", SERIES_SIZE, seed=2)
    rng = random.Random(3)
    for i in range(SMALL_FILES):
        size = rng.randint(1 * KiB, 64 * KiB)
        p = root / "small" / f"d{i % 25:02d}" / f"f{i:04d}.bin"
        p.parent.mkdir(parents=True, exist_ok=True)
        if i % 2:
            body = rng.randbytes(size)
        else:  # text-like, compressible
            words = [b"cairn", b"chunk", b"dedupe", b"%d" % i, b"manifest", b"\n"]
            body = b" ".join(rng.choice(words) for _ in range(size // 5))[:size].ljust(size, b".")
        p.write_bytes(body)
    (root / "empty.txt").write_bytes(b"")
    (root / "nested" / "a" / "b" / "c").mkdir(parents=True)
    (root / "nested" / "a" / "empty-too").write_bytes(b"")
    (root / "nested" / "a" / "b" / "c" / "deep.txt").write_bytes(b"deep\n" * 1000)
    (root / "nested" / "ünï cödé").mkdir()
    (root / "nested" / "ünï cödé" / "file with space+plus.txt").write_bytes(os.urandom(3333))
    # Symlinks are skipped by push (a file link, a directory link, a dangling one).
    (root / "links").mkdir()
    os.symlink("../small/d00/f0000.bin", root / "links" / "to-file")
    os.symlink("../nested", root / "links" / "to-dir")
    os.symlink("does-not-exist", root / "links" / "dangling")
    tree = Tree(root, regular_files(root))
    tree.hashes = {rel: sha256_file(root / rel) for rel in sorted(tree.sizes)}
    return tree


# ---------------------------------------------------------------- running the CLI


# The CLI runs of this file time out after 15 minutes (the other helpers' default is 10).
run_cli = partial(cairn, timeout=900)


def check_summary(summary: dict) -> dict:
    """The --json summary has every field with the right type and consistent counts."""
    missing = set(SUMMARY_FIELDS) - set(summary)
    assert not missing, f"--json summary lacks {sorted(missing)}: {summary}"
    for name, kind in SUMMARY_FIELDS.items():
        v = summary[name]
        assert not isinstance(v, bool), (name, summary)
        if kind is int:
            assert isinstance(v, int) and v >= 0, (name, summary)
        else:
            assert isinstance(v, (int, float)), (name, summary)
    assert summary["chunks_transferred"] + summary["chunks_deduped"] == summary["chunks_total"], summary
    assert summary["seconds"] >= 0, summary
    if summary["logical_bytes"] == 0:
        assert summary["dedupe_ratio"] == 0, summary
    else:
        assert -0.01 <= summary["dedupe_ratio"] <= 1.0, summary
    return summary


def parse_summary(proc: subprocess.CompletedProcess) -> dict:
    try:
        summary = json.loads(proc.stdout)
    except ValueError as e:
        raise AssertionError(f"--json stdout is not one JSON object ({e}): {proc.stdout[-2000:]!r}")
    assert isinstance(summary, dict), proc.stdout
    return check_summary(summary)


def push(env, endpoint, src, url, *opts, timeout: float = 900) -> dict:
    return parse_summary(
        run_cli(env, "push", "--endpoint", endpoint.url, "--json", *opts, src, url, timeout=timeout)
    )


def pull(env, endpoint, url, dst, *opts, timeout: float = 900) -> dict:
    return parse_summary(
        run_cli(env, "pull", "--endpoint", endpoint.url, "--json", *opts, url, dst, timeout=timeout)
    )


# ---------------------------------------------------------------- module fixtures


@pytest.fixture(scope="module")
def env(tmp_path_factory, server):
    return cairn_env(tmp_path_factory.mktemp("cli-home"), server, set_endpoint=False)


@pytest.fixture(scope="module")
def cli_bucket(s3):
    with temp_bucket(s3, "cairn-cli") as name:
        yield name


@pytest.fixture(scope="module")
def tree_v1(tmp_path_factory) -> Tree:
    return make_tree_v1(tmp_path_factory.mktemp("tree") / "v1")


@pytest.fixture(scope="module")
def pushed_v1(env, server, raw, cli_bucket, tree_v1):
    before = dedupe_stats(raw)
    summary = push(env, server, tree_v1.root, f"s3://{cli_bucket}/v1")
    return summary, stats_delta(before, dedupe_stats(raw))


@pytest.fixture(scope="module")
def pulled_v1(env, server, pushed_v1, cli_bucket, tmp_path_factory):
    base = tmp_path_factory.mktemp("pull-v1")
    dest, cache = base / "dest", base / "cache"
    summary = pull(env, server, f"s3://{cli_bucket}/v1", dest, "--cache", cache)
    return dest, cache, summary


@pytest.fixture(scope="module")
def tree_v2(tree_v1, tmp_path_factory) -> tuple[Tree, int]:
    """v1 with ~1% of the 64 MiB file changed in 4 regions and one file added."""
    root = tmp_path_factory.mktemp("tree") / "v2"
    for rel in tree_v1.sizes:
        if rel != "data/series.f32":
            link_or_copy(tree_v1.root / rel, root / rel)
    series = root / "data" / "series.f32"
    series.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(tree_v1.root / "data" / "series.f32", series)
    changed = rewrite_regions(series, 0.01, 4, seed=22)
    write_float_like(root / "added" / "new.f32", 2 * MiB, seed=23)
    tree = Tree(root, regular_files(root))
    tree.hashes = {rel: sha256_file(root / rel) for rel in sorted(tree.sizes)}
    assert tree.hashes["data/series.f32"] != tree_v1.hashes["data/series.f32"]
    return tree, changed


@pytest.fixture(scope="module")
def pushed_v2(env, server, raw, cli_bucket, pushed_v1, tree_v2):
    tree, _ = tree_v2
    before = dedupe_stats(raw)
    summary = push(env, server, tree.root, f"s3://{cli_bucket}/v2")
    return summary, stats_delta(before, dedupe_stats(raw))


# ---------------------------------------------------------------- 1. tree round trip


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_push_pull_tree(tree_v1, pushed_v1, pulled_v1, s3, cli_bucket):
    summary, server = pushed_v1
    assert summary["files"] == len(tree_v1.sizes)
    assert summary["logical_bytes"] == tree_v1.total
    # The CLI's byte count covers at least the chunk frames the server
    # received, plus a modest per-chunk / per-file overhead (digest queries,
    # manifests), not more.
    assert server["wire_bytes_received"] > 0
    assert summary["bytes_sent"] >= server["wire_bytes_received"], (summary, server)
    overhead = summary["bytes_sent"] - server["wire_bytes_received"]
    assert overhead <= 128 * summary["chunks_total"] + 1024 * summary["files"] + MiB, (summary, server)
    assert server["chunks_stored"] <= summary["chunks_transferred"], (summary, server)
    assert server["commits"] >= summary["files"], (summary, server)

    # Keys: prefix + "/" + relative path, empty files included, symlinks skipped.
    keys = list_all_keys(s3, cli_bucket, "v1/")
    assert sorted(keys) == sorted(f"v1/{rel}" for rel in tree_v1.sizes)
    listed = {
        o["Key"][3:]: o["Size"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=cli_bucket, Prefix="v1/")
        for o in page.get("Contents", [])
    }
    assert listed == tree_v1.sizes

    # Ordinary S3 objects: boto3 reads them, ETag = md5.
    small = "small/d07/f0007.bin"
    got = s3.get_object(Bucket=cli_bucket, Key=f"v1/{small}")
    body = got["Body"].read()
    assert hashlib.sha256(body).hexdigest() == tree_v1.hashes[small]
    assert got["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    head = s3.head_object(Bucket=cli_bucket, Key="v1/big/weights.f32")
    assert head["ContentLength"] == BIG_SIZE
    assert head["ETag"] == f'"{md5_file(tree_v1.root / "big" / "weights.f32")}"'
    assert s3.head_object(Bucket=cli_bucket, Key="v1/empty.txt")["ContentLength"] == 0
    assert s3_sha256(s3, cli_bucket, "v1/data/series.f32") == tree_v1.hashes["data/series.f32"]

    # The pull into a fresh directory reproduces every file, nothing else.
    dest, cache, pulled = pulled_v1
    assert tree_hashes(dest) == tree_v1.hashes
    assert regular_files(dest) == tree_v1.sizes
    assert not (dest / "links").exists()
    assert pulled["files"] == len(tree_v1.sizes)
    assert pulled["logical_bytes"] == tree_v1.total
    assert pulled["bytes_received"] > 0


# ---------------------------------------------------------------- 2. changed copy sends little


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_push_changed_copy_sends_little(pushed_v2, tree_v2, s3, cli_bucket):
    tree, changed = tree_v2
    summary, server = pushed_v2
    logical = tree.total
    assert summary["files"] == len(tree.sizes)
    assert summary["logical_bytes"] == logical
    assert summary["bytes_sent"] < 0.10 * logical, summary
    assert server["wire_bytes_received"] < 0.10 * logical, server
    assert summary["chunks_deduped"] >= 0.9 * summary["chunks_total"], summary
    assert summary["dedupe_ratio"] > 0.9, summary
    # What was sent covers at least the changed regions and the new file.
    assert server["wire_bytes_received"] > 0
    assert summary["chunks_transferred"] > 0
    assert s3_sha256(s3, cli_bucket, "v2/data/series.f32") == tree.hashes["data/series.f32"]
    assert s3_sha256(s3, cli_bucket, "v2/added/new.f32") == tree.hashes["added/new.f32"]
    assert s3.head_object(Bucket=cli_bucket, Key="v1/data/series.f32")["ContentLength"] == SERIES_SIZE
    assert sorted(list_all_keys(s3, cli_bucket, "v2/")) == sorted(f"v2/{r}" for r in tree.sizes)


# ---------------------------------------------------------------- 3. warm cache / existing files


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_pull_with_warm_cache_receives_little(env, server, raw, pulled_v1, pushed_v2, tree_v2, cli_bucket, tmp_path):
    tree, _ = tree_v2
    _, cache, _ = pulled_v1
    before = dedupe_stats(raw)
    dest = tmp_path / "v2"
    summary = pull(env, server, f"s3://{cli_bucket}/v2", dest, "--cache", cache)
    served = stats_delta(before, dedupe_stats(raw))
    assert tree_hashes(dest) == tree.hashes
    assert summary["files"] == len(tree.sizes)
    assert summary["logical_bytes"] == tree.total
    assert summary["bytes_received"] < 0.10 * tree.total, summary
    assert served["wire_bytes_served"] < 0.10 * tree.total, served
    assert summary["bytes_received"] >= served["wire_bytes_served"], (summary, served)
    assert summary["chunks_deduped"] >= 0.9 * summary["chunks_total"], summary
    assert summary["chunks_transferred"] > 0, "the changed chunks must come from the server"


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_pull_over_previous_version_without_cache(env, server, raw, pulled_v1, pushed_v2, tree_v2, cli_bucket, tmp_path):
    """Chunks of files already at the destination are reused (--no-cache)."""
    tree, _ = tree_v2
    v1_dest, _, _ = pulled_v1
    dest = tmp_path / "work"
    shutil.copytree(v1_dest, dest)
    before = dedupe_stats(raw)
    summary = pull(env, server, f"s3://{cli_bucket}/v2", dest, "--no-cache")
    served = stats_delta(before, dedupe_stats(raw))
    assert tree_hashes(dest) == tree.hashes
    assert summary["bytes_received"] < 0.10 * tree.total, summary
    assert served["wire_bytes_served"] < 0.10 * tree.total, served
    assert summary["chunks_deduped"] >= 0.9 * summary["chunks_total"], summary
    assert partial_files(dest) == []
    # The v1 pull the copy came from is untouched.
    assert sha256_file(v1_dest / "data" / "series.f32") != tree.hashes["data/series.f32"]


# ---------------------------------------------------------------- 4. objects from other clients


@pytest.mark.timeout(600)
def test_pull_objects_uploaded_by_awscli_and_boto3(env, server, raw, s3, bucket, tmp_path):
    src = tmp_path / "src"
    write_float_like(src / "multipart.f32", 20 * MiB, seed=41)  # awscli: 3 parts of 8 MiB
    small = os.urandom(3 * MiB + 17)
    run(
        [find_tool("aws"), "--endpoint-url", server.url, "s3", "cp", src / "multipart.f32",
         f"s3://{bucket}/ext/multipart.f32", "--only-show-errors"],
        env=env, timeout=300,
    )
    assert s3.head_object(Bucket=bucket, Key="ext/multipart.f32")["ETag"].endswith('-3"')
    s3.put_object(Bucket=bucket, Key="ext/sub/boto3.bin", Body=small)
    s3.put_object(Bucket=bucket, Key="ext/sub/empty", Body=b"")
    want = {
        "multipart.f32": sha256_file(src / "multipart.f32"),
        "sub/boto3.bin": hashlib.sha256(small).hexdigest(),
        "sub/empty": hashlib.sha256(b"").hexdigest(),
    }
    logical = 20 * MiB + len(small)

    cache = tmp_path / "cache"
    first = pull(env, server, f"s3://{bucket}/ext", tmp_path / "d1", "--cache", cache)
    assert tree_hashes(tmp_path / "d1") == want
    assert first["files"] == 3 and first["logical_bytes"] == logical
    assert first["chunks_transferred"] > 0

    before = dedupe_stats(raw)
    second = pull(env, server, f"s3://{bucket}/ext", tmp_path / "d2", "--cache", cache)
    served = stats_delta(before, dedupe_stats(raw))
    assert tree_hashes(tmp_path / "d2") == want
    assert second["chunks_transferred"] == 0, second
    assert second["chunks_deduped"] == second["chunks_total"] > 0, second
    assert second["bytes_received"] < 0.02 * logical, second
    assert served["chunks_served"] == 0 and served["wire_bytes_served"] == 0, served

    # One exact key into an existing directory: PATH/basename.
    third = pull(env, server, f"s3://{bucket}/ext/sub/boto3.bin", tmp_path / "d2", "--cache", cache)
    assert third["files"] == 1 and third["chunks_transferred"] == 0, third
    assert sha256_file(tmp_path / "d2" / "boto3.bin") == want["sub/boto3.bin"]


# ---------------------------------------------------------------- 5. kill -9 and resume


def _wait_then_kill(proc: subprocess.Popen, progressed, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(
                f"{what} exited ({proc.returncode}) before it could be killed mid-transfer; "
                "no way to test resumption"
            )
        if progressed():
            break
        time.sleep(0.005)
    else:
        proc.kill()
        proc.wait()
        pytest.fail(f"{what} made no visible progress within {timeout}s")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, f"{what} exited {proc.returncode} before the kill landed"


def _cache_bytes(cache: Path) -> int:
    total = 0
    for dirpath, _, filenames in os.walk(cache):
        for name in filenames:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size
            except FileNotFoundError:
                pass
    return total


@pytest.mark.needs_process
@pytest.mark.slow
@pytest.mark.timeout(900)
def test_kill_and_resume_push_and_pull(env, tree_v1, server_factory, tmp_path):
    srv = server_factory.start("cli-kill")
    ep = srv.endpoint()
    raw = RawS3(ep)
    s3 = make_client(ep)
    s3.create_bucket(Bucket="resume")
    src = tree_v1.root / "big" / "weights.f32"
    digest = tree_v1.hashes["big/weights.f32"]
    url = "s3://resume/big/weights.f32"
    cmd = [str(cairn_binary()), "push", "--endpoint", ep.url, "--json", str(src), url]

    # --- push, killed once about a quarter of the chunks have reached the server
    avg_chunk = native_json(native(raw, "GET", "/dedupe"))["chunker"]["avg_size"]
    quarter = BIG_SIZE // avg_chunk // 4
    s0 = dedupe_stats(raw)
    with open(tmp_path / "push.out", "wb") as out, open(tmp_path / "push.err", "wb") as err:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        _wait_then_kill(proc, lambda: dedupe_stats(raw)["chunks_stored"] - s0["chunks_stored"] >= quarter, "push")
    time.sleep(0.5)  # let the server finish requests cut by the kill
    s1 = dedupe_stats(raw)
    stored_before = s1["chunks_stored"] - s0["chunks_stored"]
    assert stored_before > 0
    try:
        head = s3.head_object(Bucket="resume", Key="big/weights.f32")
        pytest.fail(f"the object is visible after the push was killed mid-transfer: {head}")
    except botocore.exceptions.ClientError as e:
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 404

    rerun = push(env, ep, src, url)
    s2 = dedupe_stats(raw)
    print(f"push killed after {stored_before} chunks stored; rerun: {rerun}")
    assert rerun["files"] == 1 and rerun["logical_bytes"] == BIG_SIZE
    assert rerun["bytes_sent"] < BIG_SIZE, rerun
    assert rerun["chunks_deduped"] >= stored_before, (rerun, stored_before)
    assert rerun["chunks_transferred"] <= rerun["chunks_total"] - stored_before, (rerun, stored_before)
    assert s3_sha256(s3, "resume", "big/weights.f32") == digest
    assert s3.head_object(Bucket="resume", Key="big/weights.f32")["ETag"] == f'"{md5_file(src)}"'
    # Every distinct chunk of the file was stored exactly once over both runs.
    (entry,) = parse_listing(native(raw, "GET", "/dedupe/manifests/resume").body)
    distinct = len({d for d, _ in entry[1].chunks})
    assert s2["chunks_stored"] - s0["chunks_stored"] == distinct, (s0, s1, s2, distinct)
    stored_bytes = s2["chunk_bytes_stored"] - s0["chunk_bytes_stored"]
    # A full push sends at least every stored chunk; the rerun saved the quarter sent before the kill.
    assert rerun["bytes_sent"] < 0.9 * stored_bytes + 64 * rerun["chunks_total"], (rerun, stored_bytes)

    # --- pull, killed once about a quarter of the file is in the local cache
    dest, cache = tmp_path / "dest", tmp_path / "cache"
    dest.mkdir()
    target = dest / "weights.f32"
    cmd = [str(cairn_binary()), "pull", "--endpoint", ep.url, "--json", "--cache", str(cache), url, str(target)]
    with open(tmp_path / "pull.out", "wb") as out, open(tmp_path / "pull.err", "wb") as err:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        _wait_then_kill(proc, lambda: _cache_bytes(cache) >= BIG_SIZE // 4, "pull")
    if target.exists():
        assert target.stat().st_size == BIG_SIZE and sha256_file(target) == digest, (
            "an interrupted pull left a partial file under the final name"
        )
    cached = _cache_bytes(cache)
    assert cached > 0

    s3_before = dedupe_stats(raw)
    rerun = pull(env, ep, url, target, "--cache", cache)
    served = stats_delta(s3_before, dedupe_stats(raw))
    print(f"pull killed with {cached} bytes cached; rerun: {rerun}; full stored size {stored_bytes}")
    assert sha256_file(target) == digest
    assert partial_files(dest) == []
    assert rerun["files"] == 1 and rerun["logical_bytes"] == BIG_SIZE
    assert rerun["chunks_deduped"] > 0, rerun
    assert rerun["bytes_received"] < BIG_SIZE, rerun
    # Clearly less than a full download of the stored (compressed) chunks.
    assert rerun["bytes_received"] < 0.9 * stored_bytes, (rerun, stored_bytes)
    assert served["wire_bytes_served"] < 0.9 * stored_bytes, (served, stored_bytes)


# ---------------------------------------------------------------- 6. tampered uploads via the API


def test_tampered_chunk_and_missing_chunks_commit(raw, s3, bucket):
    doc = native_json(native(raw, "POST", "/dedupe/sessions"), 201)
    sid = doc["session"]
    try:
        data = os.urandom(40_000)
        forged = chunk_frame(data, digest=hashlib.sha256(data + b"!").digest())
        resp = native(raw, "POST", f"/dedupe/sessions/{sid}/chunks", forged, unsigned_payload=True)
        assert_native_error(resp, 400, "BadDigest")
        missing = native(
            raw, "POST", f"/dedupe/sessions/{sid}/missing",
            hashlib.sha256(data).digest() + hashlib.sha256(data + b"!").digest(),
        )
        assert missing.status == 200 and len(missing.body) == 64, missing

        # A manifest naming a chunk that was never uploaded.
        manifest, _ = Manifest.of(data)
        resp = native(
            raw, "POST", f"/dedupe/sessions/{sid}/commit/{bucket}", keyed_manifest("tampered/obj", manifest)
        )
        err = assert_native_error(resp, 409, "MissingChunks")
        assert err.get("missing") == [hashlib.sha256(data).hexdigest()], err
    finally:
        native(raw, "DELETE", f"/dedupe/sessions/{sid}")
    assert_no_object(s3, bucket, "tampered/obj")
    assert list_all_keys(s3, bucket) == []


# ---------------------------------------------------------------- 7. concurrent pushes


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_concurrent_overlapping_pushes(env, server, raw, s3, bucket, tmp_path):
    shared = tmp_path / "shared"
    for i in range(6):
        write_float_like(shared / f"s{i}.f32", 3 * MiB, seed=700 + i)
    write_float_like(shared / "big.f32", 8 * MiB, seed=710)
    union = tmp_path / "union"
    dirs = []
    for p in range(4):
        d = tmp_path / f"p{p}"
        for f in shared.iterdir():
            link_or_copy(f, d / "shared" / f.name)
        write_float_like(d / "own" / f"unique-{p}.f32", 2 * MiB, seed=720 + p)
        # A shared file with a small private change.
        shutil.copyfile(shared / "big.f32", d / "own" / "big-edited.f32")
        rewrite_regions(d / "own" / "big-edited.f32", 0.01, 2, seed=730 + p)
        dirs.append(d)
        link_or_copy(d / "own" / f"unique-{p}.f32", union / "own" / f"unique-{p}.f32")
        link_or_copy(d / "own" / "big-edited.f32", union / "own" / f"big-edited-{p}.f32")
    for f in shared.iterdir():
        link_or_copy(f, union / "shared" / f.name)

    before = dedupe_stats(raw)
    procs = [
        subprocess.Popen(
            [str(cairn_binary()), "push", "--endpoint", server.url, "--json", str(d), f"s3://{bucket}/conc/p{p}"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL,
        )
        for p, d in enumerate(dirs)
    ]
    results = [proc.communicate(timeout=600) for proc in procs]
    for p, (proc, (out, err)) in enumerate(zip(procs, results)):
        assert proc.returncode == 0, f"push {p} exited {proc.returncode}\n{err[-3000:]}"
        summary = parse_summary(subprocess.CompletedProcess(proc.args, 0, out, err))
        assert summary["files"] == len(regular_files(dirs[p]))
    during = stats_delta(before, dedupe_stats(raw))

    for p, d in enumerate(dirs):
        want = tree_hashes(d)
        keys = sorted(list_all_keys(s3, bucket, f"conc/p{p}/"))
        assert keys == sorted(f"conc/p{p}/{rel}" for rel in want)
        for rel, digest in want.items():
            assert s3_sha256(s3, bucket, f"conc/p{p}/{rel}") == digest, rel

    # The union of the four trees: nothing new to store.
    before_union = dedupe_stats(raw)
    union_summary = push(env, server, union, f"s3://{bucket}/conc/union")
    after_union = stats_delta(before_union, dedupe_stats(raw))
    assert after_union["chunks_stored"] == 0, after_union
    assert union_summary["chunks_transferred"] == 0, union_summary
    listing = parse_listing(
        native(raw, "GET", f"/dedupe/manifests/{bucket}", query={"prefix": "conc/p"}).body
    )
    distinct = len({d for _, m in listing for d, _ in m.chunks})
    assert during["chunks_stored"] <= union_summary["chunks_total"], (during, union_summary)
    assert during["chunks_stored"] <= distinct, (
        f"{during['chunks_stored']} chunks stored for {distinct} distinct chunks: "
        "concurrent pushes stored a chunk twice"
    )
    assert during["chunks_stored"] == distinct, (during, distinct)
    if "index_chunks" in during:  # the store's own count of distinct chunks
        assert during["index_chunks"] == distinct, (during, distinct)


# ---------------------------------------------------------------- 8. errors and configuration


def test_unreachable_endpoint(env, tmp_path):
    (tmp_path / "f").write_bytes(b"hello")
    dead = f"http://127.0.0.1:{free_port()}"
    proc = run_cli(env, "push", "--endpoint", dead, tmp_path / "f", "s3://b/k", check=False, timeout=180)
    assert "cannot reach" in error_line(proc), proc.stderr
    proc = run_cli(env, "pull", "--endpoint", dead, "s3://b/k", tmp_path / "out", check=False, timeout=180)
    assert "cannot reach" in error_line(proc), proc.stderr


def test_bad_credentials(env, server, s3, bucket, tmp_path):
    (tmp_path / "f").write_bytes(os.urandom(1000))
    for var, value in (("AWS_SECRET_ACCESS_KEY", "wrong-secret-0123456789"), ("AWS_ACCESS_KEY_ID", "NOSUCHKEY")):
        bad = dict(env, **{var: value})
        proc = run_cli(bad, "push", "--endpoint", server.url, tmp_path / "f", f"s3://{bucket}/k", check=False)
        line = error_line(proc)
        assert any(w in line for w in ("credentials", "InvalidAccessKeyId", "SignatureDoesNotMatch")), line
    proc = run_cli(
        env, "push", "--endpoint", server.url, "--secret-access-key", "wrong-secret-0123456789",
        tmp_path / "f", f"s3://{bucket}/k", check=False,
    )
    assert any(w in error_line(proc) for w in ("credentials", "SignatureDoesNotMatch")), proc.stderr
    assert list_all_keys(s3, bucket) == []


def test_missing_bucket(env, server, s3, tmp_path):
    (tmp_path / "f").write_bytes(os.urandom(1000))
    name = unique_bucket_name("cairn-missing")
    proc = run_cli(env, "push", "--endpoint", server.url, tmp_path / "f", f"s3://{name}/k", check=False)
    line = error_line(proc)
    assert "NoSuchBucket" in line or "does not exist" in line, line
    proc = run_cli(env, "pull", "--endpoint", server.url, f"s3://{name}/k", tmp_path / "out", check=False)
    line = error_line(proc)
    assert "NoSuchBucket" in line or "does not exist" in line, line
    assert name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    with pytest.raises(botocore.exceptions.ClientError):
        s3.head_bucket(Bucket=name)


def test_pull_of_nothing_fails(env, server, s3, bucket, tmp_path):
    s3.put_object(Bucket=bucket, Key="some/thing", Body=b"x")
    proc = run_cli(env, "pull", "--endpoint", server.url, f"s3://{bucket}/nothing/here", tmp_path / "o", check=False)
    error_line(proc)
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())


def _bare_env(tmp_path: Path, *, xdg: bool = True) -> dict[str, str]:
    """No AWS_* / CAIRN_* variables at all, a private HOME (and XDG_CONFIG_HOME)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not (k.startswith("AWS_") or (k.startswith("CAIRN_") and not k.startswith("CAIRN_TEST_")))
        and not k.startswith("XDG_")
    }
    env["HOME"] = str(tmp_path / "home")
    (tmp_path / "home").mkdir(exist_ok=True)
    if xdg:
        env["XDG_CONFIG_HOME"] = str(tmp_path / "xdg")
    env["CAIRN_CACHE_DIR"] = str(tmp_path / "cache")
    return env


def test_login_config_and_precedence(server, s3, bucket, tmp_path):
    env = _bare_env(tmp_path)
    src = tmp_path / "f.bin"
    src.write_bytes(os.urandom(50_000))
    digest = sha256_file(src)

    # Without any configuration the CLI has no endpoint or credentials.
    proc = run_cli(env, "push", src, f"s3://{bucket}/none", check=False)
    error_line(proc)

    run_cli(
        env, "login", "--endpoint", server.url, "--access-key-id", server.access_key,
        "--secret-access-key", server.secret_key, "--region", "us-east-1",
    )
    config = tmp_path / "xdg" / "cairn" / "config.json"
    assert config.is_file(), list((tmp_path / "xdg").rglob("*"))
    assert (config.stat().st_mode & 0o777) == 0o600, oct(config.stat().st_mode)
    doc = json.loads(config.read_text())
    assert isinstance(doc, dict)

    shown = run_cli(env, "config", "show")
    assert server.url in shown.stdout and server.access_key in shown.stdout, shown.stdout
    assert server.secret_key not in shown.stdout + shown.stderr, "config show must mask the secret"

    # No flags, no env: the config file is used.
    summary = parse_summary(run_cli(env, "push", "--json", src, f"s3://{bucket}/from-config"))
    assert summary["files"] == 1
    assert s3_sha256(s3, bucket, "from-config") == digest
    out = tmp_path / "pulled.bin"
    parse_summary(run_cli(env, "pull", "--json", f"s3://{bucket}/from-config", out))
    assert sha256_file(out) == digest

    # env beats the config file, flags beat env.
    dead = f"http://127.0.0.1:{free_port()}"
    env_dead = dict(env, CAIRN_ENDPOINT=dead)
    assert "cannot reach" in error_line(run_cli(env_dead, "push", src, f"s3://{bucket}/x", check=False))
    run_cli(env_dead, "push", "--endpoint", server.url, src, f"s3://{bucket}/flag-beats-env")
    env_bad_secret = dict(env, AWS_SECRET_ACCESS_KEY="wrong-secret-0123456789")
    error_line(run_cli(env_bad_secret, "push", src, f"s3://{bucket}/x", check=False))
    run_cli(env_bad_secret, "push", "--secret-access-key", server.secret_key, src, f"s3://{bucket}/flag-secret")

    # CAIRN_CONFIG names another file: login writes it, the CLI reads it, and it
    # takes the place of $XDG_CONFIG_HOME/cairn/config.json.
    alt = tmp_path / "alt" / "cairn.json"
    env_alt = dict(env, CAIRN_CONFIG=str(alt))
    error_line(run_cli(env_alt, "push", src, f"s3://{bucket}/x", check=False))  # alt does not exist yet
    before = config.read_bytes()
    run_cli(
        env_alt, "login", "--endpoint", server.url, "--access-key-id", server.access_key,
        "--secret-access-key", server.secret_key,
    )
    assert alt.is_file() and (alt.stat().st_mode & 0o777) == 0o600
    assert config.read_bytes() == before, "login with CAIRN_CONFIG changed the default config file"
    empty_xdg = dict(env_alt, XDG_CONFIG_HOME=str(tmp_path / "empty-xdg"))
    run_cli(empty_xdg, "push", src, f"s3://{bucket}/via-cairn-config")

    assert sorted(list_all_keys(s3, bucket)) == [
        "flag-beats-env", "flag-secret", "from-config", "via-cairn-config",
    ]


def test_login_default_path_without_xdg(server, s3, bucket, tmp_path):
    env = _bare_env(tmp_path, xdg=False)
    run_cli(
        env, "login", "--endpoint", server.url, "--access-key-id", server.access_key,
        "--secret-access-key", server.secret_key,
    )
    config = tmp_path / "home" / ".config" / "cairn" / "config.json"
    assert config.is_file() and (config.stat().st_mode & 0o777) == 0o600
    src = tmp_path / "g.bin"
    src.write_bytes(os.urandom(5000))
    run_cli(env, "push", src, f"s3://{bucket}/dir/")
    assert list_all_keys(s3, bucket) == ["dir/g.bin"]


# ---------------------------------------------------------------- 9. corrupt cache


def test_corrupt_cache_is_survived(env, server, s3, bucket, tmp_path):
    src = tmp_path / "src"
    write_float_like(src / "a.f32", 8 * MiB, seed=91)
    (src / "b.bin").write_bytes(os.urandom(300 * KiB))
    want = tree_hashes(src)
    push(env, server, src, f"s3://{bucket}/c")
    cache = tmp_path / "cache"
    pull(env, server, f"s3://{bucket}/c", tmp_path / "d1", "--cache", cache)
    assert tree_hashes(tmp_path / "d1") == want

    files = sorted(
        (p for p in cache.rglob("*") if p.is_file() and not p.is_symlink() and p.stat().st_size > KiB),
        key=lambda p: p.stat().st_size,
        reverse=True,
    )
    assert files, f"no cache file over 1 KiB under {cache}"
    victim = files[0]
    with open(victim, "r+b") as f:
        f.seek(victim.stat().st_size // 2)
        b = f.read(1)
        f.seek(-1, os.SEEK_CUR)
        f.write(bytes([b[0] ^ 0xFF]))

    summary = pull(env, server, f"s3://{bucket}/c", tmp_path / "d2", "--cache", cache)
    assert tree_hashes(tmp_path / "d2") == want
    assert summary["files"] == 2
    # And the cache still works afterwards.
    pull(env, server, f"s3://{bucket}/c", tmp_path / "d3", "--cache", cache)
    assert tree_hashes(tmp_path / "d3") == want


# ---------------------------------------------------------------- 10. output


def test_json_summary_and_plain_output(env, server, raw, s3, bucket, tmp_path):
    src = tmp_path / "rand.bin"
    src.write_bytes(os.urandom(4 * MiB + 5))
    before = dedupe_stats(raw)
    first = push(env, server, src, f"s3://{bucket}/r/rand.bin")
    sent = stats_delta(before, dedupe_stats(raw))
    assert first["files"] == 1 and first["logical_bytes"] == 4 * MiB + 5
    # Incompressible and new: every payload byte goes over the wire.
    assert first["bytes_sent"] >= first["logical_bytes"], first
    assert first["chunks_deduped"] == 0 and first["chunks_transferred"] == first["chunks_total"] > 0, first
    assert first["dedupe_ratio"] <= 0.01, first
    assert sent["wire_bytes_received"] >= first["logical_bytes"], sent
    assert first["bytes_sent"] >= sent["wire_bytes_received"]

    again = push(env, server, src, f"s3://{bucket}/r/rand-copy.bin")
    assert again["chunks_transferred"] == 0 and again["dedupe_ratio"] == 1.0, again
    assert again["bytes_sent"] < 0.05 * again["logical_bytes"], again

    fresh = pull(env, server, f"s3://{bucket}/r/rand.bin", tmp_path / "back.bin", "--no-cache")
    assert fresh["bytes_received"] >= fresh["logical_bytes"], fresh
    assert fresh["dedupe_ratio"] <= 0.01, fresh
    assert sha256_file(tmp_path / "back.bin") == sha256_file(src)

    # An empty transfer: ratio 0.
    empty = tmp_path / "empties"
    (empty / "sub").mkdir(parents=True)
    (empty / "e1").write_bytes(b"")
    (empty / "sub" / "e2").write_bytes(b"")
    summary = push(env, server, empty, f"s3://{bucket}/empties")
    assert summary["files"] == 2 and summary["logical_bytes"] == 0 and summary["chunks_total"] == 0
    assert summary["dedupe_ratio"] == 0
    summary = pull(env, server, f"s3://{bucket}/empties", tmp_path / "empties-back", "--no-cache")
    assert summary["files"] == 2 and summary["dedupe_ratio"] == 0
    assert regular_files(tmp_path / "empties-back") == {"e1": 0, "sub/e2": 0}

    # Without --json, output to a pipe has no carriage-return progress bars.
    big = tmp_path / "plain"
    write_float_like(big / "x.f32", 16 * MiB, seed=101)
    for quiet in ([], ["--quiet"]):
        proc = run_cli(env, "push", "--endpoint", server.url, *quiet, big, f"s3://{bucket}/plain{len(quiet)}")
        assert "\r" not in proc.stdout and "\r" not in proc.stderr
        proc = run_cli(
            env, "pull", "--endpoint", server.url, "--no-cache", *quiet,
            f"s3://{bucket}/plain{len(quiet)}", tmp_path / f"plain-back{len(quiet)}",
        )
        assert "\r" not in proc.stdout and "\r" not in proc.stderr
        assert tree_hashes(tmp_path / f"plain-back{len(quiet)}") == tree_hashes(big)


def test_help(env):
    for sub in ("push", "pull", "login"):
        proc = run_cli(env, sub, "--help")
        assert proc.returncode == 0
        assert "--json" in proc.stdout + proc.stderr or sub == "login"


# ---------------------------------------------------------------- key mapping


def test_key_and_path_mapping(env, server, s3, bucket_factory, tmp_path):
    bucket = bucket_factory()
    f = tmp_path / "file.bin"
    f.write_bytes(os.urandom(10_000))
    d = tmp_path / "tree"
    (d / "sub").mkdir(parents=True)
    (d / "a.txt").write_bytes(b"a" * 100)
    (d / "sub" / "b.txt").write_bytes(b"b" * 200)
    (d / "empty").write_bytes(b"")

    push(env, server, f, f"s3://{bucket}/exact/name.bin")
    push(env, server, f, f"s3://{bucket}/dir/")
    push(env, server, f, f"s3://{bucket}")
    push(env, server, d, f"s3://{bucket}/tree/")
    push(env, server, d, f"s3://{bucket}/tree2")
    s3.put_object(Bucket=bucket, Key="tree-other/x", Body=b"not mine")
    s3.put_object(Bucket=bucket, Key="treeX", Body=b"not mine either")
    assert sorted(list_all_keys(s3, bucket)) == sorted([
        "exact/name.bin", "dir/file.bin", "file.bin",
        "tree/a.txt", "tree/sub/b.txt", "tree/empty",
        "tree2/a.txt", "tree2/sub/b.txt", "tree2/empty",
        "tree-other/x", "treeX",
    ])

    root_bucket = bucket_factory()
    push(env, server, d, f"s3://{root_bucket}")
    assert sorted(list_all_keys(s3, root_bucket)) == ["a.txt", "empty", "sub/b.txt"]

    want_f = sha256_file(f)
    out = tmp_path / "out"
    out.mkdir()
    s = pull(env, server, f"s3://{bucket}/exact/name.bin", out / "renamed.bin", "--no-cache")
    assert s["files"] == 1 and sha256_file(out / "renamed.bin") == want_f
    pull(env, server, f"s3://{bucket}/exact/name.bin", out, "--no-cache")
    assert sha256_file(out / "name.bin") == want_f

    s = pull(env, server, f"s3://{bucket}/tree", tmp_path / "t", "--no-cache")
    assert s["files"] == 3
    assert tree_hashes(tmp_path / "t") == tree_hashes(d)
    s = pull(env, server, f"s3://{root_bucket}/sub", tmp_path / "t2", "--no-cache")
    assert regular_files(tmp_path / "t2") == {"b.txt": 200}

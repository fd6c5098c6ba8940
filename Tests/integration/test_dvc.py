"""DVC with an S3 remote (dvc-s3 -> s3fs -> aiobotocore) against Cairn.

Everything DVC and git write stays under the test's tmp dir: HOME, XDG dirs,
DVC_GLOBAL_CONFIG_DIR / DVC_SYSTEM_CONFIG_DIR / DVC_SITE_CACHE_DIR and
core.site_cache_dir point there; analytics and update checks are off.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from harness import (
    MiB,
    dvc_data_hashes,
    dvc_init,
    dvc_remote_key,
    find_tool,
    list_all_keys,
    make_cli_env,
    md5_file,
    run,
    s3_sha256,
    write_random_file,
)

PREFIX = "dvcstore"


def out_md5(dvc_file: Path) -> str:
    """The md5 recorded in a .dvc file (ends with .dir for directories)."""
    for line in dvc_file.read_text().splitlines():
        line = line.strip().lstrip("- ").strip()
        if line.startswith("md5:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"no md5 in {dvc_file}:\n{dvc_file.read_text()}")


@pytest.mark.slow
@pytest.mark.timeout(1500)
def test_dvc_push_pull_gc(tmp_path, server, bucket, s3):
    dvc = find_tool("dvc")
    env = make_cli_env(tmp_path / "home", server)
    repo = tmp_path / "repo"

    def sh(*args, timeout=900):
        return run(args, repo, env, timeout=timeout)

    dvc_init(repo, env, dvc, server, f"s3://{bucket}/{PREFIX}", tmp_path / "home" / "dvc-site-cache", timeout=900)

    data = repo / "data"
    big = data / "big.bin"
    write_random_file(big, 120 * MiB)
    small = data / "small"
    for i in range(200):
        size = 0 if i == 0 else (i * 37) % 4096 + 1
        sub = f"group{i % 4}/" if i % 3 else ""
        path = small / f"{sub}file-{i:03d}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(size))

    sh(dvc, "add", "data/big.bin", "data/small")
    sh(dvc, "push")

    before = dvc_data_hashes(data)
    big_md5 = md5_file(big)
    small_md5s = {p.relative_to(small).as_posix(): md5_file(p) for p in small.rglob("*") if p.is_file()}
    dir_md5 = out_md5(repo / "data" / "small.dvc")
    assert dir_md5.endswith(".dir")
    assert out_md5(repo / "data" / "big.bin.dvc") == big_md5

    expected = {dvc_remote_key(PREFIX, m) for m in [big_md5, dir_md5, *small_md5s.values()]}
    remote = set(list_all_keys(s3, bucket, PREFIX + "/"))
    assert remote == expected

    # The big object on the remote is byte-identical (streamed, hashed).
    assert s3_sha256(s3, bucket, dvc_remote_key(PREFIX, big_md5)) == before["big.bin"]

    # Lose the cache and the workspace copies; pull them back.
    shutil.rmtree(repo / ".dvc" / "cache")
    big.unlink()
    shutil.rmtree(small)
    sh(dvc, "pull")
    assert dvc_data_hashes(data) == before

    status = json.loads(sh(dvc, "status", "-c", "--json").stdout or "{}")
    assert status == {}, status

    # Change one small file, push the new version.
    changed = "group1/file-001.txt"
    old_md5 = small_md5s[changed]
    (small / changed).write_bytes(os.urandom(999))
    new_md5 = md5_file(small / changed)
    sh(dvc, "add", "data/small")
    sh(dvc, "push")
    new_dir_md5 = out_md5(repo / "data" / "small.dvc")
    assert new_dir_md5 != dir_md5
    remote = set(list_all_keys(s3, bucket, PREFIX + "/"))
    assert {dvc_remote_key(PREFIX, m) for m in (old_md5, dir_md5, new_md5, new_dir_md5)} <= remote

    status = json.loads(sh(dvc, "status", "-c", "--json").stdout or "{}")
    assert status == {}, status

    # Garbage-collect everything the workspace no longer uses, locally and remotely.
    sh(dvc, "gc", "-w", "-c", "-f")
    remote = set(list_all_keys(s3, bucket, PREFIX + "/"))
    assert dvc_remote_key(PREFIX, old_md5) not in remote, "old file version survived dvc gc -c"
    assert dvc_remote_key(PREFIX, dir_md5) not in remote, "old directory manifest survived dvc gc -c"
    small_md5s[changed] = new_md5
    want = {dvc_remote_key(PREFIX, m) for m in [big_md5, new_dir_md5, *small_md5s.values()]}
    assert remote == want

    # And the remote still serves a clean checkout.
    shutil.rmtree(repo / ".dvc" / "cache")
    big.unlink()
    shutil.rmtree(small)
    sh(dvc, "pull")
    after = dvc_data_hashes(data)
    assert after["big.bin"] == before["big.bin"]
    assert after[f"small/{changed}"] != before[f"small/{changed}"]
    assert {k: v for k, v in after.items() if k != f"small/{changed}"} == {
        k: v for k, v in before.items() if k != f"small/{changed}"
    }

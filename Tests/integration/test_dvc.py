"""DVC with an S3 remote (dvc-s3 -> s3fs -> aiobotocore) against Cairn.

Everything DVC and git write stays under the test's tmp dir: HOME, XDG dirs,
DVC_GLOBAL_CONFIG_DIR / DVC_SYSTEM_CONFIG_DIR / DVC_SITE_CACHE_DIR and
core.site_cache_dir point there; analytics and update checks are off.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import make_cli_env
from harness import MiB, find_tool, list_all_keys, tree_hashes, write_random_file

PREFIX = "dvcstore"


def run(cmd, cwd, env, timeout=900) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
    )
    if proc.returncode != 0:
        raise AssertionError(
            f"{' '.join(map(str, cmd))} exited {proc.returncode}\nstdout:\n{proc.stdout[-4000:]}\n"
            f"stderr:\n{proc.stderr[-4000:]}"
        )
    return proc


def data_hashes(data_dir: Path) -> dict[str, str]:
    """Hashes of the tracked data only (not the .dvc / .gitignore files beside it)."""
    return {
        k: v
        for k, v in tree_hashes(data_dir).items()
        if not k.endswith(".dvc") and not k.endswith(".gitignore")
    }


def md5_file(path: Path) -> str:
    h = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(4 * MiB), b""):
            h.update(chunk)
    return h.hexdigest()


def remote_key(md5: str) -> str:
    """Where DVC 3 stores an object in the remote (files/md5/xx/rest)."""
    return f"{PREFIX}/files/md5/{md5[:2]}/{md5[2:]}"


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
    repo.mkdir()

    def sh(*args, timeout=900):
        return run([*args], repo, env, timeout)

    sh("git", "init", "-q")
    sh("git", "config", "user.email", "test@example.invalid")
    sh("git", "config", "user.name", "Cairn Test")
    sh(dvc, "init", "-q")
    sh(dvc, "config", "core.analytics", "false")
    sh(dvc, "config", "core.autostage", "false")
    sh(dvc, "config", "core.check_update", "false")
    sh(dvc, "config", "core.site_cache_dir", str(tmp_path / "home" / "dvc-site-cache"))
    sh(dvc, "remote", "add", "-d", "store", f"s3://{bucket}/{PREFIX}")
    sh(dvc, "remote", "modify", "store", "endpointurl", server.url)
    sh(dvc, "remote", "modify", "--local", "store", "access_key_id", server.access_key)
    sh(dvc, "remote", "modify", "--local", "store", "secret_access_key", server.secret_key)

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

    before = data_hashes(data)
    big_md5 = md5_file(big)
    small_md5s = {p.relative_to(small).as_posix(): md5_file(p) for p in small.rglob("*") if p.is_file()}
    dir_md5 = out_md5(repo / "data" / "small.dvc")
    assert dir_md5.endswith(".dir")
    assert out_md5(repo / "data" / "big.bin.dvc") == big_md5

    expected = {remote_key(big_md5), remote_key(dir_md5)} | {remote_key(m) for m in small_md5s.values()}
    remote = set(list_all_keys(s3, bucket, PREFIX + "/"))
    assert remote == expected

    # The big object on the remote is byte-identical (streamed, hashed).
    body = s3.get_object(Bucket=bucket, Key=remote_key(big_md5))["Body"]
    h = hashlib.sha256()
    for chunk in iter(lambda: body.read(4 * MiB), b""):
        h.update(chunk)
    assert h.hexdigest() == before["big.bin"]

    # Lose the cache and the workspace copies; pull them back.
    shutil.rmtree(repo / ".dvc" / "cache")
    big.unlink()
    shutil.rmtree(small)
    sh(dvc, "pull")
    assert data_hashes(data) == before

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
    assert {remote_key(old_md5), remote_key(dir_md5), remote_key(new_md5), remote_key(new_dir_md5)} <= remote

    status = json.loads(sh(dvc, "status", "-c", "--json").stdout or "{}")
    assert status == {}, status

    # Garbage-collect everything the workspace no longer uses, locally and remotely.
    sh(dvc, "gc", "-w", "-c", "-f")
    remote = set(list_all_keys(s3, bucket, PREFIX + "/"))
    assert remote_key(old_md5) not in remote, "old file version survived dvc gc -c"
    assert remote_key(dir_md5) not in remote, "old directory manifest survived dvc gc -c"
    small_md5s[changed] = new_md5
    want = {remote_key(big_md5), remote_key(new_dir_md5)} | {remote_key(m) for m in small_md5s.values()}
    assert remote == want

    # And the remote still serves a clean checkout.
    shutil.rmtree(repo / ".dvc" / "cache")
    big.unlink()
    shutil.rmtree(small)
    sh(dvc, "pull")
    after = data_hashes(data)
    assert after["big.bin"] == before["big.bin"]
    assert after[f"small/{changed}"] != before[f"small/{changed}"]
    assert {k: v for k, v in after.items() if k != f"small/{changed}"} == {
        k: v for k, v in before.items() if k != f"small/{changed}"
    }

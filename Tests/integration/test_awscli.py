"""AWS CLI v1 (`aws s3 ...`, `aws s3api ...`) against Cairn.

The CLI runs with a private HOME and AWS_CONFIG_FILE (path-style addressing,
region us-east-1); see harness.make_cli_env.  awscli's default transfer
settings apply: multipart above 8 MiB, 8 MiB parts, 10 threads.
"""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from harness import (
    MiB,
    checksum_b64,
    find_tool,
    list_all_keys,
    make_client,
    make_cli_env,
    make_tree,
    md5_hex,
    multipart_etag_of_file,
    run,
    sha256_file,
    sha256_hex,
    temp_bucket,
    tree_hashes,
    write_random_file,
)

AWSCLI_CHUNK = 8 * MiB


def aws(env, endpoint_url, *args, check=True, timeout=600) -> subprocess.CompletedProcess:
    return run([find_tool("aws"), "--endpoint-url", endpoint_url, *args], env=env, check=check, timeout=timeout)


# A small directory tree with awkward names: relpath -> size.
TREE = {
    "empty.txt": 0,
    "one-byte": 1,
    "a/readme.md": 1000,
    "a/b/c/deep.bin": 100 * 1024,
    "a/b/with space.dat": 5000,
    "ünïcödé/日本語.txt": 777,
    "plus+and=equals.bin": 2048,
    "big/multipart.bin": 9 * MiB + 123,  # above awscli's 8 MiB threshold
}
# S3 LastModified has one-second resolution; a file written in the same
# second as its upload would look newer than the object to `aws s3 sync`
# (against AWS too).  The sources are dated an hour back.
TREE_AGE = 3600


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_cp_large_file_multipart_roundtrip(cli_env, server, bucket, s3, tmp_path):
    src = tmp_path / "big.bin"
    digest = write_random_file(src, 130 * MiB)
    aws(cli_env, server.url, "s3", "cp", str(src), f"s3://{bucket}/big/file.bin", "--only-show-errors")

    head = json.loads(
        aws(cli_env, server.url, "s3api", "head-object", "--bucket", bucket, "--key", "big/file.bin").stdout
    )
    assert head["ContentLength"] == 130 * MiB
    # 130 MiB in awscli's 8 MiB parts: 17 parts.
    assert head["ETag"] == multipart_etag_of_file(src, AWSCLI_CHUNK)
    assert head["ETag"].endswith('-17"')

    dst = tmp_path / "back.bin"
    aws(cli_env, server.url, "s3", "cp", f"s3://{bucket}/big/file.bin", str(dst), "--only-show-errors")
    assert sha256_file(dst) == digest

    # Streaming download to stdout, then a ranged server-side check through s3api.
    out = subprocess.run(
        [find_tool("aws"), "--endpoint-url", server.url, "s3", "cp", f"s3://{bucket}/big/file.bin", "-"],
        env=cli_env,
        capture_output=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert sha256_hex(out.stdout) == digest


def _transfer_lines(output: str, verb: str) -> list[str]:
    return sorted(line for line in output.splitlines() if line.startswith(f"{verb}: "))


def test_sync_both_ways(cli_env, server, bucket, s3, tmp_path):
    src = tmp_path / "src"
    layout = make_tree(src, TREE, backdate=TREE_AGE)
    out = aws(cli_env, server.url, "s3", "sync", str(src), f"s3://{bucket}/tree/", "--no-progress").stdout
    assert len(_transfer_lines(out, "upload")) == len(layout)

    remote = {k[len("tree/") :] for k in list_all_keys(s3, bucket, "tree/")}
    assert remote == set(layout)
    sizes = {
        o["Key"][len("tree/") :]: o["Size"]
        for p in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="tree/")
        for o in p.get("Contents", [])
    }
    assert sizes == layout

    dst = tmp_path / "dst"
    aws(cli_env, server.url, "s3", "sync", f"s3://{bucket}/tree/", str(dst), "--no-progress")
    assert tree_hashes(dst) == tree_hashes(src)

    # Nothing changed: nothing transferred.
    out = aws(cli_env, server.url, "s3", "sync", str(src), f"s3://{bucket}/tree/", "--no-progress").stdout
    assert _transfer_lines(out, "upload") == [], out

    # Change one file (new size), add one, remove one; sync --delete.
    write_random_file(src / "a/readme.md", 1500)
    write_random_file(src / "a/new-file.txt", 300)
    (src / "one-byte").unlink()
    out = aws(
        cli_env, server.url, "s3", "sync", str(src), f"s3://{bucket}/tree/", "--delete", "--no-progress"
    ).stdout
    uploads = _transfer_lines(out, "upload")
    deletes = _transfer_lines(out, "delete")
    assert len(uploads) == 2 and any("readme.md" in u for u in uploads) and any(
        "new-file.txt" in u for u in uploads
    ), out
    assert len(deletes) == 1 and "one-byte" in deletes[0], out

    dst2 = tmp_path / "dst2"
    aws(cli_env, server.url, "s3", "sync", f"s3://{bucket}/tree/", str(dst2), "--no-progress")
    assert tree_hashes(dst2) == tree_hashes(src)


LS_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\s+(\d+) (.+)$")


def test_ls_and_rm_recursive(cli_env, server, bucket, s3, tmp_path):
    src = tmp_path / "src"
    layout = make_tree(src, {"top.txt": 10, "dir1/a.txt": 20, "dir1/sub/b.txt": 30, "dir2/c.txt": 40})
    aws(cli_env, server.url, "s3", "cp", str(src), f"s3://{bucket}/ls/", "--recursive", "--only-show-errors")
    s3.put_object(Bucket=bucket, Key="keep/me", Body=b"stay")

    out = aws(cli_env, server.url, "s3", "ls").stdout
    assert any(line.split()[-1] == bucket for line in out.splitlines()), out

    out = aws(cli_env, server.url, "s3", "ls", f"s3://{bucket}/ls/").stdout
    lines = out.splitlines()
    prefixes = sorted(line.split()[-1] for line in lines if line.strip().startswith("PRE "))
    assert prefixes == ["dir1/", "dir2/"], out
    files = [LS_LINE.match(line) for line in lines if LS_LINE.match(line)]
    assert [(m.group(3), int(m.group(2))) for m in files] == [("top.txt", 10)], out

    out = aws(cli_env, server.url, "s3", "ls", f"s3://{bucket}/ls/", "--recursive").stdout
    listed = {}
    for line in out.splitlines():
        m = LS_LINE.match(line)
        assert m, f"unexpected ls line {line!r}"
        listed[m.group(3)] = int(m.group(2))
    assert listed == {f"ls/{k}": v for k, v in layout.items()}

    out = aws(cli_env, server.url, "s3", "rm", f"s3://{bucket}/ls/", "--recursive").stdout
    assert len(_transfer_lines(out, "delete")) == len(layout), out
    assert list_all_keys(s3, bucket, "ls/") == []
    assert list_all_keys(s3, bucket) == ["keep/me"]


def test_s3api_put_head_get(cli_env, server, bucket, tmp_path):
    src = tmp_path / "obj.bin"
    write_random_file(src, 123457)
    data = src.read_bytes()
    put = json.loads(
        aws(
            cli_env,
            server.url,
            "s3api",
            "put-object",
            "--bucket",
            bucket,
            "--key",
            "api/obj.bin",
            "--body",
            str(src),
            "--content-type",
            "application/x-test",
            "--metadata",
            "color=blue",
        ).stdout
    )
    assert put["ETag"] == f'"{md5_hex(data)}"'
    head = json.loads(
        aws(cli_env, server.url, "s3api", "head-object", "--bucket", bucket, "--key", "api/obj.bin").stdout
    )
    assert head["ContentLength"] == len(data)
    assert head["ETag"] == f'"{md5_hex(data)}"'
    assert head["ContentType"] == "application/x-test"
    assert head["Metadata"] == {"color": "blue"}
    out = tmp_path / "out.bin"
    got = json.loads(
        aws(cli_env, server.url, "s3api", "get-object", "--bucket", bucket, "--key", "api/obj.bin", str(out)).stdout
    )
    assert got["ContentLength"] == len(data)
    assert out.read_bytes() == data

    missing = aws(
        cli_env, server.url, "s3api", "head-object", "--bucket", bucket, "--key", "api/missing", check=False
    )
    assert missing.returncode != 0 and "404" in missing.stderr


def test_cp_over_https(tmp_path, tls_server):
    env = make_cli_env(tmp_path / "home", tls_server)
    client = make_client(tls_server)
    with temp_bucket(client) as bucket:
        src = tmp_path / "src"
        make_tree(src, {"small.txt": 4000, "multi.bin": 17 * MiB + 5})
        aws(env, tls_server.url, "s3", "cp", str(src), f"s3://{bucket}/tls/", "--recursive", "--only-show-errors")
        head = client.head_object(Bucket=bucket, Key="tls/multi.bin")
        assert head["ETag"] == multipart_etag_of_file(src / "multi.bin", AWSCLI_CHUNK)
        dst = tmp_path / "dst"
        aws(env, tls_server.url, "s3", "cp", f"s3://{bucket}/tls/", str(dst), "--recursive", "--only-show-errors")
        assert tree_hashes(dst) == tree_hashes(src)


@pytest.mark.timeout(600)
def test_crc64nvme_multipart_upload_and_checksum_mode(cli_env, server, bucket, tmp_path):
    """The newest checksum default of the AWS tools: CRC64NVME (computed by awscrt), a FULL_OBJECT checksum
    of a multipart upload, returned and verified with --checksum-mode ENABLED."""
    import awscrt  # noqa: F401  (botocore needs it for CRC64NVME)

    src = tmp_path / "crc.bin"
    write_random_file(src, 2 * AWSCLI_CHUNK + 12345)  # three parts
    aws(cli_env, server.url, "s3", "cp", "--only-show-errors", "--checksum-algorithm", "CRC64NVME", str(src), f"s3://{bucket}/crc.bin")
    whole = checksum_b64("CRC64NVME", src.read_bytes())
    out = tmp_path / "crc.out"
    got = json.loads(aws(cli_env, server.url, "s3api", "get-object", "--checksum-mode", "ENABLED",
                         "--bucket", bucket, "--key", "crc.bin", str(out)).stdout)
    assert got["ChecksumCRC64NVME"] == whole and got["ChecksumType"] == "FULL_OBJECT" and got["PartsCount"] == 3
    assert sha256_file(out) == sha256_file(src)
    head = json.loads(aws(cli_env, server.url, "s3api", "head-object", "--checksum-mode", "ENABLED",
                          "--bucket", bucket, "--key", "crc.bin").stdout)
    assert head["ChecksumCRC64NVME"] == whole and head["ChecksumType"] == "FULL_OBJECT"
    # The CLI's default (CRC32 parts) makes a COMPOSITE checksum: the checksum of the part checksums, "-3".
    aws(cli_env, server.url, "s3", "cp", "--only-show-errors", str(src), f"s3://{bucket}/default.bin")
    head = json.loads(aws(cli_env, server.url, "s3api", "head-object", "--checksum-mode", "ENABLED",
                          "--bucket", bucket, "--key", "default.bin").stdout)
    assert head["ChecksumType"] == "COMPOSITE" and head["ChecksumCRC32"].endswith("-3")

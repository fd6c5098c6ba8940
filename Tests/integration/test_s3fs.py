"""s3fs (fsspec over aiobotocore) against Cairn."""

from __future__ import annotations

import os
import random

import pytest
import s3fs

from harness import (
    MiB,
    make_tree,
    md5_hex,
    sha256_file,
    sha256_hex,
    tree_hashes,
    unique_bucket_name,
    write_random_file,
)


def make_fs(endpoint) -> s3fs.S3FileSystem:
    # No region_name: with one, s3fs.mkdir sends CreateBucketConfiguration
    # <LocationConstraint>us-east-1</LocationConstraint>, which AWS itself
    # refuses (InvalidLocationConstraint).  botocore signs for us-east-1.
    client_kwargs = {"endpoint_url": endpoint.url}
    if endpoint.is_tls:
        client_kwargs["verify"] = endpoint.verify
    return s3fs.S3FileSystem(
        key=endpoint.access_key,
        secret=endpoint.secret_key,
        client_kwargs=client_kwargs,
        config_kwargs={"s3": {"addressing_style": "path"}, "signature_version": "s3v4"},
        use_listings_cache=False,
        skip_instance_cache=True,
    )


@pytest.fixture
def fs(server):
    return make_fs(server)


def test_put_get_ls_info_rm(fs, bucket, tmp_path, s3):
    single = tmp_path / "single.bin"
    single_digest = write_random_file(single, 7 * MiB + 3)
    fs.put(str(single), f"{bucket}/one/single.bin")

    tree = tmp_path / "tree"
    layout = make_tree(tree, {"a.txt": 100, "sub/b.bin": 70000, "sub/deeper/c.dat": 1, "sub/empty": 0})
    fs.put(str(tree) + "/", f"{bucket}/tree/", recursive=True)

    listed = fs.ls(f"{bucket}/tree", detail=True)
    by_name = {e["name"]: e for e in listed}
    assert set(by_name) == {f"{bucket}/tree/a.txt", f"{bucket}/tree/sub"}
    assert by_name[f"{bucket}/tree/a.txt"]["type"] == "file"
    assert by_name[f"{bucket}/tree/a.txt"]["size"] == 100
    assert by_name[f"{bucket}/tree/sub"]["type"] == "directory"

    found = sorted(fs.find(f"{bucket}/tree"))
    assert found == sorted(f"{bucket}/tree/{rel}" for rel in layout)

    info = fs.info(f"{bucket}/one/single.bin")
    assert info["type"] == "file" and info["size"] == 7 * MiB + 3
    assert info["ETag"] == s3.head_object(Bucket=bucket, Key="one/single.bin")["ETag"]
    assert fs.info(f"{bucket}/tree/sub")["type"] == "directory"
    assert fs.exists(f"{bucket}/tree/sub/b.bin")
    assert not fs.exists(f"{bucket}/tree/nope")
    assert not fs.exists(f"{bucket}/nothing-here/")
    with pytest.raises(FileNotFoundError):
        fs.info(f"{bucket}/tree/nope")

    back = tmp_path / "back.bin"
    fs.get(f"{bucket}/one/single.bin", str(back))
    assert sha256_file(back) == single_digest

    tree_back = tmp_path / "tree-back"
    fs.get(f"{bucket}/tree/", str(tree_back) + "/", recursive=True)
    assert tree_hashes(tree_back) == tree_hashes(tree)

    assert fs.cat_file(f"{bucket}/tree/a.txt") == (tree / "a.txt").read_bytes()

    fs.rm(f"{bucket}/one/single.bin")
    assert not fs.exists(f"{bucket}/one/single.bin")
    fs.rm(f"{bucket}/tree", recursive=True)
    assert fs.find(f"{bucket}/tree") == []
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_open_read_with_seeks(fs, bucket, s3):
    data = os.urandom(12 * MiB + 77)
    s3.put_object(Bucket=bucket, Key="seek/data.bin", Body=data)
    rng = random.Random(1234)
    with fs.open(f"{bucket}/seek/data.bin", "rb", block_size=MiB) as f:
        assert f.size == len(data)
        assert f.read(100) == data[:100]
        for _ in range(40):
            pos = rng.randrange(0, len(data))
            n = rng.choice([1, 17, 4096, 100_000, 2 * MiB])
            f.seek(pos)
            assert f.tell() == pos
            assert f.read(n) == data[pos : pos + n], (pos, n)
        f.seek(-10, 2)
        assert f.read() == data[-10:]
        assert f.read(5) == b""
        f.seek(5 * MiB)
        f.seek(100, 1)
        assert f.read(10) == data[5 * MiB + 100 : 5 * MiB + 110]
    assert fs.cat_file(f"{bucket}/seek/data.bin", start=3 * MiB, end=3 * MiB + 999) == data[
        3 * MiB : 3 * MiB + 999
    ]


def test_open_write_multipart(fs, bucket, s3):
    pieces = [os.urandom(MiB) for _ in range(13)]
    with fs.open(f"{bucket}/write/streamed.bin", "wb", block_size=5 * MiB) as f:
        for p in pieces:
            f.write(p)
    whole = b"".join(pieces)
    head = s3.head_object(Bucket=bucket, Key="write/streamed.bin")
    assert head["ContentLength"] == len(whole)
    # s3fs flushes a part whenever its buffer reaches block_size.
    assert head["ETag"].endswith('-3"'), head["ETag"]
    body = s3.get_object(Bucket=bucket, Key="write/streamed.bin")["Body"].read()
    assert sha256_hex(body) == sha256_hex(whole)

    with fs.open(f"{bucket}/write/small.txt", "wb") as f:
        f.write(b"tiny")
    assert s3.head_object(Bucket=bucket, Key="write/small.txt")["ETag"] == f'"{md5_hex(b"tiny")}"'
    fs.pipe(f"{bucket}/write/piped", b"piped bytes")
    assert fs.cat(f"{bucket}/write/piped") == b"piped bytes"


def test_mkdir_rmdir_bucket(fs, s3):
    name = unique_bucket_name("cairn-s3fs")
    fs.mkdir(name)
    try:
        assert name in [b["Name"] for b in s3.list_buckets()["Buckets"]]
        fs.pipe(f"{name}/x", b"x")
        assert fs.ls(name) == [f"{name}/x"]
        fs.rm(f"{name}/x")
    finally:
        fs.rmdir(name)
    assert name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_s3fs_over_https(tls_server, tmp_path):
    fs = make_fs(tls_server)
    name = unique_bucket_name("cairn-s3fs-tls")
    fs.mkdir(name)
    try:
        src = tmp_path / "f.bin"
        digest = write_random_file(src, 6 * MiB + 1)
        fs.put(str(src), f"{name}/f.bin")
        dst = tmp_path / "g.bin"
        fs.get(f"{name}/f.bin", str(dst))
        assert sha256_file(dst) == digest
        fs.rm(f"{name}/f.bin")
    finally:
        fs.rmdir(name)

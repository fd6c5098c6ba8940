"""Cairn's native API under /api/v1 (native-api.md), driven with hand-signed
raw requests: configuration, authentication, dedupe sessions, `missing`
queries, chunk upload and fetch (raw and zstd frames), manifest commits
(checked through boto3), manifest listings, blobs by sha256 / md5 with
ranges, and the reserved bucket name `api`.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import re

import botocore
import pytest

from harness import (
    EMPTY_MD5,
    FRAME_RAW,
    FRAME_ZSTD,
    Manifest,
    Session,
    assert_client_error,
    assert_native_error,
    assert_no_object,
    chunk_frame,
    dedupe_stats,
    keyed_manifest,
    native,
    native_json,
    parse_frames,
    parse_listing,
    stats_delta,
)

try:
    import zstandard
except ImportError:  # only the zstd-frame test needs it
    zstandard = None

STATS_FIELDS = (
    "chunks_received",
    "chunks_stored",
    "wire_bytes_received",
    "chunk_bytes_stored",
    "chunks_served",
    "wire_bytes_served",
    "commits",
    "missing_queries",
)


# ---------------------------------------------------------------- helpers


@pytest.fixture
def session(raw):
    s = Session(raw)
    yield s
    s.delete()


def put_chunks(session: Session, data: bytes, cuts) -> tuple[Manifest, list[bytes]]:
    m, pieces = Manifest.of(data, cuts)
    result = session.upload_ok([chunk_frame(p) for p in pieces])
    assert result["received"] == len(pieces), result
    return m, pieces


# ---------------------------------------------------------------- configuration and auth


def test_configuration(raw):
    doc = native_json(native(raw, "GET", "/dedupe"))
    assert doc["version"] == 1
    ch = doc["chunker"]
    for k in ("min_size", "avg_size", "max_size", "normalization"):
        assert isinstance(ch[k], int) and not isinstance(ch[k], bool), (k, ch)
    assert 0 < ch["min_size"] < ch["avg_size"] < ch["max_size"], ch
    assert isinstance(doc["max_batch_bytes"], int) and doc["max_batch_bytes"] >= ch["max_size"], doc
    assert doc["session_ttl_seconds"] == 86_400, doc


def test_stats_counters(raw):
    stats = dedupe_stats(raw)
    for k in STATS_FIELDS:
        assert isinstance(stats[k], int) and stats[k] >= 0, (k, stats)


@pytest.mark.parametrize(
    "method,path",
    [
        ("GET", "/dedupe"),
        ("GET", "/dedupe/stats"),
        ("POST", "/dedupe/sessions"),
        ("POST", "/dedupe/chunks"),
        ("GET", "/blobs/sha256/" + "0" * 64),
    ],
)
def test_anonymous_refused(raw, method, path):
    resp = native(raw, method, path, sign=False)
    assert_native_error(resp, 403, "AccessDenied")


def test_bad_signature_refused(raw):
    resp = native(raw, "GET", "/dedupe", secret_key="not-the-secret-key-at-all")
    err = assert_native_error(resp, 403)
    assert err["code"] in ("SignatureDoesNotMatch", "AccessDenied"), err
    resp = native(raw, "POST", "/dedupe/sessions", access_key="NOSUCHACCESSKEY")
    err = assert_native_error(resp, 403)
    assert err["code"] in ("InvalidAccessKeyId", "AccessDenied"), err


def test_signed_body_is_verified(raw, session):
    # A digest no other test can have stored (other suites share this server).
    digest = hashlib.sha256(os.urandom(32)).digest()
    resp = raw.request(
        "POST",
        path=f"/api/v1/dedupe/sessions/{session.id}/missing",
        body=digest,
        payload_hash=hashlib.sha256(b"something else").hexdigest(),
    )
    assert_native_error(resp, 400)
    # The same body correctly signed is accepted.
    resp = raw.request("POST", path=f"/api/v1/dedupe/sessions/{session.id}/missing", body=digest)
    assert resp.status == 200 and resp.body == digest, resp


def test_unknown_endpoint_is_json_404(raw):
    assert_native_error(native(raw, "GET", "/dedupe/no-such-thing"), 404)


def test_bucket_name_api_is_reserved(s3):
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        s3.create_bucket(Bucket="api")
    assert_client_error(exc, 400, "InvalidBucketName")
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert "api" not in names


# ---------------------------------------------------------------- sessions


def test_session_create_and_delete(raw, s3, bucket):
    before = datetime.datetime.now(datetime.timezone.utc)
    s = Session(raw)
    assert re.fullmatch(r"[0-9a-f]{32}", s.id), s.doc
    expires = datetime.datetime.fromisoformat(s.doc["expires_at"].replace("Z", "+00:00"))
    assert expires.tzinfo is not None, s.doc
    ttl = (expires - before).total_seconds()
    assert 86_400 - 120 <= ttl <= 86_400 + 120, f"expires_at {s.doc['expires_at']} is not ~24 h ahead"
    other = Session(raw)
    assert other.id != s.id
    other.delete()

    # The session works, then is gone after DELETE.
    absent = hashlib.sha256(os.urandom(32)).digest()
    assert s.missing([absent]) == [absent]
    resp = s.delete()
    assert resp.status == 204, resp
    empty, _ = Manifest.of(b"")
    for path, body in (
        (f"/dedupe/sessions/{s.id}/missing", hashlib.sha256(b"a").digest()),
        (f"/dedupe/sessions/{s.id}/chunks", chunk_frame(b"hello")),
        (f"/dedupe/sessions/{s.id}/commit/{bucket}", keyed_manifest("after-delete", empty)),
    ):
        assert_native_error(native(raw, "POST", path, body, unsigned_payload=True), 404, "NoSuchSession")
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0


def test_unknown_session(raw):
    for sid in ("0" * 32, "f" * 32, "not-a-session"):
        resp = native(raw, "POST", f"/dedupe/sessions/{sid}/missing", hashlib.sha256(b"z").digest())
        assert_native_error(resp, 404, "NoSuchSession")


def test_missing_query(raw, session):
    present = [os.urandom(3000 + i) for i in range(3)]
    absent = [hashlib.sha256(os.urandom(64)).digest() for _ in range(3)]
    r = session.upload_ok([chunk_frame(p) for p in present])
    assert (r["received"], r["stored"], r["bytes"]) == (3, 3, sum(len(chunk_frame(p)) for p in present)), r
    pd = [hashlib.sha256(p).digest() for p in present]
    query = [absent[0], pd[0], absent[1], pd[1], pd[2], absent[2]]
    assert session.missing(query) == [absent[0], absent[1], absent[2]]
    assert session.missing(pd) == []
    assert session.missing([]) == []
    # Not whole digests.
    resp = native(raw, "POST", f"/dedupe/sessions/{session.id}/missing", b"\x00" * 33)
    assert_native_error(resp, 400)
    # Present to another session too: chunks are global, sessions only pin.
    other = Session(raw)
    try:
        assert other.missing(query) == [absent[0], absent[1], absent[2]]
    finally:
        other.delete()


# ---------------------------------------------------------------- chunks


def test_chunk_upload_and_fetch_raw(raw, session):
    chunks = [os.urandom(n) for n in (1, 4096, 65_536, 100_001)]
    frames = [chunk_frame(c) for c in chunks]
    s0 = dedupe_stats(raw)
    r = session.upload_ok(frames)
    assert (r["received"], r["stored"], r["bytes"]) == (4, 4, sum(map(len, frames))), r
    d = stats_delta(s0, dedupe_stats(raw))
    assert d["chunks_received"] == 4 and d["chunks_stored"] == 4, d
    assert d["wire_bytes_received"] == sum(map(len, frames)), d

    # Uploading the same chunks again stores nothing new.
    r = session.upload_ok(frames)
    assert r["received"] == 4 and r["stored"] == 0, r

    digests = [hashlib.sha256(c).digest() for c in chunks]
    order = [digests[2], digests[0], digests[3], digests[1], digests[0]]
    s1 = dedupe_stats(raw)
    resp = native(raw, "POST", "/dedupe/chunks", b"".join(order))
    assert resp.status == 200, resp
    assert int(resp.header("Content-Length")) == len(resp.body)
    got = parse_frames(resp.body)
    assert [f.digest for f in got] == order
    by_digest = dict(zip(digests, chunks))
    for f in got:
        want = by_digest[f.digest]
        assert f.raw_length == len(want)
        if f.encoding == FRAME_RAW:
            assert f.payload == want
        else:
            assert f.encoding == FRAME_ZSTD, f.encoding
            if zstandard is not None:
                assert zstandard.ZstdDecompressor().decompress(f.payload, max_output_size=len(want)) == want
    d = stats_delta(s1, dedupe_stats(raw))
    assert d["chunks_served"] == len(order) and d["wire_bytes_served"] == len(resp.body), d


def test_fetch_missing_chunk_is_409(raw, session):
    known = os.urandom(5000)
    session.upload_ok([chunk_frame(known)])
    unknown = hashlib.sha256(os.urandom(32)).digest()
    resp = native(raw, "POST", "/dedupe/chunks", hashlib.sha256(known).digest() + unknown)
    err = assert_native_error(resp, 409, "MissingChunks")
    assert err.get("missing") == [unknown.hex()], err
    resp = native(raw, "POST", "/dedupe/chunks", b"\x01" * 31)
    assert_native_error(resp, 400)


@pytest.mark.skipif(zstandard is None, reason="zstandard not installed")
def test_zstd_frames_round_trip(raw, s3, bucket, session):
    text = b"".join(b"line %08d: the quick brown fox jumps over the lazy dog\n" % i for i in range(2000))
    compressed = zstandard.ZstdCompressor(level=3).compress(text)
    assert len(compressed) < len(text) // 4
    digest = hashlib.sha256(text).digest()
    frame = chunk_frame(text, payload=compressed, encoding=FRAME_ZSTD)
    r = session.upload_ok([frame])
    assert (r["received"], r["stored"], r["bytes"]) == (1, 1, len(frame)), r
    assert session.missing([digest]) == []

    # Served as stored: the same zstd frame.
    resp = native(raw, "POST", "/dedupe/chunks", digest)
    assert resp.status == 200, resp
    (f,) = parse_frames(resp.body)
    assert f.digest == digest and f.raw_length == len(text)
    assert f.encoding == FRAME_ZSTD, "a chunk uploaded as a zstd frame must be served as one"
    assert zstandard.ZstdDecompressor().decompress(f.payload, max_output_size=len(text)) == text

    # A zstd frame whose content does not match its digest, or whose
    # decompressed length is not raw_length, is refused.
    other = text.replace(b"fox", b"cat")
    bad = chunk_frame(
        text, payload=zstandard.ZstdCompressor().compress(other), encoding=FRAME_ZSTD
    )
    assert_native_error(session.upload([bad]), 400, "BadDigest")
    short = chunk_frame(text, payload=compressed, encoding=FRAME_ZSTD, raw_length=len(text) + 1)
    assert session.upload([short]).status == 400
    assert session.missing([hashlib.sha256(other).digest()]) == [hashlib.sha256(other).digest()]

    # An object committed from the zstd chunk reads back decompressed.
    m, _ = Manifest.of(text)
    native_json(session.commit(bucket, [("zstd/text", m)]))
    got = s3.get_object(Bucket=bucket, Key="zstd/text")
    assert got["Body"].read() == text
    assert got["ETag"] == f'"{hashlib.md5(text).hexdigest()}"'


def test_bad_digest_stores_nothing_of_the_request(raw, session):
    good = os.urandom(20_000)
    victim = os.urandom(20_000)
    claimed = hashlib.sha256(os.urandom(32)).digest()  # no stored chunk has it
    frames = [chunk_frame(good), chunk_frame(victim, digest=claimed)]
    s0 = dedupe_stats(raw)
    assert_native_error(session.upload(frames), 400, "BadDigest")
    gd, vd = hashlib.sha256(good).digest(), hashlib.sha256(victim).digest()
    assert session.missing([gd, vd, claimed]) == [gd, vd, claimed]
    assert stats_delta(s0, dedupe_stats(raw))["chunks_stored"] == 0


@pytest.mark.parametrize(
    "case",
    ["truncated-payload", "truncated-header", "unknown-encoding", "zero-length", "raw-length-mismatch", "too-long"],
)
def test_malformed_frames(raw, session, case):
    max_size = native_json(native(raw, "GET", "/dedupe"))["chunker"]["max_size"]
    body = {
        "truncated-payload": lambda: chunk_frame(b"abc")[:-1],
        "truncated-header": lambda: chunk_frame(b"abc")[:20],
        "unknown-encoding": lambda: chunk_frame(b"abc", encoding=7),
        "zero-length": lambda: chunk_frame(b"", digest=hashlib.sha256(b"").digest()),
        "raw-length-mismatch": lambda: chunk_frame(b"abcd", raw_length=5),
        "too-long": lambda: chunk_frame(os.urandom(max_size + 1)),
    }[case]()
    assert_native_error(session.upload([body]), 400)


# ---------------------------------------------------------------- commits


def test_commit_then_read_with_boto3(raw, s3, bucket, session):
    data = os.urandom(300_000)
    m, pieces = put_chunks(session, data, [70_000, 200_000])
    s0 = dedupe_stats(raw)
    resp = session.commit(bucket, [("dir/committed object.bin", m)])
    doc = native_json(resp)
    (obj,) = doc["objects"]
    assert obj["key"] == "dir/committed object.bin"
    assert obj["size"] == len(data)
    assert obj["sha256"] == hashlib.sha256(data).hexdigest()
    assert obj["etag"].strip('"') == hashlib.md5(data).hexdigest()
    assert stats_delta(s0, dedupe_stats(raw))["commits"] == 1

    got = s3.get_object(Bucket=bucket, Key="dir/committed object.bin")
    assert got["Body"].read() == data
    assert got["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
    assert got["ContentLength"] == len(data)
    assert got["ContentType"] == "binary/octet-stream"
    ranged = s3.get_object(Bucket=bucket, Key="dir/committed object.bin", Range="bytes=69990-70009")
    assert ranged["Body"].read() == data[69_990:70_010]
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert keys == ["dir/committed object.bin"]

    # Committing does not end the session; a second commit overwrites.
    data2 = data[:150_000] + os.urandom(10) + data[150_000:]
    m2, _ = put_chunks(session, data2, [70_000, 150_010])
    native_json(session.commit(bucket, [("dir/committed object.bin", m2)]))
    assert s3.get_object(Bucket=bucket, Key="dir/committed object.bin")["Body"].read() == data2


def test_commit_many_and_empty(raw, s3, bucket, session):
    blobs = {f"many/{i:03d}": os.urandom(1000 + i * 37) for i in range(20)}
    blobs["many/empty"] = b""
    entries = []
    frames = []
    for key, data in blobs.items():
        m, pieces = Manifest.of(data, [len(data) // 2])
        entries.append((key, m))
        frames += [chunk_frame(p) for p in pieces]
    session.upload_ok(frames)
    empty_manifest = dict(entries)["many/empty"]
    assert empty_manifest.chunks == [] and empty_manifest.size == 0
    doc = native_json(session.commit(bucket, entries))
    assert sorted(o["key"] for o in doc["objects"]) == sorted(blobs)
    for key, data in blobs.items():
        got = s3.get_object(Bucket=bucket, Key=key)
        assert got["Body"].read() == data
        assert got["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
    assert s3.head_object(Bucket=bucket, Key="many/empty")["ETag"] == f'"{EMPTY_MD5}"'


def test_commit_is_all_or_nothing(raw, s3, bucket, session):
    data = os.urandom(50_000)
    m_ok, _ = put_chunks(session, data, [25_000])
    ghost = os.urandom(40_000)
    m_missing, _ = Manifest.of(ghost, [10_000])  # never uploaded
    resp = session.commit(bucket, [("a/ok", m_ok), ("a/missing", m_missing)])
    err = assert_native_error(resp, 409, "MissingChunks")
    assert sorted(err["missing"]) == sorted(d.hex() for d, _ in m_missing.chunks), err
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0

    # Chunks present but the whole-content digests lie: BadDigest naming the key.
    lying = Manifest(m_ok.size, hashlib.sha256(b"lie").digest(), m_ok.md5, m_ok.chunks)
    resp = session.commit(bucket, [("a/ok", m_ok), ("a/lying", lying)])
    err = assert_native_error(resp, 400, "BadDigest")
    assert "a/lying" in err["message"], err
    lying_md5 = Manifest(m_ok.size, m_ok.sha256, hashlib.md5(b"lie").digest(), m_ok.chunks)
    err = assert_native_error(session.commit(bucket, [("a/lying-md5", lying_md5)]), 400, "BadDigest")
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0

    # Lengths that do not add up to the size: malformed.
    bad_size = Manifest(m_ok.size + 1, m_ok.sha256, m_ok.md5, m_ok.chunks)
    assert_native_error(session.commit(bucket, [("a/bad-size", bad_size)]), 400)
    # Duplicate keys, an invalid key, an empty body, a missing bucket.
    assert_native_error(session.commit(bucket, [("a/x", m_ok), ("a/x", m_ok)]), 400)
    assert_native_error(session.commit(bucket, [("", m_ok)]), 400)
    assert_native_error(
        native(raw, "POST", f"/dedupe/sessions/{session.id}/commit/{bucket}", b""), 400
    )
    assert_native_error(session.commit("no-such-bucket-cairn-test", [("a/ok", m_ok)]), 404, "NoSuchBucket")
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0
    assert_no_object(s3, bucket, "a/ok")

    native_json(session.commit(bucket, [("a/ok", m_ok)]))
    assert s3.get_object(Bucket=bucket, Key="a/ok")["Body"].read() == data


# ---------------------------------------------------------------- manifest listings


def test_manifest_listing(raw, s3, bucket, session):
    committed = {}
    for i in range(5):
        data = os.urandom(10_000 + i)
        m, _ = put_chunks(session, data, [3_000, 7_000])
        committed[f"list/c{i}"] = (data, m)
    native_json(session.commit(bucket, [(k, m) for k, (_, m) in committed.items()]))
    # Objects written through S3 have manifests too.
    s3_objects = {f"list/s3-{i}": os.urandom(200_000 + i) for i in range(3)}
    s3_objects["list/s3-empty"] = b""
    for k, v in s3_objects.items():
        s3.put_object(Bucket=bucket, Key=k, Body=v)
    s3.put_object(Bucket=bucket, Key="other/x", Body=b"x" * 100)

    resp = native(raw, "GET", f"/dedupe/manifests/{bucket}", query={"prefix": "list/"})
    assert resp.status == 200, resp
    assert resp.header("x-cairn-truncated") in (None, "false"), resp.headers
    listing = parse_listing(resp.body)
    keys = [k for k, _ in listing]
    assert keys == sorted(list(committed) + list(s3_objects))
    by_key = dict(listing)
    for k, (data, m) in committed.items():
        assert by_key[k] == m, k
    for k, data in s3_objects.items():
        m = by_key[k]
        assert m.size == len(data)
        assert m.sha256 == hashlib.sha256(data).digest() and m.md5 == hashlib.md5(data).digest()
        assert sum(length for _, length in m.chunks) == len(data)
        if data:
            # Every chunk can be fetched and the chunks reassemble the object.
            digests = [d for d, _ in m.chunks]
            fetched = parse_frames(native(raw, "POST", "/dedupe/chunks", b"".join(digests)).body)
            parts = []
            for f in fetched:
                if f.encoding == FRAME_RAW:
                    parts.append(f.payload)
                elif zstandard is not None:
                    parts.append(zstandard.ZstdDecompressor().decompress(f.payload, max_output_size=f.raw_length))
                else:
                    pytest.skip("zstandard not installed to decode zstd frames")
            assert b"".join(parts) == data, k
        else:
            assert m.chunks == []

    # Pagination with max-keys and start-after.
    seen, start_after, pages = [], None, 0
    while True:
        q = {"prefix": "list/", "max-keys": "3"}
        if start_after:
            q["start-after"] = start_after
        resp = native(raw, "GET", f"/dedupe/manifests/{bucket}", query=q)
        page = [k for k, _ in parse_listing(resp.body)]
        assert 0 < len(page) <= 3
        seen += page
        pages += 1
        if resp.header("x-cairn-truncated") != "true":
            break
        start_after = page[-1]
        assert pages < 10
    assert seen == keys and pages == 3

    all_keys = [k for k, _ in parse_listing(native(raw, "GET", f"/dedupe/manifests/{bucket}").body)]
    assert all_keys == sorted(keys + ["other/x"])
    assert native(raw, "GET", f"/dedupe/manifests/{bucket}", query={"prefix": "nothing/"}).body == b""
    assert_native_error(native(raw, "GET", "/dedupe/manifests/no-such-bucket-cairn-test"), 404, "NoSuchBucket")


# ---------------------------------------------------------------- blobs


def test_blobs_by_digest(raw, s3, bucket):
    data = os.urandom(1_000_003)
    s3.put_object(Bucket=bucket, Key="blob/src", Body=data)
    sha, md5 = hashlib.sha256(data).hexdigest(), hashlib.md5(data).hexdigest()
    for algo, hexd in (("sha256", sha), ("md5", md5), ("sha256", sha.upper())):
        resp = native(raw, "GET", f"/blobs/{algo}/{hexd}")
        assert resp.status == 200, resp
        assert resp.body == data
        assert resp.header("ETag") == f'"{sha}"'
        assert resp.header("x-cairn-sha256") == sha
        assert resp.header("x-cairn-md5") == md5
        assert int(resp.header("Content-Length")) == len(data)

        resp = native(raw, "GET", f"/blobs/{algo}/{hexd}", headers={"Range": "bytes=1000-1999"})
        assert resp.status == 206, resp
        assert resp.body == data[1000:2000]
        assert resp.header("Content-Range") == f"bytes 1000-1999/{len(data)}"
        resp = native(raw, "GET", f"/blobs/{algo}/{hexd}", headers={"Range": "bytes=-10"})
        assert resp.status == 206 and resp.body == data[-10:], resp
        assert resp.header("Content-Range") == f"bytes {len(data) - 10}-{len(data) - 1}/{len(data)}"

        resp = native(raw, "HEAD", f"/blobs/{algo}/{hexd}")
        assert resp.status == 200 and resp.body == b"", resp
        assert int(resp.header("Content-Length")) == len(data)
        assert resp.header("x-cairn-md5") == md5

    # Unknown digests: JSON 404; malformed hex: 400.
    assert_native_error(native(raw, "GET", "/blobs/sha256/" + "ab" * 32), 404)
    assert_native_error(native(raw, "GET", "/blobs/md5/" + "cd" * 16), 404)
    resp = native(raw, "HEAD", "/blobs/sha256/" + "ab" * 32)
    assert resp.status == 404 and resp.body == b"", resp
    for bad in ("/blobs/sha256/xyz", "/blobs/sha256/" + "g" * 64, "/blobs/sha256/" + sha[:-1], "/blobs/md5/" + sha):
        assert_native_error(native(raw, "GET", bad), 400)


def test_blob_of_committed_object(raw, bucket, session):
    data = os.urandom(123_456)
    m, _ = put_chunks(session, data, [60_000])
    native_json(session.commit(bucket, [("blob/committed", m)]))
    resp = native(raw, "GET", f"/blobs/sha256/{hashlib.sha256(data).hexdigest()}", headers={"Range": "bytes=59990-60009"})
    assert resp.status == 206 and resp.body == data[59_990:60_010], resp


def test_key_with_odd_characters_commit(raw, s3, bucket, session):
    data = os.urandom(5000)
    m, _ = put_chunks(session, data, [])
    key = "ünïcödé/日本語 + space=equals.bin"
    native_json(session.commit(bucket, [(key, m)]))
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == data
    listing = parse_listing(native(raw, "GET", f"/dedupe/manifests/{bucket}", query={"prefix": "ünïcödé/"}).body)
    assert [k for k, _ in listing] == [key]

"""boto3 against Cairn, for each of {default checksums, when_required} x {http, https}.

botocore >= 1.36 sends a CRC32 with every upload by default.  How it frames
it differs by transport (observed with botocore 1.43):
  * http:  Content-Length, signed payload sha256, x-amz-checksum-crc32 header.
  * https: Transfer-Encoding: chunked + Content-Encoding: aws-chunked,
           x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER,
           x-amz-decoded-content-length, checksum in the trailer
           (Content-Encoding becomes "gzip,aws-chunked" when the caller set gzip).
The when_required variant sends plain bodies with Content-Length.
"""

from __future__ import annotations

import datetime
import gzip
import os
import time
import urllib.parse
import xml.etree.ElementTree as ET

import pytest
import requests
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

from harness import (
    EMPTY_MD5,
    MiB,
    RawS3,
    assert_client_error,
    assert_no_object,
    checksum_b64,
    empty_and_delete_bucket,
    error_code,
    http_status,
    list_all_keys,
    make_client,
    md5_b64,
    md5_hex,
    multipart_etag,
    multipart_etag_of_file,
    sha256_file,
    sha256_hex,
    strip_ns,
    temp_bucket,
    unique_bucket_name,
    write_random_file,
)

VARIANTS = [
    ("default", "http"),
    ("when_required", "http"),
    ("default", "https"),
    ("when_required", "https"),
]

_CLIENTS: dict = {}


@pytest.fixture(params=VARIANTS, ids=[f"{t}-{c}" for c, t in VARIANTS])
def variant(request):
    return request.param


@pytest.fixture
def ep(variant, request):
    return request.getfixturevalue("tls_server" if variant[1] == "https" else "server")


@pytest.fixture
def client(variant, ep):
    key = (ep.url, variant[0])
    if key not in _CLIENTS:
        _CLIENTS[key] = make_client(ep, variant[0])
    return _CLIENTS[key]


@pytest.fixture
def bkt(client):
    with temp_bucket(client) as name:
        yield name


@pytest.fixture
def second_bucket(client):
    with temp_bucket(client, "cairn-test-2nd") as name:
        yield name


def put(client, bucket, key, data=None, **kw):
    data = os.urandom(1024) if data is None else data
    client.put_object(Bucket=bucket, Key=key, Body=data, **kw)
    return data


def get_bytes(client, bucket, key, **kw) -> bytes:
    return client.get_object(Bucket=bucket, Key=key, **kw)["Body"].read()


def headers_of(resp) -> dict:
    return resp["ResponseMetadata"]["HTTPHeaders"]


# ------------------------------------------------------------------ buckets


def test_bucket_lifecycle(client):
    name = unique_bucket_name()
    resp = client.create_bucket(Bucket=name)
    assert http_status(resp) == 200
    try:
        head = client.head_bucket(Bucket=name)
        assert http_status(head) == 200
        assert headers_of(head).get("x-amz-bucket-region") == "us-east-1"

        listed = client.list_buckets()
        entries = {b["Name"]: b for b in listed["Buckets"]}
        assert name in entries
        assert isinstance(entries[name]["CreationDate"], datetime.datetime)
        age = datetime.datetime.now(datetime.timezone.utc) - entries[name]["CreationDate"]
        assert abs(age.total_seconds()) < 600, "CreationDate is not about now"

        # us-east-1 buckets report an empty LocationConstraint (null).
        assert client.get_bucket_location(Bucket=name).get("LocationConstraint") is None

        versioning = client.get_bucket_versioning(Bucket=name)
        assert http_status(versioning) == 200
        assert "Status" not in versioning and "MFADelete" not in versioning

        data = put(client, name, "keep/me.bin")
        with pytest.raises(ClientError) as ei:
            client.delete_bucket(Bucket=name)
        assert_client_error(ei, 409, "BucketNotEmpty")

        # Re-creating an own bucket: us-east-1 legacy 200 or 409
        # BucketAlreadyOwnedByYou; either way the content must survive.
        try:
            client.create_bucket(Bucket=name)
        except ClientError as e:
            assert http_status(e) == 409 and error_code(e) == "BucketAlreadyOwnedByYou"
        assert get_bytes(client, name, "keep/me.bin") == data

        client.delete_object(Bucket=name, Key="keep/me.bin")
        resp = client.delete_bucket(Bucket=name)
        assert http_status(resp) == 204
    except BaseException:
        empty_and_delete_bucket(client, name)
        raise

    with pytest.raises(ClientError) as ei:
        client.head_bucket(Bucket=name)
    assert http_status(ei.value) == 404
    assert name not in [b["Name"] for b in client.list_buckets()["Buckets"]]
    with pytest.raises(ClientError) as ei:
        client.delete_bucket(Bucket=name)
    assert_client_error(ei, 404, "NoSuchBucket")
    with pytest.raises(ClientError) as ei:
        client.get_object(Bucket=name, Key="keep/me.bin")
    assert_client_error(ei, 404, "NoSuchBucket")
    with pytest.raises(ClientError) as ei:
        client.put_object(Bucket=name, Key="x", Body=b"x")
    assert_client_error(ei, 404, "NoSuchBucket")


# ------------------------------------------------------------------ objects


def test_put_get_head_delete(client, bkt):
    data = os.urandom(300 * 1024 + 7)
    resp = client.put_object(Bucket=bkt, Key="obj/one.bin", Body=data)
    assert resp["ETag"] == f'"{md5_hex(data)}"'

    got = client.get_object(Bucket=bkt, Key="obj/one.bin")
    body = got["Body"].read()
    assert sha256_hex(body) == sha256_hex(data)
    assert got["ContentLength"] == len(data)
    assert got["ETag"] == f'"{md5_hex(data)}"'
    age = datetime.datetime.now(datetime.timezone.utc) - got["LastModified"]
    assert -5 < age.total_seconds() < 600, f"LastModified {got['LastModified']} is not about now"
    assert got["ContentType"] in ("binary/octet-stream", "application/octet-stream")

    head = client.head_object(Bucket=bkt, Key="obj/one.bin")
    assert head["ContentLength"] == len(data)
    assert head["ETag"] == got["ETag"]
    assert head["LastModified"] == got["LastModified"]

    # Overwrite.
    data2 = os.urandom(1000)
    put(client, bkt, "obj/one.bin", data2)
    assert get_bytes(client, bkt, "obj/one.bin") == data2
    assert client.head_object(Bucket=bkt, Key="obj/one.bin")["ContentLength"] == 1000

    # Empty object.
    resp = client.put_object(Bucket=bkt, Key="obj/empty", Body=b"")
    assert resp["ETag"] == f'"{EMPTY_MD5}"'
    got = client.get_object(Bucket=bkt, Key="obj/empty")
    assert got["ContentLength"] == 0 and got["Body"].read() == b""

    assert sorted(list_all_keys(client, bkt)) == ["obj/empty", "obj/one.bin"]

    resp = client.delete_object(Bucket=bkt, Key="obj/one.bin")
    assert http_status(resp) == 204
    with pytest.raises(ClientError) as ei:
        client.get_object(Bucket=bkt, Key="obj/one.bin")
    assert_client_error(ei, 404, "NoSuchKey")
    assert_no_object(client, bkt, "obj/one.bin")
    # Deleting a missing key is not an error.
    assert http_status(client.delete_object(Bucket=bkt, Key="obj/one.bin")) == 204
    assert list_all_keys(client, bkt) == ["obj/empty"]


def test_range_get(client, bkt):
    n = 256 * 1024 + 3
    data = put(client, bkt, "ranged", os.urandom(n))
    cases = [
        ("bytes=0-0", 0, 0),
        ("bytes=10-99", 10, 99),
        (f"bytes={n - 100}-", n - 100, n - 1),
        ("bytes=-50", n - 50, n - 1),
        (f"bytes=1000-{n + 5000}", 1000, n - 1),  # end past the size is clamped
        (f"bytes=0-{n - 1}", 0, n - 1),
    ]
    for header, start, end in cases:
        r = client.get_object(Bucket=bkt, Key="ranged", Range=header)
        assert http_status(r) == 206, header
        assert r["ContentRange"] == f"bytes {start}-{end}/{n}", header
        assert r["ContentLength"] == end - start + 1, header
        assert r["Body"].read() == data[start : end + 1], header

    full = client.get_object(Bucket=bkt, Key="ranged")
    assert http_status(full) == 200 and "ContentRange" not in full

    with pytest.raises(ClientError) as ei:
        client.get_object(Bucket=bkt, Key="ranged", Range=f"bytes={n}-")
    assert_client_error(ei, 416, "InvalidRange")


def test_conditional_get(client, bkt):
    put(client, bkt, "cond")
    head = client.head_object(Bucket=bkt, Key="cond")
    etag, lm = head["ETag"], head["LastModified"]
    earlier = lm - datetime.timedelta(days=1)

    assert http_status(client.get_object(Bucket=bkt, Key="cond", IfMatch=etag)) == 200
    with pytest.raises(ClientError) as ei:
        client.get_object(Bucket=bkt, Key="cond", IfMatch='"00000000000000000000000000000000"')
    assert_client_error(ei, 412, "PreconditionFailed")

    with pytest.raises(ClientError) as ei:
        client.get_object(Bucket=bkt, Key="cond", IfNoneMatch=etag)
    assert http_status(ei.value) == 304
    r = client.get_object(Bucket=bkt, Key="cond", IfNoneMatch='"0123456789abcdef0123456789abcdef"')
    assert http_status(r) == 200

    with pytest.raises(ClientError) as ei:
        client.get_object(Bucket=bkt, Key="cond", IfModifiedSince=lm)
    assert http_status(ei.value) == 304
    assert http_status(client.get_object(Bucket=bkt, Key="cond", IfModifiedSince=earlier)) == 200

    with pytest.raises(ClientError) as ei:
        client.get_object(Bucket=bkt, Key="cond", IfUnmodifiedSince=earlier)
    assert_client_error(ei, 412, "PreconditionFailed")
    assert http_status(client.get_object(Bucket=bkt, Key="cond", IfUnmodifiedSince=lm)) == 200

    # RFC 7232 precedence, as S3 documents it: a true If-Match wins over a
    # false If-Unmodified-Since; a false If-None-Match wins over If-Modified-Since.
    r = client.get_object(Bucket=bkt, Key="cond", IfMatch=etag, IfUnmodifiedSince=earlier)
    assert http_status(r) == 200
    with pytest.raises(ClientError) as ei:
        client.get_object(Bucket=bkt, Key="cond", IfNoneMatch=etag, IfModifiedSince=earlier)
    assert http_status(ei.value) == 304

    # Same rules on HEAD.
    with pytest.raises(ClientError) as ei:
        client.head_object(Bucket=bkt, Key="cond", IfNoneMatch=etag)
    assert http_status(ei.value) == 304
    with pytest.raises(ClientError) as ei:
        client.head_object(Bucket=bkt, Key="cond", IfMatch='"ffffffffffffffffffffffffffffffff"')
    assert http_status(ei.value) == 412


def test_put_if_none_match_star(client, bkt):
    first = os.urandom(2048)
    client.put_object(Bucket=bkt, Key="once", Body=first, IfNoneMatch="*")
    with pytest.raises(ClientError) as ei:
        client.put_object(Bucket=bkt, Key="once", Body=os.urandom(2048), IfNoneMatch="*")
    assert_client_error(ei, 412, "PreconditionFailed")
    assert get_bytes(client, bkt, "once") == first


def test_metadata_and_headers_roundtrip(client, bkt):
    data = gzip.compress(b"hello metadata " * 500)
    expires = datetime.datetime(2035, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    client.put_object(
        Bucket=bkt,
        Key="meta/doc.txt.gz",
        Body=data,
        Metadata={"alpha": "one", "Mixed-Case": "Value With Spaces", "empty-ish": "-"},
        ContentType="text/plain; charset=utf-8",
        ContentEncoding="gzip",
        ContentDisposition='attachment; filename="report.txt"',
        CacheControl="max-age=3600, must-revalidate",
        ContentLanguage="en-GB",
        Expires=expires,
    )
    want_meta = {"alpha": "one", "mixed-case": "Value With Spaces", "empty-ish": "-"}
    for resp in (
        client.head_object(Bucket=bkt, Key="meta/doc.txt.gz"),
        client.get_object(Bucket=bkt, Key="meta/doc.txt.gz"),
    ):
        assert resp["Metadata"] == want_meta
        assert resp["ContentType"] == "text/plain; charset=utf-8"
        # botocore sends "gzip,aws-chunked" over https: aws-chunked is
        # transport framing and must not be stored.
        assert resp["ContentEncoding"] == "gzip"
        assert resp["ContentDisposition"] == 'attachment; filename="report.txt"'
        assert resp["CacheControl"] == "max-age=3600, must-revalidate"
        assert resp["ContentLanguage"] == "en-GB"
        assert resp["ContentLength"] == len(data)
        if "Body" in resp:
            assert resp["Body"].read() == data


# ------------------------------------------------------------------ copy


def test_copy_object(client, bkt, second_bucket):
    src_key = "copy/sŕc ünïcode+plus.bin"
    data = os.urandom(70 * 1024)
    client.put_object(
        Bucket=bkt,
        Key=src_key,
        Body=data,
        Metadata={"origin": "source"},
        ContentType="application/x-source",
    )
    src_etag = f'"{md5_hex(data)}"'

    r = client.copy_object(
        Bucket=bkt, Key="copy/dst-copy", CopySource={"Bucket": bkt, "Key": src_key}
    )
    assert r["CopyObjectResult"]["ETag"] == src_etag
    assert isinstance(r["CopyObjectResult"]["LastModified"], datetime.datetime)
    head = client.head_object(Bucket=bkt, Key="copy/dst-copy")
    assert head["Metadata"] == {"origin": "source"}
    assert head["ContentType"] == "application/x-source"
    assert head["ETag"] == src_etag
    assert get_bytes(client, bkt, "copy/dst-copy") == data

    r = client.copy_object(
        Bucket=bkt,
        Key="copy/dst-replace",
        CopySource={"Bucket": bkt, "Key": src_key},
        MetadataDirective="REPLACE",
        Metadata={"new": "value"},
        ContentType="application/json",
    )
    assert r["CopyObjectResult"]["ETag"] == src_etag
    head = client.head_object(Bucket=bkt, Key="copy/dst-replace")
    assert head["Metadata"] == {"new": "value"}
    assert head["ContentType"] == "application/json"
    assert get_bytes(client, bkt, "copy/dst-replace") == data

    # Across buckets.
    client.copy_object(
        Bucket=second_bucket, Key="elsewhere", CopySource={"Bucket": bkt, "Key": src_key}
    )
    assert get_bytes(client, second_bucket, "elsewhere") == data

    # Copy onto itself: only allowed when something changes.
    with pytest.raises(ClientError) as ei:
        client.copy_object(Bucket=bkt, Key=src_key, CopySource={"Bucket": bkt, "Key": src_key})
    assert_client_error(ei, 400, "InvalidRequest")
    client.copy_object(
        Bucket=bkt,
        Key=src_key,
        CopySource={"Bucket": bkt, "Key": src_key},
        MetadataDirective="REPLACE",
        Metadata={"origin": "updated"},
        ContentType="application/x-source",
    )
    head = client.head_object(Bucket=bkt, Key=src_key)
    assert head["Metadata"] == {"origin": "updated"}
    assert get_bytes(client, bkt, src_key) == data

    with pytest.raises(ClientError) as ei:
        client.copy_object(
            Bucket=bkt, Key="copy/x", CopySource={"Bucket": bkt, "Key": "copy/missing"}
        )
    assert_client_error(ei, 404, "NoSuchKey")
    with pytest.raises(ClientError) as ei:
        client.copy_object(
            Bucket=bkt,
            Key="copy/x",
            CopySource={"Bucket": bkt, "Key": src_key},
            CopySourceIfMatch='"00000000000000000000000000000000"',
        )
    assert_client_error(ei, 412, "PreconditionFailed")
    assert "copy/x" not in list_all_keys(client, bkt)


# ------------------------------------------------------------------ delete_objects


def test_delete_objects(client, bkt):
    keys = [f"del/k{i}" for i in range(6)]
    for k in keys:
        put(client, bkt, k, b"x" * 10)

    r = client.delete_objects(
        Bucket=bkt,
        Delete={"Objects": [{"Key": k} for k in keys[:3] + ["del/never-existed"]], "Quiet": False},
    )
    assert sorted(d["Key"] for d in r.get("Deleted", [])) == sorted(
        keys[:3] + ["del/never-existed"]
    )
    assert not r.get("Errors")
    assert list_all_keys(client, bkt) == keys[3:]

    r = client.delete_objects(
        Bucket=bkt, Delete={"Objects": [{"Key": k} for k in keys[3:5]], "Quiet": True}
    )
    assert not r.get("Deleted"), "Quiet mode must not list deleted keys"
    assert not r.get("Errors")
    assert list_all_keys(client, bkt) == keys[5:]


# ------------------------------------------------------------------ listing


def test_list_objects_v2_prefix_delimiter(client, bkt):
    keys = ["a/1", "a/2", "a/b/3", "a/b/4", "b/1", "c", "d/e/f", "d/g"]
    sizes = {}
    for i, k in enumerate(keys):
        data = put(client, bkt, k, os.urandom(i * 10 + 1))
        sizes[k] = (len(data), f'"{md5_hex(data)}"')

    r = client.list_objects_v2(Bucket=bkt)
    assert [o["Key"] for o in r["Contents"]] == keys
    assert r["KeyCount"] == len(keys) and r["IsTruncated"] is False
    for o in r["Contents"]:
        assert (o["Size"], o["ETag"]) == sizes[o["Key"]]
        assert isinstance(o["LastModified"], datetime.datetime)

    def ls(**kw):
        r = client.list_objects_v2(Bucket=bkt, **kw)
        return (
            [o["Key"] for o in r.get("Contents", [])],
            [p["Prefix"] for p in r.get("CommonPrefixes", [])],
            r["KeyCount"],
        )

    assert ls(Prefix="a/") == (["a/1", "a/2", "a/b/3", "a/b/4"], [], 4)
    assert ls(Delimiter="/") == (["c"], ["a/", "b/", "d/"], 4)
    assert ls(Prefix="a/", Delimiter="/") == (["a/1", "a/2"], ["a/b/"], 3)
    assert ls(Prefix="d/e", Delimiter="/") == ([], ["d/e/"], 1)
    assert ls(Prefix="zzz") == ([], [], 0)
    assert ls(Prefix="a/b/3", Delimiter="/") == (["a/b/3"], [], 1)
    r = client.list_objects_v2(Bucket=bkt, Prefix="a/", Delimiter="/")
    assert r["Prefix"] == "a/" and r["Delimiter"] == "/"


def test_list_objects_v2_pagination(client, bkt):
    keys = sorted(f"page/k{i:02d}" for i in range(25))
    for k in keys:
        put(client, bkt, k, b"p")

    seen, pages, token = [], 0, None
    while True:
        kw = {"ContinuationToken": token} if token else {}
        r = client.list_objects_v2(Bucket=bkt, Prefix="page/", MaxKeys=7, **kw)
        pages += 1
        got = [o["Key"] for o in r.get("Contents", [])]
        assert r["KeyCount"] == len(got) <= 7
        assert r["MaxKeys"] == 7
        seen += got
        if not r["IsTruncated"]:
            assert "NextContinuationToken" not in r
            break
        token = r["NextContinuationToken"]
        assert pages < 10
    assert seen == keys and pages == 4

    r = client.list_objects_v2(Bucket=bkt, StartAfter="page/k10")
    assert [o["Key"] for o in r["Contents"]] == keys[11:]
    assert r["StartAfter"] == "page/k10"

    # MaxKeys counts common prefixes too; pages must not repeat or drop any.
    for i in range(5):
        put(client, bkt, f"dirs/d{i}/x", b"d")
        put(client, bkt, f"dirs/f{i}", b"f")
    entries, token = [], None
    while True:
        kw = {"ContinuationToken": token} if token else {}
        r = client.list_objects_v2(Bucket=bkt, Prefix="dirs/", Delimiter="/", MaxKeys=3, **kw)
        page = [o["Key"] for o in r.get("Contents", [])] + [
            p["Prefix"] for p in r.get("CommonPrefixes", [])
        ]
        assert 0 < len(page) <= 3 and r["KeyCount"] == len(page)
        entries += page
        if not r["IsTruncated"]:
            break
        token = r["NextContinuationToken"]
    assert sorted(entries) == sorted(
        [f"dirs/d{i}/" for i in range(5)] + [f"dirs/f{i}" for i in range(5)]
    )
    assert len(entries) == 10

    paginated = [
        o["Key"]
        for p in client.get_paginator("list_objects_v2").paginate(
            Bucket=bkt, PaginationConfig={"PageSize": 4}
        )
        for o in p.get("Contents", [])
    ]
    assert paginated == sorted(paginated) and len(paginated) == 35


def test_list_objects_v1_marker(client, bkt):
    keys = sorted(f"v1/k{i:02d}" for i in range(12))
    for k in keys:
        put(client, bkt, k, b"1")
    seen, marker = [], ""
    for _ in range(10):
        r = client.list_objects(Bucket=bkt, Marker=marker, MaxKeys=5)
        got = [o["Key"] for o in r.get("Contents", [])]
        assert len(got) <= 5
        seen += got
        if not r["IsTruncated"]:
            break
        marker = r.get("NextMarker", got[-1])
    assert seen == keys

    r = client.list_objects(Bucket=bkt, Marker="v1/k05")
    assert [o["Key"] for o in r["Contents"]] == keys[6:]
    assert r["Marker"] == "v1/k05"

    for i in range(4):
        put(client, bkt, f"v1d/p{i}/x", b"x")
    r = client.list_objects(Bucket=bkt, Prefix="v1d/", Delimiter="/", MaxKeys=2)
    assert r["IsTruncated"] is True
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["v1d/p0/", "v1d/p1/"]
    assert r["NextMarker"] == "v1d/p1/"  # sent when a delimiter is used
    r = client.list_objects(Bucket=bkt, Prefix="v1d/", Delimiter="/", Marker=r["NextMarker"])
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["v1d/p2/", "v1d/p3/"]
    assert r["IsTruncated"] is False


# Keys whose order differs between UTF-8 bytes and UTF-16 / Unicode collation,
# canonically-equivalent spellings (NFC vs NFD) that are distinct S3 keys, and
# characters that need XML or URL escaping.
TRICKY_KEYS = [
    "plain",
    "with space",
    "plus+sign",
    "percent%41",
    "amp&lt<gt>\"quote'",
    "caf\u00e9",  # NFC é  (c3 a9)
    "cafe\u0301",  # NFD e + combining acute (65 cc 81)
    "\u65e5\u672c\u8a9e/\u30c6\u30b9\u30c8",
    "\ufb00ligature",  # ef ac 80: before U+1F600 in UTF-8, after it in UTF-16
    "\U0001f600emoji",  # f0 9f 98 80
    "Zebra",
    "zebra",
    "~tilde",
]


def test_list_encoding_url_and_utf8_order(client, bkt, ep):
    contents = {}
    for k in TRICKY_KEYS:
        contents[k] = put(client, bkt, "u/" + k, os.urandom(64))
    expected = sorted(("u/" + k for k in TRICKY_KEYS), key=lambda s: s.encode("utf-8"))

    # boto3 asks for encoding-type=url behind the caller's back and decodes.
    listed = list_all_keys(client, bkt, "u/")
    assert listed == expected, "keys must come back exact and in UTF-8 byte order"

    # NFC and NFD spellings are different objects.
    for k in TRICKY_KEYS:
        assert get_bytes(client, bkt, "u/" + k) == contents[k], k

    # Explicit EncodingType=url: botocore leaves the values encoded.
    r = client.list_objects_v2(Bucket=bkt, Prefix="u/", EncodingType="url")
    assert r["EncodingType"] == "url"
    raw_keys = [o["Key"] for o in r["Contents"]]
    for rk in raw_keys:
        assert rk.isascii() and " " not in rk and "<" not in rk, f"not URL-encoded: {rk!r}"
    assert [urllib.parse.unquote_plus(rk) for rk in raw_keys] == expected
    assert urllib.parse.unquote_plus(r["Prefix"]) == "u/"

    # Without encoding-type: plain XML escaping, checked on the raw body.
    resp = RawS3(ep).request("GET", bkt, query={"list-type": "2", "prefix": "u/"})
    assert resp.status == 200, resp
    root = ET.fromstring(resp.body)
    xml_keys = [
        c.text
        for contents_el in root
        if strip_ns(contents_el.tag) == "Contents"
        for c in contents_el
        if strip_ns(c.tag) == "Key"
    ]
    assert xml_keys == expected

    # Prefix matching is by bytes, not by canonical equivalence.
    r = client.list_objects_v2(Bucket=bkt, Prefix="u/caf\u00e9")
    assert [o["Key"] for o in r["Contents"]] == ["u/caf\u00e9"]


# ------------------------------------------------------------------ multipart


def test_multipart_upload(client, bkt):
    key = "mpu/big.bin"
    parts_data = [os.urandom(5 * MiB), os.urandom(5 * MiB), os.urandom(MiB + 123)]
    up = client.create_multipart_upload(Bucket=bkt, Key=key, ContentType="application/x-big")
    upload_id = up["UploadId"]
    assert up["Key"] == key and up["Bucket"] == bkt and upload_id

    etags = []
    for i, pd in enumerate(parts_data, start=1):
        r = client.upload_part(Bucket=bkt, Key=key, UploadId=upload_id, PartNumber=i, Body=pd)
        assert r["ETag"] == f'"{md5_hex(pd)}"'
        etags.append(r["ETag"])

    lp = client.list_parts(Bucket=bkt, Key=key, UploadId=upload_id)
    assert [p["PartNumber"] for p in lp["Parts"]] == [1, 2, 3]
    assert [p["Size"] for p in lp["Parts"]] == [len(p) for p in parts_data]
    assert [p["ETag"] for p in lp["Parts"]] == etags
    assert lp["UploadId"] == upload_id

    uploads = client.list_multipart_uploads(Bucket=bkt).get("Uploads", [])
    assert (key, upload_id) in [(u["Key"], u["UploadId"]) for u in uploads]
    # Not visible as an object before completion.
    assert key not in list_all_keys(client, bkt)

    r = client.complete_multipart_upload(
        Bucket=bkt,
        Key=key,
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": i + 1, "ETag": e} for i, e in enumerate(etags)]},
    )
    want_etag = multipart_etag(parts_data)
    assert r["ETag"] == want_etag
    assert r["Key"] == key and r["Bucket"] == bkt

    whole = b"".join(parts_data)
    got = client.get_object(Bucket=bkt, Key=key)
    assert sha256_hex(got["Body"].read()) == sha256_hex(whole)
    assert got["ETag"] == want_etag
    assert got["ContentType"] == "application/x-big"
    head = client.head_object(Bucket=bkt, Key=key)
    assert head["ContentLength"] == len(whole) and head["ETag"] == want_etag
    r = client.get_object(Bucket=bkt, Key=key, Range=f"bytes={5 * MiB - 10}-{5 * MiB + 9}")
    assert r["Body"].read() == whole[5 * MiB - 10 : 5 * MiB + 10]

    uploads = client.list_multipart_uploads(Bucket=bkt).get("Uploads", [])
    assert upload_id not in [u["UploadId"] for u in uploads]
    listed = client.list_objects_v2(Bucket=bkt, Prefix="mpu/")["Contents"]
    assert [(o["Key"], o["Size"], o["ETag"]) for o in listed] == [(key, len(whole), want_etag)]


def test_multipart_upload_part_copy(client, bkt):
    src = os.urandom(6 * MiB + 17)
    put(client, bkt, "mpc/source", src)
    key = "mpc/target"
    upload_id = client.create_multipart_upload(Bucket=bkt, Key=key)["UploadId"]
    r1 = client.upload_part_copy(
        Bucket=bkt,
        Key=key,
        UploadId=upload_id,
        PartNumber=1,
        CopySource={"Bucket": bkt, "Key": "mpc/source"},
        CopySourceRange=f"bytes=0-{5 * MiB - 1}",
    )
    assert r1["CopyPartResult"]["ETag"] == f'"{md5_hex(src[: 5 * MiB])}"'
    r2 = client.upload_part_copy(
        Bucket=bkt,
        Key=key,
        UploadId=upload_id,
        PartNumber=2,
        CopySource={"Bucket": bkt, "Key": "mpc/source"},
    )
    assert r2["CopyPartResult"]["ETag"] == f'"{md5_hex(src)}"'
    tail = os.urandom(1000)
    r3 = client.upload_part(Bucket=bkt, Key=key, UploadId=upload_id, PartNumber=3, Body=tail)
    r = client.complete_multipart_upload(
        Bucket=bkt,
        Key=key,
        UploadId=upload_id,
        MultipartUpload={
            "Parts": [
                {"PartNumber": 1, "ETag": r1["CopyPartResult"]["ETag"]},
                {"PartNumber": 2, "ETag": r2["CopyPartResult"]["ETag"]},
                {"PartNumber": 3, "ETag": r3["ETag"]},
            ]
        },
    )
    assert r["ETag"] == multipart_etag([src[: 5 * MiB], src, tail])
    want = src[: 5 * MiB] + src + tail
    assert sha256_hex(get_bytes(client, bkt, key)) == sha256_hex(want)


def test_multipart_abort(client, bkt):
    key = "mpa/aborted"
    upload_id = client.create_multipart_upload(Bucket=bkt, Key=key)["UploadId"]
    client.upload_part(Bucket=bkt, Key=key, UploadId=upload_id, PartNumber=1, Body=b"x" * 1000)
    r = client.abort_multipart_upload(Bucket=bkt, Key=key, UploadId=upload_id)
    assert http_status(r) == 204
    uploads = client.list_multipart_uploads(Bucket=bkt).get("Uploads", [])
    assert upload_id not in [u["UploadId"] for u in uploads]
    with pytest.raises(ClientError) as ei:
        client.upload_part(Bucket=bkt, Key=key, UploadId=upload_id, PartNumber=2, Body=b"y")
    assert_client_error(ei, 404, "NoSuchUpload")
    with pytest.raises(ClientError) as ei:
        client.list_parts(Bucket=bkt, Key=key, UploadId=upload_id)
    assert_client_error(ei, 404, "NoSuchUpload")
    with pytest.raises(ClientError) as ei:
        client.complete_multipart_upload(
            Bucket=bkt,
            Key=key,
            UploadId=upload_id,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": f'"{md5_hex(b"x" * 1000)}"'}]},
        )
    assert_client_error(ei, 404, "NoSuchUpload")
    assert key not in list_all_keys(client, bkt)


def test_multipart_errors(client, bkt):
    key = "mpe/obj"
    p1, p2, p3 = os.urandom(5 * MiB), os.urandom(5 * MiB), os.urandom(4096)
    upload_id = client.create_multipart_upload(Bucket=bkt, Key=key)["UploadId"]
    e = {}
    for n, pd in ((1, p1), (2, p2), (3, p3)):
        e[n] = client.upload_part(Bucket=bkt, Key=key, UploadId=upload_id, PartNumber=n, Body=pd)[
            "ETag"
        ]

    def complete(parts):
        return client.complete_multipart_upload(
            Bucket=bkt,
            Key=key,
            UploadId=upload_id,
            MultipartUpload={"Parts": [{"PartNumber": n, "ETag": t} for n, t in parts]},
        )

    with pytest.raises(ClientError) as ei:
        complete([(1, '"00000000000000000000000000000000"'), (2, e[2])])
    assert_client_error(ei, 400, "InvalidPart")
    with pytest.raises(ClientError) as ei:
        complete([(1, e[1]), (4, e[3])])  # part 4 was never uploaded
    assert_client_error(ei, 400, "InvalidPart")
    with pytest.raises(ClientError) as ei:
        complete([(2, e[2]), (1, e[1])])
    assert_client_error(ei, 400, "InvalidPartOrder")
    assert key not in list_all_keys(client, bkt)

    for bad in (0, 10001):
        with pytest.raises(ClientError) as ei:
            client.upload_part(Bucket=bkt, Key=key, UploadId=upload_id, PartNumber=bad, Body=b"z")
        assert_client_error(ei, 400, "InvalidArgument")

    # A failed completion leaves the upload usable; parts may be skipped.
    r = complete([(1, e[1]), (3, e[3])])
    assert r["ETag"] == multipart_etag([p1, p3])
    assert sha256_hex(get_bytes(client, bkt, key)) == sha256_hex(p1 + p3)

    # Every part but the last must be at least 5 MiB.
    small_id = client.create_multipart_upload(Bucket=bkt, Key="mpe/small")["UploadId"]
    s1, s2 = os.urandom(MiB), os.urandom(MiB)
    t1 = client.upload_part(Bucket=bkt, Key="mpe/small", UploadId=small_id, PartNumber=1, Body=s1)
    t2 = client.upload_part(Bucket=bkt, Key="mpe/small", UploadId=small_id, PartNumber=2, Body=s2)
    with pytest.raises(ClientError) as ei:
        client.complete_multipart_upload(
            Bucket=bkt,
            Key="mpe/small",
            UploadId=small_id,
            MultipartUpload={
                "Parts": [
                    {"PartNumber": 1, "ETag": t1["ETag"]},
                    {"PartNumber": 2, "ETag": t2["ETag"]},
                ]
            },
        )
    assert_client_error(ei, 400, "EntityTooSmall")
    # A single small part is fine.
    r = client.complete_multipart_upload(
        Bucket=bkt,
        Key="mpe/small",
        UploadId=small_id,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": t1["ETag"]}]},
    )
    assert r["ETag"] == multipart_etag([s1])
    assert get_bytes(client, bkt, "mpe/small") == s1


def test_upload_file_download_file_transfer_manager(client, bkt, tmp_path):
    """s3transfer: concurrent parts; with default checksums it sends
    x-amz-checksum-algorithm: CRC32 on CreateMultipartUpload and a
    ChecksumCRC32 per part in CompleteMultipartUpload."""
    src = tmp_path / "src.bin"
    digest = write_random_file(src, 21 * MiB + 5)
    cfg = TransferConfig(
        multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB, max_concurrency=4
    )
    client.upload_file(str(src), bkt, "tm/file.bin", Config=cfg)
    head = client.head_object(Bucket=bkt, Key="tm/file.bin")
    assert head["ContentLength"] == 21 * MiB + 5
    assert head["ETag"] == multipart_etag_of_file(src, 5 * MiB)
    dst = tmp_path / "dst.bin"
    client.download_file(bkt, "tm/file.bin", str(dst), Config=cfg)
    assert sha256_file(dst) == digest


# ------------------------------------------------------------------ checksums


ALGORITHMS = ["CRC32", "CRC32C", "SHA1", "SHA256", "CRC64NVME"]


def botocore_can_compute(algorithm: str) -> bool:
    try:
        from botocore.httpchecksum import _CHECKSUM_CLS  # type: ignore

        if algorithm.lower() not in _CHECKSUM_CLS:
            return False
    except ImportError:
        return False
    if algorithm in ("CRC32C", "CRC64NVME"):
        from botocore.compat import HAS_CRT

        return bool(HAS_CRT)
    return True


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_put_with_checksum_get_checksum_mode(client, bkt, algorithm):
    data = os.urandom(200 * 1024 + 1)
    want = checksum_b64(algorithm, data)
    field = f"Checksum{algorithm}"

    ways = [("explicit", {field: want})]
    if botocore_can_compute(algorithm):
        ways.append(("computed", {"ChecksumAlgorithm": algorithm}))
    for how, kw in ways:
        key = f"ck/{algorithm}-{how}"
        r = client.put_object(Bucket=bkt, Key=key, Body=data, **kw)
        assert r.get(field) == want, f"{how}: PutObject response {field}"
        assert r["ETag"] == f'"{md5_hex(data)}"'
        got = client.get_object(Bucket=bkt, Key=key, ChecksumMode="ENABLED")
        assert got.get(field) == want, f"{how}: GetObject {field}"
        assert sha256_hex(got["Body"].read()) == sha256_hex(data)
        head = client.head_object(Bucket=bkt, Key=key, ChecksumMode="ENABLED")
        assert head.get(field) == want, f"{how}: HeadObject {field}"


def test_default_client_crc32_is_kept(client, bkt, variant):
    if variant[0] != "default":
        pytest.skip("only the default client sends a CRC32 unasked")
    data = os.urandom(10000)
    client.put_object(Bucket=bkt, Key="ck/default", Body=data)
    got = client.get_object(Bucket=bkt, Key="ck/default", ChecksumMode="ENABLED")
    assert got.get("ChecksumCRC32") == checksum_b64("CRC32", data)
    assert got["Body"].read() == data


@pytest.mark.parametrize("algorithm", ["CRC32", "SHA256", "CRC32C"])
def test_wrong_checksum_rejected(client, bkt, algorithm, variant, ep):
    # botocore retries BadDigest (it treats it as corruption in transit) with backoff: one attempt is enough here.
    client = make_client(ep, variant[0], retries=1)
    data = os.urandom(5000)
    wrong = checksum_b64(algorithm, data + b"!")
    with pytest.raises(ClientError) as ei:
        client.put_object(Bucket=bkt, Key="ck/bad", Body=data, **{f"Checksum{algorithm}": wrong})
    assert_client_error(ei, 400, "BadDigest")
    with pytest.raises(ClientError) as ei:
        client.put_object(Bucket=bkt, Key="ck/bad", Body=data, ContentMD5=md5_b64(data + b"!"))
    assert_client_error(ei, 400, "BadDigest")
    assert list_all_keys(client, bkt) == []
    # The right ones are accepted.
    client.put_object(Bucket=bkt, Key="ck/good", Body=data, ContentMD5=md5_b64(data))
    assert get_bytes(client, bkt, "ck/good") == data


# ------------------------------------------------------------------ presigned URLs


def test_presigned_get_and_put(client, bkt, ep):
    verify = ep.verify if ep.is_tls else True
    key = "pre/sïgned file+name.bin"
    data = put(client, bkt, key, os.urandom(40000))
    url = client.generate_presigned_url(
        "get_object", Params={"Bucket": bkt, "Key": key}, ExpiresIn=300
    )
    r = requests.get(url, verify=verify, timeout=30)
    assert r.status_code == 200, r.text[:500]
    assert r.content == data
    assert r.headers["ETag"] == f'"{md5_hex(data)}"'

    new = os.urandom(30000)
    url = client.generate_presigned_url(
        "put_object", Params={"Bucket": bkt, "Key": "pre/uploaded"}, ExpiresIn=300
    )
    r = requests.put(url, data=new, verify=verify, timeout=30)
    assert r.status_code == 200, r.text[:500]
    assert r.headers["ETag"] == f'"{md5_hex(new)}"'
    assert get_bytes(client, bkt, "pre/uploaded") == new

    # A tampered signature is refused.
    bad = url[:-1] + ("0" if url[-1] != "0" else "1")
    r = requests.put(bad, data=b"evil", verify=verify, timeout=30)
    assert r.status_code == 403 and b"SignatureDoesNotMatch" in r.content, r.text[:500]
    assert get_bytes(client, bkt, "pre/uploaded") == new


def test_presigned_url_expired(client, bkt, ep):
    verify = ep.verify if ep.is_tls else True
    put(client, bkt, "pre/expiring", b"secret")
    url = client.generate_presigned_url(
        "get_object", Params={"Bucket": bkt, "Key": "pre/expiring"}, ExpiresIn=1
    )
    time.sleep(2.2)
    r = requests.get(url, verify=verify, timeout=30)
    assert r.status_code == 403, r.text[:500]
    root = ET.fromstring(r.content)
    assert root.findtext("Code") == "AccessDenied", r.text[:500]
    assert b"secret" not in r.content


# ------------------------------------------------------------------ DVC's probe


def test_dvc_existence_probe(client, bkt):
    """dvc-s3/s3fs decide "file, directory or missing" like this."""
    key = "probe/missing-thing"
    assert_no_object(client, bkt, key)
    r = client.list_objects_v2(Bucket=bkt, Prefix=key + "/", Delimiter="/", MaxKeys=1)
    assert r["KeyCount"] == 0
    assert "Contents" not in r and "CommonPrefixes" not in r

    put(client, bkt, "probe/dir/file", b"d")
    assert_no_object(client, bkt, "probe/dir")
    r = client.list_objects_v2(Bucket=bkt, Prefix="probe/dir/", Delimiter="/", MaxKeys=1)
    assert r["KeyCount"] == 1
    assert [o["Key"] for o in r["Contents"]] == ["probe/dir/file"]

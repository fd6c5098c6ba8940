"""S3 to the letter (issue 11): edge cases AWS documents and SDKs or conformance suites exercise.

Each test names the behaviour it pins; every one of them failed before the change that made it pass.
"""

from __future__ import annotations

import urllib.parse

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from harness import (
    REGION,
    aws_chunked_unsigned_body,
    assert_client_error,
    assert_s3_error,
    checksum_b64,
    empty_and_delete_bucket,
    http_status,
    strip_ns,
    unique_bucket_name,
)

MiB = 1 << 20


def client_for(endpoint, region: str):
    return boto3.session.Session().client(
        "s3", endpoint_url=endpoint.url, region_name=region,
        aws_access_key_id=endpoint.access_key, aws_secret_access_key=endpoint.secret_key,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )


# ---------------------------------------------------------------- buckets


def test_create_owned_bucket_in_us_east_1_succeeds_and_keeps_objects(s3, bucket):
    assert REGION == "us-east-1"
    s3.put_object(Bucket=bucket, Key="kept", Body=b"still here")
    resp = s3.create_bucket(Bucket=bucket)
    assert http_status(resp) == 200
    assert s3.get_object(Bucket=bucket, Key="kept")["Body"].read() == b"still here"


def test_create_owned_bucket_elsewhere_is_409(server_factory):
    srv = server_factory.start("eu", extra_args=["--region", "eu-central-1"])
    client = client_for(srv.endpoint(), "eu-central-1")
    conf = {"LocationConstraint": "eu-central-1"}
    client.create_bucket(Bucket="owned", CreateBucketConfiguration=conf)
    client.put_object(Bucket="owned", Key="kept", Body=b"x")
    with pytest.raises(ClientError) as ei:
        client.create_bucket(Bucket="owned", CreateBucketConfiguration=conf)
    assert_client_error(ei, 409, "BucketAlreadyOwnedByYou")
    assert client.get_object(Bucket="owned", Key="kept")["Body"].read() == b"x"


def test_list_buckets_pages_in_name_order(s3):
    prefix = unique_bucket_name("lb")[:20]
    names = sorted(f"{prefix}-{i}" for i in range(5))
    for name in names:
        s3.create_bucket(Bucket=name)
    try:
        seen, token, pages = [], None, 0
        while True:
            kwargs = {"MaxBuckets": 2, "Prefix": prefix}
            if token:
                kwargs["ContinuationToken"] = token
            page = s3.list_buckets(**kwargs)
            pages += 1
            assert page["Prefix"] == prefix
            seen += [b["Name"] for b in page["Buckets"]]
            token = page.get("ContinuationToken")
            if not token:
                break
            assert len(page["Buckets"]) == 2
        assert seen == names and pages == 3
        everything = s3.list_buckets(Prefix=prefix)
        assert [b["Name"] for b in everything["Buckets"]] == names and "ContinuationToken" not in everything
        assert [b["Name"] for b in s3.list_buckets(Prefix=prefix, BucketRegion=REGION)["Buckets"]] == names
        assert s3.list_buckets(Prefix=prefix, BucketRegion="ap-south-2")["Buckets"] == []
    finally:
        for name in names:
            empty_and_delete_bucket(s3, name)


def test_list_buckets_rejects_a_bad_page_size(raw):
    r = raw.request("GET", query={"max-buckets": "0"})
    assert_s3_error(r, 400, "InvalidArgument")


# ---------------------------------------------------------------- reads


def test_304_and_412_carry_etag_and_last_modified(raw, s3, bucket):
    etag = s3.put_object(Bucket=bucket, Key="cond", Body=b"conditional")["ETag"]
    head = s3.head_object(Bucket=bucket, Key="cond")
    last_modified = head["ResponseMetadata"]["HTTPHeaders"]["last-modified"]
    not_modified = raw.request("GET", bucket, "cond", headers={"If-None-Match": etag})
    assert not_modified.status == 304
    assert (not_modified.header("ETag"), not_modified.header("Last-Modified")) == (etag, last_modified)
    failed = raw.request("GET", bucket, "cond", headers={"If-Match": '"0123456789abcdef0123456789abcdef"'})
    assert_s3_error(failed, 412, "PreconditionFailed")
    assert (failed.header("ETag"), failed.header("Last-Modified")) == (etag, last_modified)
    failed_head = raw.request("HEAD", bucket, "cond", headers={"If-Match": '"0123456789abcdef0123456789abcdef"'})
    assert failed_head.status == 412 and failed_head.header("ETag") == etag


# ---------------------------------------------------------------- listing


@pytest.mark.parametrize("v2", [True, False], ids=["v2", "v1"])
def test_max_keys_zero_is_an_empty_untruncated_page(s3, bucket, v2):
    s3.put_object(Bucket=bucket, Key="a", Body=b"1")
    resp = s3.list_objects_v2(Bucket=bucket, MaxKeys=0) if v2 else s3.list_objects(Bucket=bucket, MaxKeys=0)
    assert resp["IsTruncated"] is False
    assert "Contents" not in resp and resp["MaxKeys"] == 0
    if v2:
        assert resp["KeyCount"] == 0
    with pytest.raises(ClientError) as ei:
        s3.list_objects_v2(Bucket=bucket + "-absent", MaxKeys=0)
    assert_client_error(ei, 404, "NoSuchBucket")


# ---------------------------------------------------------------- UploadPartCopy


@pytest.mark.parametrize("copy_range", ["bytes=0-1048576", "bytes=5-", "bytes=-5", "bytes=9-3", "items=0-1"],
                         ids=["beyond-the-source", "open-ended", "suffix", "reversed", "not-bytes"])
def test_upload_part_copy_with_a_bad_range_is_invalid_argument(s3, bucket, copy_range):
    s3.put_object(Bucket=bucket, Key="source", Body=b"s" * MiB)
    up = s3.create_multipart_upload(Bucket=bucket, Key="target")["UploadId"]
    try:
        with pytest.raises(ClientError) as ei:
            s3.upload_part_copy(Bucket=bucket, Key="target", UploadId=up, PartNumber=1,
                                CopySource={"Bucket": bucket, "Key": "source"}, CopySourceRange=copy_range)
        assert_client_error(ei, 400, "InvalidArgument")
        assert s3.list_parts(Bucket=bucket, Key="target", UploadId=up).get("Parts", []) == []
    finally:
        s3.abort_multipart_upload(Bucket=bucket, Key="target", UploadId=up)


def test_upload_part_copy_range_up_to_the_last_byte(s3, bucket):
    data = bytes(range(256)) * 4096
    s3.put_object(Bucket=bucket, Key="source", Body=data)
    up = s3.create_multipart_upload(Bucket=bucket, Key="target")["UploadId"]
    part = s3.upload_part_copy(Bucket=bucket, Key="target", UploadId=up, PartNumber=1,
                               CopySource={"Bucket": bucket, "Key": "source"}, CopySourceRange=f"bytes=1000-{len(data) - 1}")
    s3.complete_multipart_upload(Bucket=bucket, Key="target", UploadId=up, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": part["CopyPartResult"]["ETag"]}]})
    assert s3.get_object(Bucket=bucket, Key="target")["Body"].read() == data[1000:]


# ---------------------------------------------------------------- listing encodings


def _fields(body: bytes) -> dict[str, list[str]]:
    """Every element's text by tag, namespace stripped, in document order."""
    import xml.etree.ElementTree as ET

    out: dict[str, list[str]] = {}
    for el in ET.fromstring(body).iter():
        out.setdefault(strip_ns(el.tag), []).append(el.text or "")
    return out


ODD = "d\u00efr +%&<\u0085/k\tey \u65e5"  # non-ASCII, space, plus, percent, XML specials, a C1 control, a tab


def test_encoding_type_url_encodes_every_field_aws_encodes(raw, s3, bucket):
    for k in (f"{ODD}/a b", f"{ODD}/c+d", "plain"):
        s3.put_object(Bucket=bucket, Key=k, Body=b"x")
    enc = lambda text: urllib.parse.quote(text, safe="/~")
    prefix, delim = ODD[:5], "/"
    # ListObjects (v1): Prefix, Delimiter, Marker, NextMarker, Key and CommonPrefixes.
    r = raw.request("GET", bucket, query={"prefix": prefix, "marker": prefix + " ", "max-keys": "1", "encoding-type": "url"})
    f = _fields(r.body)
    assert f["EncodingType"] == ["url"] and f["Prefix"] == [enc(prefix)] and f["Marker"] == [enc(prefix + " ")]
    assert f["Key"] == [enc(f"{ODD}/a b")] and f["NextMarker"] == [enc(f"{ODD}/a b")]
    r = raw.request("GET", bucket, query={"delimiter": delim, "encoding-type": "url"})
    f = _fields(r.body)
    assert f["Delimiter"] == [enc(delim)] and f["Prefix"][1:] == [enc(ODD.split("/")[0] + "/")]  # the CommonPrefixes entry
    assert f["Key"] == ["plain"]
    # ListObjectsV2: Prefix, StartAfter, Key, CommonPrefixes (the continuation token is opaque, not encoded).
    r = raw.request("GET", bucket, query={"list-type": "2", "prefix": prefix, "start-after": prefix, "delimiter": "\t",
                                          "encoding-type": "url"})
    f = _fields(r.body)
    assert f["StartAfter"] == [enc(prefix)] and f["Delimiter"] == ["%09"]
    assert f["Prefix"] == [enc(prefix), enc(ODD.split("\t")[0] + "\t")]
    # ListMultipartUploads: Prefix, KeyMarker, NextKeyMarker, Key.
    up = s3.create_multipart_upload(Bucket=bucket, Key=f"{ODD}/upload")["UploadId"]
    r = raw.request("GET", bucket, query={"uploads": "", "prefix": prefix, "key-marker": prefix, "encoding-type": "url"})
    f = _fields(r.body)
    assert f["EncodingType"] == ["url"] and f["Prefix"] == [enc(prefix)] and f["KeyMarker"] == [enc(prefix)]
    assert f["Key"] == [enc(f"{ODD}/upload")] and f["NextKeyMarker"] == [enc(f"{ODD}/upload")] and f["UploadId"][-1] == up
    # boto3 decodes what it asked to be encoded.
    assert [u["Key"] for u in s3.list_multipart_uploads(Bucket=bucket)["Uploads"]] == [f"{ODD}/upload"]
    assert_s3_error(raw.request("GET", bucket, query={"encoding-type": "base64"}), 400, "InvalidArgument")


def test_without_encoding_type_fields_come_back_as_stored(raw, s3, bucket):
    s3.put_object(Bucket=bucket, Key=f"{ODD}/k", Body=b"x")
    r = raw.request("GET", bucket, query={"list-type": "2", "delimiter": "/"})
    f = _fields(r.body)
    assert "EncodingType" not in f
    assert f["Prefix"] == ["", ODD.split("/")[0] + "/"], "tab, C1 control and XML specials survive as escaped XML"
    r = raw.request("GET", bucket, query={"prefix": ODD})
    assert _fields(r.body)["Key"] == [f"{ODD}/k"] and _fields(r.body)["Prefix"] == [ODD]


# ---------------------------------------------------------------- keys that could never be stored


BAD_KEYS = ["nul\x00byte", "line\nbreak", "bell\x07", "del\x7f", "a/../b", "./a", "a//b", "/leading", "k" * 1025]


@pytest.mark.parametrize("key", BAD_KEYS)
def test_a_key_that_could_never_be_stored_is_400_on_every_operation(raw, bucket, key):
    path = f"/{bucket}/" + urllib.parse.quote(key, safe="/")
    for method, query in (("GET", None), ("HEAD", None), ("DELETE", None), ("PUT", None), ("POST", {"uploads": ""}),
                          ("GET", {"uploadId": "0" * 32}), ("PUT", {"uploadId": "0" * 32, "partNumber": "1"}),
                          ("DELETE", {"uploadId": "0" * 32}), ("POST", {"uploadId": "0" * 32})):
        r = raw.request(method, path=path, query=query, body=b"" if method != "PUT" else b"data")
        assert r.status == 400, (method, query, r)
        if method != "HEAD":
            assert_s3_error(r, 400, "KeyTooLongError" if len(key) > 1024 else "InvalidArgument")
    r = raw.request("PUT", bucket, "copy-target", headers={"x-amz-copy-source": path})
    assert r.status == 400, r


# ---------------------------------------------------------------- presigned URLs and preflight


@pytest.mark.parametrize("expires", ["604801", "0", "-1", "soon"])
@pytest.mark.parametrize("method", ["get_object", "put_object"])
def test_presigned_expiry_outside_a_week_is_access_denied(s3, bucket, server, expires, method):
    s3.put_object(Bucket=bucket, Key="pre", Body=b"secret")
    url = s3.generate_presigned_url(method, Params={"Bucket": bucket, "Key": "pre"}, ExpiresIn=60)
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.urlencode([(k, expires if k == "X-Amz-Expires" else v)
                                    for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)])
    url = urllib.parse.urlunsplit(parts._replace(query=query))
    r = requests.get(url, timeout=30) if method == "get_object" else requests.put(url, data=b"overwritten", timeout=30)
    assert r.status_code == 403, r.text[:500]
    assert "<Code>AccessDenied</Code>" in r.text and "X-Amz-Expires" in r.text, r.text[:500]
    assert s3.get_object(Bucket=bucket, Key="pre")["Body"].read() == b"secret"


def test_cors_preflight_without_configuration(server, bucket):
    url = f"{server.url}/{bucket}/some/key"
    r = requests.options(url, timeout=30)
    assert r.status_code == 400, r.text[:500]
    r = requests.options(url, headers={"Origin": "https://app.example", "Access-Control-Request-Method": "PUT"}, timeout=30)
    assert r.status_code == 403, r.text[:500]
    assert "<Code>AccessForbidden</Code>" in r.text


# ---------------------------------------------------------------- checksums


@pytest.mark.parametrize("value", ["not base64!", "AAAA", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"],
                         ids=["not-base64", "too-short", "too-long"])
@pytest.mark.parametrize("algorithm", ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"])
def test_a_malformed_checksum_value_is_bad_digest(raw, s3, bucket, algorithm, value):
    r = raw.request("PUT", bucket, "ck/bad", body=b"payload", headers={f"x-amz-checksum-{algorithm.lower()}": value})
    assert_s3_error(r, 400, "BadDigest")
    with pytest.raises(ClientError) as ei:
        s3.head_object(Bucket=bucket, Key="ck/bad")
    assert http_status(ei.value) == 404


# ---------------------------------------------------------------- conditional writes


def _multipart(s3, bucket, key, parts: list[bytes]) -> tuple[str, list[dict]]:
    up = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    done = [{"PartNumber": i + 1, "ETag": s3.upload_part(Bucket=bucket, Key=key, UploadId=up, PartNumber=i + 1, Body=p)["ETag"]}
            for i, p in enumerate(parts)]
    return up, done


def test_if_match_on_put_needs_an_object_with_that_etag(s3, bucket):
    with pytest.raises(ClientError) as ei:
        s3.put_object(Bucket=bucket, Key="im/absent", Body=b"x", IfMatch='"0123456789abcdef0123456789abcdef"')
    assert_client_error(ei, 404, "NoSuchKey")
    etag = s3.put_object(Bucket=bucket, Key="im/k", Body=b"v1")["ETag"]
    with pytest.raises(ClientError) as ei:
        s3.put_object(Bucket=bucket, Key="im/k", Body=b"v2", IfMatch='"0123456789abcdef0123456789abcdef"')
    assert_client_error(ei, 412, "PreconditionFailed")
    s3.put_object(Bucket=bucket, Key="im/k", Body=b"v2", IfMatch=etag)
    assert s3.get_object(Bucket=bucket, Key="im/k")["Body"].read() == b"v2"


def test_conditional_complete_multipart_upload(s3, bucket):
    key = "cmu/k"
    up, parts = _multipart(s3, bucket, key, [b"a" * (5 * MiB), b"b"])
    with pytest.raises(ClientError) as ei:
        s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=up, MultipartUpload={"Parts": parts},
                                     IfMatch='"0123456789abcdef0123456789abcdef"')
    assert_client_error(ei, 404, "NoSuchKey")
    etag = s3.put_object(Bucket=bucket, Key=key, Body=b"current")["ETag"]
    for condition in ({"IfNoneMatch": "*"}, {"IfNoneMatch": etag}, {"IfMatch": '"0123456789abcdef0123456789abcdef"'}):
        with pytest.raises(ClientError) as ei:
            s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=up, MultipartUpload={"Parts": parts}, **condition)
        assert_client_error(ei, 412, "PreconditionFailed")
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"current"
    s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=up, MultipartUpload={"Parts": parts}, IfMatch=etag)
    assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] == 5 * MiB + 1


def test_racing_conditional_writers_exactly_one_wins(s3, bucket):
    from concurrent.futures import ThreadPoolExecutor

    uploads = [_multipart(s3, bucket, "race/k", [bytes([i]) * 1000]) for i in range(6)]

    def complete(i):
        up, parts = uploads[i]
        try:
            s3.complete_multipart_upload(Bucket=bucket, Key="race/k", UploadId=up, MultipartUpload={"Parts": parts}, IfNoneMatch="*")
            return i
        except ClientError as e:
            assert http_status(e) == 412, e
            return None

    with ThreadPoolExecutor(6) as pool:
        winners = [i for i in pool.map(complete, range(6)) if i is not None]
    assert len(winners) == 1, winners
    assert s3.get_object(Bucket=bucket, Key="race/k")["Body"].read() == bytes([winners[0]]) * 1000


def test_retried_complete_multipart_upload_gets_the_same_answer(s3, bucket):
    key = "retry/k"
    up, parts = _multipart(s3, bucket, key, [b"a" * (5 * MiB), b"tail"])
    first = s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=up, MultipartUpload={"Parts": parts})
    # The client timed out and retries; the upload is gone, the answer is the same.
    again = s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=up, MultipartUpload={"Parts": parts})
    assert again["ETag"] == first["ETag"] and again["Key"] == key and again["Bucket"] == bucket
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"a" * (5 * MiB) + b"tail"
    with pytest.raises(ClientError) as ei:
        s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=up, MultipartUpload={"Parts": parts[:1]})
    assert_client_error(ei, 404, "NoSuchUpload")
    with pytest.raises(ClientError) as ei:
        s3.complete_multipart_upload(Bucket=bucket, Key="retry/other", UploadId=up, MultipartUpload={"Parts": parts})
    assert_client_error(ei, 404, "NoSuchUpload")
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


# ---------------------------------------------------------------- partNumber reads


def test_part_number_reads_of_a_multipart_object(s3, bucket):
    parts = [bytes([65 + i]) * (5 * MiB) for i in range(2)] + [b"tail"]
    up, done = _multipart(s3, bucket, "pn/mp", parts)
    s3.complete_multipart_upload(Bucket=bucket, Key="pn/mp", UploadId=up, MultipartUpload={"Parts": done})
    size = sum(map(len, parts))
    offset = 0
    for n, part in enumerate(parts, start=1):
        got = s3.get_object(Bucket=bucket, Key="pn/mp", PartNumber=n)
        assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
        assert got["Body"].read() == part
        assert got["ContentLength"] == len(part) and got["PartsCount"] == 3
        assert got["ContentRange"] == f"bytes {offset}-{offset + len(part) - 1}/{size}"
        head = s3.head_object(Bucket=bucket, Key="pn/mp", PartNumber=n)
        assert head["ContentLength"] == len(part) and head["PartsCount"] == 3
        offset += len(part)
    with pytest.raises(ClientError) as ei:
        s3.get_object(Bucket=bucket, Key="pn/mp", PartNumber=4)
    assert_client_error(ei, 416, "InvalidPartNumber")


def test_part_number_reads_of_a_single_part_object(s3, bucket):
    s3.put_object(Bucket=bucket, Key="pn/single", Body=b"whole object")
    got = s3.get_object(Bucket=bucket, Key="pn/single", PartNumber=1)
    assert got["Body"].read() == b"whole object" and got["ContentLength"] == 12
    with pytest.raises(ClientError) as ei:
        s3.get_object(Bucket=bucket, Key="pn/single", PartNumber=2)
    assert_client_error(ei, 400, "InvalidPart")
    with pytest.raises(ClientError) as ei:
        s3.get_object(Bucket=bucket, Key="pn/single", PartNumber=1, Range="bytes=0-1")
    assert_client_error(ei, 400, "InvalidRequest")


# ---------------------------------------------------------------- multipart checksum types


PARTS = [bytes([0x30 + i]) * (5 * MiB) + bytes(range(i + 1)) for i in range(2)] + [b"the last part"]


def _checksummed_upload(s3, bucket, key, algorithm, parts=PARTS, **create):
    up = s3.create_multipart_upload(Bucket=bucket, Key=key, ChecksumAlgorithm=algorithm, **create)
    done = []
    for n, body in enumerate(parts, start=1):
        r = s3.upload_part(Bucket=bucket, Key=key, UploadId=up["UploadId"], PartNumber=n, Body=body, ChecksumAlgorithm=algorithm)
        assert r[f"Checksum{algorithm}"] == checksum_b64(algorithm, body)
        done.append({"PartNumber": n, "ETag": r["ETag"], f"Checksum{algorithm}": r[f"Checksum{algorithm}"]})
    return up, done


@pytest.mark.parametrize("algorithm", ["CRC32", "CRC32C", "CRC64NVME"])
def test_full_object_multipart_checksum(s3, bucket, algorithm):
    key = f"fo/{algorithm}"
    up, parts = _checksummed_upload(s3, bucket, key, algorithm, ChecksumType="FULL_OBJECT")
    assert up["ChecksumAlgorithm"] == algorithm and up["ChecksumType"] == "FULL_OBJECT"
    whole = checksum_b64(algorithm, b"".join(PARTS))
    field = f"Checksum{algorithm}"
    with pytest.raises(ClientError) as ei:
        s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=up["UploadId"], MultipartUpload={"Parts": parts},
                                     ChecksumType="FULL_OBJECT", **{field: checksum_b64(algorithm, b"other bytes")})
    assert_client_error(ei, 400, "BadDigest")
    with pytest.raises(ClientError) as ei:
        s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=up["UploadId"], MultipartUpload={"Parts": parts},
                                     ChecksumType="COMPOSITE")
    assert_client_error(ei, 400, "InvalidRequest")
    with pytest.raises(ClientError) as ei:
        s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=up["UploadId"], MultipartUpload={"Parts": parts},
                                     MpuObjectSize=sum(map(len, PARTS)) + 1)
    assert_client_error(ei, 400, "InvalidRequest")
    done = s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=up["UploadId"], MultipartUpload={"Parts": parts},
                                        ChecksumType="FULL_OBJECT", MpuObjectSize=sum(map(len, PARTS)), **{field: whole})
    assert done[field] == whole and done["ChecksumType"] == "FULL_OBJECT"
    head = s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    assert head[field] == whole and head["ChecksumType"] == "FULL_OBJECT"
    # A full-object value has no -N: botocore checks the bytes it reads against it.
    got = s3.get_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    assert got[field] == whole and got["Body"].read() == b"".join(PARTS)


@pytest.mark.parametrize("algorithm", ["CRC32", "CRC32C", "SHA1", "SHA256"])
def test_composite_multipart_checksum(s3, bucket, algorithm):
    import base64

    key = f"comp/{algorithm}"
    up, parts = _checksummed_upload(s3, bucket, key, algorithm, ChecksumType="COMPOSITE")
    assert up["ChecksumType"] == "COMPOSITE"
    done = s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=up["UploadId"], MultipartUpload={"Parts": parts})
    concatenated = b"".join(base64.b64decode(checksum_b64(algorithm, p)) for p in PARTS)
    composite = f"{checksum_b64(algorithm, concatenated)}-{len(PARTS)}"
    field = f"Checksum{algorithm}"
    assert done[field] == composite and done["ChecksumType"] == "COMPOSITE"
    head = s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    assert head[field] == composite and head["ChecksumType"] == "COMPOSITE"
    # A part read with checksum mode carries that part's own checksum (and botocore verifies the bytes by it).
    for n, body in enumerate(PARTS, start=1):
        got = s3.get_object(Bucket=bucket, Key=key, PartNumber=n, ChecksumMode="ENABLED")
        assert got[field] == checksum_b64(algorithm, body)
        assert got["Body"].read() == body
        assert s3.head_object(Bucket=bucket, Key=key, PartNumber=n, ChecksumMode="ENABLED")[field] == checksum_b64(algorithm, body)


def test_default_checksum_types_and_unsupported_pairs(s3, bucket):
    assert s3.create_multipart_upload(Bucket=bucket, Key="d/1", ChecksumAlgorithm="CRC64NVME")["ChecksumType"] == "FULL_OBJECT"
    assert s3.create_multipart_upload(Bucket=bucket, Key="d/2", ChecksumAlgorithm="CRC32")["ChecksumType"] == "COMPOSITE"
    for algorithm, type_ in (("SHA256", "FULL_OBJECT"), ("SHA1", "FULL_OBJECT"), ("CRC64NVME", "COMPOSITE")):
        with pytest.raises(ClientError) as ei:
            s3.create_multipart_upload(Bucket=bucket, Key="d/3", ChecksumAlgorithm=algorithm, ChecksumType=type_)
        assert_client_error(ei, 400, "InvalidRequest")
    with pytest.raises(ClientError) as ei:
        s3.create_multipart_upload(Bucket=bucket, Key="d/4", ChecksumType="FULL_OBJECT")
    assert_client_error(ei, 400, "InvalidRequest")
    uploads = {u["Key"]: u for u in s3.list_multipart_uploads(Bucket=bucket)["Uploads"]}
    assert set(uploads) == {"d/1", "d/2"} and uploads["d/1"]["ChecksumType"] == "FULL_OBJECT"


def test_part_checksums_follow_the_part_that_was_uploaded_last(s3_when_required, bucket):
    s3 = s3_when_required
    key = "fo/reupload"
    up = s3.create_multipart_upload(Bucket=bucket, Key=key, ChecksumAlgorithm="CRC32C", ChecksumType="FULL_OBJECT")["UploadId"]
    first, second, tail = b"x" * (5 * MiB), b"y" * (5 * MiB), b"tail"
    s3.upload_part(Bucket=bucket, Key=key, UploadId=up, PartNumber=1, Body=first, ChecksumAlgorithm="CRC32C")
    # Sent again with other bytes, and this time without a checksum: the server computes it.
    p1 = s3.upload_part(Bucket=bucket, Key=key, UploadId=up, PartNumber=1, Body=second)
    assert p1["ChecksumCRC32C"] == checksum_b64("CRC32C", second)
    p2 = s3.upload_part(Bucket=bucket, Key=key, UploadId=up, PartNumber=2, Body=tail)
    listed = s3.list_parts(Bucket=bucket, Key=key, UploadId=up)
    assert [p["ChecksumCRC32C"] for p in listed["Parts"]] == [checksum_b64("CRC32C", second), checksum_b64("CRC32C", tail)]
    assert listed["ChecksumType"] == "FULL_OBJECT"
    # A part checked with another algorithm than the upload's is refused.
    with pytest.raises(ClientError) as ei:
        s3.upload_part(Bucket=bucket, Key=key, UploadId=up, PartNumber=3, Body=b"z", ChecksumAlgorithm="SHA256")
    assert_client_error(ei, 400, "InvalidRequest")
    done = s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=up, MultipartUpload={"Parts": [
        {"PartNumber": 1, "ETag": p1["ETag"]}, {"PartNumber": 2, "ETag": p2["ETag"]}]})
    assert done["ChecksumCRC32C"] == checksum_b64("CRC32C", second + tail)


def test_upload_part_copy_gets_the_uploads_checksum(s3, bucket):
    source = b"s" * (6 * MiB)
    s3.put_object(Bucket=bucket, Key="src", Body=source)
    key = "fo/copied"
    up = s3.create_multipart_upload(Bucket=bucket, Key=key, ChecksumAlgorithm="CRC64NVME")["UploadId"]
    copied = s3.upload_part_copy(Bucket=bucket, Key=key, UploadId=up, PartNumber=1, CopySource={"Bucket": bucket, "Key": "src"},
                                 CopySourceRange=f"bytes=0-{5 * MiB - 1}")["CopyPartResult"]
    assert copied["ChecksumCRC64NVME"] == checksum_b64("CRC64NVME", source[:5 * MiB])
    last = s3.upload_part(Bucket=bucket, Key=key, UploadId=up, PartNumber=2, Body=b"end", ChecksumAlgorithm="CRC64NVME")
    done = s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=up, MultipartUpload={"Parts": [
        {"PartNumber": 1, "ETag": copied["ETag"]}, {"PartNumber": 2, "ETag": last["ETag"]}]})
    assert done["ChecksumCRC64NVME"] == checksum_b64("CRC64NVME", source[:5 * MiB] + b"end")


# ---------------------------------------------------------------- headers


@pytest.mark.parametrize("sent,kept", [("deflate, gzip", "deflate, gzip"), ("gzip,  br", "gzip,  br"),
                                       ("aws-chunked, deflate, gzip", "deflate, gzip"), ("gzip,aws-chunked", "gzip")])
def test_content_encoding_comes_back_as_sent(raw, s3, bucket, sent, kept):
    body = b"encoded?"
    if "aws-chunked" in sent:
        headers = {"Content-Encoding": sent, "x-amz-decoded-content-length": str(len(body))}
        signed = raw.sign("PUT", f"/{bucket}/ce", headers=headers, payload_hash="STREAMING-UNSIGNED-PAYLOAD-TRAILER")
        r = raw.send("PUT", signed.path, "", signed.headers, aws_chunked_unsigned_body(body))
    else:
        r = raw.request("PUT", bucket, "ce", body=body, headers={"Content-Encoding": sent})
    assert r.status == 200, r
    assert s3.head_object(Bucket=bucket, Key="ce")["ContentEncoding"] == kept


def _signed_raw_headers(ep, method: str, path: str, headers: dict[str, bytes], payload: bytes) -> dict[str, bytes]:
    """SigV4 over the header bytes exactly as sent — an independent signer, since botocore's signs text."""
    import datetime
    import hashlib
    import hmac

    amz_date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    payload_hash = hashlib.sha256(payload).hexdigest()
    out = {k.lower(): v for k, v in headers.items()}
    out.update({"host": ep.netloc.encode(), "x-amz-date": amz_date.encode(), "x-amz-content-sha256": payload_hash.encode()})
    names = sorted(out)
    canonical = b"\n".join([method.encode(), path.encode(), b"", *(n.encode() + b":" + out[n] for n in names), b"",
                            ";".join(names).encode(), payload_hash.encode()])
    scope = f"{amz_date[:8]}/{REGION}/s3/aws4_request"
    to_sign = f"AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{hashlib.sha256(canonical).hexdigest()}".encode()
    key = ("AWS4" + ep.secret_key).encode()
    for part in (amz_date[:8], REGION, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign, hashlib.sha256).hexdigest()
    out["authorization"] = (f"AWS4-HMAC-SHA256 Credential={ep.access_key}/{scope}, SignedHeaders={';'.join(names)}, "
                            f"Signature={signature}").encode()
    return out


def _exchange(conn, method: str, path: str, headers: dict[str, bytes], body: bytes = b""):
    conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    for name, value in headers.items():
        conn.putheader(name, value)
    conn.putheader("content-length", str(len(body)))
    conn.endheaders(body)
    resp = conn.getresponse()
    data = resp.read()
    # http.client reads header values as ISO-8859-1: encoding them so gives back the bytes on the wire.
    return resp.status, {k.lower(): v.encode("latin-1") for k, v in resp.getheaders()}, data


RAW_METADATA = {
    "x-amz-meta-latin1": b"caf\xe9",             # é in ISO-8859-1: not UTF-8
    "x-amz-meta-invalid": b"\xff\xfe\x80 end",
    "x-amz-meta-utf8": "日本 café".encode(),
    "x-amz-meta-mixed": b"ok \xc3\xa9 then \xe9",
    "x-amz-meta-private": "\uf7a9\uf780".encode(),  # the private-use range the server escapes bytes into
    "content-disposition": b"attachment; filename=\"r\xe9sum\xe9.pdf\"",
}


def test_metadata_values_round_trip_as_the_bytes_sent(server, bucket):
    import http.client

    conn = http.client.HTTPConnection(server.host, server.port, timeout=30)
    # A body with high bytes, CRLFs and the UTF-8 of the escape range, on the same connection as the heads
    # around it: bodies are never touched.
    body = b"\r\n\r\nGET / HTTP/1.1\r\n\xe9\xff" + "\uf7a9".encode() + bytes(range(256))
    path = f"/{bucket}/raw-meta"
    status, _, answer = _exchange(conn, "PUT", path, _signed_raw_headers(server, "PUT", path, RAW_METADATA, body), body)
    assert status == 200, answer
    for method in ("GET", "HEAD"):
        status, headers, data = _exchange(conn, method, path, _signed_raw_headers(server, method, path, {}, b""))
        assert status == 200, data
        for name, value in RAW_METADATA.items():
            assert headers[name] == value, (method, name, headers[name])
        assert data == (body if method == "GET" else b"")
    # Signed over other bytes than those sent: the signature does not match.
    forged = _signed_raw_headers(server, "PUT", path, {"x-amz-meta-latin1": "café".encode()}, b"x")
    forged["x-amz-meta-latin1"] = b"caf\xe9"
    status, _, answer = _exchange(conn, "PUT", path, forged, b"x")
    assert status == 403 and b"SignatureDoesNotMatch" in answer
    conn.close()


# ---------------------------------------------------------------- virtual-hosted–style addressing


DOMAIN = "s3.cairn.test"


@pytest.fixture
def virtual_server(server_factory, monkeypatch):
    """A server answering BUCKET.s3.cairn.test; names under that domain resolve to 127.0.0.1 in this process only."""
    import socket

    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if isinstance(host, str) and (host == DOMAIN or host.endswith("." + DOMAIN)):
            host = "127.0.0.1"
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return server_factory.start("vhost", extra_args=["--domain", DOMAIN])


def test_virtual_hosted_style_requests(virtual_server):
    ep = virtual_server.endpoint()
    url = f"http://{DOMAIN}:{ep.port}"
    virtual = boto3.session.Session().client(
        "s3", endpoint_url=url, region_name=REGION, aws_access_key_id=ep.access_key, aws_secret_access_key=ep.secret_key,
        config=Config(signature_version="s3v4", s3={"addressing_style": "virtual"}))
    path_style = client_for(ep, REGION)
    virtual.create_bucket(Bucket="vhost-bucket")
    key = "dir/a key+with%odd chars.bin"
    data = bytes(range(256)) * 100
    virtual.put_object(Bucket="vhost-bucket", Key=key, Body=data)
    # /api/v1/… on a bucket's host is a key, not Cairn's API.
    virtual.put_object(Bucket="vhost-bucket", Key="api/v1/dedupe", Body=b"just a key")
    assert virtual.get_object(Bucket="vhost-bucket", Key=key)["Body"].read() == data
    assert virtual.get_object(Bucket="vhost-bucket", Key="api/v1/dedupe")["Body"].read() == b"just a key"
    assert virtual.get_object(Bucket="vhost-bucket", Key=key, Range="bytes=10-19")["Body"].read() == data[10:20]
    listed = virtual.list_objects_v2(Bucket="vhost-bucket", Prefix="dir/")
    assert [o["Key"] for o in listed["Contents"]] == [key]
    assert "vhost-bucket" in [b["Name"] for b in virtual.list_buckets()["Buckets"]]
    up = virtual.create_multipart_upload(Bucket="vhost-bucket", Key="mp")["UploadId"]
    part = virtual.upload_part(Bucket="vhost-bucket", Key="mp", UploadId=up, PartNumber=1, Body=b"m" * 1000)
    virtual.complete_multipart_upload(Bucket="vhost-bucket", Key="mp", UploadId=up,
                                      MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    # The same objects path-style, on the same server.
    assert path_style.get_object(Bucket="vhost-bucket", Key=key)["Body"].read() == data
    assert path_style.get_object(Bucket="vhost-bucket", Key="mp")["Body"].read() == b"m" * 1000
    with pytest.raises(ClientError) as ei:
        virtual.get_object(Bucket="other-bucket", Key=key)
    assert_client_error(ei, 404, "NoSuchBucket")
    virtual.delete_object(Bucket="vhost-bucket", Key=key)
    assert [o["Key"] for o in virtual.list_objects_v2(Bucket="vhost-bucket").get("Contents", [])] == ["api/v1/dedupe", "mp"]

"""Hostile and malformed requests, crafted by hand and signed with botocore's
SigV4 code.  Every error must be an S3 XML error with Code, Message and
RequestId (equal to the x-amz-request-id header), and afterwards the store must
be exactly as before (listing and content)."""

from __future__ import annotations

import base64
import datetime
import hashlib
import os
import select
import socket
import time
import uuid

import pytest

from harness import (
    MiB,
    RawS3,
    aws_chunked_signed_body,
    aws_chunked_unsigned_body,
    assert_no_object,
    assert_s3_error,
    checksum_b64,
    list_all_keys,
    make_client,
    md5_b64,
    object_path,
    snapshot,
)


# ------------------------------------------------------------------ fixtures


@pytest.fixture
def store(s3, bucket):
    """A bucket with known content; asserts after the test that neither it
    nor the bucket list changed.  Tests that legitimately add objects list
    them in store.allowed."""

    class Store:
        name = bucket
        allowed: dict[str, bytes] = {}
        objects: dict[str, bytes] = {}  # what the fixture wrote, key -> content

    objs = {
        "base/one.bin": os.urandom(10 * 1024),
        "base/empty": b"",
        "b": os.urandom(300),
        "x/b": os.urandom(301),
        "victim/data": os.urandom(4096),
    }
    for k, v in objs.items():
        s3.put_object(Bucket=bucket, Key=k, Body=v)
    before = snapshot(s3, bucket)
    buckets_before = sorted(b["Name"] for b in s3.list_buckets()["Buckets"])
    st = Store()
    st.allowed = {}
    st.objects = dict(objs)
    yield st
    after = snapshot(s3, bucket)
    for k, data in st.allowed.items():
        if k in after:
            assert after[k][2] == hashlib.sha256(data).hexdigest(), f"{k!r} has wrong content"
            del after[k]
    assert after == before, "store changed"
    for k, v in objs.items():
        assert s3.get_object(Bucket=bucket, Key=k)["Body"].read() == v
    assert sorted(b["Name"] for b in s3.list_buckets()["Buckets"]) == buckets_before


def wrong_secret(s):
    return s[:-1] + ("x" if s[-1] != "x" else "y")


# ------------------------------------------------------------------ authentication


def test_bad_signature(raw, store, server):
    r = raw.request("PUT", store.name, "victim/data", body=b"evil", secret_key=wrong_secret(server.secret_key))
    assert_s3_error(r, 403, "SignatureDoesNotMatch", resource=f"/{store.name}/victim/data")
    r = raw.request("GET", store.name, "victim/data", secret_key=wrong_secret(server.secret_key))
    assert_s3_error(r, 403, "SignatureDoesNotMatch")
    r = raw.request("HEAD", store.name, "victim/data", secret_key=wrong_secret(server.secret_key))
    assert_s3_error(r, 403, None, head=True)
    r = raw.request("GET", secret_key=wrong_secret(server.secret_key))
    assert_s3_error(r, 403, "SignatureDoesNotMatch")


def test_unknown_access_key(raw, store):
    r = raw.request("PUT", store.name, "new-object", body=b"evil", access_key="AKIANOTAKEY000000000")
    assert_s3_error(r, 403, "InvalidAccessKeyId")
    r = raw.request("GET", store.name, "victim/data", access_key="AKIANOTAKEY000000000")
    assert_s3_error(r, 403, "InvalidAccessKeyId")


def test_anonymous_requests_denied(raw, store):
    for method, key, body in (
        ("GET", "victim/data", b""),
        ("PUT", "victim/data", b"evil"),
        ("PUT", "anon-new", b"evil"),
        ("DELETE", "victim/data", b""),
    ):
        r = raw.request(method, store.name, key, body=body, sign=False)
        assert_s3_error(r, 403, "AccessDenied")
        assert b"evil" not in r.body
    r = raw.request("HEAD", store.name, "victim/data", sign=False)
    assert_s3_error(r, 403, None, head=True)
    r = raw.request("GET", store.name, sign=False)  # list objects
    assert_s3_error(r, 403, "AccessDenied")
    r = raw.request("GET", sign=False)  # list buckets
    assert_s3_error(r, 403, "AccessDenied")
    r = raw.request("PUT", "anon-bucket-" + uuid.uuid4().hex[:8], sign=False)
    assert_s3_error(r, 403, "AccessDenied")


def test_tampering_after_signing(raw, store):
    # A signed header changed after signing.
    r = raw.request(
        "PUT",
        store.name,
        "victim/data",
        headers={"x-amz-meta-note": "original"},
        body=b"evil",
        tamper=lambda h: {**h, "x-amz-meta-note": "changed"},
    )
    assert_s3_error(r, 403, "SignatureDoesNotMatch")
    # Signed for one key, sent to another.
    signed = raw.sign("PUT", object_path(store.name, "innocent"), body=b"evil")
    r = raw.send("PUT", object_path(store.name, "victim/data"), headers=signed.headers, body=b"evil")
    assert_s3_error(r, 403, "SignatureDoesNotMatch")
    # Query string changed after signing.
    signed = raw.sign("GET", object_path(store.name, "victim/data"))
    r = raw.send("GET", object_path(store.name, "victim/data"), "x-id=GetObject", signed.headers)
    assert_s3_error(r, 403, "SignatureDoesNotMatch")


def test_payload_hash_mismatch(raw, store):
    """x-amz-content-sha256 is signed; a body that does not match it is refused."""
    body = b"the body that was sent"
    r = raw.request(
        "PUT",
        store.name,
        "victim/data",
        body=body,
        payload_hash=hashlib.sha256(b"the body that was signed").hexdigest(),
    )
    assert_s3_error(r, 400, "XAmzContentSHA256Mismatch")


def test_request_time_too_skewed(raw, store):
    when = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - datetime.timedelta(hours=1)
    r = raw.request("PUT", store.name, "victim/data", body=b"late", when=when)
    assert_s3_error(r, 403, "RequestTimeTooSkewed")


def test_valid_raw_requests_work(raw, store, s3):
    """Positive control for the hand-made signing used by this module."""
    data = os.urandom(777)
    r = raw.request("PUT", store.name, "raw/ok", body=data, headers={"Content-MD5": md5_b64(data)})
    assert r.status == 200, r
    assert r.header("ETag") == f'"{hashlib.md5(data).hexdigest()}"'
    store.allowed["raw/ok"] = data
    r = raw.request("GET", store.name, "raw/ok")
    assert r.status == 200 and r.body == data
    r = raw.request("PUT", store.name, "raw/unsigned-payload", body=data, payload_hash="UNSIGNED-PAYLOAD")
    assert r.status == 200, r
    store.allowed["raw/unsigned-payload"] = data
    # rclone (aws-sdk-go-v2) adds ?x-id=PutObject / GetObject / DeleteObject:
    # an ordinary parameter, not a sub-resource.
    r = raw.request("PUT", store.name, "raw/x-id", query={"x-id": "PutObject"}, body=data)
    assert r.status == 200, r
    store.allowed["raw/x-id"] = data
    r = raw.request("GET", store.name, "raw/x-id", query={"x-id": "GetObject"})
    assert r.status == 200 and r.body == data, r


class _HeadReader:
    """Reads HTTP response heads off a raw socket (bodies are not needed)."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def next_head(self, timeout: float) -> bytes:
        self.sock.settimeout(timeout)
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise AssertionError(f"connection closed; got {self.buf[:300]!r}")
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        return head

    def final_head(self, timeout: float) -> bytes:
        """Skips interim 1xx responses (some servers repeat 100 Continue)."""
        while True:
            head = self.next_head(timeout)
            if not head.startswith(b"HTTP/1.1 1"):
                return head


def test_expect_100_continue(raw, store, server):
    """boto3 sends `Expect: 100-continue` on every PUT and waits up to a second
    for the interim response before sending the body anyway."""
    data = os.urandom(100_000)
    store.allowed["expect/obj"] = data
    signed = raw.sign("PUT", object_path(store.name, "expect/obj"), body=data)
    lines = [f"PUT {signed.path} HTTP/1.1", f"Host: {server.netloc}", f"Content-Length: {len(data)}", "Expect: 100-continue"]
    lines += [f"{k}: {v}" for k, v in signed.headers.items() if k.lower() != "host"]
    sock = _raw_socket(server)
    try:
        reader = _HeadReader(sock)
        t0 = time.monotonic()
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        interim = reader.next_head(3.0)
        waited = time.monotonic() - t0
        assert interim.startswith(b"HTTP/1.1 100"), f"no 100 Continue: {interim[:200]!r}"
        assert waited < 0.9, f"100 Continue took {waited:.2f}s"
        sock.sendall(data)
        final = reader.final_head(10.0)
        assert final.startswith(b"HTTP/1.1 200"), final[:300]
    finally:
        sock.close()
    assert raw.request("GET", store.name, "expect/obj").body == data


# ------------------------------------------------------------------ integrity headers


def test_wrong_content_md5(raw, store):
    body = os.urandom(1000)
    r = raw.request("PUT", store.name, "victim/data", body=body, headers={"Content-MD5": md5_b64(body + b"x")})
    assert_s3_error(r, 400, "BadDigest")
    r = raw.request("PUT", store.name, "md5-new", body=body, headers={"Content-MD5": md5_b64(b"")})
    assert_s3_error(r, 400, "BadDigest")


@pytest.mark.parametrize(
    "value",
    ["not base64!!", base64.b64encode(b"12345").decode(), base64.b64encode(b"x" * 32).decode()],
    ids=["garbage", "short", "long"],
)
def test_invalid_content_md5(raw, store, value):
    r = raw.request("PUT", store.name, "victim/data", body=b"abc", headers={"Content-MD5": value})
    assert_s3_error(r, 400, "InvalidDigest")


@pytest.mark.parametrize("algorithm", ["CRC32", "CRC32C", "SHA1", "SHA256", "CRC64NVME"])
def test_wrong_checksum_header(raw, store, algorithm):
    body = os.urandom(2000)
    hdr = f"x-amz-checksum-{algorithm.lower()}"
    r = raw.request(
        "PUT", store.name, "victim/data", body=body, headers={hdr: checksum_b64(algorithm, body + b"!")}
    )
    assert_s3_error(r, 400, "BadDigest")
    # Positive control: the right value is accepted and returned.
    r = raw.request("PUT", store.name, "ck/ok", body=body, headers={hdr: checksum_b64(algorithm, body)})
    assert r.status == 200, r
    assert r.header(hdr) == checksum_b64(algorithm, body)
    store.allowed["ck/ok"] = body


# ------------------------------------------------------------------ aws-chunked


def chunked_headers(data_len: int, trailer: str | None, encoding: str = "aws-chunked") -> dict:
    h = {
        "Content-Encoding": encoding,
        "x-amz-decoded-content-length": str(data_len),
    }
    if trailer:
        h["x-amz-trailer"] = trailer
    return h


def send_unsigned_trailer(raw, bucket, key, body, data_len, trailer="x-amz-checksum-crc32", *, http_chunked=False, extra=None):
    headers = chunked_headers(data_len, trailer)
    headers.update(extra or {})
    if http_chunked:
        headers["Transfer-Encoding"] = "chunked"
    signed = raw.sign(
        "PUT", object_path(bucket, key), headers=headers, payload_hash="STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    )
    if http_chunked:
        pieces = [body[i : i + 10000] for i in range(0, len(body), 10000)]
        return raw.send("PUT", signed.path, "", signed.headers, pieces, encode_chunked=True)
    return raw.send("PUT", signed.path, "", signed.headers, body)


@pytest.mark.parametrize("http_chunked", [False, True], ids=["content-length", "transfer-encoding"])
def test_aws_chunked_unsigned_trailer(raw, store, s3, http_chunked):
    """What botocore sends over https by default (there with Transfer-Encoding: chunked)."""
    data = os.urandom(150 * 1024 + 3)
    good = checksum_b64("CRC32", data)
    body = aws_chunked_unsigned_body(data, 64 * 1024, {"x-amz-checksum-crc32": good})
    r = send_unsigned_trailer(raw, store.name, "chunked/ok", body, len(data), http_chunked=http_chunked)
    assert r.status == 200, r
    store.allowed["chunked/ok"] = data
    got = s3.get_object(Bucket=store.name, Key="chunked/ok", ChecksumMode="ENABLED")
    assert got["Body"].read() == data
    assert got.get("ChecksumCRC32") == good
    assert "aws-chunked" not in (got.get("ContentEncoding") or "")

    # Same framing, wrong trailing checksum: rejected, nothing stored.
    bad = aws_chunked_unsigned_body(data, 64 * 1024, {"x-amz-checksum-crc32": checksum_b64("CRC32", b"other")})
    r = send_unsigned_trailer(raw, store.name, "victim/data", bad, len(data), http_chunked=http_chunked)
    assert_s3_error(r, 400, "BadDigest")


def test_aws_chunked_signed_payload(raw, store, s3):
    """STREAMING-AWS4-HMAC-SHA256-PAYLOAD (aws-sdk-java v1, minio-go, ...)."""
    data = os.urandom(200 * 1024 + 11)
    headers = chunked_headers(len(data), None)
    signed = raw.sign(
        "PUT", object_path(store.name, "signed/ok"), headers=headers, payload_hash="STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
    )
    body = aws_chunked_signed_body(signed, data, 64 * 1024)
    r = raw.send("PUT", signed.path, "", signed.headers, body)
    assert r.status == 200, r
    store.allowed["signed/ok"] = data
    assert s3.get_object(Bucket=store.name, Key="signed/ok")["Body"].read() == data

    # One flipped byte in the second chunk: its chunk signature no longer matches.
    signed = raw.sign(
        "PUT", object_path(store.name, "victim/data"), headers=headers, payload_hash="STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
    )
    body = bytearray(aws_chunked_signed_body(signed, data, 64 * 1024))
    pos = body.index(b"\r\n", body.index(b"chunk-signature=", 200)) + 100
    body[pos] ^= 0xFF
    r = raw.send("PUT", signed.path, "", signed.headers, bytes(body))
    assert_s3_error(r, 403, "SignatureDoesNotMatch")


def _framing_cases(data: bytes):
    good_ck = checksum_b64("CRC32", data)
    whole = aws_chunked_unsigned_body(data, 4096, {"x-amz-checksum-crc32": good_ck})
    n = len(data)
    return {
        "bad-hex-size": (b"zz\r\n" + whole[whole.index(b"\r\n") + 2 :], n),
        "chunk-longer-than-body": (f"{n + 500:x}\r\n".encode() + data + b"\r\n0\r\n\r\n", n),
        "missing-crlf-after-data": (
            f"{n:x}\r\n".encode() + data + f"0\r\nx-amz-checksum-crc32:{good_ck}\r\n\r\n".encode(),
            n,
        ),
        "no-final-chunk": (f"{n:x}\r\n".encode() + data + b"\r\n", n),
        "decoded-length-mismatch": (whole, n + 1),
        "negative-size": (b"-5\r\n" + whole, n),
        "huge-size": (b"fffffffffffffffffff\r\n" + data + b"\r\n0\r\n\r\n", n),
    }


@pytest.mark.parametrize(
    "case",
    [
        "bad-hex-size",
        "chunk-longer-than-body",
        "missing-crlf-after-data",
        "no-final-chunk",
        "decoded-length-mismatch",
        "negative-size",
        "huge-size",
    ],
)
def test_malformed_aws_chunked(raw, store, case):
    data = os.urandom(10000)
    body, decoded_len = _framing_cases(data)[case]
    r = send_unsigned_trailer(raw, store.name, "victim/data", body, decoded_len)
    assert_s3_error(r, 400, None)
    r = send_unsigned_trailer(raw, store.name, "chunked/new-" + case, body, decoded_len)
    assert_s3_error(r, 400, None)


# ------------------------------------------------------------------ truncated bodies


def _raw_socket(endpoint) -> socket.socket:
    s = socket.create_connection((endpoint.host, endpoint.port), timeout=10)
    return s


@pytest.mark.parametrize("how", ["fin", "rst"])
@pytest.mark.parametrize("target", ["new", "existing"])
def test_truncated_body_creates_nothing(raw, store, server, s3, how, target):
    """A PUT whose body stops halfway (FIN or RST) stores nothing: an existing
    object keeps exactly its bytes and ETag, a new key never appears — while the
    body is cut off, and for two seconds after."""
    key = "victim/data" if target == "existing" else f"trunc/{how}"
    if target == "existing":
        original = store.objects[key]
        original_etag = s3.head_object(Bucket=store.name, Key=key)["ETag"]
        assert original_etag == f'"{hashlib.md5(original).hexdigest()}"', original_etag

    def check_untouched(when: str) -> None:
        if target == "existing":
            got = s3.get_object(Bucket=store.name, Key=key)
            body = got["Body"].read()
            assert body == original, f"{when}: {key} has other bytes ({len(body)}, not {len(original)})"
            assert got["ETag"] == original_etag, f"{when}: {key} ETag {got['ETag']}, want {original_etag}"
        else:
            assert_no_object(s3, store.name, key)
            assert list_all_keys(s3, store.name, "trunc/") == [], f"{when}: a truncated PUT left an object"

    full = os.urandom(MiB)
    signed = raw.sign("PUT", object_path(store.name, key), body=full)
    head = [f"PUT {signed.path} HTTP/1.1", f"Host: {server.netloc}", f"Content-Length: {len(full)}"]
    head += [f"{k}: {v}" for k, v in signed.headers.items() if k.lower() != "host"]
    sock = _raw_socket(server)
    try:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        sock.sendall(full[: len(full) // 2])
        time.sleep(0.3)
        check_untouched("with half the body sent")
        if how == "rst":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        else:
            sock.shutdown(socket.SHUT_WR)
            try:
                sock.settimeout(5)
                sock.recv(65536)
            except OSError:
                pass
    finally:
        sock.close()
    cut = time.monotonic()
    while time.monotonic() < cut + 2.0:
        check_untouched(f"{time.monotonic() - cut:.1f} s after the cut")
        time.sleep(0.2)
    check_untouched("after the window")
    # The store fixture checks as well that nothing else changed.


def test_truncated_upload_part_leaves_no_part(raw, store, s3):
    up = s3.create_multipart_upload(Bucket=store.name, Key="trunc/mpu")["UploadId"]
    try:
        full = os.urandom(MiB)
        query = f"partNumber=1&uploadId={up}"
        signed = raw.sign("PUT", object_path(store.name, "trunc/mpu"), query, body=full)
        ep = raw.endpoint
        lines = [f"PUT {signed.path}?{query} HTTP/1.1", f"Host: {ep.netloc}", f"Content-Length: {len(full)}"]
        lines += [f"{k}: {v}" for k, v in signed.headers.items() if k.lower() != "host"]
        sock = _raw_socket(ep)
        try:
            sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + full[:300000])
            time.sleep(0.3)
            sock.shutdown(socket.SHUT_WR)
        finally:
            sock.close()
        time.sleep(1.0)
        parts = s3.list_parts(Bucket=store.name, Key="trunc/mpu", UploadId=up).get("Parts", [])
        assert parts == [], f"truncated part was recorded: {parts}"
    finally:
        s3.abort_multipart_upload(Bucket=store.name, Key="trunc/mpu", UploadId=up)


# ------------------------------------------------------------------ malformed XML


MALFORMED_BODIES = [
    b"this is not xml",
    b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>",
    b"<?xml version='1.0'?><CompleteMultipartUpload><Part><PartNumber>one</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>",
    b"<CompleteMultipartUpload></CompleteMultipartUpload>",
    b"",
]


@pytest.mark.parametrize("body", MALFORMED_BODIES, ids=["text", "unclosed", "nan-part", "no-parts", "empty"])
def test_malformed_complete_multipart_xml(raw, store, s3, body):
    key = "xml/mpu"
    up = s3.create_multipart_upload(Bucket=store.name, Key=key)["UploadId"]
    try:
        s3.upload_part(Bucket=store.name, Key=key, UploadId=up, PartNumber=1, Body=b"p" * 100)
        r = raw.request("POST", store.name, key, query={"uploadId": up}, body=body)
        assert_s3_error(r, 400, ("MalformedXML", "InvalidRequest") if body == b"" else "MalformedXML")
        uploads = s3.list_multipart_uploads(Bucket=store.name).get("Uploads", [])
        assert up in [u["UploadId"] for u in uploads], "a failed completion must keep the upload"
    finally:
        s3.abort_multipart_upload(Bucket=store.name, Key=key, UploadId=up)


@pytest.mark.parametrize(
    "body",
    [
        b"<Delete><Object><Key>victim/data</Key></Object>",
        b"<Delete><Object><Key>victim/data</Key></Object></Remove>",
        b"garbage",
        b"<Delete></Delete>",
        b"<Delete>"
        + b"".join(b"<Object><Key>k%d</Key></Object>" % i for i in range(1001))
        + b"</Delete>",
    ],
    ids=["unclosed", "mismatched", "garbage", "no-objects", "1001-keys"],
)
def test_malformed_delete_objects_xml(raw, store, body):
    r = raw.request("POST", store.name, query="delete", body=body, headers={"Content-MD5": md5_b64(body)})
    assert_s3_error(r, 400, "MalformedXML")


# ------------------------------------------------------------------ odd keys


@pytest.mark.parametrize(
    "key",
    ["x/../b", "../escape-{u}", "../../escape-{u}", "a/./b", "..", ".", "a//b", "/leading-{u}", "x/b/.."],
)
def test_dot_segments_and_double_slashes(raw, store, server, s3, key):
    """S3 keys are opaque: such a key is either stored under exactly that
    name (never normalised onto another key, never outside the data dir) or
    refused with a 400 XML error."""
    u = uuid.uuid4().hex[:12]
    key = key.format(u=u)
    watched = []
    if server.server is not None:
        base = server.server.data_dir.parent
        watched = [base, base.parent, base.parent.parent]
    before = {d: sorted(p.name for p in d.iterdir()) for d in watched}
    data = os.urandom(123)
    r = raw.request("PUT", store.name, key, body=data)
    if r.status == 200:
        store.allowed[key] = data
        g = raw.request("GET", store.name, key)
        assert g.status == 200 and g.body == data, g
        assert key in list_all_keys(s3, store.name), f"{key!r} not listed under its exact name"
        d = raw.request("DELETE", store.name, key)
        assert d.status == 204, d
        assert key not in list_all_keys(s3, store.name)
    else:
        assert_s3_error(r, 400, None)
    after = {d: sorted(p.name for p in d.iterdir()) for d in watched}
    assert after == before, "files appeared outside the data directory"


def test_trailing_slash_key_is_an_object(raw, store, s3):
    """'folder/' markers are ordinary objects in S3 (console, rclone)."""
    r = raw.request("PUT", store.name, "folder/", body=b"")
    assert r.status == 200, r
    store.allowed["folder/"] = b""
    assert "folder/" in list_all_keys(s3, store.name)
    r = s3.list_objects_v2(Bucket=store.name, Delimiter="/")
    assert "folder/" in [p["Prefix"] for p in r.get("CommonPrefixes", [])]
    assert raw.request("DELETE", store.name, "folder/").status == 204


@pytest.mark.parametrize("key", ["nul\x00byte", "\x00", "ends-with-nul\x00"])
def test_nul_byte_key_rejected(raw, store, key):
    r = raw.request("PUT", store.name, key, body=b"nul")
    assert_s3_error(r, 400, None)
    r = raw.request("GET", store.name, key)
    assert r.status in (400, 404), r


def test_key_length_limit(raw, store, s3):
    ok_ascii = "k" * 1024
    ok_utf8 = "\u00e9" * 512  # 1024 bytes
    for key in (ok_ascii, ok_utf8):
        r = raw.request("PUT", store.name, key, body=b"long")
        assert r.status == 200, r
        store.allowed[key] = b"long"
        assert raw.request("GET", store.name, key).body == b"long"
    for key in ("k" * 1025, "\u00e9" * 513, "\u65e5" * 342):  # 1025, 1026, 1026 bytes
        r = raw.request("PUT", store.name, key, body=b"too long")
        assert_s3_error(r, 400, "KeyTooLongError")
        r = raw.request("POST", store.name, key, query="uploads")
        assert_s3_error(r, 400, "KeyTooLongError")
    for key in (ok_ascii, ok_utf8):
        raw.request("DELETE", store.name, key)
        store.allowed.pop(key)


@pytest.mark.parametrize(
    "name",
    [
        "UPPERCASE",
        "ab",
        "a" * 64,
        "under_score",
        "-leading-dash",
        "trailing-dash-",
        ".leading-dot",
        "192.168.5.4",
        "double..dots",
        "xn--punycode",
        "spaces in name",
    ],
)
def test_invalid_bucket_name(raw, store, name):
    r = raw.request("PUT", path="/" + name.replace(" ", "%20"))
    assert_s3_error(r, 400, "InvalidBucketName")


def test_valid_bucket_name_edges(raw):
    for name in ("abc", "a" * 63, "with.dots.1", "0digits-first"):
        r = raw.request("PUT", name)
        assert r.status == 200, (name, r)
        assert raw.request("DELETE", name).status == 204


# ------------------------------------------------------------------ oversized headers


def test_huge_header_rejected_and_server_survives(server, raw, store):
    sock = _raw_socket(server)
    response = b""
    try:
        sock.sendall(
            f"GET /{store.name}/victim/data HTTP/1.1\r\nHost: {server.netloc}\r\nX-Huge: ".encode()
        )
        chunk = b"a" * 65536
        for _ in range(32):  # 2 MiB of one header value
            r, _, _ = select.select([sock], [], [], 0)
            if r:
                break
            try:
                sock.sendall(chunk)
            except OSError:
                break
        try:
            sock.sendall(b"\r\n\r\n")
        except OSError:
            pass
        sock.settimeout(10)
        try:
            while True:
                data = sock.recv(65536)
                if not data:
                    break
                response += data
                if b"\r\n\r\n" in response:
                    break
        except OSError:
            pass
    finally:
        sock.close()
    status_line = response.split(b"\r\n", 1)[0]
    assert status_line.startswith(b"HTTP/1.1 4"), f"want 4xx (431 or 400), got {response[:200]!r}"
    assert int(status_line.split()[1]) in (400, 431), status_line
    # Still serving.
    assert raw.request("GET", store.name, "victim/data").status == 200


# ------------------------------------------------------------------ error format


def test_error_format_and_request_ids(raw, store):
    missing_bucket = "nosuch-" + uuid.uuid4().hex[:12]
    r = raw.request("GET", store.name, "no/such/key")
    assert_s3_error(r, 404, "NoSuchKey", resource=f"/{store.name}/no/such/key")
    r = raw.request("GET", missing_bucket, "k")
    assert_s3_error(r, 404, "NoSuchBucket", resource=f"/{missing_bucket}/k")
    r = raw.request("GET", missing_bucket)
    assert_s3_error(r, 404, "NoSuchBucket", resource=f"/{missing_bucket}")
    r = raw.request("HEAD", store.name, "no/such/key")
    assert_s3_error(r, 404, None, head=True)
    r = raw.request("DELETE", store.name)
    assert_s3_error(r, 409, "BucketNotEmpty", resource=f"/{store.name}")
    ids = {raw.request("GET", store.name, "no/such/key").header("x-amz-request-id") for _ in range(5)}
    assert len(ids) == 5, "request ids must be unique"
    ok = raw.request("GET", store.name, "victim/data")
    assert ok.status == 200 and ok.header("x-amz-request-id")


UNSUPPORTED = [
    ("PUT", True, "tagging", b'<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet></Tagging>'),
    ("GET", True, "tagging", b""),
    ("DELETE", True, "tagging", b""),
    ("PUT", True, "acl", b'<AccessControlPolicy></AccessControlPolicy>'),
    ("PUT", False, "acl", b'<AccessControlPolicy></AccessControlPolicy>'),
    ("PUT", False, "tagging", b'<Tagging><TagSet></TagSet></Tagging>'),
    ("GET", False, "lifecycle", b""),
    ("PUT", False, "lifecycle", b'<LifecycleConfiguration><Rule><ID>x</ID></Rule></LifecycleConfiguration>'),
    ("PUT", False, "policy", b'{"Version":"2012-10-17"}'),
    ("PUT", True, "retention", b'<Retention><Mode>GOVERNANCE</Mode></Retention>'),
]


@pytest.mark.parametrize(
    "method,on_object,sub,body",
    UNSUPPORTED,
    ids=[f"{m}-{'object' if o else 'bucket'}-{s}" for m, o, s, _ in UNSUPPORTED],
)
def test_unsupported_operations_not_implemented(raw, store, method, on_object, sub, body):
    key = "victim/data" if on_object else None
    headers = {"Content-MD5": md5_b64(body)} if body else {}
    r = raw.request(method, store.name, key, query=sub, body=body, headers=headers)
    assert_s3_error(r, 501, "NotImplemented")
    # The store fixture verifies victim/data was not overwritten by the body.


# ------------------------------------------------------------------ keys file


@pytest.mark.needs_process
def test_keys_file_multiple_keys(server_factory, tmp_path):
    keys_file = tmp_path / "keys.txt"
    keys_file.write_text(
        "# Cairn test keys\n"
        "\n"
        "firstkeyid0001 firstsecret0000000000000001\n"
        "   # indented comment\n"
        "secondkeyid002 secondsecret000000000000002\n"
    )
    srv = server_factory.start(
        "keys",
        keys_file=keys_file,
        access_key="firstkeyid0001",
        secret_key="firstsecret0000000000000001",
    )
    ep = srv.endpoint()
    first = make_client(ep)
    second = make_client(ep.with_keys("secondkeyid002", "secondsecret000000000000002"))
    first.create_bucket(Bucket="keys-bucket")
    first.put_object(Bucket="keys-bucket", Key="k", Body=b"from first")
    assert second.get_object(Bucket="keys-bucket", Key="k")["Body"].read() == b"from first"
    second.put_object(Bucket="keys-bucket", Key="k2", Body=b"from second")
    assert first.get_object(Bucket="keys-bucket", Key="k2")["Body"].read() == b"from second"

    r = RawS3(ep).request("GET", "keys-bucket", "k", access_key="AKIAUNKNOWN0000", secret_key="x" * 20)
    assert_s3_error(r, 403, "InvalidAccessKeyId")
    r = RawS3(ep).request(
        "GET", "keys-bucket", "k", access_key="secondkeyid002", secret_key="firstsecret0000000000000001"
    )
    assert_s3_error(r, 403, "SignatureDoesNotMatch")
    r = RawS3(ep).request("GET", "keys-bucket", "k", access_key="#", secret_key="x" * 20)
    assert_s3_error(r, 403, "InvalidAccessKeyId")


# ------------------------------------------------------------------ harness self-check


def test_harness_signing_matches_aws_examples():
    """The hand-made requests above are only meaningful if their signing is
    right: reproduce the published SigV4 examples of the S3 documentation
    (GET Object with Range; chunked PUT with STREAMING-AWS4-HMAC-SHA256-PAYLOAD)."""
    from harness import Endpoint

    when = datetime.datetime(2013, 5, 24, 0, 0, 0)
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    get = RawS3(Endpoint("https://examplebucket.s3.amazonaws.com", None, "AKIAIOSFODNN7EXAMPLE", secret)).sign(
        "GET", "/test.txt", headers={"Range": "bytes=0-9"}, when=when
    )
    assert get.signature == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"

    put = RawS3(Endpoint("https://s3.amazonaws.com", None, "AKIAIOSFODNN7EXAMPLE", secret)).sign(
        "PUT",
        "/examplebucket/chunkObject.txt",
        headers={
            "x-amz-storage-class": "REDUCED_REDUNDANCY",
            "Content-Encoding": "aws-chunked",
            "x-amz-decoded-content-length": "66560",
            "Content-Length": "66824",
        },
        payload_hash="STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        when=when,
    )
    assert put.signature == "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
    body = aws_chunked_signed_body(put, b"a" * 66560, 65536)
    assert len(body) == 66824
    import re

    assert re.findall(rb"chunk-signature=([0-9a-f]{64})", body) == [
        b"ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
        b"0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
        b"b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
    ]

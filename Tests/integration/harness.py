"""Shared machinery for the Cairn integration tests.

Importable from every test module (pytest puts this directory on sys.path):
starting and stopping ``cairn serve`` processes, building boto3 clients,
signing raw requests with botocore's SigV4 code, checking S3 XML errors,
and small data helpers.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import http.client
import json
import os
import signal
import socket
import ssl
import struct
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ET
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

import boto3
import botocore
from botocore.auth import SIGV4_TIMESTAMP, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

REPO_ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
ACCESS_KEY = os.environ.get("CAIRN_TEST_ACCESS_KEY_ID", "cairntestkey")
SECRET_KEY = os.environ.get("CAIRN_TEST_SECRET_ACCESS_KEY", "cairntestsecret0123456789")

# Development override: use an already running S3 endpoint (e.g. moto_server)
# instead of starting the cairn binary.  Tests that must start or kill the
# server themselves (marker ``needs_process``) are skipped then.
EXTERNAL_ENDPOINT = os.environ.get("CAIRN_TEST_ENDPOINT") or None
EXTERNAL_TLS_ENDPOINT = os.environ.get("CAIRN_TEST_TLS_ENDPOINT") or None
EXTERNAL_TLS_CA = os.environ.get("CAIRN_TEST_TLS_CA") or None

MiB = 1024 * 1024
S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"
EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e"


def cairn_binary() -> Path:
    override = os.environ.get("CAIRN_BIN")
    if override:
        return Path(override).resolve()
    return REPO_ROOT / ".build" / "release" / "cairn"


def venv_bin_dir() -> Path:
    """Directory holding the console scripts of the running interpreter."""
    return Path(sys.executable).parent


def find_tool(name: str) -> str:
    """Locate aws / dvc / rclone: next to our python first, then PATH."""
    candidate = venv_bin_dir() / name
    if candidate.exists():
        return str(candidate)
    import shutil

    found = shutil.which(name)
    if not found:
        raise FileNotFoundError(
            f"{name!r} not found next to {sys.executable} nor on PATH; "
            "install Tests/integration/requirements.txt into this interpreter"
        )
    return found


# --------------------------------------------------------------------------
# Endpoints and server processes
# --------------------------------------------------------------------------


@dataclass
class Endpoint:
    """Where a test talks to: URL, TLS trust and credentials."""

    url: str
    verify: str | bool | None = None  # CA file for https, None for http
    access_key: str = ACCESS_KEY
    secret_key: str = SECRET_KEY
    server: "CairnServer | None" = None

    @property
    def is_tls(self) -> bool:
        return self.url.startswith("https://")

    @property
    def host(self) -> str:
        return urllib.parse.urlsplit(self.url).hostname or "127.0.0.1"

    @property
    def port(self) -> int:
        parts = urllib.parse.urlsplit(self.url)
        return parts.port or (443 if parts.scheme == "https" else 80)

    @property
    def netloc(self) -> str:
        return urllib.parse.urlsplit(self.url).netloc

    def ssl_context(self) -> ssl.SSLContext | None:
        if not self.is_tls:
            return None
        ctx = ssl.create_default_context()
        if isinstance(self.verify, str):
            ctx.load_verify_locations(cafile=self.verify)
        elif self.verify is False:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        return ctx

    def with_keys(self, access_key: str, secret_key: str) -> "Endpoint":
        return Endpoint(self.url, self.verify, access_key, secret_key, self.server)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Every server process started in this pytest session, so that the failure
# hook in conftest.py can attach their logs to a failing test's report.
LIVE_SERVERS: list["CairnServer"] = []


class ServerError(RuntimeError):
    pass


@dataclass
class CairnServer:
    """One ``cairn serve`` process on a data directory.

    ``start()`` may be called again after ``stop()`` / ``kill9()``: it
    restarts on the same data directory and, by default, the same port.
    """

    data_dir: Path
    log_path: Path
    binary: Path = field(default_factory=cairn_binary)
    access_key: str = ACCESS_KEY
    secret_key: str = SECRET_KEY
    tls_cert: Path | None = None
    tls_key: Path | None = None
    tls_ca: Path | None = None
    keys_file: Path | None = None
    extra_args: list[str] = field(default_factory=list)
    extra_env: dict[str, str] = field(default_factory=dict)
    port: int | None = None
    name: str = "cairn"
    proc: subprocess.Popen | None = None
    starts: int = 0

    @property
    def scheme(self) -> str:
        return "https" if self.tls_cert else "http"

    @property
    def url(self) -> str:
        assert self.port is not None
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def endpoint(self) -> Endpoint:
        return Endpoint(
            self.url,
            str(self.tls_ca) if self.tls_ca else None,
            self.access_key,
            self.secret_key,
            self,
        )

    def command(self) -> list[str]:
        cmd = [
            str(self.binary),
            "serve",
            "--data",
            str(self.data_dir),
            "--address",
            f"127.0.0.1:{self.port}",
            "--region",
            REGION,
        ]
        if self.keys_file:
            cmd += ["--keys-file", str(self.keys_file)]
        if self.tls_cert:
            cmd += ["--tls-cert", str(self.tls_cert), "--tls-key", str(self.tls_key)]
        return cmd + list(self.extra_args)

    def start(self, timeout: float = 60.0) -> Endpoint:
        if not self.binary.exists():
            raise ServerError(
                f"cairn binary not found at {self.binary}; build it with "
                "`swift build -c release --product cairn`, set CAIRN_BIN, or point "
                "CAIRN_TEST_ENDPOINT at a running server"
            )
        if self.proc is not None and self.proc.poll() is None:
            raise ServerError(f"{self.name} is already running")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        attempts = 3 if self.port is None else 1
        last_error: Exception | None = None
        for _ in range(attempts):
            if self.port is None or attempts > 1:
                self.port = free_port()
            env = dict(os.environ)
            env.update(
                CAIRN_ACCESS_KEY_ID=self.access_key,
                CAIRN_SECRET_ACCESS_KEY=self.secret_key,
            )
            env.update(self.extra_env)
            with open(self.log_path, "ab") as log:
                log.write(
                    f"\n===== start #{self.starts + 1}: {' '.join(self.command())}\n".encode()
                )
                log.flush()
                self.proc = subprocess.Popen(
                    self.command(),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=env,
                    cwd=str(self.data_dir.parent),
                    start_new_session=True,
                )
            self.starts += 1
            if self not in LIVE_SERVERS:
                LIVE_SERVERS.append(self)
            try:
                self.wait_ready(timeout)
                return self.endpoint()
            except ServerError as e:
                last_error = e
                if self.proc.poll() is None:
                    self.kill9()
                if attempts == 1:
                    break
        raise ServerError(f"{self.name} did not become ready: {last_error}\n{self.log_tail()}")

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        ctx = self.endpoint().ssl_context()
        last = "no attempt"
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                code = None if self.proc is None else self.proc.returncode
                raise ServerError(f"{self.name} exited with status {code} before /healthz answered")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2, context=ctx) as r:
                    if r.status == 200:
                        return
                    last = f"status {r.status}"
            except Exception as e:  # connection refused while starting up
                last = repr(e)
            time.sleep(0.1)
        raise ServerError(f"/healthz not 200 within {timeout}s (last: {last})")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM and wait; returns the exit status. SIGKILL + error on timeout."""
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise ServerError(
                    f"{self.name} did not exit within {timeout}s of SIGTERM\n{self.log_tail()}"
                )
        return self.proc.returncode

    def kill9(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def log_size(self) -> int:
        try:
            return self.log_path.stat().st_size
        except FileNotFoundError:
            return 0

    def log_text(self, offset: int = 0, max_lines: int = 120) -> str:
        try:
            with open(self.log_path, "rb") as f:
                f.seek(offset)
                data = f.read()
        except FileNotFoundError:
            return "(no log)"
        lines = data.decode("utf-8", "replace").splitlines()
        if len(lines) > max_lines:
            lines = [f"... ({len(lines) - max_lines} earlier lines cut)"] + lines[-max_lines:]
        return "\n".join(lines)

    def log_tail(self, max_lines: int = 60) -> str:
        return f"--- {self.name} log ({self.log_path}) ---\n" + self.log_text(0, max_lines)


# --------------------------------------------------------------------------
# boto3 clients
# --------------------------------------------------------------------------


def make_client(
    endpoint: Endpoint,
    checksums: str = "default",
    *,
    retries: int | None = None,
    max_pool_connections: int = 10,
    **config_kwargs,
):
    """A boto3 S3 client as users configure one for an S3-compatible store.

    checksums="default" keeps botocore's defaults (when_supported: CRC32 on
    every upload); "when_required" is the opt-out many tools document.
    """
    kwargs = dict(
        signature_version="s3v4",
        s3={"addressing_style": "path"},
        max_pool_connections=max_pool_connections,
        connect_timeout=10,
        read_timeout=120,
    )
    if checksums == "when_required":
        kwargs.update(
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
    elif checksums != "default":
        raise ValueError(checksums)
    if retries is not None:
        kwargs["retries"] = {"max_attempts": retries, "mode": "standard"}
    kwargs.update(config_kwargs)
    session = boto3.session.Session()
    return session.client(
        "s3",
        endpoint_url=endpoint.url,
        region_name=REGION,
        aws_access_key_id=endpoint.access_key,
        aws_secret_access_key=endpoint.secret_key,
        verify=endpoint.verify if endpoint.is_tls else None,
        config=Config(**kwargs),
    )


def unique_bucket_name(prefix: str = "cairn-test") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


def empty_and_delete_bucket(client, bucket: str) -> None:
    """Best-effort cleanup: abort uploads, delete every object, delete bucket."""
    try:
        for page in client.get_paginator("list_multipart_uploads").paginate(Bucket=bucket):
            for up in page.get("Uploads", []):
                try:
                    client.abort_multipart_upload(
                        Bucket=bucket, Key=up["Key"], UploadId=up["UploadId"]
                    )
                except Exception:
                    pass
    except Exception:
        pass
    try:
        keys = []
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            keys += [o["Key"] for o in page.get("Contents", [])]
        for i in range(0, len(keys), 1000):
            client.delete_objects(
                Bucket=bucket,
                Delete={"Objects": [{"Key": k} for k in keys[i : i + 1000]], "Quiet": True},
            )
        client.delete_bucket(Bucket=bucket)
    except Exception:
        pass


def list_all_keys(client, bucket: str, prefix: str = "") -> list[str]:
    keys: list[str] = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys += [o["Key"] for o in page.get("Contents", [])]
    return keys


def error_code(exc: botocore.exceptions.ClientError) -> str:
    return exc.response.get("Error", {}).get("Code", "")


def http_status(resp_or_exc) -> int:
    if isinstance(resp_or_exc, botocore.exceptions.ClientError):
        return resp_or_exc.response["ResponseMetadata"]["HTTPStatusCode"]
    return resp_or_exc["ResponseMetadata"]["HTTPStatusCode"]


def snapshot(client, bucket: str) -> dict[str, tuple[int, str, str]]:
    """key -> (size, ETag, sha256 of the content) for every object."""
    out = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for o in page.get("Contents", []):
            body = client.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()
            out[o["Key"]] = (o["Size"], o["ETag"], sha256_hex(body))
            assert len(body) == o["Size"], f"{o['Key']}: listed size {o['Size']} != {len(body)}"
    return out


# --------------------------------------------------------------------------
# Data and digests
# --------------------------------------------------------------------------


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def sha256_file(path: Path | str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(4 * MiB), b""):
            h.update(chunk)
    return h.hexdigest()


def write_random_file(path: Path | str, size: int) -> str:
    """Write `size` random bytes; returns their sha256."""
    h = hashlib.sha256()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        left = size
        while left:
            chunk = os.urandom(min(left, 4 * MiB))
            f.write(chunk)
            h.update(chunk)
            left -= len(chunk)
    return h.hexdigest()


def tree_hashes(root: Path | str) -> dict[str, str]:
    """relative posix path -> sha256, for every regular file under root."""
    root = Path(root)
    return {
        p.relative_to(root).as_posix(): sha256_file(p)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def multipart_etag(parts: Iterable[bytes]) -> str:
    """The S3 ETag of a completed multipart upload: md5 of the part md5s, -N."""
    digests = [hashlib.md5(p).digest() for p in parts]
    return f'"{hashlib.md5(b"".join(digests)).hexdigest()}-{len(digests)}"'


def multipart_etag_of_file(path: Path | str, part_size: int) -> str:
    digests = []
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(part_size), b""):
            digests.append(hashlib.md5(chunk).digest())
    return f'"{hashlib.md5(b"".join(digests)).hexdigest()}-{len(digests)}"'


def _crc_table(poly: int, width: int) -> list[int]:
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        table.append(c & ((1 << width) - 1))
    return table


_CRC32C_TABLE = _crc_table(0x82F63B78, 32)
_CRC64NVME_TABLE = _crc_table(0x9A6C9329AC4BC9B5, 64)


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    t = _CRC32C_TABLE
    for b in data:
        crc = t[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def crc64nvme(data: bytes) -> int:
    crc = 0xFFFFFFFFFFFFFFFF
    t = _CRC64NVME_TABLE
    for b in data:
        crc = t[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFFFFFFFFFF


def checksum_b64(algorithm: str, data: bytes) -> str:
    """The base64 value S3 uses in x-amz-checksum-<algorithm>."""
    algorithm = algorithm.upper()
    if algorithm == "CRC32":
        raw = (zlib.crc32(data) & 0xFFFFFFFF).to_bytes(4, "big")
    elif algorithm == "CRC32C":
        raw = crc32c(data).to_bytes(4, "big")
    elif algorithm == "CRC64NVME":
        raw = crc64nvme(data).to_bytes(8, "big")
    elif algorithm == "SHA1":
        raw = hashlib.sha1(data).digest()
    elif algorithm == "SHA256":
        raw = hashlib.sha256(data).digest()
    else:
        raise ValueError(algorithm)
    return base64.b64encode(raw).decode()


# Known answers (standard check values for "123456789") guard the pure-Python
# CRCs above against typos.
assert crc32c(b"123456789") == 0xE3069283
assert crc64nvme(b"123456789") == 0xAE8B14860A799888


# --------------------------------------------------------------------------
# Raw signed requests
# --------------------------------------------------------------------------


class _S3RawAuth(SigV4Auth):
    """botocore's SigV4 signer with S3's rules (no path normalisation) and an
    optional fixed signing time."""

    def __init__(self, credentials, region, when: datetime.datetime | None = None):
        super().__init__(credentials, "s3", region)
        self._when = when

    def _normalize_url_path(self, path):
        return path

    def add_auth(self, request):
        if self._when is None:
            return super().add_auth(request)
        request.context["timestamp"] = self._when.strftime(SIGV4_TIMESTAMP)
        self._modify_request_before_signing(request)
        canonical_request = self.canonical_request(request)
        string_to_sign = self.string_to_sign(request, canonical_request)
        signature = self.signature(string_to_sign, request)
        self._inject_signature_to_request(request, signature)


@dataclass
class RawResponse:
    status: int
    reason: str
    headers: http.client.HTTPMessage
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def __repr__(self) -> str:
        return f"<RawResponse {self.status} {self.reason} body={self.body[:300]!r}>"


@dataclass
class SignedRequest:
    method: str
    path: str  # already percent-encoded, as sent on the request line
    headers: dict[str, str]
    signature: str  # hex signature of the headers (seed for aws-chunked)
    timestamp: str
    scope: str
    auth: _S3RawAuth
    aws_request: AWSRequest


def quote_key(key: str) -> str:
    """Percent-encode an object key as SigV4 clients do (unreserved + '/')."""
    return urllib.parse.quote(key.encode("utf-8"), safe="/~")


def object_path(bucket: str | None = None, key: str | None = None) -> str:
    if bucket is None:
        return "/"
    if key is None:
        return f"/{bucket}"
    return f"/{bucket}/{quote_key(key)}"


def encode_query(query: Mapping[str, str | None] | Iterable[tuple[str, str | None]] | str | None) -> str:
    """Query string as S3 clients send it: `?acl`, `?uploadId=x&partNumber=1`."""
    if query is None:
        return ""
    if isinstance(query, str):
        return query
    items = query.items() if isinstance(query, Mapping) else query
    out = []
    for k, v in items:
        k = urllib.parse.quote(k, safe="-_.~")
        out.append(k if v is None else f"{k}={urllib.parse.quote(str(v), safe='-_.~')}")
    return "&".join(out)


class RawS3:
    """Hand-made S3 requests, signed with botocore's SigV4 implementation,
    sent with http.client so that nothing rewrites the path or headers."""

    def __init__(self, endpoint: Endpoint):
        self.endpoint = endpoint

    def sign(
        self,
        method: str,
        path: str,
        query: str = "",
        headers: Mapping[str, str] | None = None,
        payload_hash: str | None = None,
        body: bytes = b"",
        *,
        access_key: str | None = None,
        secret_key: str | None = None,
        when: datetime.datetime | None = None,
    ) -> SignedRequest:
        headers = dict(headers or {})
        if payload_hash is None:
            payload_hash = hashlib.sha256(body).hexdigest()
        headers["X-Amz-Content-SHA256"] = payload_hash
        url = f"{self.endpoint.url}{path}" + (f"?{query}" if query else "")
        req = AWSRequest(method=method, url=url, headers=headers, data=b"")
        creds = Credentials(
            access_key or self.endpoint.access_key, secret_key or self.endpoint.secret_key
        )
        auth = _S3RawAuth(creds, REGION, when)
        auth.add_auth(req)
        signed = {k: v for k, v in req.headers.items()}
        authz = signed["Authorization"]
        signature = authz.rsplit("Signature=", 1)[1]
        ts = req.context["timestamp"]
        return SignedRequest(
            method, path, signed, signature, ts, auth.credential_scope(req), auth, req
        )

    def connection(self, timeout: float = 30.0) -> http.client.HTTPConnection:
        if self.endpoint.is_tls:
            return http.client.HTTPSConnection(
                self.endpoint.host,
                self.endpoint.port,
                timeout=timeout,
                context=self.endpoint.ssl_context(),
            )
        return http.client.HTTPConnection(self.endpoint.host, self.endpoint.port, timeout=timeout)

    def send(
        self,
        method: str,
        path: str,
        query: str = "",
        headers: Mapping[str, str] | None = None,
        body: bytes | Iterable[bytes] = b"",
        *,
        encode_chunked: bool = False,
        timeout: float = 30.0,
    ) -> RawResponse:
        conn = self.connection(timeout)
        try:
            target = path + (f"?{query}" if query else "")
            conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
            hdrs = dict(headers or {})
            if not any(k.lower() == "host" for k in hdrs):
                hdrs["Host"] = self.endpoint.netloc
            if isinstance(body, (bytes, bytearray)):
                if method not in ("GET", "HEAD", "DELETE") or body:
                    if not any(k.lower() in ("content-length", "transfer-encoding") for k in hdrs):
                        hdrs["Content-Length"] = str(len(body))
            for k, v in hdrs.items():
                conn.putheader(k, v)
            conn.endheaders()
            if isinstance(body, (bytes, bytearray)):
                if body:
                    conn.send(body)
            else:
                for chunk in body:
                    if encode_chunked:
                        conn.send(f"{len(chunk):X}\r\n".encode() + chunk + b"\r\n")
                    else:
                        conn.send(chunk)
                if encode_chunked:
                    conn.send(b"0\r\n\r\n")
            resp = conn.getresponse()
            data = resp.read()
            return RawResponse(resp.status, resp.reason, resp.msg, data)
        finally:
            conn.close()

    def request(
        self,
        method: str,
        bucket: str | None = None,
        key: str | None = None,
        query=None,
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
        *,
        sign: bool = True,
        payload_hash: str | None = None,
        path: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        when: datetime.datetime | None = None,
        tamper=None,
    ) -> RawResponse:
        """Sign (unless sign=False) and send one request.

        `tamper(headers) -> headers` may modify the headers after signing.
        """
        if path is None:
            path = object_path(bucket, key)
        q = encode_query(query)
        hdrs = dict(headers or {})
        if sign:
            signed = self.sign(
                method,
                path,
                q,
                hdrs,
                payload_hash,
                body,
                access_key=access_key,
                secret_key=secret_key,
                when=when,
            )
            hdrs = signed.headers
        if tamper is not None:
            hdrs = tamper(dict(hdrs))
        return self.send(method, path, q, hdrs, body)


def aws_chunked_signed_body(
    signed: SignedRequest, data: bytes, chunk_size: int = 64 * 1024
) -> bytes:
    """Body for x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD, each
    chunk signed with the chained signature (seed = the header signature)."""
    empty_hash = hashlib.sha256(b"").hexdigest()
    prev = signed.signature
    out = bytearray()
    chunks = [data[i : i + chunk_size] for i in range(0, len(data), chunk_size)] + [b""]
    for chunk in chunks:
        sts = "\n".join(
            [
                "AWS4-HMAC-SHA256-PAYLOAD",
                signed.timestamp,
                signed.scope,
                prev,
                empty_hash,
                hashlib.sha256(chunk).hexdigest(),
            ]
        )
        sig = signed.auth.signature(sts, signed.aws_request)
        out += f"{len(chunk):x};chunk-signature={sig}\r\n".encode() + chunk + b"\r\n"
        prev = sig
    return bytes(out)


def aws_chunked_unsigned_body(
    data: bytes,
    chunk_size: int = 64 * 1024,
    trailers: Mapping[str, str] | None = None,
) -> bytes:
    """Body for STREAMING-UNSIGNED-PAYLOAD-TRAILER as botocore frames it."""
    out = bytearray()
    for i in range(0, len(data), chunk_size):
        chunk = data[i : i + chunk_size]
        out += f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    out += b"0\r\n"
    for k, v in (trailers or {}).items():
        out += f"{k}:{v}\r\n".encode()
    out += b"\r\n"
    return bytes(out)


# --------------------------------------------------------------------------
# S3 error checks
# --------------------------------------------------------------------------


def strip_ns(tag: str) -> str:
    return tag.split("}", 1)[1] if tag.startswith("{") else tag


def xml_children(elem: ET.Element) -> dict[str, str]:
    return {strip_ns(c.tag): (c.text or "") for c in elem}


def assert_s3_error(
    resp: RawResponse,
    status: int | tuple[int, ...],
    code: str | tuple[str, ...] | None,
    *,
    resource: str | None = None,
    head: bool = False,
) -> dict[str, str]:
    """The response is an S3 error: status, x-amz-request-id, and (not for
    HEAD) an XML body <Error> with Code, Message and RequestId (== header)."""
    statuses = (status,) if isinstance(status, int) else status
    assert resp.status in statuses, f"expected HTTP {status}, got {resp!r}"
    request_id = resp.header("x-amz-request-id")
    assert request_id, f"no x-amz-request-id header on {resp!r}"
    if head:
        assert not resp.body, "HEAD error response must not have a body"
        return {}
    ctype = resp.header("Content-Type") or ""
    assert "xml" in ctype, f"error Content-Type {ctype!r} is not XML"
    try:
        root = ET.fromstring(resp.body)
    except ET.ParseError as e:
        raise AssertionError(f"error body is not XML ({e}): {resp.body[:500]!r}")
    assert strip_ns(root.tag) == "Error", f"root element {root.tag!r}, want Error"
    fields = xml_children(root)
    codes = (code,) if isinstance(code, str) else code
    if codes is not None:
        assert fields.get("Code") in codes, f"Code {fields.get('Code')!r}, want {code}: {resp.body[:500]!r}"
    else:
        assert fields.get("Code"), f"no Code in {resp.body!r}"
    assert fields.get("Message"), f"no Message in {resp.body!r}"
    assert fields.get("RequestId") == request_id, (
        f"RequestId {fields.get('RequestId')!r} != x-amz-request-id {request_id!r}"
    )
    if resource is not None:
        assert fields.get("Resource") == resource, (
            f"Resource {fields.get('Resource')!r}, want {resource!r}"
        )
    return fields


def assert_client_error(exc_info, status: int, *codes: str) -> None:
    """For pytest.raises(ClientError) results from boto3."""
    err = exc_info.value
    got_status = err.response["ResponseMetadata"]["HTTPStatusCode"]
    got_code = error_code(err)
    assert got_status == status, f"HTTP {got_status} ({got_code}), want {status}"
    if codes:
        assert got_code in codes, f"error code {got_code!r}, want one of {codes}"
    assert err.response["ResponseMetadata"].get("RequestId") or err.response[
        "ResponseMetadata"
    ]["HTTPHeaders"].get("x-amz-request-id"), "no request id"


# --------------------------------------------------------------------------
# Cairn native API (native-api.md): wire formats and signed requests
# --------------------------------------------------------------------------

NATIVE_PREFIX = "/api/v1"
FRAME_HEADER = struct.Struct("<32sIIB")  # digest, raw_length, stored_length, encoding
FRAME_RAW, FRAME_ZSTD = 0, 1
MANIFEST_MAGIC = b"CMF1"


def chunk_frame(
    data: bytes,
    *,
    payload: bytes | None = None,
    encoding: int = FRAME_RAW,
    digest: bytes | None = None,
    raw_length: int | None = None,
) -> bytes:
    """One chunk frame. By default a raw frame of `data` with its true sha256;
    `payload`/`encoding` send another form (a zstd frame), `digest` and
    `raw_length` override the header fields (for tampering)."""
    body = data if payload is None else payload
    return (
        FRAME_HEADER.pack(
            hashlib.sha256(data).digest() if digest is None else digest,
            len(data) if raw_length is None else raw_length,
            len(body),
            encoding,
        )
        + body
    )


@dataclass
class Frame:
    digest: bytes
    raw_length: int
    encoding: int
    payload: bytes


def parse_frames(body: bytes) -> list[Frame]:
    out, off = [], 0
    while off < len(body):
        assert off + FRAME_HEADER.size <= len(body), f"truncated frame header at byte {off}"
        digest, raw_len, stored_len, enc = FRAME_HEADER.unpack_from(body, off)
        off += FRAME_HEADER.size
        assert off + stored_len <= len(body), f"truncated frame payload at byte {off}"
        out.append(Frame(digest, raw_len, enc, body[off : off + stored_len]))
        off += stored_len
    return out


@dataclass
class Manifest:
    size: int
    sha256: bytes
    md5: bytes
    chunks: list[tuple[bytes, int]]  # (digest, length)

    @classmethod
    def of(cls, data: bytes, cut_points: Iterable[int] = ()) -> tuple["Manifest", list[bytes]]:
        """The manifest of `data` split at `cut_points`, and the chunks."""
        cuts = [0] + sorted(set(c for c in cut_points if 0 < c < len(data))) + [len(data)]
        pieces = [data[a:b] for a, b in zip(cuts, cuts[1:]) if b > a]
        m = cls(
            len(data),
            hashlib.sha256(data).digest(),
            hashlib.md5(data).digest(),
            [(hashlib.sha256(p).digest(), len(p)) for p in pieces],
        )
        return m, pieces

    def encode(self) -> bytes:
        out = bytearray(MANIFEST_MAGIC)
        out += struct.pack("<Q", self.size) + self.sha256 + self.md5
        out += struct.pack("<I", len(self.chunks))
        for digest, length in self.chunks:
            out += digest + struct.pack("<I", length)
        return bytes(out)

    @classmethod
    def decode(cls, body: bytes, off: int = 0) -> tuple["Manifest", int]:
        assert body[off : off + 4] == MANIFEST_MAGIC, f"no CMF1 at byte {off}: {body[off:off + 8]!r}"
        off += 4
        (size,) = struct.unpack_from("<Q", body, off)
        off += 8
        sha, md5 = body[off : off + 32], body[off + 32 : off + 48]
        off += 48
        (count,) = struct.unpack_from("<I", body, off)
        off += 4
        chunks = []
        for _ in range(count):
            digest = body[off : off + 32]
            (length,) = struct.unpack_from("<I", body, off + 32)
            assert len(digest) == 32, "truncated manifest"
            chunks.append((digest, length))
            off += 36
        return cls(size, sha, md5, chunks), off


def keyed_manifest(key: str, manifest: Manifest) -> bytes:
    """A commit entry (or listing entry): key_length u16 | key | manifest."""
    k = key.encode("utf-8")
    return struct.pack("<H", len(k)) + k + manifest.encode()


def parse_listing(body: bytes) -> list[tuple[str, Manifest]]:
    out, off = [], 0
    while off < len(body):
        (n,) = struct.unpack_from("<H", body, off)
        key = body[off + 2 : off + 2 + n].decode("utf-8")
        manifest, off = Manifest.decode(body, off + 2 + n)
        out.append((key, manifest))
    return out


def native(
    raw: RawS3,
    method: str,
    path: str,
    body: bytes = b"",
    *,
    query=None,
    headers: Mapping[str, str] | None = None,
    unsigned_payload: bool = False,
    sign: bool = True,
    **kwargs,
) -> RawResponse:
    """A signed request to `/api/v1` + path (path already percent-encoded)."""
    return raw.request(
        method,
        path=NATIVE_PREFIX + path,
        query=query,
        headers=headers,
        body=body,
        sign=sign,
        payload_hash="UNSIGNED-PAYLOAD" if unsigned_payload else None,
        **kwargs,
    )


def native_json(resp: RawResponse, status: int = 200) -> dict:
    assert resp.status == status, f"expected HTTP {status}, got {resp!r}"
    ctype = resp.header("Content-Type") or ""
    assert "json" in ctype, f"Content-Type {ctype!r} is not JSON: {resp!r}"
    return json.loads(resp.body)


def assert_native_error(resp: RawResponse, status: int, code: str | None = None) -> dict:
    """A native API error: the status and a JSON {"error": {"code", "message", …}}."""
    assert resp.status == status, f"expected HTTP {status}, got {resp!r}"
    try:
        doc = json.loads(resp.body)
    except ValueError as e:
        raise AssertionError(f"error body is not JSON ({e}): {resp!r}")
    err = doc.get("error")
    assert isinstance(err, dict), f"no error object in {doc}"
    assert err.get("code"), f"no error code in {doc}"
    assert err.get("message"), f"no error message in {doc}"
    if code is not None:
        assert err["code"] == code, f"error code {err['code']!r}, want {code!r}: {doc}"
    return err


def dedupe_stats(raw: RawS3) -> dict[str, int]:
    """The server's dedupe counters (GET /api/v1/dedupe/stats)."""
    return native_json(native(raw, "GET", "/dedupe/stats"))


def stats_delta(before: Mapping[str, int], after: Mapping[str, int]) -> dict[str, int]:
    return {k: after[k] - before.get(k, 0) for k in after}

"""Hand-made S3 requests signed with botocore's SigV4 code, and aws-chunked bodies."""

from __future__ import annotations

import datetime
import hashlib
import http.client
import urllib.parse
from dataclasses import dataclass
from typing import Iterable, Mapping

from botocore.auth import SIGV4_TIMESTAMP, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from .constants import REGION
from .server import Endpoint


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

    def _with_host(self, headers: Mapping[str, str] | None) -> dict[str, str]:
        hdrs = dict(headers or {})
        if not any(k.lower() == "host" for k in hdrs):
            hdrs["Host"] = self.endpoint.netloc
        return hdrs

    @staticmethod
    def _write_head(conn: http.client.HTTPConnection, method: str, target: str, hdrs: Mapping[str, str]) -> None:
        """The request line and headers exactly as given (no Host or
        Accept-Encoding of http.client's)."""
        conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        for k, v in hdrs.items():
            conn.putheader(k, v)
        conn.endheaders()

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
            hdrs = self._with_host(headers)
            if isinstance(body, (bytes, bytearray)):
                if method not in ("GET", "HEAD", "DELETE") or body:
                    if not any(k.lower() in ("content-length", "transfer-encoding") for k in hdrs):
                        hdrs["Content-Length"] = str(len(body))
            self._write_head(conn, method, target, hdrs)
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

    def fetch(self, path: str, *, timeout: float = 60.0, block: int = 64 * 1024) -> tuple[int, bytes, bool]:
        """A signed GET of `path`, read to the end: (status, the bytes received,
        whether the body arrived complete); keeps what arrived before a cut
        connection."""
        signed = self.sign("GET", path)
        conn = self.connection(timeout)
        try:
            self._write_head(conn, "GET", path, self._with_host(signed.headers))
            resp = conn.getresponse()
            got = bytearray()
            try:
                while True:
                    data = resp.read(block)
                    if not data:
                        break
                    got += data
                return resp.status, bytes(got), True
            except http.client.IncompleteRead as e:
                return resp.status, bytes(got + e.partial), False
            except OSError:
                return resp.status, bytes(got), False
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

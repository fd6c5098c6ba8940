"""Cairn's native API (native-api.md): wire formats and signed requests."""

from __future__ import annotations

import hashlib
import json
import struct
from dataclasses import dataclass
from typing import Iterable, Mapping

from .raw import RawResponse, RawS3

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


class Session:
    """One dedupe session (POST /api/v1/dedupe/sessions answered 201)."""

    def __init__(self, raw: RawS3):
        self.raw = raw
        self.doc = native_json(native(raw, "POST", "/dedupe/sessions"), 201)
        self.id = self.doc["session"]

    def missing(self, digests: list[bytes]) -> list[bytes]:
        """The digests the server lacks (a `missing` query: 200, 32 bytes each)."""
        resp = native(self.raw, "POST", f"/dedupe/sessions/{self.id}/missing", b"".join(digests))
        assert resp.status == 200, resp
        assert len(resp.body) % 32 == 0, resp
        return [resp.body[i : i + 32] for i in range(0, len(resp.body), 32)]

    def upload(self, frames: list[bytes], *, unsigned: bool = True) -> RawResponse:
        """One chunk upload of `frames`, as sent."""
        return native(
            self.raw,
            "POST",
            f"/dedupe/sessions/{self.id}/chunks",
            b"".join(frames),
            unsigned_payload=unsigned,
        )

    def upload_ok(self, frames: list[bytes]) -> dict:
        return native_json(self.upload(frames))

    def upload_chunks(self, chunks: list[bytes], batch: int = 8) -> None:
        """Uploads raw chunks as raw frames, `batch` a request, each fully received."""
        for i in range(0, len(chunks), batch):
            doc = self.upload_ok([chunk_frame(c) for c in chunks[i : i + batch]])
            assert doc["received"] == len(chunks[i : i + batch]), doc

    def commit(self, bucket: str, entries: list[tuple[str, Manifest]]) -> RawResponse:
        body = b"".join(keyed_manifest(k, m) for k, m in entries)
        return native(self.raw, "POST", f"/dedupe/sessions/{self.id}/commit/{bucket}", body)

    def delete(self) -> RawResponse:
        return native(self.raw, "DELETE", f"/dedupe/sessions/{self.id}")

    def close(self) -> None:
        """Deletes the session, which must be gone afterwards (204, or 404)."""
        resp = self.delete()
        assert resp.status in (204, 404), resp

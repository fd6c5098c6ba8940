"""Digests, CRCs and ETags as S3 computes them."""

from __future__ import annotations

import base64
import hashlib
import zlib
from pathlib import Path
from typing import Iterable

from .constants import MiB


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def _file_digest(path: Path | str, h) -> str:
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(4 * MiB), b""):
            h.update(chunk)
    return h.hexdigest()


def sha256_file(path: Path | str) -> str:
    return _file_digest(path, hashlib.sha256())


def md5_file(path: Path | str) -> str:
    return _file_digest(path, hashlib.md5())



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


def _reflected_crc(data: bytes, table: list[int], mask: int) -> int:
    """A reflected table-driven CRC, `mask` both the initial value and the final xor."""
    crc = mask
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ mask


def crc32c(data: bytes) -> int:
    return _reflected_crc(data, _CRC32C_TABLE, 0xFFFFFFFF)


def crc64nvme(data: bytes) -> int:
    return _reflected_crc(data, _CRC64NVME_TABLE, 0xFFFFFFFFFFFFFFFF)


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

"""boto3 S3 clients as users configure them, and bucket helpers."""

from __future__ import annotations

import contextlib
import hashlib
import uuid

import boto3
import botocore
from botocore.config import Config

from .constants import MiB, REGION
from .hashes import sha256_hex
from .server import Endpoint


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


@contextlib.contextmanager
def temp_bucket(client, prefix: str = "cairn-test"):
    """A new bucket with a unique name; emptied and deleted afterwards."""
    name = unique_bucket_name(prefix)
    client.create_bucket(Bucket=name)
    try:
        yield name
    finally:
        empty_and_delete_bucket(client, name)


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


def s3_sha256_size(client, bucket: str, key: str) -> tuple[str, int]:
    """(sha256 hex, size) of an object's content, read as a stream."""
    h, size = hashlib.sha256(), 0
    body = client.get_object(Bucket=bucket, Key=key)["Body"]
    for block in iter(lambda: body.read(4 * MiB), b""):
        h.update(block)
        size += len(block)
    return h.hexdigest(), size


def s3_sha256(client, bucket: str, key: str) -> str:
    """sha256 hex of an object's content, read as a stream."""
    return s3_sha256_size(client, bucket, key)[0]

"""Shared machinery for the Cairn integration tests.

Importable from every test module (pytest puts Tests/integration on sys.path).
One module a concern; every public name is re-exported here, so tests write
``from harness import X`` whichever module X lives in:

- ``constants``: repository root, region, keys, the external-endpoint override, KiB/MiB
- ``server``: ``cairn serve`` processes (CairnServer) and Endpoint
- ``tools``: external command-line tools (aws, dvc, rclone) and their environment
- ``clients``: the boto3 client factory and bucket helpers
- ``raw``: SigV4-signed raw requests (RawS3) and aws-chunked bodies
- ``checks``: S3 error assertions
- ``hashes``: digests, CRCs and ETags
- ``files``: random files and trees on disk
- ``native``: native-API frames, manifests, signed requests and errors
"""

from __future__ import annotations

from .constants import (
    ACCESS_KEY,
    EMPTY_MD5,
    EXTERNAL_ENDPOINT,
    EXTERNAL_TLS_CA,
    EXTERNAL_TLS_ENDPOINT,
    KiB,
    MiB,
    REGION,
    REPO_ROOT,
    S3_NS,
    SECRET_KEY,
)
from .server import LIVE_SERVERS, CairnServer, Endpoint, ServerError, cairn_binary, free_port
from .tools import find_tool, venv_bin_dir
from .clients import (
    empty_and_delete_bucket,
    error_code,
    http_status,
    list_all_keys,
    make_client,
    snapshot,
    unique_bucket_name,
)
from .raw import (
    RawResponse,
    RawS3,
    SignedRequest,
    aws_chunked_signed_body,
    aws_chunked_unsigned_body,
    encode_query,
    object_path,
    quote_key,
)
from .checks import assert_client_error, assert_s3_error, strip_ns, xml_children
from .hashes import (
    checksum_b64,
    crc32c,
    crc64nvme,
    md5_b64,
    md5_hex,
    multipart_etag,
    multipart_etag_of_file,
    sha256_file,
    sha256_hex,
)
from .files import tree_hashes, write_random_file
from .native import (
    FRAME_HEADER,
    FRAME_RAW,
    FRAME_ZSTD,
    MANIFEST_MAGIC,
    NATIVE_PREFIX,
    Frame,
    Manifest,
    assert_native_error,
    chunk_frame,
    dedupe_stats,
    keyed_manifest,
    native,
    native_json,
    parse_frames,
    parse_listing,
    stats_delta,
)

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
- ``native``: native-API frames, manifests, signed requests, errors and dedupe sessions
- ``registry``: JSON bodies for the registry API
- ``cli``: the ``cairn`` CLI: its environment, runs, ``--json`` answers and failures
- ``dvc``: git + DVC projects with a remote on a test server
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
from .tools import find_tool, make_cli_env, run, venv_bin_dir, write_aws_config
from .clients import (
    empty_and_delete_bucket,
    error_code,
    http_status,
    list_all_keys,
    make_client,
    s3_sha256,
    s3_sha256_size,
    snapshot,
    temp_bucket,
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
from .checks import assert_client_error, assert_no_object, assert_s3_error, strip_ns, xml_children
from .hashes import (
    checksum_b64,
    crc32c,
    crc64nvme,
    md5_b64,
    md5_file,
    md5_hex,
    multipart_etag,
    multipart_etag_of_file,
    sha256_file,
    sha256_hex,
)
from .files import make_tree, tree_hashes, write_random_file
from .native import (
    FRAME_HEADER,
    FRAME_RAW,
    FRAME_ZSTD,
    MANIFEST_MAGIC,
    NATIVE_PREFIX,
    Frame,
    Manifest,
    Session,
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
from .registry import json_body, post_json
from .cli import (
    cairn,
    cairn_env,
    cairn_fails,
    cairn_json,
    error_line,
    error_lines,
    needs_cli,
    partial_files,
)
from .dvc import dvc_credentials, dvc_data_hashes, dvc_init, dvc_remote_key

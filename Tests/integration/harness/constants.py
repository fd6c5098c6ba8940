"""Where the suite runs: the repository, credentials, region, the external-endpoint
override, and size units."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
REGION = "us-east-1"
ACCESS_KEY = os.environ.get("CAIRN_TEST_ACCESS_KEY_ID", "cairntestkey")
SECRET_KEY = os.environ.get("CAIRN_TEST_SECRET_ACCESS_KEY", "cairntestsecret0123456789")

# Development override: use an already running S3 endpoint (e.g. moto_server)
# instead of starting the cairn binary.  Tests that must start or kill the
# server themselves (marker ``needs_process``) are skipped then.
EXTERNAL_ENDPOINT = os.environ.get("CAIRN_TEST_ENDPOINT") or None
EXTERNAL_TLS_ENDPOINT = os.environ.get("CAIRN_TEST_TLS_ENDPOINT") or None
EXTERNAL_TLS_CA = os.environ.get("CAIRN_TEST_TLS_CA") or None

KiB = 1024
MiB = 1024 * 1024
S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"
EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e"

"""The model registry's JSON API (under /api/v1/models)."""

from __future__ import annotations

import json

from .native import native
from .raw import RawResponse, RawS3


def json_body(doc) -> tuple[bytes, dict[str, str]]:
    """A JSON request body and its Content-Type header."""
    return json.dumps(doc).encode(), {"Content-Type": "application/json"}


def post_json(raw: RawS3, path: str, doc, method: str = "POST") -> RawResponse:
    """A signed request to /api/v1 + path with `doc` as its JSON body."""
    body, headers = json_body(doc)
    return native(raw, method, path, body, headers=headers)

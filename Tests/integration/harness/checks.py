"""Assertions on S3 error answers (raw XML errors and boto3's ClientError)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import botocore.exceptions
import pytest

from .clients import error_code, http_status
from .raw import RawResponse


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


def assert_no_object(client, bucket: str, key: str) -> None:
    """HEAD of the object answers 404 (boto3's ClientError)."""
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        client.head_object(Bucket=bucket, Key=key)
    assert http_status(exc.value) == 404, exc.value

"""The OpenAPI 3.1 document of the API under /api/v1/ (GET /api/v1/openapi.json, the data file
Sources/CairnAPI/openapi.json) against the real server, so that it stays true:

- the served document is valid OpenAPI 3.1 and is the one in the source tree;
- every documented operation is called on a small world built through the API (bucket, objects, a model
  with two versions and lineage, aliases, a dedupe session): the status must be a documented success and
  every JSON answer must validate against the documented schema (Draft 2020-12), documented response
  headers must be there. The maintenance operations run on the shared session server too, so a garbage
  collection here always has a grace period of a day or more (it then frees nothing other tests wrote);
  scrub and fsck only read (scrub would quarantine a corrupt chunk);
- every path parameter replaced by an unknown value, anonymous requests, read-only keys and a list of
  known bad requests give documented error statuses, with codes the document names and bodies that
  validate against the Error schema;
- every route of the server's route table (as `cairn routes` prints it: one `METHOD TEMPLATE` a line) is
  documented, and the document has no operation the route table lacks.

Adding a route: document it in openapi.json and give it parameter values (World.params / OVERRIDES,
BODIES, QUERIES, MORE_QUERIES) so that the sweeps can call it.
"""

from __future__ import annotations

import copy
import datetime
from concurrent.futures import ThreadPoolExecutor
import hashlib
import json
import os
import re
import urllib.parse
import uuid
from dataclasses import dataclass, field

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from openapi_spec_validator import validate as validate_openapi

from harness import (
    ACCESS_KEY,
    REPO_ROOT,
    Manifest,
    RawS3,
    cairn_binary,
    chunk_frame,
    json_body,
    keyed_manifest,
    make_client,
    native,
    native_json,
    needs_cli,
    parse_listing,
    post_json,
    run,
)

PREFIX = "/api/v1"
METHODS = ("get", "put", "post", "delete", "head", "patch", "options", "trace")
OPENAPI_FILE = REPO_ROOT / "Sources" / "CairnAPI" / "openapi.json"
HTTP_METHODS = {m.upper() for m in METHODS}

# Documented operations the sweep does not call, with the reason. Binary-bodied operations are called
# with real frames and manifests (harness.native), so nothing needs skipping today; anything added here
# must name a documented operation (checked).
SKIP: dict[tuple[str, str], str] = {}

# Parameters that span several path segments: their `/` are sent as they are.
MULTI_SEGMENT = {"model", "path"}


# ---------------------------------------------------------------- the document


def source_document() -> dict:
    """The OpenAPI document of the source tree (Sources/CairnAPI/openapi.json)."""
    assert OPENAPI_FILE.is_file(), f"no OpenAPI document at {OPENAPI_FILE}"
    return json.loads(OPENAPI_FILE.read_text())


def route_table() -> set[tuple[str, str]]:
    """The server's routes as `cairn routes` prints them: one `METHOD TEMPLATE` a line."""
    proc = run([cairn_binary(), "routes"], timeout=60)
    routes = set()
    for n, line in enumerate(proc.stdout.splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split()
        assert len(parts) == 2 and parts[0] in HTTP_METHODS and parts[1].startswith("/"), (
            f"`cairn routes` line {n} is not `METHOD /template`: {line!r}"
        )
        routes.add((parts[0], parts[1]))
    return routes


@pytest.fixture(scope="module")
def spec(raw) -> dict:
    resp = native(raw, "GET", "/openapi.json")
    doc = native_json(resp)
    assert resp.header("Content-Type").split(";")[0].strip() == "application/json", resp
    return doc


def operations(doc: dict) -> list[tuple[str, str, dict]]:
    return [(m.upper(), p, item[m]) for p, item in doc["paths"].items() for m in METHODS if m in item]


def deref(doc: dict, obj: dict) -> dict:
    """Follows a `$ref` to components (parameters, responses, headers, request bodies)."""
    while isinstance(obj, dict) and "$ref" in obj:
        target = doc
        for part in obj["$ref"].removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        obj = target
    return obj


def parameters(doc: dict, path: str, op: dict) -> list[dict]:
    item = doc["paths"][path]
    return [deref(doc, p) for p in item.get("parameters", []) + op.get("parameters", [])]


def _defs_refs(node):
    """The schema with `#/components/schemas/X` references rewritten to `#/$defs/X`."""
    if isinstance(node, dict):
        out = {k: _defs_refs(v) for k, v in node.items()}
        ref = out.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            out["$ref"] = "#/$defs/" + ref.removeprefix("#/components/schemas/")
        return out
    if isinstance(node, list):
        return [_defs_refs(v) for v in node]
    return node


FORMATS = FormatChecker(formats=())


@FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value) -> bool:
    if not isinstance(value, str):
        return True
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", value):
        raise ValueError(f"{value!r} is not an RFC 3339 date-time")
    datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return True


def schema_validator(doc: dict, schema: dict) -> Draft202012Validator:
    """A Draft 2020-12 validator of `schema` with the document's component schemas as `$defs`."""
    root = copy.deepcopy(_defs_refs(schema))
    root["$defs"] = _defs_refs(doc["components"]["schemas"])
    Draft202012Validator.check_schema(root)
    return Draft202012Validator(root, format_checker=FORMATS)


def assert_valid(doc: dict, schema: dict, value, what: str) -> None:
    errors = sorted(schema_validator(doc, schema).iter_errors(value), key=lambda e: list(e.absolute_path))
    assert not errors, f"{what}: the answer does not match the documented schema:\n" + "\n".join(
        f"  at {'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in errors[:10]
    ) + f"\nanswer: {json.dumps(value)[:2000]}"


def fill(template: str, values: dict[str, str]) -> str:
    """The request path (after /api/v1) for a path template and parameter values."""

    def one(m):
        name = m.group(1)
        assert name in values, f"no value for path parameter {{{name}}} of {template}: add it to the world's params"
        return urllib.parse.quote(values[name], safe="/" if name in MULTI_SEGMENT else "")

    path = re.sub(r"\{([^}]+)\}", one, template)
    assert path.startswith(PREFIX + "/"), template
    return path.removeprefix(PREFIX)


def check_response(doc: dict, method: str, template: str, op: dict, resp, *, want: set[int] | None = None,
                   codes: tuple[str, ...] | None = None) -> dict | None:
    """The answer's status is documented for the operation (and in `want` if given), its content type is a
    documented one, documented required headers are there, and a JSON body validates against the
    documented schema. Error answers carry a code the response's description names (and one of `codes`).
    Returns the parsed JSON body, if any."""
    what = f"{method} {template}"
    documented = op["responses"]
    assert str(resp.status) in documented, f"{what}: HTTP {resp.status} is not documented (documented: {sorted(documented)}): {resp!r}"
    if want is not None:
        assert resp.status in want, f"{what}: expected HTTP {sorted(want)}, got {resp!r}"
    r = deref(doc, documented[str(resp.status)])
    for name, header in r.get("headers", {}).items():
        header = deref(doc, header)
        value = resp.header(name)
        if header.get("required"):
            assert value is not None, f"{what}: documented header {name} missing in HTTP {resp.status} answer"
        if value is not None and "schema" in header:
            assert_valid(doc, header["schema"], value, f"{what} HTTP {resp.status} header {name}")
    body = None
    content = r.get("content")
    if method == "HEAD" or not content:
        assert resp.body == b"", f"{what}: HTTP {resp.status} documents no body, got {resp.body[:200]!r}"
    else:
        ctype = (resp.header("Content-Type") or "").split(";")[0].strip()
        assert ctype in content, f"{what}: Content-Type {ctype!r} not documented for HTTP {resp.status} ({sorted(content)})"
        if ctype == "application/json":
            body = json.loads(resp.body)
            assert_valid(doc, content[ctype]["schema"], body, f"{what} HTTP {resp.status}")
    if resp.status >= 400:
        if body is not None:
            code = body["error"]["code"]
            assert f"`{code}`" in r["description"], f"{what}: error code {code} is not named in the HTTP {resp.status} description {r['description']!r}"
            if codes is not None:
                assert code in codes, f"{what}: error code {code}, expected one of {codes}: {body}"
        else:
            assert codes is None or any(f"`{c}`" in r["description"] for c in codes), what
    return body


# ---------------------------------------------------------------- the world


def send_json(raw: RawS3, method: str, path: str, doc, status: int = 200) -> dict:
    return native_json(post_json(raw, path, doc, method), status)


def bbody(data: bytes) -> tuple[bytes, dict[str, str]]:
    return data, {"Content-Type": "application/octet-stream"}


@dataclass
class World:
    bucket: str
    model: str
    train: bytes
    weights: bytes
    session: str
    content: bytes  # uploaded to the session as chunks, not committed
    manifest: Manifest
    params: dict[str, str] = field(default_factory=dict)


def build_world(raw: RawS3, s3, bucket: str) -> World:
    """Two objects; a model with v1 (a dataset that is one of the objects, a run, git) and v2 (derived
    from v1, a dataset the store lacks); aliases `production` (1, then 2) and `doomed`; a dedupe
    session holding the chunks of `content`."""
    train, weights = os.urandom(40_000), os.urandom(30_000)
    s3.put_object(Bucket=bucket, Key="data/train.csv", Body=train)
    s3.put_object(Bucket=bucket, Key="w/model.bin", Body=weights)
    model = f"t/oa-{uuid.uuid4().hex[:10]}"
    send_json(raw, "POST", "/models", {"name": model, "description": "OpenAPI sweep", "tags": {"suite": "openapi"}}, 201)
    files = [{"path": "model.bin", "bucket": bucket, "key": "w/model.bin"}, {"path": "data/train.csv", "bucket": bucket, "key": "data/train.csv"}]
    v1 = {
        "files": files,
        "params": {"lr": "0.1"},
        "metrics": {"auc": 0.91, "epochs": 3},
        "metadata": {"framework": "none"},
        "lineage": {
            "datasets": [{"md5": hashlib.md5(train).hexdigest(), "path": "data/train.csv", "dvc_stage": "train"}],
            "runs": [{"id": "run-1", "link": "https://ci.example/run/1"}],
            "git": {"commit": "0123456789abcdef0123456789abcdef01234567", "repository": "https://git.example/t/oa"},
        },
    }
    v2 = {
        "files": files,
        "lineage": {"datasets": [{"sha256": hashlib.sha256(os.urandom(16)).hexdigest()}], "parents": [{"model": model, "version": 1}]},
    }
    for n, body in ((1, v1), (2, v2)):
        assert send_json(raw, "POST", f"/models/{model}/versions", body, 201)["version"] == n
    for alias, version in (("production", 1), ("production", 2), ("doomed", 1)):
        send_json(raw, "PUT", f"/models/{model}/aliases/{alias}", {"version": version, "reason": "setup"})

    session = native_json(native(raw, "POST", "/dedupe/sessions"), 201)["session"]
    content = os.urandom(20_000)
    manifest, pieces = Manifest.of(content, [8_000])
    up = native(raw, "POST", f"/dedupe/sessions/{session}/chunks", b"".join(chunk_frame(p) for p in pieces), unsigned_payload=True)
    assert native_json(up)["received"] == 2

    world = World(bucket, model, train, weights, session, content, manifest)
    world.params = {
        "model": model,
        "version": "2",
        "alias": "production",
        "path": "data/train.csv",
        "bucket": bucket,
        "session": session,
        "algorithm": "sha256",
        "hex": hashlib.sha256(train).hexdigest(),
        "digest": "md5:" + hashlib.md5(train).hexdigest(),
    }
    return world


@pytest.fixture
def world(raw, s3, bucket) -> World:
    w = build_world(raw, s3, bucket)
    yield w
    native(raw, "DELETE", f"/dedupe/sessions/{w.session}")


ALIAS = "/api/v1/models/{model}/aliases/{alias}"
GC = "/api/v1/admin/gc"
ADMIN_JOBS = (("POST", GC), ("POST", "/api/v1/admin/scrub"), ("POST", "/api/v1/admin/fsck"))

# The session server is shared by the whole suite: every collection this file asks for (dry runs too) keeps
# a grace period of a day or more, so that every pack the suite wrote is left alone with all it holds.
SAFE_GRACE = "24h"


def gc_query(*extra: tuple[str, str], grace: str = SAFE_GRACE) -> list[tuple[str, str]]:
    """A query for POST /api/v1/admin/gc with a grace period of a day or more."""
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86_400}
    value = float(grace[:-1]) * seconds[grace[-1]] if grace[-1] in seconds else float(grace)
    assert value >= 86_400, f"a collection on the shared session server needs a grace of a day or more, not {grace}"
    return [("grace", grace), *extra]

# Per-operation parameter values that differ from the world's (so that one call does not undo another).
OVERRIDES: dict[tuple[str, str], dict[str, str]] = {
    ("PUT", ALIAS): {"alias": "staging"},
    ("DELETE", ALIAS): {"alias": "doomed"},
}

# Request bodies: (method, path) -> world -> (body, headers).
BODIES = {
    ("POST", "/api/v1/models"): lambda w: json_body({"name": w.model + "-b", "description": "from the sweep", "tags": {"suite": "openapi"}}),
    ("POST", "/api/v1/models/{model}/versions"): lambda w: json_body(
        {"files": [{"path": "model.bin", "sha256": hashlib.sha256(w.weights).hexdigest()}], "metrics": {"auc": 0.5}}),
    ("PUT", ALIAS): lambda w: json_body({"version": 1, "reason": "sweep"}),
    ("POST", "/api/v1/dedupe/sessions/{session}/missing"): lambda w: bbody(w.manifest.chunks[0][0] + hashlib.sha256(os.urandom(8)).digest()),
    ("POST", "/api/v1/dedupe/sessions/{session}/chunks"): lambda w: bbody(chunk_frame(os.urandom(3_000))),
    ("POST", "/api/v1/dedupe/sessions/{session}/commit/{bucket}"): lambda w: bbody(keyed_manifest("oa/committed.bin", w.manifest)),
    ("POST", "/api/v1/dedupe/sessions/{session}/blobs"): lambda w: bbody(keyed_manifest("label-1", w.manifest)),
    ("POST", "/api/v1/dedupe/chunks"): lambda w: bbody(b"".join(d for d, _ in w.manifest.chunks)),
}

QUERIES = {
    ("GET", "/api/v1/models"): lambda w: [("prefix", w.model), ("tag", "suite:openapi"), ("limit", "1")],
    ("GET", "/api/v1/models/{model}/versions"): lambda w: [("limit", "1")],
    ("GET", ALIAS + "/history"): lambda w: [("at", datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))],
    ("GET", "/api/v1/dedupe/manifests/{bucket}"): lambda w: [("prefix", "data/"), ("max-keys", "1")],
    ("DELETE", ALIAS): lambda w: [("reason", "sweep")],
    # A real collection (the world's data is young: nothing of it goes).
    ("POST", GC): lambda w: gc_query(("upload-max-age", "7d")),
}

# More calls the sweep makes, each with another query (the operation's documented answers apply).
MORE_QUERIES = {
    ("POST", GC): [
        lambda w: gc_query(("dry-run", "true"), ("pin-lineage", "false"), ("compact-below", "0.9"), ("upload-max-age", "30d"), grace="2d"),
        lambda w: gc_query(("dry-run", "true"), grace="86400"),
    ],
    ("POST", "/api/v1/admin/fsck"): [lambda w: [("rebuild-chunk-index", "false")]],
}


def call(raw: RawS3, world: World, method: str, template: str, *, values: dict[str, str] | None = None, query=None,
         headers: dict[str, str] | None = None, body: tuple[bytes, dict] | None = None, **kwargs):
    """One request for a documented operation, with the world's parameter values (plus `values`)."""
    v = {**world.params, **OVERRIDES.get((method, template), {}), **(values or {})}
    if body is None and (method, template) in BODIES:
        body = BODIES[(method, template)](world)
    data, hdrs = body if body is not None else (b"", {})
    if query is None and (method, template) in QUERIES:
        query = QUERIES[(method, template)](world)
    return native(raw, method, fill(template, v), data, query=query, headers={**hdrs, **(headers or {})}, **kwargs)


def sweep_order(doc: dict) -> list[tuple[str, str, dict]]:
    """Every documented operation: creations first (so that pages have a `next`), deletions last (they
    end the session and an alias)."""
    rank = {"POST": 0, "PUT": 0, "DELETE": 2}
    return sorted(operations(doc), key=lambda o: (rank.get(o[0], 1), o[1], o[0]))


def success_codes(op: dict) -> set[int]:
    return {int(s) for s in op["responses"] if s.startswith("2")}


# ---------------------------------------------------------------- tests


def test_document_is_served_and_valid(raw, spec):
    assert spec["openapi"].startswith("3.1"), spec.get("openapi")
    assert spec["info"]["title"] == "Cairn API"
    validate_openapi(spec)
    for name, schema in spec["components"]["schemas"].items():
        Draft202012Validator.check_schema(_defs_refs(schema))
    assert spec == source_document(), (
        "the server serves another document than Sources/CairnAPI/openapi.json: rebuild the server "
        "(swift build -c release --product cairn)"
    )
    # Public: the same document without a signature.
    assert native_json(native(raw, "GET", "/openapi.json", sign=False)) == spec


@needs_cli
def test_every_route_is_documented_and_nothing_else(spec):
    routes = route_table()
    assert ("GET", "/api/v1/openapi.json") in routes and len(routes) >= 30, (
        f"`cairn routes` printed too few routes to be the server's table: {sorted(routes)}"
    )
    documented = {(m, p) for m, p, _ in operations(spec)}
    assert sorted(routes - documented) == [], "routes the server answers that the document lacks"
    assert sorted(documented - routes) == [], "documented operations the server does not route (`cairn routes`)"
    assert set(SKIP) <= documented, f"SKIP names operations the document lacks: {sorted(set(SKIP) - documented)}"
    for key in list(BODIES) + list(QUERIES) + list(OVERRIDES) + list(MORE_QUERIES):
        assert key in documented, f"{key} has request data in this test but is not documented"
    ids = [op["operationId"] for _, _, op in operations(spec)]
    assert len(ids) == len(set(ids)), "operationIds are not unique"
    for method, path, op in operations(spec):
        needs_body = "requestBody" in op and deref(spec, op["requestBody"]).get("required")
        assert bool(needs_body) == ((method, path) in BODIES), f"{method} {path}: request body documented but not in BODIES, or the reverse"


def test_every_operation_answers_as_documented(raw, spec, world):
    called = set()
    for method, template, op in sweep_order(spec):
        if (method, template) in SKIP:
            continue
        resp = call(raw, world, method, template)
        check_response(spec, method, template, op, resp, want=success_codes(op) - {206})
        if method == "GET" and (method, template) in QUERIES:  # and without the optional query parameters
            check_response(spec, method, template, op, call(raw, world, method, template, query=[]), want=success_codes(op) - {206})
        for query in MORE_QUERIES.get((method, template), []):
            check_response(spec, method, template, op, call(raw, world, method, template, query=query(world)), want=success_codes(op))
        if "206" in op["responses"]:
            part = call(raw, world, method, template, headers={"Range": "bytes=0-9"})
            check_response(spec, method, template, op, part, want={206})
            if method == "GET":
                assert len(part.body) == 10
        called.add((method, template))
    assert called | set(SKIP) == {(m, p) for m, p, _ in operations(spec)}


def test_documented_specifics(raw, spec, world):
    """Behaviour the document states in words."""
    m = world.model
    history = f"/models/{m}/aliases/production/history"
    plain = native_json(native(raw, "GET", history))
    assert "version_at" not in plain and [(x.get("from"), x.get("to")) for x in plain["moves"]] == [(None, 1), (1, 2)]
    now = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=1)
    assert native_json(native(raw, "GET", history, query={"at": now.strftime("%Y-%m-%dT%H:%M:%SZ")}))["version_at"] == 2
    assert native_json(native(raw, "GET", history, query={"at": "2000-01-01T00:00:00Z"}))["version_at"] is None

    # Pages: `next` only when more follow.
    assert "next" not in native_json(native(raw, "GET", "/models", query={"prefix": m, "limit": "1000"}))
    assert native_json(native(raw, "GET", f"/models/{m}/versions", query={"limit": "1"}))["next"] == 1
    assert "next" not in native_json(native(raw, "GET", f"/models/{m}/versions", query={"after": "1"}))

    # `{model}` spans segments; `%2F` works as well; `latest`.
    assert native_json(native(raw, "GET", "/models/" + m.replace("/", "%2F")))["name"] == m
    assert native_json(native(raw, "GET", f"/models/{m}/versions/latest"))["version"] == 2

    # Upstream: datasets resolved with their locations, parents recursively.
    up = native_json(native(raw, "GET", f"/models/{m}/aliases/production/lineage"))
    assert (up["version"], up["datasets"][0]["present"]) == (2, False) and "blob" not in up["datasets"][0]
    parent = up["parents"][0]
    assert (parent["model"], parent["version"]) == (m, 1)
    train = parent["datasets"][0]
    assert train["present"] is True and train["blob"]["md5"] == hashlib.md5(world.train).hexdigest()
    assert {"bucket": world.bucket, "key": "data/train.csv"} in train["locations"]
    down = native_json(native(raw, "GET", f"/lineage/datasets/md5%3A{hashlib.md5(world.train).hexdigest()}"))
    assert [(v["model"], v["version"], v["via"]) for v in down["versions"]] == [(m, 1, "direct"), (m, 2, f"{m}@1")]

    # Manifests of a version / an alias: listing entries keyed by file path, x-cairn-version.
    for path in (f"/models/{m}/versions/2/manifests", f"/models/{m}/aliases/production/manifests"):
        resp = native(raw, "GET", path)
        assert resp.status == 200 and resp.header("x-cairn-version") == "2", resp
        entries = parse_listing(resp.body)
        assert [k for k, _ in entries] == ["data/train.csv", "model.bin"]
        assert entries[0][1].sha256 == hashlib.sha256(world.train).digest()

    # Blob-only commits echo the entry's key and create no object.
    label = f"label-{uuid.uuid4().hex[:6]}"
    blobs = native_json(native(raw, "POST", f"/dedupe/sessions/{world.session}/blobs", keyed_manifest(label, world.manifest)))
    assert blobs == {"blobs": [{"key": label, "sha256": world.manifest.sha256.hex(), "md5": world.manifest.md5.hex(), "size": len(world.content)}]}
    blob = native(raw, "GET", f"/blobs/sha256/{world.manifest.sha256.hex()}")
    assert blob.status == 200 and blob.body == world.content

    # Registry times carry milliseconds (the schema's pattern), and a move's own `at` sent back as `?at=`
    # finds that move (the last one at or before it).
    moves = native_json(native(raw, "GET", history))["moves"]
    for move in moves:
        then = datetime.datetime.fromisoformat(move["at"].replace("Z", "+00:00"))
        expected = [x for x in moves if datetime.datetime.fromisoformat(x["at"].replace("Z", "+00:00")) <= then][-1].get("to")
        assert native_json(native(raw, "GET", history, query={"at": move["at"]}))["version_at"] == expected, (move, moves)


def test_registry_specifics(raw, spec, world):
    """create_model, protection changes in the history, reverse lineage by either digest."""
    ops = {(m, p): op for m, p, op in operations(spec)}
    m, V = world.model, "/api/v1/models/{model}/versions"
    train_md5, train_sha = hashlib.md5(world.train).hexdigest(), hashlib.sha256(world.train).hexdigest()

    # A version may create its model: without `create_model` an unknown model is 404 NoSuchModel.
    m2 = m + "-created"
    body = {"files": [{"path": "model.bin", "sha256": hashlib.sha256(world.weights).hexdigest()}],
            "lineage": {"datasets": [{"sha256": train_sha, "path": "train.csv"}]}}
    resp = call(raw, world, "POST", V, values={"model": m2}, body=json_body(body))
    check_response(spec, "POST", V, ops[("POST", V)], resp, want={404}, codes=("NoSuchModel",))
    for n in (1, 2):  # creates the model, then (it exists) adds a version
        resp = call(raw, world, "POST", V, values={"model": m2}, body=json_body({**body, "create_model": True}))
        created = check_response(spec, "POST", V, ops[("POST", V)], resp, want={201})
        assert (created["model"], created["version"]) == (m2, n), created
    model = native_json(native(raw, "GET", f"/models/{m2}"))
    assert (model["name"], model["latest_version"], model["description"], model["tags"]) == (m2, 2, "", {}), model

    # Reverse lineage: `m` v1 names the training set by md5, `m2` by sha256; the store holds the blob, so
    # either digest finds both (directly listing versions first, then derived ones).
    for digest in (f"md5%3A{train_md5}", f"sha256%3A{train_sha}"):
        down = check_response(spec, "GET", "/api/v1/lineage/datasets/{digest}", ops[("GET", "/api/v1/lineage/datasets/{digest}")],
                              native(raw, "GET", f"/lineage/datasets/{digest}"), want={200})
        assert down["dataset"] == urllib.parse.unquote(digest), down
        got = [(v["model"], v["version"], v["via"]) for v in down["versions"]]
        assert sorted(got[:3]) == sorted([(m, 1, "direct"), (m2, 1, "direct"), (m2, 2, "direct")]), got
        assert got[3:] == [(m, 2, f"{m}@1")], got
    # A sha256 the store lacks has no other digest: only what names it directly.
    unknown = native_json(native(raw, "GET", f"/lineage/datasets/sha256%3A{hashlib.sha256(os.urandom(8)).hexdigest()}"))
    assert unknown["versions"] == []

    # Protection needs an admin key but not `force`; a change on an unchanged version is recorded as a move
    # from == to (reason `protected` / `unprotected` unless one was given); a PUT that changes nothing is not.
    frozen = f"/models/{m}/aliases/frozen"
    for update in ({"version": 1, "protected": True}, {"version": 1}, {"version": 1, "protected": False},
                   {"version": 1, "protected": True}, {"version": 1, "protected": False, "reason": "thaw"},
                   {"version": 1, "protected": True, "reason": "release freeze"}):
        got = send_json(raw, "PUT", frozen, update)
        assert (got["version"], got["protected"]) == (1, update.get("protected", True)), (update, got)
    resp = call(raw, world, "PUT", ALIAS, values={"alias": "frozen"}, body=json_body({"version": 2, "protected": True}))
    check_response(spec, "PUT", ALIAS, ops[("PUT", ALIAS)], resp, want={403}, codes=("AliasProtected",))
    assert send_json(raw, "PUT", frozen, {"version": 2, "force": True})["protected"] is True
    moves = native_json(native(raw, "GET", frozen + "/history"))["moves"]
    assert [(x.get("from"), x.get("to"), x.get("reason")) for x in moves] == [
        (None, 1, None), (1, 1, "unprotected"), (1, 1, "protected"), (1, 1, "thaw"), (1, 1, "release freeze"), (1, 2, None)], moves


def test_maintenance_as_documented(raw, spec, world):
    """Status, collections (dry runs, and real ones with a day's grace: the session server is shared), scrub,
    fsck, and one job at a time."""
    ops = {(m, p): op for m, p, op in operations(spec)}
    STATUS, SCRUB, FSCK = "/api/v1/admin/status", "/api/v1/admin/scrub", "/api/v1/admin/fsck"

    def admin(method, template, query=None, want=frozenset({200})):
        return check_response(spec, method, template, ops[(method, template)], call(raw, world, method, template, query=query), want=set(want))

    # Durations: units and plain seconds; a dry run deletes nothing and is not kept as `last_gc`.
    before = admin("GET", STATUS).get("last_gc")
    graces = []  # (asked, reported, expected seconds): checked last
    for grace, seconds in (("2d", 172_800), ("1440m", 86_400), ("86400s", 86_400), ("90000", 90_000), ("1.5d", 129_600)):
        dry = admin("POST", GC, gc_query(("dry-run", "true"), grace=grace))
        assert dry["dry_run"] is True, dry
        graces.append((grace, dry["grace_seconds"], seconds))
        assert dry["freed_chunks"] == dry["freed_blobs"] == dry["packs_deleted"] == dry["packs_compacted"] == dry["chunks_moved"] == 0, dry
        assert dry["expired_sessions"] == dry["aborted_uploads"] == dry["pack_bytes_after"] == 0, dry
        assert dry["total_chunks"] >= len(world.manifest.chunks) and dry["grace_chunks"] + dry["candidate_chunks"] <= dry["total_chunks"], dry
    assert admin("GET", STATUS).get("last_gc") == before, "a dry run became last_gc"

    # A real collection with a day's grace frees nothing the world holds (its packs are young; the session
    # pins its chunks anyway); it becomes `last_gc`.
    real = admin("POST", GC, gc_query(("upload-max-age", "7d")))
    assert real["dry_run"] is False, real
    graces.append((SAFE_GRACE, real["grace_seconds"], 86_400))
    status = admin("GET", STATUS)
    assert status["last_gc"] == real, status
    blob = native(raw, "GET", f"/blobs/sha256/{hashlib.sha256(world.train).hexdigest()}")
    assert blob.status == 200 and blob.body == world.train, blob
    missing = native(raw, "POST", f"/dedupe/sessions/{world.session}/missing", b"".join(d for d, _ in world.manifest.chunks))
    assert missing.status == 200 and missing.body == b"", "a collection lost chunks a live session pins"

    scrub = admin("POST", SCRUB)
    assert scrub["chunks_checked"] >= len(world.manifest.chunks) and scrub["stored_bytes"] > 0 and scrub["raw_bytes"] > 0, scrub
    assert (scrub["corrupt"], scrub["quarantined"], scrub["affected_objects"], scrub["affected_versions"]) == ([], 0, [], []), scrub
    status = admin("GET", STATUS)
    assert status["last_scrub"] == scrub and "running" not in status, status
    assert status["store"]["chunks"] >= len(world.manifest.chunks) and status["store"]["buckets"] >= 1, status
    if "runs" in status:
        assert status["runs"].get("scrub", 0) >= 1 and status["runs"].get("garbage collection", 0) >= 6, status

    fsck = admin("POST", FSCK)
    assert fsck["consistent"] is True and fsck["problems"] == [] and fsck["rebuilt_chunks"] == 0, fsck
    assert fsck["versions"] >= 2 and fsck["objects"] >= 2 and fsck["packs"] >= 1, fsck

    # One job at a time: jobs that overlap answer 409 MaintenanceRunning. The overlap depends on timing, so
    # this only checks the answers are documented; at least one job of each round runs.
    jobs = [("POST", SCRUB, None), ("POST", FSCK, None), ("POST", GC, gc_query(("dry-run", "true")))] * 3
    busy = 0
    with ThreadPoolExecutor(len(jobs)) as pool:
        for _ in range(5):
            answers = list(pool.map(lambda j: call(raw, world, j[0], j[1], query=j[2]), jobs))
            for (method, template, _), resp in zip(jobs, answers):
                check_response(spec, method, template, ops[(method, template)], resp, want={200, 409},
                               codes=("MaintenanceRunning",) if resp.status == 409 else None)
            assert any(r.status == 200 for r in answers), answers
            busy += sum(r.status == 409 for r in answers)
            if busy:
                break

    # `grace_seconds` is the grace period the run used.
    assert all(reported == expected for _, reported, expected in graces), f"grace_seconds (asked, reported, expected): {graces}"


# Unknown values for path parameters, and the answer each gives.
UNKNOWN = {
    "model": ("t/oa-no-such-model", 404, ("NoSuchModel",)),
    "version": ("99", 404, ("NoSuchVersion",)),
    "alias": ("no-such-alias", 404, ("NoSuchAlias",)),
    "path": ("no/such/file.bin", 404, ("NoSuchFile",)),
    "session": ("0" * 32, 404, ("NoSuchSession",)),
    "bucket": (f"oa-no-such-bucket-{uuid.uuid4().hex[:8]}", 404, ("NoSuchBucket",)),
    "hex": (hashlib.sha256(b"cairn openapi: no such blob").hexdigest(), 404, ("NoSuchBlob",)),
    "digest": ("md5:xyz", 400, ("InvalidArgument",)),
}
# (method, path, parameter) -> the answer when that parameter is unknown, or None: not an error.
UNKNOWN_EXCEPTIONS = {
    ("DELETE", "/api/v1/dedupe/sessions/{session}", "session"): (204, None),  # deleting is idempotent
    ("PUT", ALIAS, "alias"): None,  # creates the alias
    ("DELETE", ALIAS, "alias"): (404, ("NoSuchAlias",)),
}


def test_unknown_path_parameters_give_documented_errors(raw, spec, world):
    for method, template, op in sweep_order(spec):
        for p in parameters(spec, template, op):
            if p["in"] != "path" or p["name"] not in UNKNOWN:
                continue
            value, status, codes = UNKNOWN[p["name"]]
            key = (method, template, p["name"])
            if key in UNKNOWN_EXCEPTIONS:
                if UNKNOWN_EXCEPTIONS[key] is None:
                    continue
                status, codes = UNKNOWN_EXCEPTIONS[key]
            resp = call(raw, world, method, template, values={p["name"]: value})
            check_response(spec, method, template, op, resp, want={status}, codes=codes)
    assert set(k[:2] for k in UNKNOWN_EXCEPTIONS) <= {(m, p) for m, p, _ in operations(spec)}


def test_known_bad_requests_give_documented_errors(raw, spec, world):
    ops = {(m, p): op for m, p, op in operations(spec)}
    V = "/api/v1/models/{model}/versions"
    one_file = [{"path": "model.bin", "bucket": world.bucket, "key": "w/model.bin"}]
    other = Manifest.of(os.urandom(5_000))[0]  # chunks never uploaded
    cases = [
        ("POST", "/api/v1/models", {}, None, json_body({"name": world.model}), 409, "Conflict"),
        ("POST", "/api/v1/models", {}, None, json_body({"name": "bad@name"}), 400, "InvalidModelName"),
        ("POST", "/api/v1/models", {}, None, (b"{not json", {}), 400, "InvalidRequest"),
        ("GET", "/api/v1/models", {}, {"limit": "0"}, None, 400, "InvalidArgument"),
        ("GET", "/api/v1/models", {}, {"tag": "no-colon"}, None, 400, "InvalidArgument"),
        ("GET", "/api/v1/models/{model}", {"model": "bad/.hidden"}, None, None, 400, "InvalidModelName"),
        ("POST", V, {}, None, json_body({"files": one_file, "version": 1}), 409, "Conflict"),
        ("POST", V, {}, None, json_body({"files": one_file, "version": 7}), 400, "InvalidRequest"),
        ("POST", V, {}, None, json_body({"files": []}), 400, "InvalidArgument"),
        ("POST", V, {}, None, json_body({"files": [{"path": "x", "bucket": world.bucket, "key": "nope"}]}), 404, "NoSuchKey"),
        ("POST", V, {}, None, json_body({"files": one_file, "metadata": {"big": "x" * 300_000}}), 413, "MetadataTooLarge"),
        ("POST", V, {}, None, json_body({"files": one_file, "lineage": {"parents": [{"model": world.model, "version": 9}]}}), 400, "InvalidRequest"),
        ("GET", V, {}, {"limit": "1001"}, None, 400, "InvalidArgument"),
        ("PUT", ALIAS, {"alias": "123"}, None, json_body({"version": 1}), 400, "InvalidAliasName"),
        ("PUT", ALIAS, {"alias": "staging"}, None, json_body({"version": 99}), 404, "NoSuchVersion"),
        ("PUT", ALIAS, {"alias": "staging"}, None, json_body({"reason": "no version"}), 400, "InvalidRequest"),
        ("GET", ALIAS + "/history", {}, {"at": "yesterday"}, None, 400, "InvalidArgument"),
        ("GET", "/api/v1/blobs/{algorithm}/{hex}", {"hex": "xyz"}, None, None, 400, "InvalidArgument"),
        ("GET", "/api/v1/blobs/{algorithm}/{hex}", {"algorithm": "crc32"}, None, None, 404, "NotFound"),
        ("GET", "/api/v1/models/{model}/versions/{version}/files/{path}", {}, None, None, 416, "InvalidRange"),
        ("GET", "/api/v1/dedupe/manifests/{bucket}", {}, {"max-keys": "-1"}, None, 400, "InvalidArgument"),
        ("POST", "/api/v1/dedupe/chunks", {}, None, bbody(other.chunks[0][0]), 409, "MissingChunks"),
        ("POST", "/api/v1/dedupe/chunks", {}, None, bbody(b"\0" * 31), 400, "InvalidRequest"),
        ("POST", "/api/v1/dedupe/sessions/{session}/missing", {}, None, bbody(b"\0" * 31), 400, "InvalidRequest"),
        ("POST", "/api/v1/dedupe/sessions/{session}/chunks", {}, None,
         bbody(chunk_frame(b"x" * 100, digest=hashlib.sha256(b"y").digest())), 400, "BadDigest"),
        ("POST", "/api/v1/dedupe/sessions/{session}/commit/{bucket}", {}, None, bbody(keyed_manifest("k", other)), 409, "MissingChunks"),
        ("POST", "/api/v1/dedupe/sessions/{session}/commit/{bucket}", {}, None, bbody(b""), 400, "InvalidRequest"),
        ("POST", "/api/v1/dedupe/sessions/{session}/blobs", {}, None, bbody(keyed_manifest("k", other)), 409, "MissingChunks"),
        # Refused before anything runs (and each would only be a dry run).
        ("POST", GC, {}, {"dry-run": "true", "grace": "soon"}, None, 400, "InvalidArgument"),
        ("POST", GC, {}, {"dry-run": "true", "grace": "-1d"}, None, 400, "InvalidArgument"),
        ("POST", GC, {}, {"dry-run": "true", "grace": SAFE_GRACE, "upload-max-age": "a week"}, None, 400, "InvalidArgument"),
        ("POST", GC, {}, {"dry-run": "true", "grace": SAFE_GRACE, "compact-below": "2"}, None, 400, "InvalidArgument"),
        ("POST", GC, {}, {"dry-run": "true", "grace": SAFE_GRACE, "compact-below": "half"}, None, 400, "InvalidArgument"),
    ]
    for method, template, values, query, body, status, code in cases:
        headers = {"Range": f"bytes={len(world.train) + 10}-"} if status == 416 else None
        resp = call(raw, world, method, template, values=values, query=query, body=body, headers=headers)
        err = check_response(spec, method, template, ops[(method, template)], resp, want={status}, codes=(code,))
        if code == "MissingChunks":
            assert err["error"]["missing"], err

    # A protected alias does not move or go without force.
    native_json(call(raw, world, "PUT", ALIAS, values={"alias": "guarded"}, body=json_body({"version": 1, "protected": True})))
    resp = call(raw, world, "PUT", ALIAS, values={"alias": "guarded"}, body=json_body({"version": 2}))
    check_response(spec, "PUT", ALIAS, ops[("PUT", ALIAS)], resp, want={403}, codes=("AliasProtected",))
    resp = call(raw, world, "DELETE", ALIAS, values={"alias": "guarded"}, query={})
    check_response(spec, "DELETE", ALIAS, ops[("DELETE", ALIAS)], resp, want={403}, codes=("AliasProtected",))


def test_anonymous_requests_are_refused_as_documented(raw, spec, world):
    for method, template, op in sweep_order(spec):
        public = op.get("security", spec.get("security")) == []
        resp = call(raw, world, method, template, sign=False)
        if public:
            check_response(spec, method, template, op, resp, want=success_codes(op))
        else:
            check_response(spec, method, template, op, resp, want={403}, codes=("AccessDenied",))


def test_undocumented_paths_answer_404(raw, spec, world):
    m = world.model
    for method, path in [
        ("GET", "/models/x/nonsense"),
        ("GET", f"/models/{m}/nonsense"),
        ("GET", f"/models/{m}/versions/1/nonsense"),
        ("GET", f"/models/{m}/aliases/production/nonsense"),
        ("DELETE", f"/models/{m}"),
        ("GET", "/nonsense"),
        ("GET", "/dedupe/sessions"),
        ("HEAD", "/openapi.json"),
        ("GET", "/admin"),
        ("GET", "/admin/gc"),
        ("POST", "/admin/status"),
        ("DELETE", "/admin/scrub"),
        ("POST", "/admin/fsck/now"),
        ("GET", "/admin/nonsense"),
    ]:
        resp = native(raw, method, path)
        assert resp.status == 404, f"{method} {path}: {resp!r}"
        if method != "HEAD":
            assert_valid(spec, {"$ref": "#/components/schemas/Error"}, json.loads(resp.body), f"{method} {path}")


@pytest.mark.needs_process
def test_key_roles_are_refused_as_documented(server_factory, tmp_path, spec):
    """A `read` key may only read (and fetch chunks); a `write` key may not force or protect aliases, nor run
    maintenance jobs; any key may read the status."""
    keys = tmp_path / "keys.txt"
    keys.write_text("oareader0000001 oareadersecret000000000001 read\noawriter0000001 oawritersecret000000000001 write\n")
    srv = server_factory.start("roles", keys_file=keys)
    ep = srv.endpoint()
    admin = RawS3(ep)
    s3 = make_client(ep)
    bucket = f"oa-roles-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    world = build_world(admin, s3, bucket)
    reader = RawS3(ep.with_keys("oareader0000001", "oareadersecret000000000001"))
    writer = RawS3(ep.with_keys("oawriter0000001", "oawritersecret000000000001"))
    for method, template, op in sweep_order(spec):
        resp = call(reader, world, method, template)
        if method in ("GET", "HEAD") or (method, template) == ("POST", "/api/v1/dedupe/chunks"):
            check_response(spec, method, template, op, resp, want=success_codes(op))
        else:
            check_response(spec, method, template, op, resp, want={403}, codes=("AccessDenied",))
    ops = {(m, p): op for m, p, op in operations(spec)}
    for body in ({"version": 1, "protected": True}, {"version": 1, "force": True}):
        resp = call(writer, world, "PUT", ALIAS, values={"alias": "staging"}, body=json_body(body))
        check_response(spec, "PUT", ALIAS, ops[("PUT", ALIAS)], resp, want={403}, codes=("AccessDenied",))
    resp = call(writer, world, "DELETE", ALIAS, query={"force": "true"})
    check_response(spec, "DELETE", ALIAS, ops[("DELETE", ALIAS)], resp, want={403}, codes=("AccessDenied",))
    resp = call(writer, world, "PUT", ALIAS, values={"alias": "staging"}, body=json_body({"version": 2, "reason": "writer"}))
    check_response(spec, "PUT", ALIAS, ops[("PUT", ALIAS)], resp, want={200})
    assert json.loads(resp.body)["updated_by"] == "oawriter0000001" != ACCESS_KEY
    for method, template in ADMIN_JOBS:
        resp = call(writer, world, method, template, query=gc_query(("dry-run", "true")) if template == GC else None)
        check_response(spec, method, template, ops[(method, template)], resp, want={403}, codes=("AccessDenied",))
    for key in (reader, writer):
        resp = call(key, world, "GET", "/api/v1/admin/status")
        check_response(spec, "GET", "/api/v1/admin/status", ops[("GET", "/api/v1/admin/status")], resp, want={200})
    # Only the admin key runs them.
    for method, template in ADMIN_JOBS:
        resp = call(admin, world, method, template, query=gc_query(("dry-run", "true")) if template == GC else None)
        check_response(spec, method, template, ops[(method, template)], resp, want={200})

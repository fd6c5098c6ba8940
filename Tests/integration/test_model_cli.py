"""The `cairn model` and `cairn lineage` commands against a real server (issue 4).

A small DVC project (prepare -> train, an S3 remote on the test server) is
reproduced three times; each `model/` output is registered with
`cairn model register --dvc-lock`, and the tests check what the registry made
of it: numbered versions, dataset lineage equal to the lock file's md5s and
resolved to the very objects `dvc push` wrote, alias history, pulls by alias
that fetch only what is missing, dedupe on register, protected aliases, key
roles (on a server of their own), bad input that changes nothing, and pulls
that each get one whole version while the alias flips under them.

Every model name carries a uuid: the session server is shared by the suite.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import random
import shutil
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import botocore
import pytest
import yaml

from harness import (
    ACCESS_KEY,
    KiB,
    MiB,
    RawS3,
    assert_client_error,
    assert_native_error,
    assert_no_object,
    cairn,
    cairn_binary,
    cairn_env,
    cairn_fails,
    cairn_json,
    dedupe_stats,
    dvc_remote_key,
    find_tool,
    list_all_keys,
    make_cli_env,
    make_client,
    native,
    native_json,
    needs_cli,
    partial_files,
    post_json,
    run,
    sha256_file,
    stats_delta,
    temp_bucket,
    tree_hashes,
)

pytestmark = needs_cli

DVC_PREFIX = "dvcstore"


# ---------------------------------------------------------------- running the CLI


def cairn_rejects(env, *args, **kwargs) -> str:
    """A command refused before anything is sent (bad local input), reported the
    documented way like any other error: exit status 1, one `error: …` line; returns it."""
    return cairn_fails(env, *args, **kwargs)


def now_iso() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def unique_model(prefix: str) -> str:
    return f"{prefix}/m-{uuid.uuid4().hex[:10]}"


# ---------------------------------------------------------------- registry via the API


def get_model(raw, name: str) -> dict | None:
    resp = native(raw, "GET", f"/models/{name}")
    if resp.status == 404:
        assert_native_error(resp, 404, "NoSuchModel")
        return None
    return native_json(resp)


def version_numbers(raw, name: str) -> list[int]:
    return [v["version"] for v in native_json(native(raw, "GET", f"/models/{name}/versions"))["versions"]]


def alias_doc(raw, name: str, alias: str) -> dict | None:
    resp = native(raw, "GET", f"/models/{name}/aliases/{alias}")
    if resp.status == 404:
        assert_native_error(resp, 404, "NoSuchAlias")
        return None
    return native_json(resp)


def moves(raw, name: str, alias: str) -> list[tuple]:
    resp = native(raw, "GET", f"/models/{name}/aliases/{alias}/history")
    if resp.status == 404:
        return []
    return [(m.get("from"), m.get("to"), m.get("by"), m.get("reason")) for m in native_json(resp)["moves"]]


def strip_cli_fields(version: dict) -> dict:
    return {k: v for k, v in version.items() if k not in ("transfer", "alias")}


# ---------------------------------------------------------------- data


def write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def make_model_dir(root: Path, seed: int, weights: int = 6 * MiB, extra: int = 2 * MiB) -> dict[str, str]:
    """weights.bin + extra/emb.bin (pseudo-random) + config.json; returns tree hashes."""
    rng = random.Random(seed)
    write_bytes(root / "weights.bin", rng.randbytes(weights))
    write_bytes(root / "extra" / "emb.bin", rng.randbytes(extra))
    write_bytes(root / "config.json", json.dumps({"seed": seed, "layers": 4}).encode())
    return tree_hashes(root)


def change_region(path: Path, offset: int, length: int, seed: int) -> None:
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(random.Random(seed).randbytes(length))


def tree_size(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


# ---------------------------------------------------------------- the DVC project

PREPARE_PY = '''\
"""Split the raw CSV into train/test halves (deterministic)."""
import os
import sys

src, out = sys.argv[1], sys.argv[2]
rows = open(src).read().splitlines()
header, body = rows[0], rows[1:]
os.makedirs(out, exist_ok=True)
half = len(body) // 2
for name, part in (("train.csv", body[:half]), ("test.csv", body[half:])):
    with open(os.path.join(out, name), "w") as f:
        f.write("\\n".join([header] + part) + "\\n")
'''

TRAIN_PY = '''\
"""A pretend training run: 4 MiB of weights from a fixed initialisation, one
8 KiB region "trained" from the data's hash and the params, and a meta.json."""
import hashlib
import json
import os
import random

import yaml

params = yaml.safe_load(open("params.yaml"))
h = hashlib.sha256()
for name in sorted(os.listdir("data/prepared")):
    h.update(name.encode() + b"\\0" + open(os.path.join("data/prepared", name), "rb").read())
data_hash = h.hexdigest()

weights = bytearray(random.Random(1234).randbytes(4 * 1024 * 1024))
tune = random.Random(f"{data_hash}:{params['lr']}:{params['net']['hidden']}")
offset = tune.randrange(0, len(weights) - 8192)
weights[offset:offset + 8192] = tune.randbytes(8192)

os.makedirs("model/tokenizer", exist_ok=True)
with open("model/weights.bin", "wb") as f:
    f.write(weights)
with open("model/tokenizer/vocab.txt", "w") as f:
    f.write("\\n".join(f"tok{i}" for i in range(500)) + "\\n")
loss = round(1.0 / (1 + int(data_hash[:6], 16) % 97) + float(params["lr"]), 6)
with open("model/meta.json", "w") as f:
    json.dump({"data_sha256": data_hash, "lr": params["lr"], "loss": loss}, f, sort_keys=True)
'''

DVC_YAML = """\
stages:
  prepare:
    cmd: python3 prepare.py raw/data.csv data/prepared
    deps:
    - prepare.py
    - raw/data.csv
    outs:
    - data/prepared
  train:
    cmd: python3 train.py
    deps:
    - data/prepared
    - train.py
    params:
    - lr
    - net
    outs:
    - model
"""


def raw_csv(seed: int, rows: int = 400) -> str:
    rng = random.Random(seed)
    lines = ["id,x,y,label"] + [
        f"{i},{rng.random():.6f},{rng.random():.6f},{rng.randrange(3)}" for i in range(rows)
    ]
    return "\n".join(lines) + "\n"


def params_yaml(lr: float) -> str:
    return f"lr: {lr}\nnet:\n  hidden: 8\n  act: relu\n"


def lock_datasets(lock: dict, stages: list[str]) -> set[tuple[str, str, str]]:
    """(md5, path, stage) for every dependency of `stages` in a parsed dvc.lock;
    a directory's md5 without its `.dir` suffix."""
    out = set()
    for stage in stages:
        for dep in lock["stages"][stage].get("deps", []):
            md5 = dep["md5"]
            out.add((md5[:-4] if md5.endswith(".dir") else md5, dep["path"], stage))
    return out


def lock_params(lock: dict, stages: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}

    def flatten(node, prefix):
        if isinstance(node, dict):
            for k, v in node.items():
                flatten(v, f"{prefix}.{k}" if prefix else k)
        else:
            out.setdefault(prefix, str(node))

    for stage in stages:
        for values in lock["stages"][stage].get("params", {}).values():
            flatten(values, "")
    return out


def dir_md5(lock: dict, stage: str, path: str) -> str:
    for dep in lock["stages"][stage]["deps"]:
        if dep["path"] == path:
            return dep["md5"]
    raise AssertionError(f"no dep {path} in stage {stage}: {lock}")


@dataclass
class DvcVersion:
    number: int
    stages: list[str]
    lock: dict
    commit: str
    snapshot: Path
    hashes: dict[str, str]
    registered: dict


@dataclass
class DvcModels:
    name: str
    repo: Path
    bucket: str
    versions: dict[int, DvcVersion] = field(default_factory=dict)
    before_first_move: str = ""
    t1: str = ""
    t2: str = ""


@pytest.fixture(scope="module")
def env(tmp_path_factory, server):
    return cairn_env(tmp_path_factory.mktemp("model-cli-home"), server)


@pytest.fixture(scope="module")
def dvc_bucket(s3):
    with temp_bucket(s3, "cairn-dvc-model") as name:
        yield name


@pytest.fixture(scope="module")
def dvc_models(tmp_path_factory, server, raw, env, dvc_bucket) -> DvcModels:
    """A git + DVC project reproduced three times (v2: new raw data, v3: new lr),
    each pushed to the DVC remote and registered; then `production` moved
    1 -> 2 -> 3 with times recorded between the moves."""
    base = tmp_path_factory.mktemp("dvc-model")
    dvc = find_tool("dvc")
    denv = make_cli_env(base / "home", server)
    repo = base / "repo"
    repo.mkdir()

    def sh(*args, timeout=600):
        return run(args, repo, denv, timeout=timeout).stdout

    sh("git", "init", "-q")
    sh("git", "config", "user.email", "test@example.invalid")
    sh("git", "config", "user.name", "Cairn Test")
    sh(dvc, "init", "-q")
    (repo / ".dvc" / "config").write_text(
        "[core]\n"
        "    remote = store\n"
        "    analytics = false\n"
        "    autostage = false\n"
        "    check_update = false\n"
        f"    site_cache_dir = {base / 'home' / 'dvc-site-cache'}\n"
        "['remote \"store\"']\n"
        f"    url = s3://{dvc_bucket}/{DVC_PREFIX}\n"
        f"    endpointurl = {server.url}\n"
    )
    (repo / ".dvc" / "config.local").write_text(
        "['remote \"store\"']\n"
        f"    access_key_id = {server.access_key}\n"
        f"    secret_access_key = {server.secret_key}\n"
    )
    (repo / "prepare.py").write_text(PREPARE_PY)
    (repo / "train.py").write_text(TRAIN_PY)
    (repo / "dvc.yaml").write_text(DVC_YAML)
    (repo / "raw").mkdir()

    models = DvcModels(unique_model("dvc"), repo, dvc_bucket)
    name = models.name
    plan = [
        # (version, raw data seed or None = unchanged, lr, stages given, extra register args)
        (1, 101, 0.1, ["train"], ["--param", "owner=ml-team"]),
        (2, 202, 0.1, [], ["--parent", f"{name}@1"]),
        (3, None, 0.05, ["prepare", "train"], ["--parent", f"{name}@2"]),
    ]
    for number, raw_seed, lr, stages, extra in plan:
        (repo / "params.yaml").write_text(params_yaml(lr))
        if raw_seed is not None:
            (repo / "raw" / "data.csv").write_text(raw_csv(raw_seed))
            sh(dvc, "add", "-q", "raw/data.csv")
        sh(dvc, "repro", "-q")
        sh(dvc, "push", "-q")
        sh("git", "add", "-A")
        sh("git", "commit", "-q", "-m", f"v{number}")
        commit = sh("git", "rev-parse", "HEAD").strip()
        lock = yaml.safe_load((repo / "dvc.lock").read_text())
        snapshot = base / "snapshots" / f"v{number}"
        shutil.copytree(repo / "model", snapshot)
        loss = json.loads((repo / "model" / "meta.json").read_text())["loss"]
        args = ["model", "register", name, "model", "--dvc-lock", "dvc.lock"]
        for s in stages:
            args += ["--stage", s]
        args += ["--git-commit", commit, "--git-repo", "https://example.invalid/demo.git", "--metric", f"loss={loss}"]
        registered = cairn_json(env, *args, *extra, cwd=repo)
        models.versions[number] = DvcVersion(
            number, stages or list(lock["stages"]), lock, commit, snapshot, tree_hashes(snapshot), registered
        )

    models.before_first_move = now_iso()
    time.sleep(0.3)
    cairn(env, "model", "alias", "set", name, "production", 1, "--reason", "first release")
    time.sleep(0.3)
    models.t1 = now_iso()
    time.sleep(0.3)
    cairn(env, "model", "alias", "set", name, "production", 2, "--reason", "new data")
    time.sleep(0.3)
    models.t2 = now_iso()
    time.sleep(0.3)
    cairn(env, "model", "alias", "set", name, "production", 3)
    return models


# ---------------------------------------------------------------- 1. DVC project, three versions


@pytest.mark.timeout(600)
def test_dvc_project_versions_lineage_and_alias_history(dvc_models, env, raw):
    m = dvc_models
    name = m.name
    listed = cairn_json(env, "model", "versions", name)
    assert [v["version"] for v in listed["versions"]] == [1, 2, 3]
    assert get_model(raw, name)["latest_version"] == 3

    data_md5s = set()
    for n, v in m.versions.items():
        reg = v.registered
        assert reg["model"] == name and reg["version"] == n, reg
        # The files are the model/ directory as DVC produced it, relative paths kept.
        assert {f["path"]: f["sha256"] for f in reg["files"]} == v.hashes
        assert set(v.hashes) == {"weights.bin", "meta.json", "tokenizer/vocab.txt"}
        sizes = {f["path"]: f["size"] for f in reg["files"]}
        assert sizes["weights.bin"] == 4 * MiB
        # Lineage: exactly the lock file's deps of the chosen stages, at that time.
        want = lock_datasets(v.lock, v.stages)
        got = {(d.get("md5"), d.get("path"), d.get("dvc_stage")) for d in reg["lineage"]["datasets"]}
        assert got == want, (n, got, want)
        assert len(reg["lineage"]["datasets"]) == len(want)
        # Params: the lock's params of those stages (flattened), plus --param.
        want_params = lock_params(v.lock, v.stages)
        assert want_params == {"lr": str(v.lock["stages"]["train"]["params"]["params.yaml"]["lr"]),
                               "net.hidden": "8", "net.act": "relu"}
        if n == 1:
            want_params["owner"] = "ml-team"
        assert reg["params"] == want_params, (n, reg["params"])
        assert reg["lineage"]["git"] == {"commit": v.commit, "repository": "https://example.invalid/demo.git"}
        assert reg["lineage"]["parents"] == ([] if n == 1 else [{"model": name, "version": n - 1}])
        meta = json.loads((v.snapshot / "meta.json").read_text())
        assert reg["metrics"] == {"loss": meta["loss"]}
        # The stored version is what register printed (minus the transfer summary).
        stored = cairn_json(env, "model", "show", f"{name}@{n}")
        assert stored == strip_cli_fields(reg)
        data_md5s.add(dir_md5(v.lock, "train", "data/prepared"))

    # v1 and v2 trained on different data; v3 on v2's data with another lr.
    lock1, lock2, lock3 = (m.versions[i].lock for i in (1, 2, 3))
    assert dir_md5(lock1, "train", "data/prepared") != dir_md5(lock2, "train", "data/prepared")
    assert dir_md5(lock2, "train", "data/prepared") == dir_md5(lock3, "train", "data/prepared")
    assert len(data_md5s) == 2
    assert m.versions[1].registered["params"]["lr"] == "0.1"
    assert m.versions[3].registered["params"]["lr"] == "0.05"
    # v1 named only the train stage; v2 (every stage) and v3 (--stage prepare --stage train) both.
    assert {d["dvc_stage"] for d in m.versions[1].registered["lineage"]["datasets"]} == {"train"}
    for n in (2, 3):
        assert {d["dvc_stage"] for d in m.versions[n].registered["lineage"]["datasets"]} == {"prepare", "train"}
        assert any(d["path"] == "raw/data.csv" for d in m.versions[n].registered["lineage"]["datasets"])
    assert m.versions[1].hashes["weights.bin"] != m.versions[2].hashes["weights.bin"] != m.versions[3].hashes["weights.bin"]

    # Alias history: every move, and the version named at any time.
    hist = cairn_json(env, "model", "alias", "history", name, "production")
    assert [(mv.get("from"), mv.get("to")) for mv in hist["moves"]] == [(None, 1), (1, 2), (2, 3)]
    assert [mv.get("reason") for mv in hist["moves"]] == ["first release", "new data", None]
    assert {mv["by"] for mv in hist["moves"]} == {ACCESS_KEY}
    for at, want in ((m.before_first_move, None), (m.t1, 1), (m.t2, 2), (now_iso(), 3)):
        doc = cairn_json(env, "model", "alias", "history", name, "production", "--at", at)
        assert doc["version_at"] == want, (at, doc)
        assert len(doc["moves"]) == 3
    text = cairn(env, "model", "alias", "history", name, "production", "--at", m.t1).stdout
    assert "version 1" in text, text
    text = cairn(env, "model", "alias", "history", name, "production", "--at", m.before_first_move).stdout
    assert "no version" in text, text
    shown = cairn_json(env, "model", "show", f"{name}@production")
    assert shown["version"] == 3
    assert native_json(native(raw, "GET", f"/models/{name}/versions/latest"))["version"] == 3


# ---------------------------------------------------------------- 2. lineage resolves to DVC's objects


def _check_dataset_entry(entry: dict, s3, bucket: str, md5: str, is_dir: bool) -> None:
    assert entry["present"] is True, entry
    blob = entry["blob"]
    assert blob["md5"] == md5, entry
    key = dvc_remote_key(DVC_PREFIX, md5 + (".dir" if is_dir else ""))
    locations = {(loc["bucket"], loc["key"]) for loc in entry["locations"]}
    assert (bucket, key) in locations, (key, entry)
    for b, k in locations:
        assert b == bucket and k.startswith(DVC_PREFIX + "/files/md5/"), entry
    # The named object is the dataset: its bytes hash to the md5 and the blob's sha256.
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    assert hashlib.md5(body).hexdigest() == md5
    assert hashlib.sha256(body).hexdigest() == blob["sha256"] and len(body) == blob["size"]
    if is_dir:  # DVC's directory listing: a JSON list of the directory's files
        listing = json.loads(body)
        assert sorted(e["relpath"] for e in listing) == ["test.csv", "train.csv"]


@pytest.mark.timeout(600)
def test_lineage_resolves_to_dvc_remote_objects(dvc_models, env, s3):
    m = dvc_models
    name = m.name
    up = cairn_json(env, "lineage", f"{name}@3")
    node = up
    for n in (3, 2, 1):
        v = m.versions[n]
        assert (node["model"], node["version"]) == (name, n), node
        assert node["git"]["commit"] == v.commit
        by_path = {d["dataset"]["path"]: d for d in node["datasets"]}
        assert set(by_path) == {p for _, p, _ in lock_datasets(v.lock, v.stages)}
        for md5, path, stage in lock_datasets(v.lock, v.stages):
            entry = by_path[path]
            assert entry["dataset"]["md5"] == md5 and entry["dataset"]["dvc_stage"] == stage
            if path == "data/prepared":
                _check_dataset_entry(entry, s3, m.bucket, md5, is_dir=True)
            elif path == "raw/data.csv":  # `dvc add`-ed and pushed as a plain object
                _check_dataset_entry(entry, s3, m.bucket, md5, is_dir=False)
            else:  # the scripts live in git, not in the store
                assert entry["present"] is False and entry["locations"] == [], entry
                assert entry.get("blob") is None
        if n > 1:
            assert [(p["model"], p["version"]) for p in node["parents"]] == [(name, n - 1)]
            node = node["parents"][0]
        else:
            assert node["parents"] == []

    # The text form names the same things.
    text = cairn(env, "lineage", f"{name}@production").stdout
    md5_3 = dir_md5(m.versions[3].lock, "train", "data/prepared")[:-4]
    assert f"{name}@3" in text and md5_3 in text and f"{name}@2" in text and f"{name}@1" in text, text

    # Downstream: v1's data was used directly by v1; v2 and v3 derive from it through --parent.
    md5_1 = dir_md5(m.versions[1].lock, "train", "data/prepared")[:-4]
    down = cairn_json(env, "lineage", "--dataset", f"md5:{md5_1}")
    assert down["dataset"] == f"md5:{md5_1}"
    assert sorted((v["model"], v["version"], v["via"]) for v in down["versions"]) == [
        (name, 1, "direct"), (name, 2, f"{name}@1"), (name, 3, f"{name}@2"),
    ]
    # v2's data: v2 and v3 both list it themselves.
    down = cairn_json(env, "lineage", "--dataset", f"md5:{md5_3}")
    assert sorted((v["model"], v["version"], v["via"]) for v in down["versions"]) == [
        (name, 2, "direct"), (name, 3, "direct"),
    ]
    # The raw data file of v2 (a prepare-stage dep): v2 and v3 registered every stage, so both list it.
    raw_md5_2 = dir_md5(m.versions[2].lock, "prepare", "raw/data.csv")
    down = cairn_json(env, "lineage", "--dataset", f"md5:{raw_md5_2}")
    assert sorted((v["model"], v["version"], v["via"]) for v in down["versions"]) == [
        (name, 2, "direct"), (name, 3, "direct"),
    ]
    # v1's raw data file: v1 registered only the train stage, so no version lists it.
    raw_md5_1 = dir_md5(m.versions[1].lock, "prepare", "raw/data.csv")
    assert cairn_json(env, "lineage", "--dataset", f"md5:{raw_md5_1}")["versions"] == []


# ---------------------------------------------------------------- 3. pull by alias


@pytest.mark.timeout(600)
def test_pull_by_alias_fetches_only_what_is_missing(dvc_models, env, raw, tmp_path):
    m = dvc_models
    name = m.name
    target = native_json(native(raw, "GET", f"/models/{name}/aliases/production"))["version"]
    assert target == 3
    want = m.versions[3].hashes
    logical = tree_size(m.versions[3].snapshot)

    # Into an empty directory, filling a fresh cache.
    dest, cache = tmp_path / "fresh", tmp_path / "cache"
    first = cairn_json(env, "model", "pull", f"{name}@production", dest, "--cache", cache)
    assert first["model"] == name and first["version"] == target, first
    assert tree_hashes(dest) == want
    assert first["files"] == len(want) and first["logical_bytes"] == logical, first
    assert first["bytes_received"] >= 0.9 * logical, first  # nothing local: (nearly) everything came over
    assert partial_files(dest) == []

    # Into a directory holding the previous version's files, no cache: only the changed region comes over.
    work = tmp_path / "work"
    shutil.copytree(m.versions[2].snapshot, work)
    before = dedupe_stats(raw)
    again = cairn_json(env, "model", "pull", f"{name}@production", work, "--no-cache")
    served = stats_delta(before, dedupe_stats(raw))
    print(f"pull over v2's files, no cache: {again}; served {served['wire_bytes_served']}")
    assert again["version"] == 3
    assert tree_hashes(work) == want
    assert again["bytes_received"] < 0.25 * logical, again
    assert served["wire_bytes_served"] < 0.25 * logical, served
    assert again["chunks_deduped"] > 0 and again["chunks_transferred"] > 0, again
    assert partial_files(work) == []

    # v1 into an empty directory with the cache warm from the v3 pull.
    dest1 = tmp_path / "v1"
    before = dedupe_stats(raw)
    warm = cairn_json(env, "model", "pull", f"{name}@1", dest1, "--cache", cache)
    served = stats_delta(before, dedupe_stats(raw))
    print(f"pull of v1 with the warm cache: {warm}; served {served['wire_bytes_served']}")
    assert warm["version"] == 1
    assert tree_hashes(dest1) == m.versions[1].hashes
    assert warm["bytes_received"] < 0.25 * logical, warm
    assert served["wire_bytes_served"] < 0.25 * logical, served

    # NAME alone is the latest version.
    latest = cairn_json(env, "model", "pull", name, tmp_path / "latest", "--no-cache")
    assert latest["version"] == 3 and tree_hashes(tmp_path / "latest") == want


# ---------------------------------------------------------------- 4. register dedupes


@pytest.mark.timeout(600)
def test_register_changed_copy_sends_little(env, raw, tmp_path):
    name = unique_model("dedupe")
    src = tmp_path / "m1"
    make_model_dir(src, seed=4001)
    logical = tree_size(src)
    first = cairn_json(env, "model", "register", name, src)
    assert first["version"] == 1
    t1 = first["transfer"]
    assert t1["files"] == 3 and t1["logical_bytes"] == logical, t1
    assert t1["bytes_sent"] >= 0.9 * logical, t1  # new random content must go over the wire

    copy = tmp_path / "m2"
    shutil.copytree(src, copy)
    change_region(copy / "weights.bin", 3 * MiB + 123, 4 * KiB, seed=4002)
    before = dedupe_stats(raw)
    second = cairn_json(env, "model", "register", name, copy)
    received = stats_delta(before, dedupe_stats(raw))
    print(f"register of the changed copy: {second['transfer']}; server received {received['wire_bytes_received']}")
    assert second["version"] == 2
    t2 = second["transfer"]
    assert t2["files"] == 3 and t2["logical_bytes"] == logical, t2
    assert t2["bytes_sent"] < 0.10 * logical, t2
    assert received["wire_bytes_received"] < 0.10 * logical, received
    assert 0 < t2["chunks_transferred"] <= 4, t2
    assert t2["chunks_deduped"] + t2["chunks_transferred"] == t2["chunks_total"], t2
    assert {f["path"]: f["sha256"] for f in second["files"]} == tree_hashes(copy)
    assert second["files"] != first["files"]

    # The stored v2 is the changed copy, byte for byte.
    back = tmp_path / "back"
    cairn(env, "model", "pull", f"{name}@2", back, "--no-cache", "--quiet")
    assert tree_hashes(back) == tree_hashes(copy)

    # A single file keeps its name; everything is already on the server.
    single = cairn_json(env, "model", "register", name, copy / "weights.bin")
    assert single["version"] == 3
    assert [(f["path"], f["sha256"]) for f in single["files"]] == [("weights.bin", sha256_file(copy / "weights.bin"))]
    assert single["transfer"]["chunks_transferred"] == 0, single["transfer"]


# ---------------------------------------------------------------- 5. immutability, protected aliases


@pytest.mark.timeout(600)
def test_versions_immutable_and_protected_alias(env, raw, tmp_path):
    name = unique_model("immut")
    a, b = tmp_path / "a", tmp_path / "b"
    write_bytes(a / "w.bin", os.urandom(200 * KiB))
    write_bytes(b / "w.bin", os.urandom(200 * KiB))
    v1 = cairn_json(env, "model", "register", name, a)
    v2 = cairn_json(env, "model", "register", name, b)
    assert (v1["version"], v2["version"]) == (1, 2)

    # Re-creating version 1 (other files, other metrics) is refused and changes nothing.
    b_sha = v2["files"][0]["sha256"]
    resp = post_json(raw, f"/models/{name}/versions",
                     {"version": 1, "files": [{"path": "w.bin", "sha256": b_sha}], "metrics": {"auc": 0.0}})
    assert_native_error(resp, 409, "Conflict")
    assert native_json(native(raw, "GET", f"/models/{name}/versions/1")) == strip_cli_fields(v1)
    assert get_model(raw, name)["latest_version"] == 2
    assert version_numbers(raw, name) == [1, 2]
    assert native_json(native(raw, "GET", f"/models/{name}/versions/latest"))["version"] == 2

    # A protected alias does not move or go away without --force.
    doc = cairn_json(env, "model", "alias", "set", name, "prod", 1, "--protect", "--reason", "launch")
    assert doc["version"] == 1 and doc["protected"] is True
    history = moves(raw, name, "prod")
    assert history == [(None, 1, ACCESS_KEY, "launch")]
    cairn_fails(env, "model", "alias", "set", name, "prod", 2, code="AliasProtected")
    cairn_fails(env, "model", "alias", "rm", name, "prod", code="AliasProtected")
    assert alias_doc(raw, name, "prod")["version"] == 1
    assert moves(raw, name, "prod") == history

    # With --force (the session key is an admin key) it moves, and the move is recorded.
    doc = cairn_json(env, "model", "alias", "set", name, "prod", 2, "--force", "--reason", "hotfix")
    assert doc["version"] == 2
    assert moves(raw, name, "prod") == history + [(1, 2, ACCESS_KEY, "hotfix")]
    assert cairn_json(env, "model", "show", f"{name}@prod")["version"] == 2

    # Re-pointing at its current version is no move: allowed, nothing recorded.
    cairn(env, "model", "alias", "set", name, "prod", 2)
    assert len(moves(raw, name, "prod")) == 2
    # Lifting the protection (an admin key, the alias not moving) needs no --force and is recorded;
    # then it moves without --force again, and rm removes it, recorded too.
    cairn(env, "model", "alias", "set", name, "prod", 2, "--unprotect")
    assert alias_doc(raw, name, "prod")["protected"] is False
    assert moves(raw, name, "prod")[-1] == (2, 2, ACCESS_KEY, "unprotected")
    cairn(env, "model", "alias", "set", name, "prod", 1)
    assert alias_doc(raw, name, "prod")["version"] == 1
    cairn(env, "model", "alias", "rm", name, "prod", "--reason", "retired")
    assert alias_doc(raw, name, "prod") is None
    last = moves(raw, name, "prod")[-1]
    assert (last[0], last[1], last[3]) == (1, None, "retired"), last


# ---------------------------------------------------------------- 6. key roles


ROLE_KEYS = {
    "admin": ("modeladmin", "modeladminsecret0123456789"),
    "write": ("modelwriter", "modelwritersecret012345678"),
    "read": ("modelreader", "modelreadersecret012345678"),
}


@pytest.mark.needs_process
@pytest.mark.timeout(600)
def test_key_roles(server_factory, tmp_path):
    keys = tmp_path / "keys"
    keys.write_text("# id secret role\n" + "".join(f"{i} {s} {role}\n" for role, (i, s) in ROLE_KEYS.items()))
    srv = server_factory.start("roles", keys_file=keys, access_key=ROLE_KEYS["admin"][0],
                               secret_key=ROLE_KEYS["admin"][1])
    ep = srv.endpoint()
    envs = {role: cairn_env(tmp_path / f"home-{role}", ep.with_keys(*k)) for role, k in ROLE_KEYS.items()}
    raw = RawS3(ep)  # admin
    src = tmp_path / "src"
    hashes = make_model_dir(src, seed=6001, weights=1 * MiB, extra=256 * KiB)
    reader, writer, admin = envs["read"], envs["write"], envs["admin"]
    name = "roles/model"

    # --- read key: registering fails and creates nothing
    line = cairn_fails(reader, "model", "register", "roles/new", src, code="AccessDenied")
    assert get_model(raw, "roles/new") is None, line
    cairn_fails(reader, "model", "create", "roles/new2", code="AccessDenied")
    assert get_model(raw, "roles/new2") is None
    v1 = cairn_json(admin, "model", "register", name, src, "--dataset", "md5:" + "ab" * 16)
    assert v1["version"] == 1 and v1["created_by"] == ROLE_KEYS["admin"][0]
    cairn_fails(reader, "model", "register", name, src, code="AccessDenied")
    assert get_model(raw, name)["latest_version"] == 1
    cairn_fails(reader, "model", "alias", "set", name, "staging", 1, code="AccessDenied")
    assert alias_doc(raw, name, "staging") is None

    # --- read key: show, pull, lineage, list work
    assert cairn_json(reader, "model", "show", f"{name}@1") == strip_cli_fields(v1)
    got = cairn_json(reader, "model", "pull", f"{name}@1", tmp_path / "pulled", "--no-cache")
    assert got["version"] == 1 and tree_hashes(tmp_path / "pulled") == hashes
    up = cairn_json(reader, "lineage", f"{name}@1")
    assert up["model"] == name and up["datasets"][0]["dataset"]["md5"] == "ab" * 16
    down = cairn_json(reader, "lineage", "--dataset", "md5:" + "ab" * 16)
    assert [(v["model"], v["version"]) for v in down["versions"]] == [(name, 1)]
    assert [x["name"] for x in cairn_json(reader, "model", "list", "--prefix", "roles/")["models"]] == [name]

    # --- read key on the S3 API: reads work, writes are refused and store nothing
    s3_admin, s3_read = make_client(ep), make_client(ep.with_keys(*ROLE_KEYS["read"]))
    s3_admin.create_bucket(Bucket="roles-bucket")
    s3_admin.put_object(Bucket="roles-bucket", Key="existing", Body=b"hello")
    assert s3_read.get_object(Bucket="roles-bucket", Key="existing")["Body"].read() == b"hello"
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        s3_read.put_object(Bucket="roles-bucket", Key="sneaky", Body=b"nope")
    assert_client_error(exc, 403, "AccessDenied")
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        s3_read.delete_object(Bucket="roles-bucket", Key="existing")
    assert_client_error(exc, 403, "AccessDenied")
    assert sorted(list_all_keys(s3_admin, "roles-bucket")) == ["existing"]
    assert_no_object(s3_admin, "roles-bucket", "sneaky")

    # --- write key: registers, moves unprotected aliases; no protection, no force
    change_region(src / "weights.bin", 1000, 100, seed=6002)
    v2 = cairn_json(writer, "model", "register", name, src)
    assert v2["version"] == 2 and v2["created_by"] == ROLE_KEYS["write"][0]
    doc = cairn_json(writer, "model", "alias", "set", name, "staging", 2)
    assert doc["version"] == 2 and doc["protected"] is False and doc["updated_by"] == ROLE_KEYS["write"][0]
    cairn_fails(writer, "model", "alias", "set", name, "staging", 1, "--protect", code="AccessDenied")
    assert alias_doc(raw, name, "staging")["version"] == 2
    assert alias_doc(raw, name, "staging")["protected"] is False

    cairn(admin, "model", "alias", "set", name, "production", 1, "--protect")
    history = moves(raw, name, "production")
    assert history == [(None, 1, ROLE_KEYS["admin"][0], None)]
    cairn_fails(writer, "model", "alias", "set", name, "production", 2, code="AliasProtected")
    cairn_fails(writer, "model", "alias", "set", name, "production", 2, "--force", code="AccessDenied")
    cairn_fails(writer, "model", "alias", "rm", name, "production", "--force", code="AccessDenied")
    cairn_fails(writer, "model", "alias", "set", name, "production", 1, "--unprotect", code="AccessDenied")
    doc = alias_doc(raw, name, "production")
    assert doc["version"] == 1 and doc["protected"] is True
    assert moves(raw, name, "production") == history

    # --- admin key: --force moves it
    cairn(admin, "model", "alias", "set", name, "production", 2, "--force", "--reason", "admin override")
    assert alias_doc(raw, name, "production")["version"] == 2
    assert moves(raw, name, "production") == history + [(1, 2, ROLE_KEYS["admin"][0], "admin override")]
    assert get_model(raw, name)["latest_version"] == 2


# ---------------------------------------------------------------- 7. bad input changes nothing


@pytest.mark.timeout(600)
def test_bad_input_changes_nothing(env, raw, tmp_path):
    name = unique_model("bad")
    src = tmp_path / "src"
    write_bytes(src / "w.bin", os.urandom(100 * KiB))
    v1 = cairn_json(env, "model", "register", name, src)
    assert v1["version"] == 1

    def unchanged():
        assert get_model(raw, name)["latest_version"] == 1
        assert version_numbers(raw, name) == [1]
        assert native_json(native(raw, "GET", f"/models/{name}/aliases"))["aliases"] == []

    missing = f"nope-{uuid.uuid4().hex[:8]}/x"
    cairn_fails(env, "model", "show", missing, code="NoSuchModel")
    cairn_fails(env, "model", "versions", missing, code="NoSuchModel")
    cairn_fails(env, "model", "show", f"{name}@7", code="NoSuchVersion")
    cairn_fails(env, "model", "create", "bad@name", code="InvalidModelName")
    cairn_fails(env, "model", "register", "bad@name", src, code="InvalidModelName")
    cairn_fails(env, "model", "create", name, code="Conflict")

    # Unknown alias / version: nothing written at the destination.
    for ref, code in ((f"{name}@nosuch", "NoSuchAlias"), (f"{name}@9", "NoSuchVersion")):
        dest = tmp_path / f"dest-{code}"
        cairn_fails(env, "model", "pull", ref, dest, code=code)
        assert not dest.exists() or list(dest.iterdir()) == [], list(dest.rglob("*"))
    cairn_fails(env, "lineage", f"{name}@nosuch", code="NoSuchAlias")
    line = cairn_fails(env, "model", "alias", "set", name, "prod", 9, code="NoSuchVersion")
    assert "version 9" in line.lower(), line
    line = cairn_fails(env, "model", "alias", "rm", name, "prod", code="NoSuchAlias")
    assert "prod" in line, line
    cairn_fails(env, "model", "alias", "set", name, "Bad Alias", 1, code="InvalidAliasName")
    cairn_fails(env, "model", "alias", "history", name, "prod", code="NoSuchAlias")
    assert partial_files(tmp_path) == []

    line = cairn_fails(env, "lineage", "--dataset", "md5:xyz")
    assert "md5:xyz" in line, line

    # Oversize metadata: 3 x 100 KiB (one argument may not exceed 128 KiB on Linux).
    big = "x" * (100 * KiB)
    cairn_fails(env, "model", "register", name, src, "--meta", f"a={big}", "--meta", f"b={big}",
                "--meta", f"c={big}", code="MetadataTooLarge")
    unchanged()
    cairn_fails(env, "model", "register", name, src, "--parent", f"{name}@99")
    unchanged()

    # --dvc-lock problems are found before anything is sent.
    lock = tmp_path / "dvc.lock"
    lock.write_text(
        "schema: '2.0'\nstages:\n  train:\n    cmd: python3 train.py\n    deps:\n"
        "    - path: data\n      md5: 0123456789abcdef0123456789abcdef.dir\n      size: 10\n      nfiles: 1\n"
    )
    err = cairn_rejects(env, "model", "register", name, src, "--dvc-lock", tmp_path / "missing.lock")
    assert "missing.lock" in err, err
    err = cairn_rejects(env, "model", "register", name, src, "--dvc-lock", lock, "--stage", "nosuch")
    assert "nosuch" in err, err
    bad_lock = tmp_path / "bad.lock"
    bad_lock.write_text("stages:\n  train:\n    deps:\n    - path: data\n      md5: zzz\n")
    err = cairn_rejects(env, "model", "register", name, src, "--dvc-lock", bad_lock)
    assert "zzz" in err, err
    err = cairn_rejects(env, "model", "register", name, src, "--metric", "auc=high")
    assert "auc" in err, err
    err = cairn_rejects(env, "model", "register", name, src, "--dataset", "md5:123")
    assert "md5:123" in err, err
    err = cairn_rejects(env, "model", "register", name, tmp_path / "no-such-dir")
    assert "no-such-dir" in err, err
    unchanged()

    # The good lock file does register (the same command line minus the mistake).
    ok = cairn_json(env, "model", "register", name, src, "--dvc-lock", lock, "--stage", "train")
    assert ok["version"] == 2
    assert ok["lineage"]["datasets"] == [
        {"md5": "0123456789abcdef0123456789abcdef", "path": "data", "dvc_stage": "train"}
    ]


@pytest.mark.timeout(600)
def test_rejected_registration_creates_no_model(env, raw, tmp_path):
    """`model register` creates a missing model, but not when the registration fails."""
    src = tmp_path / "src"
    write_bytes(src / "w.bin", os.urandom(50 * KiB))
    (tmp_path / "empty").mkdir()
    big = "x" * (100 * KiB)
    cases = {
        "oversize metadata": ([src, "--meta", f"a={big}", "--meta", f"b={big}", "--meta", f"c={big}"],
                              "MetadataTooLarge"),
        "unknown parent": ([src, "--parent", f"nope-{uuid.uuid4().hex[:8]}/x@1"], "InvalidRequest"),
        "empty directory": ([tmp_path / "empty"], None),
        "missing path": ([tmp_path / "no-such-dir"], None),
    }
    left_behind = []
    for what, (args, code) in cases.items():
        name = unique_model("rejected")
        cairn_fails(env, "model", "register", name, *args, code=code)
        if get_model(raw, name) is not None:
            left_behind.append(f"{what}: {name}")
    assert not left_behind, f"failed registrations left empty models behind: {left_behind}"
    assert partial_files(tmp_path) == []


# ---------------------------------------------------------------- 8. concurrent pulls, moving alias


@pytest.mark.timeout(600)
def test_concurrent_pulls_while_alias_moves(env, raw, tmp_path):
    name = unique_model("flip")
    hashes = {
        1: make_model_dir(tmp_path / "A", seed=8001),
        2: make_model_dir(tmp_path / "B", seed=8002),
    }
    assert set(hashes[1]) == set(hashes[2]) and all(hashes[1][k] != hashes[2][k] for k in hashes[1])
    assert cairn_json(env, "model", "register", name, tmp_path / "A")["version"] == 1
    assert cairn_json(env, "model", "register", name, tmp_path / "B")["version"] == 2
    cairn(env, "model", "alias", "set", name, "production", 1)

    stop = threading.Event()
    flips: list[int] = []
    errors: list[str] = []

    def flipper():
        current = 1
        while not stop.is_set():
            current = 3 - current
            resp = post_json(raw, f"/models/{name}/aliases/production", {"version": current}, method="PUT")
            if resp.status != 200:
                errors.append(repr(resp))
                return
            flips.append(current)
            time.sleep(0.05)

    thread = threading.Thread(target=flipper, daemon=True)
    thread.start()
    procs = []
    try:
        for i in range(20):
            dest = tmp_path / "pulls" / f"d{i:02d}"
            opts = ["--no-cache"] if i % 2 else ["--cache", tmp_path / "caches" / f"c{i:02d}"]
            cmd = [str(cairn_binary()), "model", "pull", f"{name}@production", str(dest), "--json", "--quiet",
                   *map(str, opts)]
            out, err = open(tmp_path / f"pull{i:02d}.out", "w+"), open(tmp_path / f"pull{i:02d}.err", "w+")
            procs.append((dest, subprocess.Popen(cmd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL), out, err))
            time.sleep(0.03)  # spread the alias resolutions over several flips
        for _, proc, _, _ in procs:
            proc.wait(timeout=300)
    finally:
        stop.set()
        thread.join(10)
        for _, proc, out, err in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert not errors, errors
    assert len(flips) >= 5, f"the alias moved only {len(flips)} times during the pulls"

    seen, versions = set(), []
    for dest, proc, out, err in procs:
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
        out.close()
        err.close()
        assert proc.returncode == 0, f"{dest}: exit {proc.returncode}\n{stderr[-2000:]}"
        summary = json.loads(stdout)
        version = summary["version"]
        assert version in (1, 2), summary
        assert summary["model"] == name
        got = tree_hashes(dest)
        assert got == hashes[version], f"{dest} holds a mix or partial files (JSON says v{version}): {got}"
        assert partial_files(dest) == []
        assert summary["files"] == 3 and summary["logical_bytes"] == tree_size(dest), summary
        seen.add(version)
        versions.append(version)
    print(f"{len(flips)} alias moves during the pulls; versions pulled: {sorted(versions)}")
    assert seen == {1, 2}, f"every pull got version {seen}: the alias flips did not interleave"


def test_names_as_people_and_mlflow_write_them(env, raw, tmp_path):
    """Upper case, spaces and dots in model names and aliases, shown as given by the CLI and the API."""
    import urllib.parse

    name = f"Team {uuid.uuid4().hex[:8]}/Fraud Detector.v2"
    src = tmp_path / "model"
    write_bytes(src / "MLmodel", b"flavors: {}\n")
    write_bytes(src / "weights.bin", os.urandom(300 * KiB))
    v1 = cairn_json(env, "model", "register", name, src)
    assert (v1["model"], v1["version"]) == (name, 1)
    cairn(env, "model", "alias", "set", name, "Champion", 1)
    shown = cairn_json(env, "model", "show", f"{name}@Champion")
    assert (shown["model"], shown["version"]) == (name, 1)
    out = tmp_path / "pulled"
    cairn(env, "model", "pull", f"{name}@Champion", out)
    assert tree_hashes(out) == tree_hashes(src)
    # The API names it percent-encoded in the path, and lists it as given.
    path = urllib.parse.quote(name, safe="/")
    assert native_json(native(raw, "GET", f"/models/{path}/aliases/Champion"))["version"] == 1
    listed = native_json(native(raw, "GET", "/models", query={"prefix": name.split("/")[0]}))["models"]
    assert [m["name"] for m in listed] == [name]
    # Names that could not be told apart from a reference, or that hide characters, are refused.
    for bad in (name + "@x", " " + name, name + "\u202e"):
        cairn_fails(env, "model", "register", bad, src, code="InvalidModelName")
    cairn_fails(env, "model", "alias", "set", name, "two words", 1, code="InvalidAliasName")

"""The model registry's JSON API (issue 4, first part): models, immutable versions, aliases with history,
file downloads by alias (also with plain `curl --aws-sigv4`), and clear JSON errors that change nothing."""

from __future__ import annotations

import datetime
import hashlib
import os
import shutil
import subprocess
import time
import uuid

import pytest

from harness import ACCESS_KEY, REGION, SECRET_KEY, assert_native_error, native, native_json, post_json


@pytest.fixture
def model(raw, s3, bucket):
    """A fresh model whose files are two objects of `bucket`."""
    name = f"team/m-{uuid.uuid4().hex[:8]}"
    weights = os.urandom(300_000)
    s3.put_object(Bucket=bucket, Key="w/model.pkl", Body=weights)
    s3.put_object(Bucket=bucket, Key="w/config.json", Body=b'{"layers": 3}')
    doc = native_json(post_json(raw, "/models", {"name": name, "description": "demo", "tags": {"task": "cls"}}), 201)
    assert doc["name"] == name and doc["latest_version"] == 0 and doc["tags"] == {"task": "cls"}
    return {"name": name, "bucket": bucket, "weights": weights}


def new_version(raw, model, **extra):
    files = [{"path": "model.pkl", "bucket": model["bucket"], "key": "w/model.pkl"},
             {"path": "cfg/config.json", "bucket": model["bucket"], "key": "w/config.json"}]
    return post_json(raw, f"/models/{model['name']}/versions", {"files": files, **extra})


def test_versions_are_numbered_and_immutable(raw, model):
    v1 = native_json(new_version(raw, model, metrics={"auc": 0.91}, params={"lr": "0.1"}), 201)
    assert v1["version"] == 1 and v1["metrics"] == {"auc": 0.91}
    pkl = next(f for f in v1["files"] if f["path"] == "model.pkl")
    assert pkl["sha256"] == hashlib.sha256(model["weights"]).hexdigest()
    assert pkl["md5"] == hashlib.md5(model["weights"]).hexdigest() and pkl["size"] == len(model["weights"])
    v2 = native_json(new_version(raw, model, version=2), 201)
    assert v2["version"] == 2
    # Creating a version that exists answers 409 and changes nothing.
    assert_native_error(new_version(raw, model, version=2, metrics={"auc": 0.0}), 409, "Conflict")
    again = native_json(native(raw, "GET", f"/models/{model['name']}/versions/2"))
    assert again == v2
    listed = native_json(native(raw, "GET", f"/models/{model['name']}/versions"))
    assert [v["version"] for v in listed["versions"]] == [1, 2]
    assert native_json(native(raw, "GET", f"/models/{model['name']}"))["latest_version"] == 2


def test_aliases_move_with_history_and_protection(raw, model):
    for _ in range(3):
        native_json(new_version(raw, model), 201)
    base = f"/models/{model['name']}/aliases/production"
    native_json(post_json(raw, base, {"version": 1, "reason": "launch"}, method="PUT"))
    time.sleep(0.05)
    between = datetime.datetime.now(datetime.timezone.utc)
    time.sleep(0.05)
    native_json(post_json(raw, base, {"version": 2, "protected": True}, method="PUT"))
    # A protected alias does not move without force.
    assert_native_error(post_json(raw, base, {"version": 3}, method="PUT"), 403, "AliasProtected")
    assert_native_error(native(raw, "DELETE", base), 403, "AliasProtected")
    assert native_json(native(raw, "GET", base))["version"] == 2
    native_json(post_json(raw, base, {"version": 3, "force": True, "reason": "rollout"}, method="PUT"))

    history = native_json(native(raw, "GET", base + "/history"))
    assert [(m.get("from"), m.get("to")) for m in history["moves"]] == [(None, 1), (1, 2), (2, 3)]
    assert history["moves"][0]["reason"] == "launch" and history["moves"][0]["by"] == ACCESS_KEY
    at = between.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    assert native_json(native(raw, "GET", base + "/history", query={"at": at}))["version_at"] == 1
    assert native_json(native(raw, "GET", base + "/history", query={"at": "2000-01-01T00:00:00Z"}))["version_at"] is None
    assert native_json(native(raw, "GET", base + "/version"))["version"] == 3


def test_files_download_by_alias_with_range(raw, model, server):
    native_json(new_version(raw, model), 201)
    native_json(post_json(raw, f"/models/{model['name']}/aliases/production", {"version": 1}, method="PUT"))
    path = f"/models/{model['name']}/aliases/production/files/model.pkl"
    resp = native(raw, "GET", path)
    assert resp.status == 200 and resp.body == model["weights"]
    assert resp.header("ETag") == '"%s"' % hashlib.sha256(model["weights"]).hexdigest()
    part = native(raw, "GET", path, headers={"Range": "bytes=10-19"})
    assert part.status == 206 and part.body == model["weights"][10:20]
    nested = native(raw, "GET", f"/models/{model['name']}/versions/1/files/cfg/config.json")
    assert nested.status == 200 and nested.body == b'{"layers": 3}'
    assert_native_error(native(raw, "GET", f"/models/{model['name']}/aliases/production/files/nope.bin"), 404, "NoSuchFile")

    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("curl not installed")
    out = subprocess.run([curl, "-sf", "--aws-sigv4", f"aws:amz:{REGION}:s3", "--user", f"{ACCESS_KEY}:{SECRET_KEY}",
                          server.url + "/api/v1" + path], capture_output=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout == model["weights"]


def test_bad_input_gets_json_errors_and_changes_nothing(raw, model):
    name = model["name"]
    assert_native_error(post_json(raw, "/models", {"name": "bad@name"}), 400, "InvalidModelName")
    assert_native_error(post_json(raw, "/models", {"name": "a/versions/b"}), 400, "InvalidModelName")
    assert_native_error(post_json(raw, "/models", {"name": name}), 409, "Conflict")
    assert_native_error(native(raw, "POST", "/models", b"{not json"), 400, "InvalidRequest")
    assert_native_error(native(raw, "GET", "/models/team/no-such-model"), 404, "NoSuchModel")
    assert_native_error(native(raw, "GET", f"/models/{name}/versions/7"), 404, "NoSuchVersion")
    assert_native_error(native(raw, "GET", f"/models/{name}/aliases/nope"), 404, "NoSuchAlias")
    bad_digest = {"files": [{"path": "x", "sha256": "xyz"}]}
    assert_native_error(post_json(raw, f"/models/{name}/versions", bad_digest), 400)
    unknown_blob = {"files": [{"path": "x", "sha256": "ab" * 32}]}
    assert_native_error(post_json(raw, f"/models/{name}/versions", unknown_blob), 400, "InvalidRequest")
    bad_dataset = {"files": [{"path": "x", "bucket": model["bucket"], "key": "w/model.pkl"}], "lineage": {"datasets": [{"md5": "123"}]}}
    assert_native_error(post_json(raw, f"/models/{name}/versions", bad_dataset), 400)
    unsafe = {"files": [{"path": "../x", "bucket": model["bucket"], "key": "w/model.pkl"}]}
    assert_native_error(post_json(raw, f"/models/{name}/versions", unsafe), 400)
    huge = {"files": [{"path": "x", "bucket": model["bucket"], "key": "w/model.pkl"}], "metadata": {"blob": "x" * 300_000}}
    assert_native_error(post_json(raw, f"/models/{name}/versions", huge), 413, "MetadataTooLarge")
    assert_native_error(post_json(raw, f"/models/{name}/aliases/production", {"version": 9}, method="PUT"), 404)
    assert_native_error(post_json(raw, f"/models/{name}/aliases/123", {"version": 1}, method="PUT"), 400)
    # Nothing above created a version or an alias.
    assert native_json(native(raw, "GET", f"/models/{name}"))["latest_version"] == 0
    assert native_json(native(raw, "GET", f"/models/{name}/aliases"))["aliases"] == []


def test_models_list_by_prefix_and_tag(raw):
    prefix = f"proj-{uuid.uuid4().hex[:6]}/"
    for i, task in enumerate(["cls", "det", "cls"]):
        native_json(post_json(raw, "/models", {"name": f"{prefix}m{i}", "tags": {"task": task}}), 201)
    page = native_json(native(raw, "GET", "/models", query={"prefix": prefix, "tag": "task:cls"}))
    assert [m["name"] for m in page["models"]] == [f"{prefix}m0", f"{prefix}m2"]
    first = native_json(native(raw, "GET", "/models", query={"prefix": prefix, "limit": "2"}))
    assert len(first["models"]) == 2 and first["next"] == f"{prefix}m1"
    rest = native_json(native(raw, "GET", "/models", query={"prefix": prefix, "after": first["next"]}))
    assert [m["name"] for m in rest["models"]] == [f"{prefix}m2"] and rest.get("next") is None


def test_lineage_upstream_and_downstream(raw, s3, bucket):
    base, tuned = f"lin/base-{uuid.uuid4().hex[:6]}", f"lin/tuned-{uuid.uuid4().hex[:6]}"
    train, extra, weights = os.urandom(70_000), os.urandom(50_000), os.urandom(20_000)
    s3.put_object(Bucket=bucket, Key="data/train.csv", Body=train)
    s3.put_object(Bucket=bucket, Key="data/extra.csv", Body=extra)
    s3.put_object(Bucket=bucket, Key="w.bin", Body=weights)
    train_md5, extra_sha = hashlib.md5(train).hexdigest(), hashlib.sha256(extra).hexdigest()
    unknown_md5 = hashlib.md5(os.urandom(8)).hexdigest()
    files = [{"path": "w.bin", "bucket": bucket, "key": "w.bin"}]
    for name in (base, tuned):
        native_json(post_json(raw, "/models", {"name": name}), 201)
    native_json(post_json(raw, f"/models/{base}/versions", {"files": files, "lineage": {
        "datasets": [{"md5": train_md5, "path": "data/train.csv", "dvc_stage": "train"}, {"md5": unknown_md5}],
        "runs": [{"id": "run-7"}], "git": {"commit": "abc123"}}}), 201)
    native_json(post_json(raw, f"/models/{base}/versions", {"files": files}), 201)
    native_json(post_json(raw, f"/models/{tuned}/versions", {"files": files, "lineage": {
        "datasets": [{"sha256": extra_sha}], "parents": [{"model": base, "version": 1}]}}), 201)
    native_json(post_json(raw, f"/models/{tuned}/aliases/production", {"version": 1}, method="PUT"))

    up = native_json(native(raw, "GET", f"/models/{tuned}/aliases/production/lineage"))
    assert up["model"] == tuned and up["version"] == 1
    assert up["datasets"][0]["present"] is True and up["datasets"][0]["blob"]["size"] == len(extra)
    assert up["datasets"][0]["blob"]["md5"] == hashlib.md5(extra).hexdigest()
    parent = up["parents"][0]
    assert (parent["model"], parent["version"]) == (base, 1)
    assert parent["runs"] == [{"id": "run-7"}] and parent["git"]["commit"] == "abc123"
    by_md5 = {d["dataset"].get("md5"): d for d in parent["datasets"]}
    assert by_md5[train_md5]["present"] is True and by_md5[train_md5]["blob"]["sha256"] == hashlib.sha256(train).hexdigest()
    assert by_md5[train_md5]["dataset"]["dvc_stage"] == "train"
    assert by_md5[unknown_md5]["present"] is False and by_md5[unknown_md5].get("blob") is None

    down = native_json(native(raw, "GET", f"/lineage/datasets/md5%3A{train_md5}"))
    assert [(v["model"], v["version"], v["via"]) for v in down["versions"]] == [(base, 1, "direct"), (tuned, 1, f"{base}@1")]
    only_tuned = native_json(native(raw, "GET", f"/lineage/datasets/sha256%3A{extra_sha}"))
    assert [(v["model"], v["version"]) for v in only_tuned["versions"]] == [(tuned, 1)]
    assert native_json(native(raw, "GET", f"/lineage/datasets/md5%3A{'0' * 32}"))["versions"] == []
    assert_native_error(native(raw, "GET", "/lineage/datasets/md5%3Axyz"), 400)

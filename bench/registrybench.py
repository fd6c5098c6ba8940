#!/usr/bin/env python3
"""registrybench: the model registry (issue 4's bar) against MLflow's model registry.

Starts its own `cairn serve` (temp data dir, free loopback port, random keys) and, if MLflow is
installed in the bench venv, an `mlflow server` on SQLite beside it, and runs:

  populate     1,000 models x 100 versions (files name a handful of small blobs by sha256, so a
               version is metadata only), alias `production` on each model; many concurrent
               keep-alive connections from several client processes; versions created per second
  alias-reads  GET /api/v1/models/NAME/aliases/production/version (alias resolution + version
               metadata in one request) for random models, C client processes x T keep-alive
               connections, ~10 s; then GET /api/v1/models/NAME/versions/N likewise. Requests/s,
               p50/p99, client CPU and the server's CPU per request (server capacity per core)
  lineage      a chain of 10 versions, each listing 50 datasets (md5s of objects in a bucket) and
               the previous version as parent; GET .../versions/10/lineage 500 times: p50/p99
  pulls        `cairn model register` of a 1 GiB model, then `cairn model pull NAME@production DIR
               --no-cache` 3 times (median), then 20 at once; wall times, ratio, sha256 of every file
  mlflow       the peer: the same populate (time-boxed) and read workloads against `mlflow server`
               (GET /api/2.0/mlflow/registered-models/alias, .../model-versions/get); MLflow has
               no lineage query and no pull of a model's files through its registry API

and prints a markdown table with the targets. See bench/README.md. Not part of CI.
"""

import argparse
import atexit
import hashlib
import json
import multiprocessing as mp
import os
import random
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from array import array

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
# SigV4 signer (cross-checked against botocore by s3bench) and its raw keep-alive HTTP/1.1 client.
from s3bench import (CLK_TCK, Conn, HTTPStatusError, Signer, _die_with_parent, canonical_query,  # noqa: E402
                     free_port, machine_busy_seconds, uri_encode)

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30
REGION = "us-east-1"
WORKLOADS = ["populate", "alias-reads", "lineage", "pulls", "mlflow"]

FULL = dict(models=1000, versions=100, read_seconds=10.0, lineage_chain=10, lineage_datasets=50,
            lineage_requests=500, pull_mib=1024, pull_n=20, pull_single_runs=3, mlflow_timebox=120.0)
QUICK = dict(models=40, versions=20, read_seconds=2.0, lineage_chain=10, lineage_datasets=50,
             lineage_requests=100, pull_mib=64, pull_n=20, pull_single_runs=1, mlflow_timebox=10.0)


def log(msg=""):
    print(msg, flush=True)


def pct(sorted_vals, p):
    if not sorted_vals:
        return float("nan")
    return sorted_vals[min(len(sorted_vals) - 1, int(p / 100 * len(sorted_vals)))]


def model_name(i):
    return f"bench-m{i:04d}"


def alias_target(i, versions):
    """The version `production` points at on model i (deterministic, spread over the versions)."""
    return (i * 37) % versions + 1


# --------------------------------------------------------------------------------------------
# HTTP: s3bench's raw keep-alive connection, for small JSON requests, signed (Cairn) or not (MLflow)


class ApiConn(Conn):
    def call(self, method, path, params=(), body=None, ok=(200, 201)):
        """One request on the persistent connection; returns (status, body bytes). Reconnects and
        retries once when the server had closed the idle connection before reading the request."""
        for attempt in (0, 1):
            if self.sock is None:
                self.connect()
            try:
                return self._call(method, path, params, body, ok)
            except (ConnectionError, BrokenPipeError) as e:
                self.close()
                if attempt or (method != "GET" and "closed by server" not in str(e)):
                    raise

    def _call(self, method, path, params, body, ok):
        enc_path, query = uri_encode(path, "/-_.~"), canonical_query(params)
        lines = [f"{method} {enc_path}{'?' + query if query else ''} HTTP/1.1", f"Host: {self.hosthdr}"]
        if self.signer is not None:
            amzdate, auth = self.signer.sign(method, self.hosthdr, enc_path, query)
            lines += [f"X-Amz-Date: {amzdate}", "X-Amz-Content-SHA256: UNSIGNED-PAYLOAD", f"Authorization: {auth}"]
        if body is not None:
            lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b""))
        status, hdrs = self._read_head()
        payload = b"" if method == "HEAD" or status in (204, 304) else self._read_body(hdrs, False)
        if hdrs.get("connection", "").lower() == "close":
            self.close()
        if status not in ok:
            raise HTTPStatusError(method, path, status, payload)
        return status, payload

    def json(self, method, path, doc=None, params=(), ok=(200, 201)):
        body = None if doc is None else json.dumps(doc, separators=(",", ":")).encode()
        _, payload = self.call(method, path, params, body, ok)
        return json.loads(payload) if payload else None


# --------------------------------------------------------------------------------------------
# Servers


def tree_cpu_seconds(root_pid):
    """utime+stime of a process and all its descendants (+ reaped children's), from /proc."""
    stats = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats[int(d)] = (int(fields[1]), sum(int(x) for x in fields[11:15]))
    children = {}
    for pid, (ppid, _) in stats.items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0, [root_pid]
    while todo:
        pid = todo.pop()
        if pid in stats:
            total += stats[pid][1]
        todo.extend(children.get(pid, []))
    return total / CLK_TCK


def proc_cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


class Server:
    """A server process that dies with the benchmark; subclasses give the command and readiness."""
    kind = "?"
    signer = None

    def __init__(self, workdir):
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.logpath = os.path.join(workdir, f"{self.kind}.log")
        self.proc = None

    def start(self, cmd, env, ready_path, timeout=120):
        self.logf = open(self.logpath, "wb")
        self.proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=self.logf,
                                     stderr=subprocess.STDOUT, preexec_fn=_die_with_parent, cwd=self.workdir)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.kind} exited with {self.proc.returncode}\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + ready_path, timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.kind} not ready after {timeout} s\n{self.log_tail()}")

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(15)
        self.logf.close()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def cpu_seconds(self):
        return tree_cpu_seconds(self.proc.pid)

    def log_tail(self, n=30):
        try:
            with open(self.logpath, "rb") as f:
                return "\n".join("    | " + l for l in f.read().decode("utf-8", "replace").splitlines()[-n:])
        except OSError:
            return "    | (no log)"

    def conn(self):
        return ApiConn(self.port, self.signer, timeout=600)


class CairnServer(Server):
    kind = "cairn"

    def __init__(self, binary, workdir, quiet=False):
        super().__init__(workdir)
        self.binary, self.quiet = binary, quiet
        self.ak, self.sk = "bench" + secrets.token_hex(6), secrets.token_urlsafe(30)
        self.signer = Signer(self.ak, self.sk, REGION)
        self.data = os.path.join(workdir, "cairn-data")

    def run(self):
        env = dict(os.environ, CAIRN_ACCESS_KEY_ID=self.ak, CAIRN_SECRET_ACCESS_KEY=self.sk)
        self.start([self.binary, "serve", "--data", self.data, "--address", f"127.0.0.1:{self.port}",
                    "--region", REGION, *(["--log-level", "warning"] if self.quiet else [])], env, "/healthz")

    def cpu_seconds(self):
        return proc_cpu_seconds(self.proc.pid)


class MlflowServer(Server):
    kind = "mlflow"

    def __init__(self, binary, workdir, workers, quiet):
        super().__init__(workdir)
        self.binary, self.workers, self.quiet = binary, workers, quiet

    def run(self):
        db = os.path.join(self.workdir, "mlflow.db")
        env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
        # MLflow 3's job runner (a tree of huey consumer processes for GenAI jobs) has nothing to do
        # with the registry and would add its polling to the server's CPU: off.
        env.update(HOME=self.workdir, MLFLOW_SERVER_ENABLE_JOB_EXECUTION="false")
        # Like `cairn serve` at its default log level, uvicorn logs a line per request; --quiet-servers
        # turns that off on both sides.
        extra = ["--uvicorn-opts", "--no-access-log"] if self.quiet else []
        # The first start creates the schema (alembic migrations) before the workers bind.
        self.start([self.binary, "server", "--backend-store-uri", f"sqlite:///{db}",
                    "--default-artifact-root", os.path.join(self.workdir, "mlflow-artifacts"),
                    "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(self.workers), *extra],
                   env, "/health", timeout=300)


# --------------------------------------------------------------------------------------------
# Client processes
#
# Every timed workload runs in P client processes (fork) of T threads each, one keep-alive
# connection per thread, so the client is not limited to one core by the GIL. Each process
# reports its own CPU time for the window (getrusage), its latencies and its errors.


WAIT_IDLE = dict(max_s=0.0, log=[])


def wait_idle(label):
    """With --wait-idle S: before a timed window, wait (at most S seconds) until the machine has
    been nearly idle (< 10% of all cores busy) for a whole second; on a shared machine this keeps
    other people's builds and tests out of the windows more often than not. Returns seconds waited."""
    if WAIT_IDLE["max_s"] <= 0:
        return 0.0
    t0 = time.monotonic()
    ncpu = os.cpu_count() or 1
    while True:
        b0 = machine_busy_seconds()
        time.sleep(1.0)
        busy = (machine_busy_seconds() - b0) / ncpu
        waited = time.monotonic() - t0
        if busy < 0.10:
            break
        if waited >= WAIT_IDLE["max_s"]:
            log(f"  (machine still busy, {100 * busy:.0f}% of {ncpu} cores, after waiting {waited:.0f} s: going on)")
            break
    if waited > 1.5:
        log(f"  (waited {waited:.0f} s for an idle machine before {label})")
    WAIT_IDLE["log"].append((label, round(waited, 1), busy < 0.10))
    return waited


def _cpu_self():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _proc_entry(fn, server_spec, proc_index, args, ready, go, results):
    try:
        port, signer = server_spec
        out = fn(port, signer, proc_index, args, ready, go)
        results.put((proc_index, out))
    except BaseException as e:  # noqa: BLE001
        results.put((proc_index, dict(fatal=f"{type(e).__name__}: {e}")))
        ready.abort()  # the parent (and the other processes) must not wait for this one


def run_client_processes(server, fn, per_proc_args, label, timeout=3600):
    """Forks len(per_proc_args) processes running fn(port, signer, index, args, ready, go); waits
    until every process is ready (connections open), then measures the window from `go` until
    the last process is done. Returns (window dict, [per-process result])."""
    ctx = mp.get_context("fork")
    n = len(per_proc_args)
    ready, go, results = ctx.Barrier(n + 1), ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_proc_entry, args=(fn, (server.port, server.signer), i, a, ready, go, results),
                         daemon=True) for i, a in enumerate(per_proc_args)]
    wait_idle(label)
    for p in procs:
        p.start()
    try:
        ready.wait(timeout=120)
    except Exception as e:  # threading.BrokenBarrierError: a process failed (or 120 s passed)
        why = f"{type(e).__name__} {e}"
        try:
            why = results.get(timeout=5)[1].get("fatal", why)
        except Exception:  # noqa: BLE001
            pass
        for p in procs:
            p.kill()
            p.join(5)
        raise RuntimeError(f"client processes did not get ready: {why}")
    s0, m0 = server.cpu_seconds(), machine_busy_seconds()
    t0 = time.monotonic()
    go.set()
    outs = [None] * n
    for _ in range(n):
        i, out = results.get(timeout=timeout)
        outs[i] = out
    wall = time.monotonic() - t0
    server_cpu = server.cpu_seconds() - s0
    machine = machine_busy_seconds() - m0
    for p in procs:
        p.join(30)
    fatal = [o["fatal"] for o in outs if "fatal" in o]
    if fatal:
        raise RuntimeError(f"client process failed: {fatal[0]}")
    client_cpu = sum(o["cpu"] for o in outs)
    wall = max(o["end"] for o in outs) - t0 if all("end" in o for o in outs) else wall
    return dict(wall_s=wall, server_cpu_s=server_cpu, client_cpu_s=client_cpu,
                other_cpu_s=max(0.0, machine - server_cpu - client_cpu)), outs


def _threads(n, target):
    errors = []

    def wrap(i):
        try:
            target(i)
        except BaseException as e:  # noqa: BLE001
            errors.append(f"{type(e).__name__}: {e}")
    ts = [threading.Thread(target=wrap, args=(i,), daemon=True) for i in range(n)]
    for t in ts:
        t.start()
    return ts, errors


# -- populate ----------------------------------------------------------------------------------


def cairn_model_body(i):
    return dict(name=model_name(i), description=f"benchmark model {i}", tags={"team": f"t{i % 10}", "task": "cls"})


def cairn_version_body(i, v, blobs, dataset_md5s):
    """A realistic small version: two files naming existing blobs, params, metrics, metadata and
    lineage (a dataset md5, a run, a git commit and the previous version as parent)."""
    lineage = dict(datasets=[dict(md5=dataset_md5s[(i + v) % len(dataset_md5s)], path="data/train.parquet")],
                   runs=[dict(id=f"run-{i}-{v}", link=f"https://ci.example/runs/{i}/{v}")],
                   git=dict(commit=hashlib.sha1(f"{i}/{v}".encode()).hexdigest(), repository="git@example:ml/models"))
    if v > 1:
        lineage["parents"] = [dict(model=model_name(i), version=v - 1)]
    return dict(version=v,
                files=[dict(path="model.safetensors", sha256=blobs[(i + v) % len(blobs)]),
                       dict(path="config.json", sha256=blobs[-1])],
                params=dict(lr="0.001", batch_size="64", epochs=str(v)),
                metrics=dict(accuracy=0.5 + v / 1000, loss=1.0 / v),
                metadata=dict(framework="pytorch", stage="bench"), lineage=lineage)


def populate_worker(port, signer, proc_index, args, ready, go):
    """args: (kind, model indices, threads, versions, extra, deadline_s). Each thread creates whole
    models (model, versions 1..V in order, alias) from a shared queue of model indices."""
    kind, indices, nthreads, versions, extra, deadline_s = args
    queue = list(reversed(indices))
    lock = threading.Lock()
    done_models, done_versions, retries = [], [0], [0]
    conns = [ApiConn(port, signer) for _ in range(nthreads)]
    for c in conns:
        c.connect()
    ready.wait()
    go.wait()
    c0 = _cpu_self()
    t0 = time.monotonic()

    def next_index():
        with lock:
            if not queue or (deadline_s and time.monotonic() - t0 > deadline_s):
                return None
            return queue.pop()

    def call_retrying(c, method, path, doc, ok=(200, 201)):
        # SQLite under concurrent writers may answer "database is locked" (MLflow answers 500);
        # Cairn never should, but a retry is counted either way.
        for attempt in range(20):
            try:
                return c.json(method, path, doc, ok=ok)
            except HTTPStatusError as e:
                if e.status < 500 or attempt == 19:
                    raise
                with lock:
                    retries[0] += 1
                time.sleep(0.05 * (attempt + 1))

    def run(t):
        c = conns[t]
        while (i := next_index()) is not None:
            name = model_name(i)
            if kind == "cairn":
                call_retrying(c, "POST", "/api/v1/models", cairn_model_body(i))
                for v in range(1, versions + 1):
                    call_retrying(c, "POST", f"/api/v1/models/{name}/versions",
                                  cairn_version_body(i, v, extra["blobs"], extra["datasets"]))
                    with lock:
                        done_versions[0] += 1
                call_retrying(c, "PUT", f"/api/v1/models/{name}/aliases/production",
                              dict(version=alias_target(i, versions), reason="benchmark"))
            else:
                call_retrying(c, "POST", "/api/2.0/mlflow/registered-models/create",
                              dict(name=name, description=f"benchmark model {i}",
                                   tags=[dict(key="team", value=f"t{i % 10}"), dict(key="task", value="cls")]))
                for v in range(1, versions + 1):
                    doc = call_retrying(c, "POST", "/api/2.0/mlflow/model-versions/create", dict(
                        name=name, source=f"s3://bench/models/{name}/{v}", description=f"version {v}",
                        tags=[dict(key="lr", value="0.001"), dict(key="epochs", value=str(v)),
                              dict(key="git_commit", value=hashlib.sha1(f"{i}/{v}".encode()).hexdigest())]))
                    if doc["model_version"]["version"] != str(v):
                        raise RuntimeError(f"{name}: expected version {v}, got {doc['model_version']['version']}")
                    with lock:
                        done_versions[0] += 1
                call_retrying(c, "POST", "/api/2.0/mlflow/registered-models/alias",
                              dict(name=name, alias="production", version=str(alias_target(i, versions))))
            with lock:
                done_models.append(i)

    ts, errors = _threads(nthreads, run)
    for t in ts:
        t.join()
    end = time.monotonic()
    for c in conns:
        c.close()
    if errors:
        raise RuntimeError(errors[0])
    return dict(cpu=_cpu_self() - c0, end=end, models=sorted(done_models), versions=done_versions[0],
                retries=retries[0])


# -- reads -------------------------------------------------------------------------------------


def read_request(kind, what, name, v):
    """(path, params) of one metadata read (or of a baseline request without registry work)."""
    if what == "healthz":
        return "/healthz", ()
    if what == "s3-head":
        return "/registry-bench/weights/blob-0.bin", ()
    if kind == "cairn":
        if what == "alias":
            return f"/api/v1/models/{name}/aliases/production/version", ()
        return f"/api/v1/models/{name}/versions/{v}", ()
    if what == "alias":
        return "/api/2.0/mlflow/registered-models/alias", (("name", name), ("alias", "production"))
    return "/api/2.0/mlflow/model-versions/get", (("name", name), ("version", str(v)))


def check_read(kind, what, doc, name, want):
    if kind == "mlflow":
        doc = doc["model_version"]
        got_name, got_v = doc["name"], int(doc["version"])
    else:
        got_name, got_v = doc["model"], int(doc["version"])
    if got_name != name or got_v != want:
        raise RuntimeError(f"{what} read of {name}: got {got_name} v{got_v}, expected v{want}")


def read_worker(port, signer, proc_index, args, ready, go):
    """args: (kind, what, models, versions, threads, seconds, seed). Random models (and versions);
    every 256th response of each thread (and its first) is parsed and checked."""
    kind, what, models, versions, nthreads, seconds, seed = args
    method = "HEAD" if what == "s3-head" else "GET"
    check = what in ("alias", "version")
    if what == "healthz":
        signer = None  # /healthz answers unsigned requests; a signed one is an S3 request (bucket "healthz")
    conns = [ApiConn(port, signer) for _ in range(nthreads)]
    for t, c in enumerate(conns):  # connect and warm up each connection
        i = models[t % len(models)]
        path, params = read_request(kind, what, model_name(i), 1)
        c.call(method, path, params)
    ready.wait()
    go.wait()
    c0 = _cpu_self()
    deadline = time.monotonic() + seconds
    lats = [array("d") for _ in range(nthreads)]
    counts, errs = [0] * nthreads, [[] for _ in range(nthreads)]

    def run(t):
        rng = random.Random(seed * 1000 + t)
        c, lat, clock = conns[t], lats[t], time.perf_counter
        n = 0
        while True:
            i = models[rng.randrange(len(models))]
            v = rng.randrange(1, versions + 1)
            name = model_name(i)
            path, params = read_request(kind, what, name, v)
            t1 = clock()
            try:
                status, body = c.call(method, path, params)
            except Exception as e:  # noqa: BLE001
                errs[t].append(f"{type(e).__name__}: {e}")
                c.close()
                if len(errs[t]) > 100:
                    break
                continue
            t2 = clock()
            lat.append(t2 - t1)
            if check and n % 256 == 0:
                check_read(kind, what, json.loads(body), name, alias_target(i, versions) if what == "alias" else v)
            n += 1
            if t2 > deadline_pc:
                break
        counts[t] = n

    deadline_pc = time.perf_counter() + (deadline - time.monotonic())
    ts, errors = _threads(nthreads, run)
    for t in ts:
        t.join()
    end = time.monotonic()
    cpu = _cpu_self() - c0
    for c in conns:
        c.close()
    if errors:
        raise RuntimeError(errors[0])
    lat = array("d")
    for a in lats:
        lat.extend(a)
    return dict(cpu=cpu, end=end, count=sum(counts), errors=[e for l in errs for e in l][:5],
                error_count=sum(len(l) for l in errs), lat=lat.tobytes())


def read_phase(server, kind, what, models, versions, cfg, seconds=None):
    procs, threads = cfg["client_procs"], cfg["client_threads"]
    per = [(kind, what, models, versions, threads, seconds or cfg["read_seconds"], 17 + p) for p in range(procs)]
    window, outs = run_client_processes(server, read_worker, per, f"the {kind} {what} reads")
    lat = array("d")
    for o in outs:
        lat.frombytes(o["lat"])
    lat = sorted(lat)
    n = sum(o["count"] for o in outs)
    errors = sum(o["error_count"] for o in outs)
    r = dict(window, requests=n, errors=errors, error_samples=[e for o in outs for e in o["errors"]][:5],
             rps=n / window["wall_s"], p50_ms=1e3 * pct(lat, 50), p99_ms=1e3 * pct(lat, 99),
             max_ms=1e3 * (lat[-1] if lat else float("nan")),
             server_us_per_req=1e6 * window["server_cpu_s"] / max(n, 1),
             client_us_per_req=1e6 * window["client_cpu_s"] / max(n, 1),
             procs=procs, threads=threads, connections=procs * threads)
    r["server_capacity_per_core"] = 1e6 / r["server_us_per_req"] if r["server_us_per_req"] > 0 else float("inf")
    log(f"  {what:7s} reads: {r['rps']:9,.0f} req/s end-to-end over {r['wall_s']:.1f} s ({n:,} requests, "
        f"{procs}x{threads} connections, {errors} errors); p50 {r['p50_ms']:.2f} ms, p99 {r['p99_ms']:.2f} ms, "
        f"max {r['max_ms']:.1f} ms")
    log(f"         server CPU {r['server_cpu_s']:.2f} s = {r['server_us_per_req']:.1f} µs/request "
        f"(capacity {r['server_capacity_per_core']:,.0f} req/s per server core); client CPU "
        f"{r['client_cpu_s']:.2f} s = {r['client_us_per_req']:.1f} µs/request; other load {r['other_cpu_s']:.2f} CPU-s")
    if errors:
        log(f"         errors, e.g. {r['error_samples'][:2]}")
    return r


# --------------------------------------------------------------------------------------------
# Workloads


class Ctx:
    def __init__(self, args, cfg, root, cairn, mlflow_bin):
        self.args, self.cfg, self.root, self.cairn_bin, self.mlflow_bin = args, cfg, root, cairn, mlflow_bin
        self.cairn = None
        self.population = None  # (models, versions) created in the cairn server


def put_objects(conn, bucket, objects):
    """objects: [(key, bytes)]; returns [(key, etag(md5), sha256)]."""
    try:
        conn.request("PUT", f"/{bucket}")
    except HTTPStatusError as e:
        if e.status != 409:
            raise
    out = []
    for key, body in objects:
        _, hdrs, _ = conn.request("PUT", f"/{bucket}/{key}", body=body)
        etag = hdrs.get("etag", "").strip('"')
        if etag != hashlib.md5(body).hexdigest():
            raise RuntimeError(f"PUT {key}: ETag {etag} is not the body's MD5")
        out.append((key, etag, hashlib.sha256(body).hexdigest()))
    return out


def wl_populate(ctx):
    cfg, srv = ctx.cfg, ctx.cairn
    c = srv.conn()
    rng = random.Random(3)
    # A handful of distinct blobs for the versions' files, and a few "datasets" for their lineage.
    blobs = put_objects(c, "registry-bench", [(f"weights/blob-{k}.bin", rng.randbytes(4096 + k)) for k in range(6)])
    datasets = put_objects(c, "registry-bench", [(f"datasets/ds-{k}.parquet", rng.randbytes(2048 + k)) for k in range(4)])
    c.close()
    extra = dict(blobs=[b[2] for b in blobs], datasets=[d[1] for d in datasets])
    procs, threads = cfg["populate_procs"], cfg["populate_threads"]
    models = list(range(cfg["models"]))
    per = [("cairn", models[p::procs], threads, cfg["versions"], extra, 0) for p in range(procs)]
    log(f"  {cfg['models']:,} models x {cfg['versions']} versions, {procs} processes x {threads} connections ...")
    window, outs = run_client_processes(srv, populate_worker, per, "the cairn populate")
    nver = sum(o["versions"] for o in outs)
    nmod = sum(len(o["models"]) for o in outs)
    retries = sum(o["retries"] for o in outs)
    if nmod != cfg["models"] or nver != cfg["models"] * cfg["versions"]:
        raise RuntimeError(f"created {nmod} models / {nver} versions, expected {cfg['models']} / "
                           f"{cfg['models'] * cfg['versions']}")
    nreq = nver + 2 * nmod
    r = dict(window, models=nmod, versions=nver, requests=nreq, retries=retries,
             versions_per_s=nver / window["wall_s"], server_us_per_version=1e6 * window["server_cpu_s"] / nver,
             client_us_per_request=1e6 * window["client_cpu_s"] / nreq, connections=procs * threads)
    ctx.population = (cfg["models"], cfg["versions"])
    log(f"  {nver:,} versions (+{nmod:,} models, {nmod:,} aliases) in {r['wall_s']:.1f} s: "
        f"{r['versions_per_s']:,.0f} versions/s; server CPU {r['server_cpu_s']:.1f} s "
        f"({r['server_us_per_version']:.0f} µs/version), client CPU {r['client_cpu_s']:.1f} s, "
        f"other load {r['other_cpu_s']:.1f} CPU-s, {retries} retries")
    du = subprocess.run(["du", "-sb", srv.data], capture_output=True, text=True).stdout.split()
    if du:
        r["data_dir_bytes"] = int(du[0])
        log(f"  data dir {int(du[0]) / MiB:.1f} MiB after populate")
    return r


def wl_alias_reads(ctx):
    if ctx.population is None:
        log("  (populate first)")
        ctx.results["populate"] = wl_populate(ctx)
    models, versions = ctx.population
    idx = list(range(models))
    r = dict(population=dict(models=models, versions=versions),
             alias=read_phase(ctx.cairn, "cairn", "alias", idx, versions, ctx.cfg),
             version=read_phase(ctx.cairn, "cairn", "version", idx, versions, ctx.cfg))
    if not ctx.args.no_baselines:
        # Where the server's CPU goes: the same load on requests with no registry work.
        log("  baselines (same clients, no registry work):")
        secs = max(1.0, ctx.cfg["read_seconds"] / 2)
        r["baselines"] = {w: read_phase(ctx.cairn, "cairn", w, idx, versions, ctx.cfg, secs)
                          for w in ("healthz", "s3-head")}
    return r


def wl_lineage(ctx):
    cfg, srv = ctx.cfg, ctx.cairn
    chain, nds, nreq = cfg["lineage_chain"], cfg["lineage_datasets"], cfg["lineage_requests"]
    c = srv.conn()
    rng = random.Random(11)
    name = "bench-chain/model"
    blob = put_objects(c, "lineage-bench", [("weights/model.bin", rng.randbytes(8192))])[0][2]
    c.json("POST", "/api/v1/models", dict(name=name, description="lineage benchmark"))
    for v in range(1, chain + 1):
        # 50 distinct datasets per version, stored where `dvc push` would put them (files/md5/xx/…).
        objs = []
        for j in range(nds):
            body = rng.randbytes(1024 + j)
            md5 = hashlib.md5(body).hexdigest()
            objs.append((f"dvc/files/md5/{md5[:2]}/{md5[2:]}", body))
        put_objects(c, "lineage-bench", objs)
        ds = [dict(md5=k.split("/")[-2] + k.split("/")[-1], path=f"data/v{v}/part-{j:02d}.parquet")
              for j, (k, _) in enumerate(objs)]
        lineage = dict(datasets=ds, runs=[dict(id=f"train-{v}", link=f"https://ci.example/{v}")],
                       git=dict(commit=hashlib.sha1(str(v).encode()).hexdigest()))
        if v > 1:
            lineage["parents"] = [dict(model=name, version=v - 1)]
        c.json("POST", f"/api/v1/models/{name}/versions",
               dict(version=v, files=[dict(path="model.bin", sha256=blob)], lineage=lineage))
    path = f"/api/v1/models/{name}/versions/{chain}/lineage"
    # Check the answer once: the whole chain, every dataset resolved with a location.
    doc = c.json("GET", path)
    depth, node, resolved = 0, doc, 0
    while node is not None:
        depth += 1
        if len(node["datasets"]) != nds:
            raise RuntimeError(f"lineage v{node['version']}: {len(node['datasets'])} datasets, expected {nds}")
        for d in node["datasets"]:
            if not d["present"] or not d["locations"]:
                raise RuntimeError(f"lineage v{node['version']}: dataset {d['dataset']} not resolved: {d}")
            resolved += 1
        node = node["parents"][0] if node["parents"] else None
    if depth != chain:
        raise RuntimeError(f"lineage depth {depth}, expected {chain}")
    _, raw = c.call("GET", path)
    for _ in range(20):  # warm up
        c.call("GET", path)
    wait_idle("lineage")
    lat = []
    s0, m0, c0 = srv.cpu_seconds(), machine_busy_seconds(), time.process_time()
    t0 = time.perf_counter()
    for _ in range(nreq):
        t1 = time.perf_counter()
        c.call("GET", path)
        lat.append(time.perf_counter() - t1)
    wall = time.perf_counter() - t0
    server_cpu, client_cpu = srv.cpu_seconds() - s0, time.process_time() - c0
    other = max(0.0, machine_busy_seconds() - m0 - server_cpu - client_cpu)
    c.close()
    lat.sort()
    r = dict(chain=chain, datasets_per_version=nds, datasets_resolved=resolved, response_bytes=len(raw),
             requests=nreq, wall_s=wall, p50_ms=1e3 * pct(lat, 50), p90_ms=1e3 * pct(lat, 90),
             p99_ms=1e3 * pct(lat, 99), max_ms=1e3 * lat[-1], mean_ms=1e3 * sum(lat) / len(lat),
             server_cpu_s=server_cpu, server_ms_per_req=1e3 * server_cpu / nreq, client_cpu_s=client_cpu,
             other_cpu_s=other)
    log(f"  lineage of v{chain} ({chain} versions x {nds} datasets = {resolved} resolved, {len(raw) / KiB:.0f} KiB JSON): "
        f"{nreq} sequential GETs, p50 {r['p50_ms']:.2f} ms, p90 {r['p90_ms']:.2f} ms, p99 {r['p99_ms']:.2f} ms, "
        f"max {r['max_ms']:.2f} ms; server CPU {r['server_ms_per_req']:.2f} ms/request; other load {other:.2f} CPU-s")
    return r


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(8 * MiB):
            h.update(block)
    return h.hexdigest()


def write_random_file(path, size, seed):
    import numpy as np
    bg = np.random.default_rng(seed).bit_generator
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(left, 64 * MiB)
            f.write(bg.random_raw((n + 7) // 8).view(np.uint8)[:n].tobytes())
            left -= n


def disk_write_rate(dirpath, size=512 * MiB):
    """MB/s of a sequential write + fsync of `size` random bytes (what each pull does to its file)."""
    import numpy as np
    buf = np.random.default_rng(9).bit_generator.random_raw(8 * MiB // 8).view(np.uint8).tobytes()
    p = os.path.join(dirpath, "disk-probe")
    t0 = time.perf_counter()
    with open(p, "wb") as f:
        for _ in range(size // len(buf)):
            f.write(buf)
        f.flush()
        os.fsync(f.fileno())
    dt = time.perf_counter() - t0
    os.unlink(p)
    return size / dt / 1e6


class Cli:
    def __init__(self, binary, srv, home):
        os.makedirs(home, exist_ok=True)
        self.binary = binary
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CAIRN_"))}
        self.env.update(HOME=home, XDG_CONFIG_HOME=os.path.join(home, ".config"),
                        XDG_CACHE_HOME=os.path.join(home, ".cache"), CAIRN_ENDPOINT=srv.url,
                        AWS_ACCESS_KEY_ID=srv.ak, AWS_SECRET_ACCESS_KEY=srv.sk, AWS_REGION=REGION,
                        CAIRN_CACHE_DIR=os.path.join(home, "cairn-cache"))

    def cmd(self, *args):
        return [self.binary, *args]

    def run_json(self, *args):
        """Runs `cairn ARGS`; returns (wall seconds, parsed stdout, the command's CPU seconds)."""
        c0 = children_cpu()
        t0 = time.perf_counter()
        p = subprocess.run(self.cmd(*args), env=self.env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        wall = time.perf_counter() - t0
        if p.returncode != 0:
            raise RuntimeError(f"cairn {' '.join(args)} exited {p.returncode}\n{p.stderr[-3000:]}")
        return wall, json.loads(p.stdout), children_cpu() - c0


def children_cpu():
    """CPU seconds of this process's waited-for children (the cairn CLI runs)."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def verify_tree(out_dir, digests):
    for rel, want in digests.items():
        got = sha256_file(os.path.join(out_dir, rel))
        if got != want:
            raise RuntimeError(f"{out_dir}/{rel}: sha256 {got} != {want}")


def wl_pulls(ctx):
    cfg, srv, root = ctx.cfg, ctx.cairn, ctx.root
    size, n = cfg["pull_mib"] * MiB, cfg["pull_n"]
    out_root = ctx.args.pull_dir or os.path.join(root, "pulls")
    os.makedirs(out_root, exist_ok=True)
    st = shutil.disk_usage(out_root)
    need = (n + 2) * size + 2 * GiB  # n pulled copies + the source + the server's copy, and slack
    r = dict(size_bytes=size, concurrent=n, free_bytes_before=st.free, out_dir=out_root)
    log(f"  free space in {out_root}: {st.free / GiB:.1f} GiB (a run needs about {need / GiB:.1f} GiB)")
    while st.free < need and size > 64 * MiB:
        size //= 2
        need = (n + 2) * size + 2 * GiB
        r["scaled_down"] = True
    if r.get("scaled_down"):
        log(f"  NOT ENOUGH SPACE: scaled the model down to {size // MiB} MiB")
        r["size_bytes"] = size
    src = os.path.join(root, "pull-src")
    os.makedirs(src)
    write_random_file(os.path.join(src, "model.safetensors"), size, seed=21)
    with open(os.path.join(src, "config.json"), "w") as f:
        json.dump(dict(architecture="bench", hidden=4096, layers=32), f)
    digests = {name: sha256_file(os.path.join(src, name)) for name in os.listdir(src)}
    cli = Cli(ctx.cairn_bin, srv, os.path.join(root, "cli-home"))
    name = "pulls/big"
    os.sync()
    t_reg, reg, _ = cli.run_json("model", "register", name, src, "--alias", "production", "--json", "--quiet")
    r["register_s"] = t_reg
    log(f"  cairn model register {size // MiB} MiB: {t_reg:.2f} s (version {reg.get('version')})")
    shutil.rmtree(src)
    r["disk_write_mb_s"] = disk_write_rate(out_root)
    log(f"  disk: sequential write + fsync {r['disk_write_mb_s']:.0f} MB/s in {out_root} "
        f"(floor for {n} x {size // MiB} MiB written: {n * size / 1e6 / r['disk_write_mb_s']:.1f} s)")

    def pull_cmd(d):
        return cli.cmd("model", "pull", f"{name}@production", d, "--no-cache", "--json", "--quiet")

    singles = []
    for k in range(cfg["pull_single_runs"]):
        d = os.path.join(out_root, f"single-{k}")
        os.sync()
        wait_idle("a single pull")
        s0, m0 = srv.cpu_seconds(), machine_busy_seconds()
        t, doc, ccpu = cli.run_json(*pull_cmd(d)[1:])
        scpu = srv.cpu_seconds() - s0
        other = max(0.0, machine_busy_seconds() - m0 - scpu - ccpu)
        verify_tree(d, digests)
        shutil.rmtree(d)
        singles.append(dict(wall_s=t, cli_seconds=doc.get("seconds"), bytes_received=doc.get("bytes_received"),
                            version=doc.get("version"), server_cpu_s=scpu, client_cpu_s=ccpu, other_cpu_s=other))
        log(f"  1 pull: {t:.2f} s wall (CLI says {doc.get('seconds', 0):.2f} s), "
            f"{(doc.get('bytes_received') or 0) / MiB:.0f} MiB received; CPU: server {scpu:.2f} s, "
            f"the pulling CLI {ccpu:.2f} s, other load {other:.2f} s; sha256 ok")
    mid = sorted(singles, key=lambda x: x["wall_s"])[len(singles) // 2]
    single = mid["wall_s"]
    r["single"] = singles
    r["single_s"] = single
    # With client and server on the same 2 cores, n pulls need n times one pull's CPU: a floor.
    r["cpu_floor_s"] = n * (mid["server_cpu_s"] + mid["client_cpu_s"]) / (os.cpu_count() or 1)
    # Were the clients on other machines, the server's own CPU would still need this long.
    r["server_cpu_floor_s"] = n * mid["server_cpu_s"] / (os.cpu_count() or 1)

    os.sync()
    dirs = [os.path.join(out_root, f"concurrent-{k:02d}") for k in range(n)]
    logs = [open(os.path.join(root, f"pull-{k:02d}.json"), "w+") for k in range(n)]
    wait_idle("the concurrent pulls")
    s0, m0, c0 = srv.cpu_seconds(), machine_busy_seconds(), children_cpu()
    t0 = time.perf_counter()
    ps = [subprocess.Popen(pull_cmd(d), env=cli.env, stdout=lf, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
          for d, lf in zip(dirs, logs)]
    ends = [None] * n
    while any(e is None for e in ends):
        for k, p in enumerate(ps):
            if ends[k] is None and p.poll() is not None:
                ends[k] = time.perf_counter() - t0
        time.sleep(0.01)
    wall = max(ends)
    scpu, mcpu = srv.cpu_seconds() - s0, machine_busy_seconds() - m0
    ccpu = children_cpu() - c0  # every Popen has been reaped by poll()
    bad = [(k, p.returncode, p.stderr.read().decode()[-500:]) for k, p in enumerate(ps) if p.returncode != 0]
    for p in ps:
        p.stderr.close()
    if bad:
        raise RuntimeError(f"{len(bad)} of {n} concurrent pulls failed, e.g. exit {bad[0][1]}: {bad[0][2]}")
    cli_secs = []
    for k, (d, lf) in enumerate(zip(dirs, logs)):
        lf.seek(0)
        doc = json.loads(lf.read())
        lf.close()
        cli_secs.append(doc.get("seconds"))
        verify_tree(d, digests)
        shutil.rmtree(d)
    ends.sort()
    other = max(0.0, mcpu - scpu - ccpu)
    r.update(concurrent_wall_s=wall, concurrent_first_s=ends[0], concurrent_median_s=ends[n // 2],
             concurrent_cli_seconds=cli_secs, concurrent_server_cpu_s=scpu, concurrent_client_cpu_s=ccpu,
             concurrent_other_cpu_s=other, ratio=wall / single, aggregate_mb_s=n * size / wall / 1e6)
    ncpu = os.cpu_count() or 1
    log(f"  {n} concurrent pulls: all done after {wall:.2f} s (first {ends[0]:.2f} s, median {ends[n // 2]:.2f} s), "
        f"{r['aggregate_mb_s']:.0f} MB/s aggregate; CPU: server {scpu:.1f} s, the {n} CLIs {ccpu:.1f} s, other load "
        f"{other:.1f} s, of {ncpu * wall:.1f} s on {ncpu} cores; all {n} sha256 ok")
    log(f"  ratio {n} concurrent / 1 = {r['ratio']:.2f}x (CPU floor on this box: {n} x one pull's server + CLI CPU / "
        f"{ncpu} cores = {r['cpu_floor_s']:.1f} s = {r['cpu_floor_s'] / single:.1f}x one; the server's CPU alone: "
        f"{r['server_cpu_floor_s']:.1f} s = {r['server_cpu_floor_s'] / single:.1f}x one)")
    return r


def wl_mlflow(ctx):
    cfg, root = ctx.cfg, ctx.root
    if not ctx.mlflow_bin:
        raise RuntimeError("mlflow is not installed (pip install mlflow into bench/.venv)")
    version = subprocess.run([ctx.mlflow_bin, "--version"], capture_output=True, text=True).stdout.strip()
    mdir = os.path.join(root, "mlflow")
    os.makedirs(mdir)
    srv = MlflowServer(ctx.mlflow_bin, mdir, cfg["mlflow_workers"], ctx.args.quiet_servers)
    ctx.servers.append(srv)
    t0 = time.perf_counter()
    srv.run()
    log(f"  {version}: `mlflow server` on sqlite, {cfg['mlflow_workers']} workers, ready after "
        f"{time.perf_counter() - t0:.1f} s")
    try:
        procs, threads = cfg["populate_procs"], cfg["mlflow_populate_threads"]
        models = list(range(cfg["models"]))
        per = [("mlflow", models[p::procs], threads, cfg["versions"], None, cfg["mlflow_timebox"]) for p in range(procs)]
        log(f"  populate: up to {cfg['models']:,} models x {cfg['versions']} versions, time-boxed to "
            f"{cfg['mlflow_timebox']:.0f} s (whole models only), {procs} processes x {threads} connections ...")
        window, outs = run_client_processes(srv, populate_worker, per, "the mlflow populate")
        done = sorted(i for o in outs for i in o["models"])
        nver = sum(o["versions"] for o in outs)
        retries = sum(o["retries"] for o in outs)
        complete_versions = len(done) * cfg["versions"]
        pop = dict(window, models=len(done), versions=nver, retries=retries, versions_per_s=nver / window["wall_s"],
                   server_us_per_version=1e6 * window["server_cpu_s"] / max(nver, 1))
        log(f"  {nver:,} versions in {len(done)} models in {window['wall_s']:.1f} s: {pop['versions_per_s']:,.0f} "
            f"versions/s; server CPU {window['server_cpu_s']:.1f} s ({pop['server_us_per_version']:.0f} µs/version), "
            f"client CPU {window['client_cpu_s']:.1f} s, {retries} retries (database locked)")
        if not done:
            raise RuntimeError("no MLflow model was completed within the time box")
        if nver != complete_versions:
            raise RuntimeError(f"{nver} versions for {len(done)} complete models")
        # Reads use the models that are complete (every worker finished its last model).
        alias = read_phase(srv, "mlflow", "alias", done, cfg["versions"], cfg)
        ver = read_phase(srv, "mlflow", "version", done, cfg["versions"], cfg)
        return dict(mlflow=version, workers=cfg["mlflow_workers"], populate=pop,
                    population=dict(models=len(done), versions=cfg["versions"]), alias=alias, version=ver)
    finally:
        srv.stop()


WL = {"populate": wl_populate, "alias-reads": wl_alias_reads, "lineage": wl_lineage, "pulls": wl_pulls,
      "mlflow": wl_mlflow}


# --------------------------------------------------------------------------------------------
# Summary


def print_table(results, cfg):
    lines = ["| workload | cairn | mlflow (peer) | ratio cairn/mlflow | target | met |",
             "| --- | --- | --- | --- | --- | --- |"]

    def row(*cells):
        lines.append("| " + " | ".join(cells) + " |")

    pop, ar, ml = results.get("populate"), results.get("alias-reads"), results.get("mlflow")
    ml_ok = ml is not None and "error" not in ml
    ml_none = "not run" if ml is None else "error (below)"
    if pop and "error" not in pop:
        c = (f"{pop['versions_per_s']:,.0f}/s ({pop['versions']:,} versions, {pop['models']:,} models, "
             f"{pop['wall_s']:.0f} s; server {pop['server_us_per_version']:.0f} µs CPU/version)")
        if ml_ok:
            mp_ = ml["populate"]
            m = (f"{mp_['versions_per_s']:,.0f}/s ({mp_['versions']:,} versions, {mp_['models']:,} models in the "
                 f"{cfg['mlflow_timebox']:.0f} s box; server {mp_['server_us_per_version']:.0f} µs CPU/version)")
            ratio = f"{pop['versions_per_s'] / mp_['versions_per_s']:.1f}x"
        else:
            m, ratio = ml_none, "—"
        row("populate: versions created/s", c, m, ratio, "—", "—")
    elif pop:
        row("populate", f"ERROR: {pop['error']}", "", "", "", "")
    elif ml_ok:
        mp_ = ml["populate"]
        row("populate (mlflow only)", "not run", f"{mp_['versions_per_s']:,.0f}/s ({mp_['versions']:,} versions)",
            "—", "—", "—")
    if ar and "error" not in ar:
        pc = ar["population"]
        for what, label in (("alias", "alias resolution + version metadata (GET …/aliases/production/version)"),
                            ("version", "version metadata (GET …/versions/N)")):
            a = ar[what]
            m = ml[what] if ml_ok else None
            target = what == "alias"
            c = (f"{a['rps']:,.0f}/s (p50 {a['p50_ms']:.2f} ms, p99 {a['p99_ms']:.2f} ms; {a['connections']} conns; "
                 f"{pc['models'] * pc['versions']:,} versions; client CPU {a['client_us_per_req']:.0f} µs/req)")
            if m:
                pm = ml["population"]
                mc = (f"{m['rps']:,.0f}/s (p50 {m['p50_ms']:.2f} ms, p99 {m['p99_ms']:.2f} ms; "
                      f"{pm['models'] * pm['versions']:,} versions; client CPU {m['client_us_per_req']:.0f} µs/req)")
                ratio = f"{a['rps'] / m['rps']:.1f}x"
            else:
                mc, ratio = ml_none, "—"
            row(f"{label}, end-to-end on the 2-core box (client + server)", c, mc, ratio,
                "> 20,000/s" if target else "—", ("yes" if a["rps"] > 20000 else "NO") if target else "—")
            cap = a["server_capacity_per_core"]
            c = f"{a['server_us_per_req']:.1f} µs → {cap:,.0f}/s per core"
            if m:
                mc = f"{m['server_us_per_req']:.0f} µs → {m['server_capacity_per_core']:,.0f}/s per core"
                ratio = f"{cap / m['server_capacity_per_core']:.1f}x"
            row(f"{label}: server CPU per request → capacity per server core", c, mc, ratio,
                "> 20,000/s (one core)" if target else "—", ("yes" if cap > 20000 else "NO") if target else "—")
            if a["errors"] or (m and m["errors"]):
                row(f"{what} reads: errors", str(a["errors"]), str(m["errors"]) if m else "", "", "0",
                    "NO" if a["errors"] else "yes")
        b = ar.get("baselines")
        if b:
            row("for comparison, same load: server CPU per request of GET /healthz (unsigned route, no auth) "
                "and of a SigV4-signed S3 HEAD object",
                f"healthz {b['healthz']['server_us_per_req']:.0f} µs ({b['healthz']['rps']:,.0f}/s end-to-end); "
                f"S3 HEAD {b['s3-head']['server_us_per_req']:.0f} µs ({b['s3-head']['rps']:,.0f}/s)", "—", "—", "—", "—")
    elif ar:
        row("alias-reads", f"ERROR: {ar['error']}", "", "", "", "")
    if ml_ok and not (ar and "error" not in ar):
        for what in ("alias", "version"):
            m = ml[what]
            row(f"{what} reads (mlflow only)", "not run",
                f"{m['rps']:,.0f}/s (p50 {m['p50_ms']:.2f} ms, p99 {m['p99_ms']:.2f} ms); server "
                f"{m['server_us_per_req']:.0f} µs CPU/req", "—", "—", "—")
    ln = results.get("lineage")
    if ln and "error" not in ln:
        row(f"upstream lineage of v{ln['chain']}: {ln['chain']} versions x {ln['datasets_per_version']} datasets "
            f"({ln['requests']} sequential GETs, {ln['response_bytes'] / KiB:.0f} KiB JSON)",
            f"p50 {ln['p50_ms']:.2f} ms, p99 {ln['p99_ms']:.2f} ms (max {ln['max_ms']:.1f} ms; server "
            f"{ln['server_ms_per_req']:.2f} ms CPU/req)", "no lineage query in MLflow", "—", "p99 < 20 ms",
            "yes" if ln["p99_ms"] < 20 else "NO")
    elif ln:
        row("lineage", f"ERROR: {ln['error']}", "", "", "", "")
    pl = results.get("pulls")
    if pl and "error" not in pl:
        size = pl["size_bytes"]
        sz = f"{size / GiB:g} GiB" if size >= GiB else f"{size // MiB} MiB"
        row(f"`cairn model pull --no-cache` of {sz}: one pull (median of {len(pl['single'])})",
            f"{pl['single_s']:.2f} s", "no file pull in MLflow's registry API", "—", "—", "—")
        row(f"{pl['concurrent']} concurrent pulls, until the last ends",
            f"{pl['concurrent_wall_s']:.2f} s = {pl['ratio']:.2f}x one ({pl['aggregate_mb_s']:.0f} MB/s aggregate; "
            f"disk write+fsync alone {pl['disk_write_mb_s']:.0f} MB/s; CPU floor on {os.cpu_count()} cores "
            f"{pl['cpu_floor_s'] / pl['single_s']:.1f}x one, of which the server's "
            f"{pl['server_cpu_floor_s'] / pl['single_s']:.1f}x)", "—", "—", "< 3x one",
            "yes" if pl["ratio"] < 3 else "NO")
    elif pl:
        row("pulls", f"ERROR: {pl['error']}", "", "", "", "")
    if ml is not None and not ml_ok:
        row("mlflow peer", f"ERROR: {ml['error']}", "", "", "", "")
    log("\n".join(lines))
    # Windows in which other processes used more than 10% of the machine.
    ncpu = os.cpu_count() or 1
    windows = [("cairn populate", pop), ("mlflow populate", ml and ml.get("populate")), ("cairn lineage", ln)]
    for side, rr in (("cairn", ar), ("mlflow", ml)):
        for what in ("alias", "version"):
            windows.append((f"{side} {what} reads", rr and rr.get(what)))
    for what, rr in ((ar or {}).get("baselines") or {}).items():
        windows.append((f"cairn {what} baseline", rr))
    if pl and "error" not in pl:
        windows += [(f"single pull {k + 1}", dict(x, wall_s=x["wall_s"])) for k, x in enumerate(pl["single"])]
        windows.append(("concurrent pulls", dict(wall_s=pl["concurrent_wall_s"], other_cpu_s=pl["concurrent_other_cpu_s"])))
    busy = [f"{name} {w['other_cpu_s']:.1f} CPU-s in {w['wall_s']:.1f} s"
            for name, w in windows if w and "other_cpu_s" in w and w["other_cpu_s"] > 0.1 * ncpu * w["wall_s"]]
    if busy:
        log(f"\nOther load (CPU used by neither the server nor the clients; includes kernel writeback) above 10% of "
            f"the machine in: {'; '.join(busy)}.")


def default_mlflow():
    p = os.path.join(HERE, ".venv", "bin", "mlflow")
    if os.access(p, os.X_OK):
        return p
    return shutil.which("mlflow")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes: a check that everything works (< 1 min)")
    ap.add_argument("--only", action="append", default=[], metavar="NAME",
                    help=f"run only these workloads (repeatable or comma-separated): {', '.join(WORKLOADS)}")
    ap.add_argument("--models", type=int, help="models to create (default 1000)")
    ap.add_argument("--versions", type=int, help="versions per model (default 100)")
    ap.add_argument("--read-seconds", type=float, help="duration of each read phase (default 10)")
    ap.add_argument("--client-procs", type=int, default=3, help="client processes for reads (default 3)")
    ap.add_argument("--client-threads", type=int, default=4, help="keep-alive connections per client process (default 4)")
    ap.add_argument("--populate-procs", type=int, default=2, help="client processes for populate (default 2)")
    ap.add_argument("--populate-threads", type=int, default=16, help="connections per populate process (default 16)")
    ap.add_argument("--wait-idle", type=float, default=0, metavar="S",
                    help="before each timed window wait up to S seconds for the machine to be idle "
                         "(for shared machines; default 0: do not wait)")
    ap.add_argument("--quiet-servers", action="store_true",
                    help="no log line per request: `cairn serve --log-level warning`, uvicorn --no-access-log "
                         "for MLflow (default: both servers' defaults, which log every request)")
    ap.add_argument("--no-baselines", action="store_true",
                    help="skip the /healthz and S3 HEAD baselines after the registry reads")
    ap.add_argument("--lineage-chain", type=int, help="versions in the lineage chain (default 10)")
    ap.add_argument("--lineage-datasets", type=int, help="datasets per version (default 50)")
    ap.add_argument("--lineage-requests", type=int, help="sequential lineage GETs (default 500)")
    ap.add_argument("--pull-mib", type=int, help="model size for the pulls (default 1024)")
    ap.add_argument("--pull-n", type=int, help="concurrent pulls (default 20)")
    ap.add_argument("--pull-single-runs", type=int, help="single pulls, the median is the reference (default 3)")
    ap.add_argument("--pull-dir", help="where the pulled copies go (default: the temp dir)")
    ap.add_argument("--mlflow-timebox", type=float, help="seconds for populating MLflow (default 120)")
    ap.add_argument("--mlflow-workers", type=int, default=2, help="mlflow server --workers (default 2)")
    ap.add_argument("--mlflow-populate-threads", type=int, default=4, help="connections per populate process for MLflow (default 4)")
    ap.add_argument("--cairn", default=os.path.join(REPO, ".build", "release", "cairn"), help="cairn binary")
    ap.add_argument("--mlflow", default=default_mlflow(), help="mlflow executable (default bench/.venv/bin/mlflow)")
    ap.add_argument("--tmpdir", default=None, help="where temp files go (default $TMPDIR or /tmp)")
    ap.add_argument("--keep", action="store_true", help="keep the temp directory")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    args = ap.parse_args()

    WAIT_IDLE["max_s"] = args.wait_idle
    cfg = dict(QUICK if args.quick else FULL)
    for k in list(cfg):
        v = getattr(args, k, None)
        if v is not None:
            cfg[k] = v
    cfg.update(client_procs=args.client_procs, client_threads=args.client_threads,
               populate_procs=args.populate_procs, populate_threads=args.populate_threads,
               mlflow_workers=args.mlflow_workers, mlflow_populate_threads=args.mlflow_populate_threads)
    only = [w for item in args.only for w in item.split(",") if w]
    for w in only:
        if w not in WORKLOADS:
            ap.error(f"unknown workload {w!r}; choose from {', '.join(WORKLOADS)}")
    workloads = [w for w in WORKLOADS if not only or w in only]
    if not os.access(args.cairn, os.X_OK):
        ap.error(f"cairn binary not found: {args.cairn}")
    if "pulls" in workloads:
        try:
            import numpy  # noqa: F401
        except ImportError:
            ap.error("numpy is required for the pulls workload (pip install -r bench/requirements.txt)")

    root = tempfile.mkdtemp(prefix="registrybench-", dir=args.tmpdir)
    # A private copy of the binary: the build tree's may be replaced while the benchmark runs.
    cairn_bin = os.path.join(root, "cairn")
    shutil.copy2(args.cairn, cairn_bin)
    ctx = Ctx(args, cfg, root, cairn_bin, args.mlflow if "mlflow" in workloads else None)
    ctx.results, ctx.servers = {}, []
    srv = CairnServer(cairn_bin, root, args.quiet_servers)
    ctx.cairn = srv
    ctx.servers.append(srv)

    def stop_all():
        for s in ctx.servers:
            s.stop()
    atexit.register(stop_all)

    def on_signal(signum, _frame):
        raise SystemExit(128 + signum)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)

    with open("/proc/loadavg") as f:
        load0 = f.read().split()[:3]
    log(f"registrybench: workloads {','.join(workloads)}; {cfg['models']:,} models x {cfg['versions']} versions; "
        f"reads {cfg['read_seconds']:g} s from {cfg['client_procs']}x{cfg['client_threads']} connections; "
        f"lineage {cfg['lineage_chain']} x {cfg['lineage_datasets']}; pulls {cfg['pull_n']} x {cfg['pull_mib']} MiB")
    log(f"cairn: {args.cairn} (built {time.strftime('%Y-%m-%d %H:%M', time.localtime(os.stat(args.cairn).st_mtime))}, "
        f"run from a copy); host: {os.cpu_count()} cores, load average {' '.join(load0)}; temp dir {root}")
    t_start = time.perf_counter()
    try:
        if any(w != "mlflow" for w in workloads):
            srv.run()
        for wl in workloads:
            log(f"\n== {wl}")
            try:
                ctx.results[wl] = WL[wl](ctx)
            except Exception as e:  # noqa: BLE001
                ctx.results[wl] = dict(error=f"{type(e).__name__}: {e}")
                log(f"  ERROR {type(e).__name__}: {e}")
                for s in ctx.servers:
                    if s.proc is not None and s.proc.poll() is not None:
                        log(f"  {s.kind} exited with {s.proc.returncode}\n{s.log_tail()}")
    finally:
        stop_all()
        if args.keep:
            log(f"\nkept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)

    with open("/proc/loadavg") as f:
        load1 = f.read().split()[:3]
    log(f"\n== summary ({time.perf_counter() - t_start:.0f} s; load average before {' '.join(load0)}, "
        f"after {' '.join(load1)})")
    print_table(ctx.results, cfg)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(config=cfg, load_before=load0, load_after=load1, waited_for_idle=WAIT_IDLE["log"],
                           results=ctx.results), f, indent=2)
        log(f"\nJSON written to {args.json}")
    return 1 if any("error" in r for r in ctx.results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())

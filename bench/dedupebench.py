#!/usr/bin/env python3
"""dedupebench: `cairn push` / `cairn pull` against the AWS CLI on the same Cairn server.

Starts its own `cairn serve` (temp data dir, free loopback port) and runs, on loopback:

  versions  5 successive versions of a 1 GiB float32 file, version k+1 changing ~2% of version k in
            4 regions: for each version `cairn push --json` vs `aws s3 cp` upload (wall time, bytes on
            the wire), then `cairn pull` into a dir holding the previous version with a warm cache vs
            `aws s3 cp` download
  small     a directory of 5,000 files of 1-64 KiB: `cairn push` vs `aws s3 sync` up (fresh prefixes),
            `cairn pull` (cold cache) vs `aws s3 sync` down
  chunker   `cairn bench-chunker --size-mib 1024` if the binary has that command

and prints a markdown table with the targets. See bench/README.md. Not part of CI.
"""

import argparse
import atexit
import ctypes
import hashlib
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from s3bench import Signer  # noqa: E402  (SigV4, cross-checked against botocore by s3bench)

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30
REGION = "us-east-1"
BUCKET = "dedupe-bench"
WORKLOADS = ["versions", "small", "chunker"]


def log(msg=""):
    print(msg, flush=True)


def mib(n):
    return n / MiB


# --------------------------------------------------------------------------------------------
# Server


_libc = ctypes.CDLL(None, use_errno=True)


def _die_with_parent():
    _libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class CairnServer:
    def __init__(self, binary, workdir, ak, sk):
        self.binary, self.ak, self.sk = binary, ak, sk
        self.data = os.path.join(workdir, "server-data")
        self.logpath = os.path.join(workdir, "server.log")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.signer = Signer(ak, sk)
        self.proc = None

    def start(self):
        env = dict(os.environ, CAIRN_ACCESS_KEY_ID=self.ak, CAIRN_SECRET_ACCESS_KEY=self.sk)
        self.logf = open(self.logpath, "wb")
        self.proc = subprocess.Popen(
            [self.binary, "serve", "--data", self.data, "--address", f"127.0.0.1:{self.port}", "--region", REGION],
            env=env, stdin=subprocess.DEVNULL, stdout=self.logf, stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"cairn serve exited with {self.proc.returncode}\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"cairn serve not ready after 60 s\n{self.log_tail()}")

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

    def log_tail(self, n=30):
        try:
            with open(self.logpath, "rb") as f:
                return "\n".join("    | " + l for l in f.read().decode("utf-8", "replace").splitlines()[-n:])
        except OSError:
            return "    | (no log)"

    def stats(self):
        """GET /api/v1/dedupe/stats, signed."""
        path = "/api/v1/dedupe/stats"
        host = f"127.0.0.1:{self.port}"
        amzdate, authz = self.signer.sign("GET", host, path, "")
        req = urllib.request.Request(self.url + path, headers={
            "x-amz-date": amzdate, "x-amz-content-sha256": "UNSIGNED-PAYLOAD", "Authorization": authz})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())


# --------------------------------------------------------------------------------------------
# Clients


class Clients:
    def __init__(self, cairn, aws, server, home, jobs):
        self.cairn, self.aws, self.server, self.jobs = cairn, aws, server, jobs
        os.makedirs(os.path.join(home, ".aws"), exist_ok=True)
        config = os.path.join(home, ".aws", "config")
        with open(config, "w") as f:
            f.write(f"[default]\nregion = {REGION}\noutput = json\ns3 =\n"
                    "    addressing_style = path\n    signature_version = s3v4\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CAIRN_"))}
        env.update(HOME=home, XDG_CONFIG_HOME=os.path.join(home, ".config"),
                   XDG_CACHE_HOME=os.path.join(home, ".cache"),
                   AWS_ACCESS_KEY_ID=server.ak, AWS_SECRET_ACCESS_KEY=server.sk, AWS_REGION=REGION,
                   AWS_DEFAULT_REGION=REGION, AWS_CONFIG_FILE=config,
                   AWS_SHARED_CREDENTIALS_FILE=os.path.join(home, ".aws", "credentials"),
                   AWS_EC2_METADATA_DISABLED="true", AWS_PAGER="", PYTHONWARNINGS="ignore",
                   CAIRN_CACHE_DIR=os.path.join(home, "cairn-cache"))
        self.env = env

    def _run(self, cmd):
        t0 = time.perf_counter()
        p = subprocess.run(cmd, env=self.env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        wall = time.perf_counter() - t0
        if p.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} exited {p.returncode}\n{p.stderr[-3000:]}")
        return wall, p

    def cairn_cmd(self, verb, *args):
        wall, p = self._run([self.cairn, verb, "--endpoint", self.server.url, "--json", "--jobs",
                             str(self.jobs), *args])
        return wall, json.loads(p.stdout)

    def aws_cmd(self, *args):
        quiet = ["--only-show-errors"] if args[:2] in (("s3", "cp"), ("s3", "sync")) else []
        wall, _ = self._run([self.aws, "--endpoint-url", self.server.url, *args, *quiet])
        return wall


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(8 * MiB), b""):
            h.update(block)
    return h.hexdigest()


# --------------------------------------------------------------------------------------------
# Workloads


def make_versions_file(path, size, n_versions, frac, regions, seed=1):
    """Writes v1 to `path` and yields k for k = 1..n after making version k in place (version k+1
    replaces `regions` random contiguous regions totalling `frac` of the float32 elements)."""
    import numpy as np
    n = size // 4
    arr = np.random.default_rng(seed).standard_normal(n, dtype=np.float32)
    with open(path, "wb") as f:
        f.write(arr.data)
    yield 1
    region = max(1, int(n * frac / regions))
    for v in range(2, n_versions + 1):
        rng = np.random.default_rng(100 + v)
        starts = np.sort(rng.choice(n // region, size=regions, replace=False)) * region
        with open(path, "r+b") as f:
            for s in starts:
                new = rng.standard_normal(region, dtype=np.float32)
                f.seek(int(s) * 4)
                f.write(new.data)
        yield v


def wl_versions(cl, srv, root, cfg, verify):
    src = os.path.join(root, "weights.f32")
    pull_dir = os.path.join(root, "cairn-pull")
    aws_dir = os.path.join(root, "aws-pull")
    cache = os.path.join(root, "cairn-cache")
    os.makedirs(pull_dir)
    os.makedirs(aws_dir)
    rows = []
    for v in make_versions_file(src, cfg["size"], cfg["versions"], cfg["change"], 4):
        size = os.path.getsize(src)
        digest = sha256_file(src) if verify else None
        os.sync()
        s0 = srv.stats()
        t_push, push = cl.cairn_cmd("push", src, f"s3://{BUCKET}/cairn/v{v}.f32")
        s1 = srv.stats()
        t_aws_up = cl.aws_cmd("s3", "cp", src, f"s3://{BUCKET}/aws/v{v}.f32")
        os.sync()
        t_pull, pulled = cl.cairn_cmd("pull", "--cache", cache, f"s3://{BUCKET}/cairn/v{v}.f32",
                                      os.path.join(pull_dir, "weights.f32"))
        t_aws_down = cl.aws_cmd("s3", "cp", f"s3://{BUCKET}/aws/v{v}.f32", os.path.join(aws_dir, "weights.f32"))
        if verify:
            for p in (os.path.join(pull_dir, "weights.f32"), os.path.join(aws_dir, "weights.f32")):
                if sha256_file(p) != digest:
                    raise RuntimeError(f"v{v}: {p} differs from the source")
        row = dict(version=v, size=size, push_s=t_push, push_bytes=push["bytes_sent"],
                   push_server_bytes=s1["wire_bytes_received"] - s0["wire_bytes_received"],
                   push_dedupe=push["dedupe_ratio"], aws_up_s=t_aws_up, aws_up_bytes=size,
                   pull_s=t_pull, pull_bytes=pulled["bytes_received"], pull_dedupe=pulled["dedupe_ratio"],
                   aws_down_s=t_aws_down, aws_down_bytes=size)
        rows.append(row)
        log(f"  v{v}: push {t_push:6.2f} s {mib(row['push_bytes']):8.1f} MiB ({100 * row['push_bytes'] / size:5.1f}%)"
            f" | aws cp up {t_aws_up:6.2f} s ({t_aws_up / t_push:4.1f}x)"
            f" | pull {t_pull:6.2f} s {mib(row['pull_bytes']):8.1f} MiB ({100 * row['pull_bytes'] / size:5.1f}%)"
            f" | aws cp down {t_aws_down:6.2f} s ({t_aws_down / t_pull:4.1f}x)")
    return dict(rows=rows)


def make_small_tree(root, n, seed=5):
    rng = random.Random(seed)
    words = [b"cairn", b"chunk", b"dedupe", b"manifest", b"sha256", b"\n"]
    total = 0
    for i in range(n):
        size = rng.randint(1 * KiB, 64 * KiB)
        d = os.path.join(root, f"d{i % 50:02d}")
        os.makedirs(d, exist_ok=True)
        if i % 2:
            body = rng.randbytes(size)
        else:
            body = b" ".join(rng.choice(words) for _ in range(size // 5))[:size].ljust(size, b".")
        with open(os.path.join(d, f"f{i:05d}.bin"), "wb") as f:
            f.write(body)
        total += size
    # aws s3 sync compares mtimes with one-second resolution; date the sources back.
    past = time.time() - 3600
    for dirpath, _, files in os.walk(root):
        for name in files:
            os.utime(os.path.join(dirpath, name), (past, past))
    return total


def tree_digest(root):
    h = hashlib.sha256()
    for dirpath, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            p = os.path.join(dirpath, name)
            h.update(os.path.relpath(p, root).encode() + b"\0" + sha256_file(p).encode())
    return h.hexdigest()


def wl_small(cl, srv, root, cfg, verify):
    src = os.path.join(root, "small-src")
    total = make_small_tree(src, cfg["files"])
    os.sync()
    # cairn first: the content is new to the server for it (aws gets no advantage from server-side
    # dedupe either way: it sends every byte).
    t_push, push = cl.cairn_cmd("push", src, f"s3://{BUCKET}/small-cairn")
    t_aws_up = cl.aws_cmd("s3", "sync", src, f"s3://{BUCKET}/small-aws/")
    dst_c, dst_a = os.path.join(root, "small-cairn"), os.path.join(root, "small-aws")
    t_pull, pulled = cl.cairn_cmd("pull", "--cache", os.path.join(root, "small-cache"),
                                  f"s3://{BUCKET}/small-cairn", dst_c)
    t_aws_down = cl.aws_cmd("s3", "sync", f"s3://{BUCKET}/small-aws/", dst_a)
    if verify:
        want = tree_digest(src)
        for d in (dst_c, dst_a):
            if tree_digest(d) != want:
                raise RuntimeError(f"{d} differs from the source tree")
    log(f"  {cfg['files']} files, {mib(total):.1f} MiB: push {t_push:.2f} s vs aws s3 sync {t_aws_up:.2f} s "
        f"({t_aws_up / t_push:.1f}x); pull {t_pull:.2f} s vs aws s3 sync {t_aws_down:.2f} s "
        f"({t_aws_down / t_pull:.1f}x)")
    return dict(files=cfg["files"], bytes=total, push_s=t_push, push_bytes=push["bytes_sent"],
                aws_up_s=t_aws_up, pull_s=t_pull, pull_bytes=pulled["bytes_received"], aws_down_s=t_aws_down)


def wl_chunker(cl, srv, root, cfg, verify):
    probe = subprocess.run([cl.cairn, "bench-chunker", "--help"], capture_output=True, text=True)
    if probe.returncode != 0:
        log("  skipped: this cairn has no `bench-chunker` command")
        return dict(skipped=True)
    p = subprocess.run([cl.cairn, "bench-chunker", "--size-mib", str(cfg["chunker_mib"])],
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"bench-chunker exited {p.returncode}: {p.stderr[-2000:]}")
    doc = json.loads(p.stdout)
    log(f"  {doc['gb_per_s']:.2f} GB/s over {cfg['chunker_mib']} MiB")
    return dict(gb_per_s=float(doc["gb_per_s"]), raw=doc)


WL = dict(versions=wl_versions, small=wl_small, chunker=wl_chunker)


# --------------------------------------------------------------------------------------------
# Summary


def print_table(results):
    lines = ["| metric | cairn | aws cli | ratio | target | met |", "| --- | --- | --- | --- | --- | --- |"]

    def row(metric, cairn, aws, ratio, target, ok):
        lines.append(f"| {metric} | {cairn} | {aws} | {ratio} | {target} | {'yes' if ok else 'NO'} |")

    ver = results.get("versions")
    if ver and "rows" in ver:
        for r in ver["rows"]:
            v, size = r["version"], r["size"]
            pct = 100 * r["push_bytes"] / size
            up = r["aws_up_s"] / r["push_s"]
            if v == 1:
                lines.append(f"| v1 push (new content) | {r['push_s']:.2f} s, {mib(r['push_bytes']):.0f} MiB "
                             f"| {r['aws_up_s']:.2f} s, {mib(size):.0f} MiB | {up:.2f}x | — | — |")
                lines.append(f"| v1 pull (cold cache) | {r['pull_s']:.2f} s, {mib(r['pull_bytes']):.0f} MiB "
                             f"| {r['aws_down_s']:.2f} s, {mib(size):.0f} MiB | {r['aws_down_s'] / r['pull_s']:.2f}x | — | — |")
                continue
            row(f"v{v} push: bytes sent", f"{mib(r['push_bytes']):.1f} MiB ({pct:.1f}%)", f"{mib(size):.0f} MiB",
                f"{pct / 100:.3f}", "< 10% of the file", pct < 10)
            row(f"v{v} push: wall time", f"{r['push_s']:.2f} s", f"{r['aws_up_s']:.2f} s", f"{up:.1f}x faster",
                "≥ 3x faster", up >= 3)
            down = r["aws_down_s"] / r["pull_s"]
            lines.append(f"| v{v} pull over v{v - 1}, warm cache | {r['pull_s']:.2f} s, {mib(r['pull_bytes']):.1f} MiB "
                         f"| {r['aws_down_s']:.2f} s, {mib(size):.0f} MiB | {down:.1f}x faster | — | — |")
    elif ver:
        lines.append(f"| versions | ERROR: {ver.get('error')} | | | | |")
    sm = results.get("small")
    if sm and "push_s" in sm:
        up = sm["aws_up_s"] / sm["push_s"]
        row(f"{sm['files']} small files push", f"{sm['push_s']:.2f} s", f"{sm['aws_up_s']:.2f} s (sync)",
            f"{up:.1f}x faster", "≥ 2x faster", up >= 2)
        lines.append(f"| {sm['files']} small files pull (cold cache) | {sm['pull_s']:.2f} s | {sm['aws_down_s']:.2f} s (sync) "
                     f"| {sm['aws_down_s'] / sm['pull_s']:.1f}x faster | — | — |")
    elif sm:
        lines.append(f"| small files | ERROR: {sm.get('error')} | | | | |")
    ch = results.get("chunker")
    if ch and "gb_per_s" in ch:
        row("chunker throughput", f"{ch['gb_per_s']:.2f} GB/s", "—", "—", "≥ 1 GB/s", ch["gb_per_s"] >= 1.0)
    elif ch and ch.get("skipped"):
        lines.append("| chunker throughput | skipped (no `cairn bench-chunker`) | | | ≥ 1 GB/s | — |")
    elif ch:
        lines.append(f"| chunker throughput | ERROR: {ch.get('error')} | | | | |")
    log("\n".join(lines))


def default_aws():
    for p in (os.path.join(HERE, ".venv", "bin", "aws"), os.path.join(REPO, ".venv", "bin", "aws")):
        if os.access(p, os.X_OK):
            return p
    return shutil.which("aws") or "aws"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size-mib", type=int, default=1024, help="size of the versioned float32 file (default 1024)")
    ap.add_argument("--versions", type=int, default=5, help="number of versions (default 5)")
    ap.add_argument("--change", type=float, default=0.02, help="fraction changed per version (default 0.02)")
    ap.add_argument("--files", type=int, default=5000, help="small files in the directory workload (default 5000)")
    ap.add_argument("--chunker-mib", type=int, default=1024, help="data size for bench-chunker (default 1024)")
    ap.add_argument("--jobs", type=int, default=4, help="cairn --jobs (default 4, the CLI's default)")
    ap.add_argument("--only", action="append", default=[], metavar="NAME",
                    help=f"run only these workloads (repeatable or comma-separated): {', '.join(WORKLOADS)}")
    ap.add_argument("--cairn", default=os.path.join(REPO, ".build", "release", "cairn"), help="cairn binary")
    ap.add_argument("--aws", default=default_aws(), help="aws CLI (default: bench/.venv, then .venv, then PATH)")
    ap.add_argument("--no-verify", action="store_true", help="skip the sha256 comparison of downloads")
    ap.add_argument("--tmpdir", default=None, help="where temp files go (default $TMPDIR or /tmp; ~5 GB for a full run)")
    ap.add_argument("--keep", action="store_true", help="keep the temp directory")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    args = ap.parse_args()

    only = [w for item in args.only for w in item.split(",") if w]
    for w in only:
        if w not in WORKLOADS:
            ap.error(f"unknown workload {w!r}; choose from {', '.join(WORKLOADS)}")
    workloads = [w for w in WORKLOADS if not only or w in only]
    if not os.access(args.cairn, os.X_OK):
        ap.error(f"cairn binary not found: {args.cairn}")
    if not (os.access(args.aws, os.X_OK) or shutil.which(args.aws)):
        ap.error(f"aws CLI not found: {args.aws} (pip install awscli into bench/.venv)")
    if "versions" in workloads:
        try:
            import numpy  # noqa: F401
        except ImportError:
            ap.error("numpy is required for the versions workload (pip install -r bench/requirements.txt)")
    if args.size_mib * MiB % 4:
        ap.error("--size-mib must give a whole number of float32 values")
    cfg = dict(size=args.size_mib * MiB, versions=args.versions, change=args.change, files=args.files,
               chunker_mib=args.chunker_mib)

    root = tempfile.mkdtemp(prefix="dedupebench-", dir=args.tmpdir)
    srv = CairnServer(args.cairn, root, "bench" + secrets.token_hex(6), secrets.token_urlsafe(30))
    atexit.register(srv.stop)

    def on_signal(signum, _frame):
        raise SystemExit(128 + signum)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)

    aws_version = subprocess.run([args.aws, "--version"], capture_output=True, text=True)
    log(f"dedupebench: workloads {','.join(workloads)}; versions {args.versions} x {args.size_mib} MiB "
        f"({100 * args.change:g}% changed each), {args.files} small files")
    log(f"cairn: {args.cairn} (--jobs {args.jobs});  aws: {(aws_version.stdout or aws_version.stderr).strip()}")
    log(f"host: {os.cpu_count()} cores; temp dir {root}")
    results = {}
    t_start = time.perf_counter()
    try:
        srv.start()
        cl = Clients(args.cairn, args.aws, srv, os.path.join(root, "home"), args.jobs)
        cl.aws_cmd("s3", "mb", f"s3://{BUCKET}")
        for wl in workloads:
            log(f"\n== {wl}")
            wdir = os.path.join(root, wl)
            os.makedirs(wdir)
            try:
                results[wl] = WL[wl](cl, srv, wdir, cfg, not args.no_verify)
            except Exception as e:
                results[wl] = dict(error=f"{type(e).__name__}: {e}")
                log(f"  ERROR {type(e).__name__}: {e}")
                if srv.proc.poll() is not None:
                    log(f"  server exited with {srv.proc.returncode}\n{srv.log_tail()}")
            finally:
                if not args.keep:
                    shutil.rmtree(wdir, ignore_errors=True)
    finally:
        srv.stop()
        if args.keep:
            log(f"\nkept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)

    log(f"\n== summary ({time.perf_counter() - t_start:.0f} s)")
    print_table(results)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(config=cfg, results=results), f, indent=2)
        log(f"\nJSON written to {args.json}")
    return 1 if any("error" in r for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""gcbench: garbage collection and scrub (issue 5's bar).

Workloads (see bench/README.md for what every number means):
  mark          `cairn bench-gc`: plan (mark) and execute time of a collection over an in-process store of
                >= 1,000,000 chunks, chunks per second                        target: marks 1,000,000 in < 10 s
  scrub         the same run: scrub MB/s of a 1 GiB store against decompress + sha256 of the same chunks
                from memory on one core                                      target: >= 70% of that limit
  interference  a `cairn serve` of its own: PUT and GET throughput of C keep-alive clients for a window
                with no GC, then for a window while `POST /api/v1/admin/gc?grace=0s` runs back to back;
                two rounds; then a final GC, fsck and every live object read back and checked by MD5
                                                                             target: during GC > 70% of idle

Prints a markdown table (workload, figure, target, met) at the end; --json writes everything measured.
The client is s3bench's raw keep-alive HTTP/1.1 client with its SigV4 signer. Not part of CI.
"""

import argparse
import atexit
import base64
import datetime
import gc as pygc
import hashlib
import json
import os
import platform
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

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from s3bench import (  # noqa: E402  (SigV4 client, cross-checked against botocore by s3bench)
    CLK_TCK, Conn, HTTPStatusError, Signer, _die_with_parent, crosscheck_signer, free_port, machine_busy_seconds)

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30
MB = 1_000_000
REGION = "us-east-1"
BUCKET = "gc-bench"
WORKLOADS = ["mark", "scrub", "interference"]
GC_PARAMS = [("grace", "0s"), ("compact-below", "0.5")]


def log(msg=""):
    print(msg, flush=True)


def load_average():
    try:
        with open("/proc/loadavg") as f:
            return f.read().split()[:3]
    except OSError:
        return ["?"] * 3


def busy_cores(seconds=1.0):
    """How many cores the machine kept busy over `seconds` (all processes)."""
    m0, t0 = machine_busy_seconds(), time.perf_counter()
    time.sleep(seconds)
    return (machine_busy_seconds() - m0) / (time.perf_counter() - t0)


WAIT_IDLE = dict(max_s=0.0, log=[])


def wait_idle(label):
    """With --wait-idle S: before a timed part, wait (at most S seconds) until the machine has been
    nearly idle (< 10% of all cores busy) for a whole second, so that other people's builds and tests
    on a shared machine stay out of the windows more often than not. Returns seconds waited."""
    if WAIT_IDLE["max_s"] <= 0:
        return 0.0
    t0 = time.monotonic()
    ncpu = os.cpu_count() or 1
    while True:
        busy = busy_cores(1.0) / ncpu
        waited = time.monotonic() - t0
        if busy < 0.10:
            break
        if waited >= WAIT_IDLE["max_s"]:
            log(f"    (machine still busy, {100 * busy:.0f}% of {ncpu} cores, after waiting {waited:.0f} s: going on)")
            break
    if waited > 1.5:
        log(f"    (waited {waited:.0f} s for an idle machine before {label})")
    WAIT_IDLE["log"].append((label, round(waited, 1), busy < 0.10))
    return waited


def proc_cpu():
    """pid -> (utime+stime seconds, command name) of every process (kernel threads included)."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                raw = f.read()
        except OSError:
            continue
        name = raw[raw.find("(") + 1:raw.rfind(")")]
        fields = raw.rsplit(")", 1)[1].split()
        out[int(d)] = ((int(fields[11]) + int(fields[12])) / CLK_TCK, name)
    return out


def other_processes(before, after, exclude, n=4):
    """The processes other than `exclude` (pids) that used the most CPU between two proc_cpu() samples
    (processes that started and ended in between are not seen)."""
    rows = []
    for pid, (cpu, name) in after.items():
        if pid in exclude:
            continue
        d = cpu - before.get(pid, (0.0, name))[0]
        if d >= 0.05:
            rows.append((round(d, 2), pid, name))
    return [dict(cpu_s=d, pid=pid, name=name) for d, pid, name in sorted(rows, reverse=True)[:n]]


def top_processes(n=5):
    """The busiest processes right now (ps), for the record of what else ran on the machine."""
    try:
        out = subprocess.run(["ps", "-eo", "pid,pcpu,etime,args", "--sort=-pcpu"], capture_output=True, text=True).stdout
    except OSError:
        return []
    rows = []
    for line in out.splitlines()[1:n + 1]:
        rows.append(line.strip()[:160])
    return rows


# --------------------------------------------------------------------------------------------
# mark + scrub: `cairn bench-gc`


def run_bench_gc(binary, root, chunks, scrub_mib):
    d = os.path.join(root, "bench-gc")
    cmd = [binary, "bench-gc", "--chunks", str(chunks), "--scrub-mib", str(scrub_mib), "--directory", d]
    log(f"  $ {' '.join(cmd)}")
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    m0, t0 = machine_busy_seconds(), time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)
    wall = time.perf_counter() - t0
    busy = machine_busy_seconds() - m0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    shutil.rmtree(d, ignore_errors=True)
    if p.returncode != 0:
        raise RuntimeError(f"bench-gc exited {p.returncode}: {p.stderr[-3000:]}")
    line = [l for l in p.stdout.splitlines() if l.startswith("{")][-1]
    doc = json.loads(line)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    doc["process"] = dict(wall_s=wall, cpu_s=cpu, other_cpu_s=max(0.0, busy - cpu),
                          peak_rss_bytes=r1.ru_maxrss * KiB, command=" ".join(cmd))
    return doc


def report_mark(doc):
    g = doc["gc"]
    execute = g["seconds"] - g["plan_seconds"]
    log(f"  store: {g['total_chunks']:,} chunks in {g['objects']:,} objects ({g['objects_deleted']:,} deleted), "
        f"populated in {g['populate_seconds']:.1f} s")
    log(f"  dry run (plan only): {g['dry_run_seconds']:.2f} s = {g['total_chunks'] / g['dry_run_seconds']:,.0f} chunks/s")
    log(f"  collection: plan {g['plan_seconds']:.2f} s ({g['chunks_per_second_plan']:,.0f} chunks/s; "
        f"{g['marked_chunks']:,} marked live), execute {execute:.2f} s, whole run {g['seconds']:.2f} s "
        f"({g['total_chunks'] / g['seconds']:,.0f} chunks/s); freed {g['freed_chunks']:,} chunks, "
        f"{g['packs_deleted']} packs deleted, {g['packs_compacted']} compacted, {g['bytes_freed'] / MB:.1f} MB")
    pr = doc["process"]
    log(f"  bench-gc process: {pr['wall_s']:.1f} s wall, {pr['cpu_s']:.1f} s CPU, peak RSS "
        f"{pr['peak_rss_bytes'] / MB:.0f} MB; other processes used {pr['other_cpu_s']:.1f} s of CPU meanwhile")
    return dict(g, execute_seconds=execute, process=pr)


def report_scrub(doc):
    s = doc["scrub"]
    log(f"  {s['mib']} MiB ({s['chunks']:,} chunks, {s['raw_bytes'] / MB:.0f} MB raw, {s['stored_bytes'] / MB:.0f} MB "
        f"stored): scrub {s['scrub_seconds']:.2f} s = {s['scrub_mb_per_s']:.0f} MB/s; limit (decompress + sha256 "
        f"from memory, 1 core, best of 3) {s['limit_seconds']:.2f} s = {s['limit_mb_per_s']:.0f} MB/s; "
        f"ratio {s['ratio']:.2f}; corrupt {s['corrupt']}")
    if "decode_only_mb_per_s" in s:  # newer bench-gc: the limit without the sha256
        log(f"  decompress only (no sha256): {s['decode_only_mb_per_s']:.0f} MB/s; sha256 verification costs "
            f"{s['verify_seconds_per_gib']:.2f} s of one core per GiB read")
    return dict(s)


# --------------------------------------------------------------------------------------------
# interference: server, data, clients


class CairnServer:
    def __init__(self, binary, workdir, signer, log_level=None):
        self.binary, self.signer, self.log_level = binary, signer, log_level
        self.data = os.path.join(workdir, "server-data")
        self.logpath = os.path.join(workdir, "server.log")
        self.port = free_port()
        self.proc = None
        self.logf = None

    def start(self):
        cmd = [self.binary, "serve", "--data", self.data, "--address", f"127.0.0.1:{self.port}", "--region", REGION,
               "--gc-interval", "0"]
        if self.log_level:
            cmd += ["--log-level", self.log_level]
        env = dict(os.environ, CAIRN_ACCESS_KEY_ID=self.signer.ak, CAIRN_SECRET_ACCESS_KEY=self.signer.sk)
        self.logf = open(self.logpath, "wb")
        self.proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=self.logf,
                                     stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        deadline = time.monotonic() + 60
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"cairn serve exited with {self.proc.returncode}\n{self.log_tail()}")
            try:
                c = Conn(self.port, self.signer)
                c.connect()
                c.sock.sendall(f"GET /healthz HTTP/1.1\r\nHost: {c.hosthdr}\r\n\r\n".encode())
                status, _ = c._read_head()
                c.close()
                if status == 200:
                    return
            except OSError as e:
                last = e
            time.sleep(0.05)
        raise RuntimeError(f"cairn serve not ready after 60 s ({last})\n{self.log_tail()}")

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(15)
        if self.logf:
            self.logf.close()
            self.logf = None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def cpu_seconds(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def rss_bytes(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * KiB
        return 0

    def conn(self, timeout=600):
        return Conn(self.port, self.signer, timeout=timeout)

    def admin(self, method, what, params=(), conn=None):
        c = conn or self.conn()
        try:
            _, _, body = c.request(method, f"/api/v1/admin/{what}", params=params)
        finally:
            if conn is None:
                c.close()
        return json.loads(body)

    def log_tail(self, n=30):
        try:
            with open(self.logpath, "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
            return "\n".join(f"    | {l}" for l in lines[-n:])
        except OSError:
            return "    | (no log)"

    def log_problems(self):
        """Log lines at warning level or above, and requests answered with a 5xx status."""
        out = []
        try:
            with open(self.logpath, "rb") as f:
                for raw in f:
                    line = raw.decode("utf-8", "replace").rstrip()
                    parts = line.split(" ", 2)
                    level = parts[1] if len(parts) > 1 else ""
                    if level in ("warning", "error", "critical"):
                        out.append(line)
                    elif "[CairnS3]" in line and " 5" in line:
                        toks = line.split()
                        # "... [CairnS3] METHOD PATH STATUS BYTES TIME"
                        if len(toks) >= 4 and toks[-3].isdigit() and toks[-3].startswith("5") and len(toks[-3]) == 3:
                            out.append(line)
        except OSError:
            pass
        return out

    def gc_log_lines(self):
        try:
            with open(self.logpath, "rb") as f:
                return sum(1 for raw in f if b" gc: " in raw or b" gc (dry run): " in raw)
        except OSError:
            return 0


class Bodies:
    """Distinct pseudo-random bodies without generating random bytes per body: a 64 MiB random base,
    a window of it XORed with a distinct 64-bit word per body, so no two bodies share a chunk
    (nothing deduplicates) and any body can be regenerated from (word, offset, size) to check it."""

    def __init__(self, seed=7, base_bytes=64 * MiB):
        import numpy as np
        self.np = np
        self.base = np.frombuffer(np.random.default_rng(seed).bytes(base_bytes), dtype=np.uint64)
        self.lock = threading.Lock()
        self.counter = 0

    def next_word(self):
        with self.lock:
            self.counter += 1
            n = self.counter
        return (n * 0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019) & (2 ** 64 - 1)

    def buffer(self, size):
        """Scratch space for make() (one per thread)."""
        return self.np.empty((size + 7) // 8, dtype=self.np.uint64)

    def make(self, word, off, size, out=None):
        """The body for (word, off, size), as a uint8 view (of `out` when given)."""
        np = self.np
        words = (size + 7) // 8
        off %= self.base.size - words
        if out is None or out.size < words:
            out = np.empty(words, dtype=np.uint64)
        np.bitwise_xor(self.base[off:off + words], np.uint64(word), out=out[:words])
        return out.view(np.uint8)[:size]

    def md5(self, word, off, size):
        return hashlib.md5(self.make(word, off, size)).hexdigest()


def xml_escape(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def delete_keys(srv, keys, batch=1000):
    c = srv.conn()
    for i in range(0, len(keys), batch):
        body = ("<Delete><Quiet>true</Quiet>" + "".join(f"<Object><Key>{xml_escape(k)}</Key></Object>"
                                                         for k in keys[i:i + batch]) + "</Delete>").encode()
        md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
        _, _, resp = c.request("POST", f"/{BUCKET}", params=[("delete", "")], body=body,
                               headers={"Content-MD5": md5, "Content-Type": "application/xml"})
        if b"<Error>" in resp:
            raise RuntimeError(f"DeleteObjects reported errors: {resp[:500]!r}")
    c.close()


def parallel(n, fn):
    """Runs fn(i) in n threads; re-raises the first exception."""
    errors = []

    def wrap(i):
        try:
            fn(i)
        except BaseException as e:  # noqa: BLE001
            errors.append(e)
    threads = [threading.Thread(target=wrap, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


class State:
    """What the store should hold: key -> (word, offset, size, md5 or None) candidates."""

    def __init__(self):
        self.live = {}       # key -> list of acceptable (word, off, size); one unless a PUT failed midway
        self.deleted = []
        self.get_keys = []   # preloaded small objects that survive: what the GET clients read
        self.md5 = {}        # key -> md5 hex for get_keys


def preload(srv, bodies, st, cfg, clients):
    n_small, n_large = cfg["preload_small"], cfg["preload_large"]
    rng = random.Random(11)
    specs = []
    for i in range(n_small):
        specs.append((f"small/{i:06d}", bodies.next_word(), rng.randrange(1 << 40), rng.randint(4 * KiB, 64 * KiB)))
    for i in range(n_large):
        specs.append((f"large/{i:04d}", bodies.next_word(), rng.randrange(1 << 40), cfg["large_size"]))
    md5s = {}
    total = sum(s[3] for s in specs)
    t0 = time.perf_counter()

    def worker(t):
        c = srv.conn()
        buf = bodies.buffer(max(cfg["large_size"], 64 * KiB))
        for key, word, off, size in specs[t::clients]:
            body = bodies.make(word, off, size, buf)
            md5 = hashlib.md5(body).hexdigest()
            _, hdrs, _ = c.request("PUT", f"/{BUCKET}/{key}", body=memoryview(body))
            if hdrs.get("etag", "").strip('"') != md5:
                raise RuntimeError(f"PUT {key}: ETag {hdrs.get('etag')} != md5 {md5}")
            md5s[key] = md5
        c.close()
    parallel(clients, worker)
    wall = time.perf_counter() - t0
    for key, word, off, size in specs:
        st.live[key] = [(word, off, size)]
    # Delete half of each kind (every other key): garbage for the first collection.
    doomed = [s[0] for s in specs[0::2]]
    t1 = time.perf_counter()
    delete_keys(srv, doomed)
    del_wall = time.perf_counter() - t1
    for k in doomed:
        del st.live[k]
    st.deleted = doomed
    st.get_keys = [s[0] for s in specs[1::2] if s[0].startswith("small/")]
    st.md5 = {k: md5s[k] for k in st.get_keys}
    st.get_sizes = {s[0]: s[3] for s in specs}
    return dict(objects=len(specs), bytes=total, put_wall_s=wall, put_MiBps=total / MiB / wall,
                put_ops_per_s=len(specs) / wall, deleted=len(doomed), delete_wall_s=del_wall)


class GCRunner:
    """POST /api/v1/admin/gc back to back in a thread, on its own connection, until stopped."""

    def __init__(self, srv):
        self.srv = srv
        self.runs = []     # dict(t0, t1, report) or dict(t0, t1, error)
        self._stop = threading.Event()
        self._t = None

    def start(self):
        self._stop.clear()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self):
        c = self.srv.conn(timeout=3600)
        while not self._stop.is_set():
            t0 = time.perf_counter()
            try:
                _, _, body = c.request("POST", "/api/v1/admin/gc", params=GC_PARAMS)
                self.runs.append(dict(t0=t0, t1=time.perf_counter(), report=json.loads(body)))
            except (OSError, HTTPStatusError, ValueError) as e:
                self.runs.append(dict(t0=t0, t1=time.perf_counter(), error=f"{type(e).__name__}: {e}"))
                c.close()
                self._stop.wait(0.2)
        c.close()

    def stop(self):
        """Stops after the run in progress (waited for)."""
        self._stop.set()
        if self._t:
            self._t.join()
            self._t = None

    def summary(self, w0, w1):
        """Runs overlapping [w0, w1]: counts, durations, what they did, share of the window covered."""
        runs = [r for r in self.runs if r["t1"] > w0 and r["t0"] < w1]
        ok = [r for r in runs if "report" in r]
        covered = sum(min(r["t1"], w1) - max(r["t0"], w0) for r in runs)
        reps = [r["report"] for r in ok]

        def tot(k):
            return sum(int(x.get(k, 0)) for x in reps)
        durs = [r["t1"] - r["t0"] for r in ok]
        return dict(runs=len(runs), errors=[r["error"] for r in runs if "error" in r],
                    completed_in_window=sum(1 for r in ok if r["t1"] <= w1),
                    mean_s=sum(durs) / len(durs) if durs else 0.0, max_s=max(durs) if durs else 0.0,
                    server_mean_s=sum(x["seconds"] for x in reps) / len(reps) if reps else 0.0,
                    server_mean_plan_s=sum(x["plan_seconds"] for x in reps) / len(reps) if reps else 0.0,
                    total_chunks_last=reps[-1]["total_chunks"] if reps else 0,
                    freed_chunks=tot("freed_chunks"), freed_blobs=tot("freed_blobs"), revived=tot("revived"),
                    packs_deleted=tot("packs_deleted"), packs_compacted=tot("packs_compacted"),
                    chunks_moved=tot("chunks_moved"), bytes_freed=tot("bytes_freed"),
                    duty=covered / (w1 - w0) if w1 > w0 else 0.0)


def pct(vals, p):
    if not vals:
        return 0.0
    return vals[min(len(vals) - 1, int(p / 100 * len(vals)))]


def run_window(srv, bodies, st, kind, seconds, clients, verify_get, seed):
    """`clients` threads, each on its own keep-alive connection, PUT (overwrite own keys) or GET (random
    preloaded survivors) until `seconds` have passed. Returns the window's figures."""
    ops = [0] * clients
    nbytes = [0] * clients
    lat = [[] for _ in range(clients)]        # (t_end, seconds, bytes)
    errors = [[] for _ in range(clients)]
    bad = [[] for _ in range(clients)]
    end_at = [0.0] * clients
    barrier = threading.Barrier(clients + 1)
    deadline = [0.0]
    put_size = st.put_size
    kpt = st.keys_per_thread

    def worker(t):
        c = srv.conn()
        c.connect()
        rng = random.Random(seed * 1000 + t)
        buf = bodies.buffer(put_size)
        out_l, out_e = lat[t], errors[t]
        j = rng.randrange(kpt)
        barrier.wait()
        end = deadline[0]
        while True:
            now = time.perf_counter()
            if now >= end:
                break
            try:
                if kind == "put":
                    j = (j + 1) % kpt
                    key = f"put/{t:02d}/{j:04d}"
                    word, off = bodies.next_word(), rng.randrange(1 << 40)
                    body = bodies.make(word, off, put_size, buf)
                    prev = st.live.get(key, [])
                    st.live[key] = prev + [(word, off, put_size)]  # either may be there if this PUT fails midway
                    c.request("PUT", f"/{BUCKET}/{key}", body=memoryview(body))
                    st.live[key] = [(word, off, put_size)]
                    n = put_size
                else:
                    key = st.get_keys[rng.randrange(len(st.get_keys))]
                    _, _, got = c.request("GET", f"/{BUCKET}/{key}")
                    n = len(got)
                    if verify_get and hashlib.md5(got).hexdigest() != st.md5[key]:
                        bad[t].append(key)
                    elif n != st.get_sizes[key]:
                        bad[t].append(key)
                t1 = time.perf_counter()
                out_l.append((t1, t1 - now, n))
                ops[t] += 1
                nbytes[t] += n
            except (OSError, HTTPStatusError) as e:
                out_e.append(f"{type(e).__name__}: {e}"[:300])
                c.close()
        end_at[t] = time.perf_counter()
        c.close()

    worker_errors = []

    def guard(t):
        try:
            worker(t)
        except BaseException as e:  # noqa: BLE001
            worker_errors.append(e)
            barrier.abort()
    threads = [threading.Thread(target=guard, args=(t,)) for t in range(clients)]
    for th in threads:
        th.start()
    procs0 = proc_cpu()
    pygc.disable()
    try:
        s0, c0, m0 = srv.cpu_seconds(), time.process_time(), machine_busy_seconds()
        t0 = time.perf_counter()
        deadline[0] = t0 + seconds
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass
        for th in threads:
            th.join()
        t1 = max(end_at) if any(end_at) else time.perf_counter()
        wall = t1 - t0
        server_cpu, client_cpu = srv.cpu_seconds() - s0, time.process_time() - c0
        other = max(0.0, machine_busy_seconds() - m0 - server_cpu - client_cpu)
    finally:
        pygc.enable()
    if worker_errors:
        raise worker_errors[0]
    # Who else used the CPU in the window (sampled outside it, so the scan of /proc is not timed).
    others = other_processes(procs0, proc_cpu(), {os.getpid(), srv.proc.pid}) if other > 0.05 * wall else []
    all_lat = sorted(x[1] for l in lat for x in l)
    # Throughput in 1-second bins: the worst bin shows a stall that an average would hide.
    bins = [0] * max(1, int(seconds + 0.999))
    for l in lat:
        for te, _, n in l:
            b = int(te - t0)
            if 0 <= b < len(bins):
                bins[b] += n
    total_ops, total_bytes = sum(ops), sum(nbytes)
    return dict(kind=kind, t0=t0, t1=t1, wall_s=wall, ops=total_ops, bytes=total_bytes,
                ops_per_s=total_ops / wall, MiBps=total_bytes / MiB / wall,
                p50_ms=pct(all_lat, 50) * 1000, p99_ms=pct(all_lat, 99) * 1000, max_ms=(all_lat[-1] * 1000 if all_lat else 0.0),
                worst_1s_MiBps=min(bins) / MiB, best_1s_MiBps=max(bins) / MiB,
                server_cpu_s=server_cpu, client_cpu_s=client_cpu, other_cpu_s=other,
                other_processes=others, errors=[e for l in errors for e in l], bad_bodies=[k for l in bad for k in l])


def line_window(w):
    note = ""
    if w.get("other_processes"):
        note += " (other: " + ", ".join(f"{o['name']}[{o['pid']}] {o['cpu_s']:.1f} s" for o in w["other_processes"]) + ")"
    note += f", {len(w['errors'])} ERRORS" if w["errors"] else ""
    note += f", {len(w['bad_bodies'])} BAD BODIES" if w["bad_bodies"] else ""
    return (f"{w['kind'].upper():3s} {w['MiBps']:7.1f} MiB/s {w['ops_per_s']:7.0f} ops/s  p50 {w['p50_ms']:6.1f} ms  "
            f"p99 {w['p99_ms']:6.1f} ms  max {w['max_ms']:7.1f} ms  worst 1 s {w['worst_1s_MiBps']:6.1f} MiB/s  "
            f"CPU server {w['server_cpu_s'] / w['wall_s']:.2f} client {w['client_cpu_s'] / w['wall_s']:.2f} "
            f"other {w['other_cpu_s'] / w['wall_s']:.2f} cores{note}")


def line_gc(g):
    err = f", {len(g['errors'])} FAILED" if g["errors"] else ""
    return (f"GC  {g['runs']} runs overlapping the window ({g['completed_in_window']} finished in it, covering "
            f"{100 * g['duty']:.0f}% of it){err}; mean {g['mean_s']:.2f} s (server: {g['server_mean_s']:.2f} s, plan "
            f"{g['server_mean_plan_s']:.3f} s), max {g['max_s']:.2f} s; freed {g['freed_chunks']:,} chunks, "
            f"{g['packs_deleted']} packs deleted, {g['packs_compacted']} compacted ({g['chunks_moved']:,} chunks moved), "
            f"{g['bytes_freed'] / MB:.0f} MB")


def du_bytes(path):
    r = subprocess.run(["du", "-sb", path], capture_output=True, text=True)
    try:
        return int(r.stdout.split()[0])
    except (IndexError, ValueError):
        return 0


def verify_store(srv, bodies, st, clients):
    """Every live key read back and its MD5 compared; a sample of deleted keys must be gone."""
    keys = sorted(st.live)
    bad, missing, checked, nbytes = [], [], [0] * clients, [0] * clients

    def worker(t):
        c = srv.conn()
        for key in keys[t::clients]:
            try:
                _, _, body = c.request("GET", f"/{BUCKET}/{key}")
            except HTTPStatusError as e:
                missing.append(f"{key}: HTTP {e.status}")
                continue
            got = hashlib.md5(body).hexdigest()
            if not any(bodies.md5(w, o, s) == got for w, o, s in st.live[key]):
                bad.append(key)
            checked[t] += 1
            nbytes[t] += len(body)
        c.close()
    t0 = time.perf_counter()
    parallel(clients, worker)
    wall = time.perf_counter() - t0
    c = srv.conn()
    still = []
    for key in random.Random(3).sample(st.deleted, min(200, len(st.deleted))):
        status, _, _ = c.request("HEAD", f"/{BUCKET}/{key}", ok=(200, 404))
        if status != 404:
            still.append(key)
    c.close()
    return dict(checked=sum(checked), bytes=sum(nbytes), wall_s=wall, bad_md5=bad, missing=missing,
                deleted_sampled=min(200, len(st.deleted)), deleted_still_present=still)


def wl_interference(binary, root, cfg, signer, log_level):
    srv = CairnServer(binary, os.path.join(root, "interference"), signer, log_level)
    os.makedirs(os.path.dirname(srv.data), exist_ok=True)
    LIVE.append(srv)
    srv.start()
    clients = cfg["clients"]
    res = dict(config=dict(cfg), server_log=srv.logpath)
    try:
        c = srv.conn()
        c.request("PUT", f"/{BUCKET}")
        c.close()
        bodies = Bodies()
        st = State()
        st.put_size, st.keys_per_thread = cfg["put_size"], cfg["put_keys_per_client"]
        log(f"  preload: {cfg['preload_small']:,} objects of 4-64 KiB + {cfg['preload_large']} x "
            f"{cfg['large_size'] // MiB} MiB, {clients} clients ...")
        pre = preload(srv, bodies, st, cfg, clients)
        res["preload"] = pre
        res["data_bytes_after_preload"] = du_bytes(srv.data)
        log(f"  preload: {pre['objects']:,} objects, {pre['bytes'] / MiB:.0f} MiB in {pre['put_wall_s']:.1f} s "
            f"({pre['put_ops_per_s']:.0f} ops/s, {pre['put_MiBps']:.0f} MiB/s); deleted {pre['deleted']:,} "
            f"(every other one) in {pre['delete_wall_s']:.1f} s; data dir {res['data_bytes_after_preload'] / MB:.0f} MB; "
            f"index {srv.admin('GET', 'status')['store']}")
        # Fill the PUT clients' key space once (untimed), so every timed PUT overwrites: each makes garbage.
        t0 = time.perf_counter()

        def fill(t):
            c = srv.conn()
            buf = bodies.buffer(st.put_size)
            for j in range(st.keys_per_thread):
                key = f"put/{t:02d}/{j:04d}"
                word, off = bodies.next_word(), random.randrange(1 << 40)
                c.request("PUT", f"/{BUCKET}/{key}", body=memoryview(bodies.make(word, off, st.put_size, buf)))
                st.live[key] = [(word, off, st.put_size)]
            c.close()
        parallel(clients, fill)
        log(f"  PUT key space filled: {clients} x {st.keys_per_thread} keys of {st.put_size // KiB} KiB "
            f"({time.perf_counter() - t0:.1f} s)")

        gcr = GCRunner(srv)
        rounds = []
        for r in range(1, cfg["rounds"] + 1):
            log(f"  round {r}:")
            rd = dict(round=r)
            wait_idle(f"round {r} idle PUT")
            rd["idle_put"] = run_window(srv, bodies, st, "put", cfg["window"], clients, cfg["verify_get"], seed=10 * r + 1)
            log(f"    idle  {line_window(rd['idle_put'])}")
            wait_idle(f"round {r} idle GET")
            rd["idle_get"] = run_window(srv, bodies, st, "get", cfg["window"], clients, cfg["verify_get"], seed=10 * r + 2)
            log(f"    idle  {line_window(rd['idle_get'])}")
            status = srv.admin("GET", "status")
            rd["store_before_gc"] = status.get("store")
            wait_idle(f"round {r} GC windows")
            gcr.start()
            rd["gc_get"] = run_window(srv, bodies, st, "get", cfg["window"], clients, cfg["verify_get"], seed=10 * r + 3)
            rd["gc_put"] = run_window(srv, bodies, st, "put", cfg["window"], clients, cfg["verify_get"], seed=10 * r + 4)
            t_stop = time.perf_counter()
            gcr.stop()  # waits for the run in progress, so the summaries below include it
            rd["gc_stop_wait_s"] = time.perf_counter() - t_stop
            for w in ("gc_get", "gc_put"):
                rd[w]["gc"] = gcr.summary(rd[w]["t0"], rd[w]["t1"])
                log(f"    GC    {line_window(rd[w])}")
                log(f"          {line_gc(rd[w]['gc'])}")
            rd["put_ratio"] = rd["gc_put"]["MiBps"] / rd["idle_put"]["MiBps"] if rd["idle_put"]["MiBps"] else 0.0
            rd["get_ratio"] = rd["gc_get"]["MiBps"] / rd["idle_get"]["MiBps"] if rd["idle_get"]["MiBps"] else 0.0
            rd["get_ops_ratio"] = rd["gc_get"]["ops_per_s"] / rd["idle_get"]["ops_per_s"] if rd["idle_get"]["ops_per_s"] else 0.0
            rd["store_after_gc"] = srv.admin("GET", "status").get("store")
            log(f"    during GC / idle: PUT {rd['put_ratio']:.2f}, GET {rd['get_ratio']:.2f} (MiB/s; GET ops/s "
                f"{rd['get_ops_ratio']:.2f}); GC thread stopped {rd['gc_stop_wait_s']:.2f} s after the last window")
            rounds.append(rd)
        res["rounds"] = rounds
        allgc = gcr.summary(rounds[0]["gc_get"]["t0"], rounds[-1]["gc_put"]["t1"]) if rounds else None
        res["gc_all"] = allgc
        res["gc_runs"] = [dict(t0=x["t0"], t1=x["t1"], **({"error": x["error"]} if "error" in x else {
            k: x["report"].get(k) for k in ("seconds", "plan_seconds", "total_chunks", "marked_chunks", "freed_chunks",
                                            "revived", "packs", "packs_deleted", "packs_compacted", "chunks_moved",
                                            "bytes_freed")})) for x in gcr.runs]

        # The end: one GC with nothing else running, fsck, every live object read back.
        log("  final check:")
        data_before = du_bytes(srv.data)
        t0 = time.perf_counter()
        final = srv.admin("POST", "gc", GC_PARAMS)
        res["final_gc"] = dict(wall_s=time.perf_counter() - t0, report=final)
        log(f"    GC with no load: {final['seconds']:.2f} s (plan {final['plan_seconds']:.3f} s) over "
            f"{final['total_chunks']:,} chunks; freed {final['freed_chunks']:,}, {final['packs_compacted']} packs "
            f"compacted, {final['bytes_freed'] / MB:.0f} MB; data dir {data_before / MB:.0f} -> {du_bytes(srv.data) / MB:.0f} MB")
        t0 = time.perf_counter()
        fsck = srv.admin("POST", "fsck")
        res["fsck"] = dict(wall_s=time.perf_counter() - t0, report=fsck)
        log(f"    fsck: consistent={fsck.get('consistent')} ({fsck.get('chunks'):,} chunks, {fsck.get('blobs'):,} blobs, "
            f"{fsck.get('objects'):,} objects, {fsck.get('packs')} packs) in {res['fsck']['wall_s']:.2f} s"
            + (f"; problems: {fsck.get('problems')[:5]}" if fsck.get("problems") else ""))
        ver = verify_store(srv, bodies, st, clients)
        res["verify"] = ver
        status = srv.admin("GET", "status")
        res["status_end"] = status
        objects_expected = len(st.live)
        res["objects_expected"] = objects_expected
        log(f"    read back {ver['checked']:,} of {len(st.live):,} live objects ({ver['bytes'] / MiB:.0f} MiB) in "
            f"{ver['wall_s']:.1f} s: {len(ver['bad_md5'])} bad MD5, {len(ver['missing'])} missing; "
            f"{len(ver['deleted_still_present'])} of {ver['deleted_sampled']} sampled deleted keys still present; "
            f"index holds {status['store']['objects']:,} objects (expected {objects_expected:,})")
        res["data_bytes_end"] = du_bytes(srv.data)
        res["server_rss_end_bytes"] = srv.rss_bytes()
    except Exception as e:  # noqa: BLE001 - keep what was measured, report the error
        res["error"] = f"{type(e).__name__}: {e}"
        log(f"  ERROR {res['error']}")
        if not srv.alive():
            log(f"  server exited with {srv.proc.returncode if srv.proc else None}")
        log(srv.log_tail())
    finally:
        srv.stop()
        res["server_exit"] = srv.proc.returncode if srv.proc else None
        res["log_problems"] = srv.log_problems()
        res["gc_log_lines"] = srv.gc_log_lines()
        if res["log_problems"]:
            log(f"  server log: {len(res['log_problems'])} warning/error lines or 5xx answers, e.g.:")
            for l in res["log_problems"][:10]:
                log(f"    | {l}")
        else:
            log("  server log: no warning/error lines, no 5xx answers")
    return res


LIVE = []


def stop_all():
    for s in LIVE:
        s.stop()


# --------------------------------------------------------------------------------------------
# Summary


def yes(ok):
    return "met" if ok else "**missed**"


def table(results, cfg):
    lines = ["| workload | figure | target | met? |", "| --- | --- | --- | --- |"]

    def row(wl, fig, target, met):
        lines.append(f"| {wl} | {fig} | {target} | {met} |")

    mk = results.get("mark")
    if mk and "error" not in mk:
        n, plan = mk["total_chunks"], mk["plan_seconds"]
        ok = n >= 1_000_000 and plan < 10
        row("mark", f"plan (mark + sweep list) of {n:,} chunks: {plan:.2f} s = {mk['chunks_per_second_plan']:,.0f} chunks/s "
                    f"({mk['marked_chunks']:,} marked live)", "≥ 1,000,000 chunks in < 10 s",
            yes(ok) + ("" if n >= 1_000_000 else f" (store had only {n:,} chunks)"))
        row("mark", f"whole collection: plan {plan:.2f} s + execute {mk['execute_seconds']:.2f} s = {mk['seconds']:.2f} s "
                    f"({n / mk['seconds']:,.0f} chunks/s); freed {mk['freed_chunks']:,} chunks, {mk['packs_compacted']} "
                    f"packs compacted, {mk['packs_deleted']} deleted", "—", "—")
        pr = mk["process"]
        row("mark", f"dry run (plan only) {mk['dry_run_seconds']:.2f} s; populating the store took "
                    f"{mk['populate_seconds']:.0f} s (not timed as GC); other processes kept "
                    f"{pr['other_cpu_s'] / pr['wall_s']:.2f} cores busy during bench-gc", "—", "—")
    elif mk:
        row("mark", f"ERROR: {mk['error']}", "≥ 1,000,000 chunks in < 10 s", "**missed**")
    sc = results.get("scrub")
    if sc and "error" not in sc:
        row("scrub", f"{sc['mib']} MiB: {sc['scrub_mb_per_s']:.0f} MB/s vs limit {sc['limit_mb_per_s']:.0f} MB/s "
                     f"(decompress + sha256, 1 core) = **{sc['ratio']:.2f}**; corrupt {sc['corrupt']}",
            "≥ 0.70 of the limit", yes(sc["ratio"] >= 0.70 and sc["corrupt"] == 0))
    elif sc:
        row("scrub", f"ERROR: {sc['error']}", "≥ 0.70 of the limit", "**missed**")
    it = results.get("interference")
    if it and "rounds" in it:
        c = it["config"]
        for rd in it["rounds"]:
            r = rd["round"]
            for op in ("put", "get"):
                idle, dur = rd[f"idle_{op}"], rd[f"gc_{op}"]
                ratio = rd[f"{op}_ratio"]
                what = (f"{c['clients']} clients, {c['put_size'] // KiB} KiB overwrites" if op == "put"
                        else f"{c['clients']} clients, 4-64 KiB preloaded objects")
                g = dur["gc"]
                row(f"interference r{r}", f"{op.upper()} ({what}): idle {idle['MiBps']:.1f} MiB/s ({idle['ops_per_s']:.0f} ops/s) "
                                         f"→ during GC {dur['MiBps']:.1f} MiB/s ({dur['ops_per_s']:.0f} ops/s) = **{ratio:.2f}**; "
                                         f"p99 {idle['p99_ms']:.0f} → {dur['p99_ms']:.0f} ms, max {idle['max_ms']:.0f} → "
                                         f"{dur['max_ms']:.0f} ms; {g['runs']} GC runs in the window, mean {g['mean_s']:.2f} s; "
                                         f"other load {idle['other_cpu_s'] / idle['wall_s']:.2f} / "
                                         f"{dur['other_cpu_s'] / dur['wall_s']:.2f} cores",
                    "> 0.70 of idle", yes(ratio > 0.70 and not dur["errors"] and not dur["bad_bodies"]))
        g = it.get("gc_all")
        if g:
            row("interference", f"GC back to back: {g['runs']} runs, mean {g['mean_s']:.2f} s (max {g['max_s']:.2f} s, plan "
                                f"{g['server_mean_plan_s']:.3f} s); freed {g['freed_chunks']:,} chunks, {g['bytes_freed'] / MB:.0f} MB, "
                                f"{g['packs_compacted']} packs compacted; {len(g['errors'])} failed", "—",
                "—" if not g["errors"] else "**errors**")
        fs = it.get("fsck", {}).get("report", {})
        ver = it.get("verify", {})
        errs = sum(len(rd[w]["errors"]) + len(rd[w]["bad_bodies"]) for rd in it["rounds"]
                   for w in ("idle_put", "idle_get", "gc_put", "gc_get"))
        ok = (fs.get("consistent") is True and ver and not ver["bad_md5"] and not ver["missing"]
              and not ver["deleted_still_present"] and errs == 0 and "error" not in it
              and it.get("status_end", {}).get("store", {}).get("objects") == it.get("objects_expected"))
        row("interference", f"afterwards: fsck consistent={fs.get('consistent')}; {ver.get('checked', 0):,} live objects read "
                            f"back, {len(ver.get('bad_md5', []))} bad MD5, {len(ver.get('missing', []))} missing; "
                            f"{errs} request errors/bad bodies in the windows; {len(it.get('log_problems', []))} server "
                            f"log warnings/errors" + (f"; ERROR {it['error']}" if "error" in it else ""),
            "nothing lost", yes(ok))
    elif it:
        row("interference", f"ERROR: {it.get('error')}", "> 0.70 of idle", "**missed**")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", action="append", default=[], metavar="NAME",
                    help=f"run only these workloads (repeatable or comma-separated): {', '.join(WORKLOADS)}")
    ap.add_argument("--json", metavar="PATH", help="also write everything measured as JSON")
    ap.add_argument("--cairn", default=os.path.join(REPO, ".build", "release", "cairn"), help="cairn binary")
    ap.add_argument("--gc-chunks", type=int, default=1_150_000,
                    help="bench-gc --chunks (default 1,150,000: the chunker cuts bench-gc's objects into ~8.9 "
                         "chunks where it plans 10, so this gives a store of >= 1,000,000 chunks)")
    ap.add_argument("--scrub-mib", type=int, default=1024, help="bench-gc --scrub-mib (default 1024)")
    ap.add_argument("--preload-small", type=int, default=20_000, help="interference: objects of 4-64 KiB preloaded (default 20,000)")
    ap.add_argument("--preload-large", type=int, default=32, help="interference: 8 MiB objects preloaded (default 32)")
    ap.add_argument("--clients", type=int, default=8, help="interference: concurrent keep-alive clients (default 8)")
    ap.add_argument("--put-kib", type=int, default=256, help="interference: PUT object size in KiB (default 256)")
    ap.add_argument("--put-keys", type=int, default=32, help="interference: keys each PUT client overwrites in turn (default 32)")
    ap.add_argument("--window", type=float, default=10.0, help="interference: seconds per measured window (default 10)")
    ap.add_argument("--rounds", type=int, default=2, help="interference: idle/GC alternations (default 2)")
    ap.add_argument("--no-verify-get", action="store_true", help="interference: check GET lengths only, not MD5s")
    ap.add_argument("--wait-idle", type=float, default=0, metavar="S",
                    help="before bench-gc and each idle/GC window wait up to S seconds for the machine to be "
                         "idle (for shared machines; default 0: do not wait)")
    ap.add_argument("--log-level", default=None, help="cairn serve --log-level (default: the server's, info)")
    ap.add_argument("--quick", action="store_true",
                    help="small sizes for a smoke run: --gc-chunks 50000 --scrub-mib 64 --preload-small 2000 "
                         "--preload-large 4 --window 3")
    ap.add_argument("--tmpdir", default=None, help="where the stores go (default $TMPDIR or /tmp; a full run needs ~6 GB)")
    ap.add_argument("--keep", action="store_true", help="keep the temp directory (server data and log)")
    args = ap.parse_args()
    if args.quick:
        defaults = dict(gc_chunks=1_150_000, scrub_mib=1024, preload_small=20_000, preload_large=32, window=10.0)
        quick = dict(gc_chunks=50_000, scrub_mib=64, preload_small=2000, preload_large=4, window=3.0)
        for k, v in quick.items():
            if getattr(args, k) == defaults[k]:
                setattr(args, k, v)

    only = [w for item in args.only for w in item.split(",") if w]
    for w in only:
        if w not in WORKLOADS:
            ap.error(f"unknown workload {w!r}; choose from {', '.join(WORKLOADS)}")
    workloads = [w for w in WORKLOADS if not only or w in only]
    if not os.access(args.cairn, os.X_OK):
        ap.error(f"cairn binary not found: {args.cairn} (swift build -c release)")
    try:
        import numpy  # noqa: F401
    except ImportError:
        ap.error("numpy is required (pip install -r bench/requirements.txt)")

    atexit.register(stop_all)

    def on_signal(signum, _frame):
        raise SystemExit(128 + signum)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)

    WAIT_IDLE["max_s"] = args.wait_idle
    root = tempfile.mkdtemp(prefix="gcbench-", dir=args.tmpdir)
    # A private copy of the binary: the build tree's may be replaced while the benchmark runs.
    binary = os.path.join(root, "cairn")
    shutil.copy2(args.cairn, binary)
    built = datetime.datetime.fromtimestamp(os.stat(args.cairn).st_mtime).isoformat(timespec="seconds")
    signer = Signer("bench" + secrets.token_hex(6), secrets.token_urlsafe(30))
    cfg = dict(gc_chunks=args.gc_chunks, scrub_mib=args.scrub_mib, preload_small=args.preload_small,
               preload_large=args.preload_large, large_size=8 * MiB, clients=args.clients, put_size=args.put_kib * KiB,
               put_keys_per_client=args.put_keys, window=args.window, rounds=args.rounds,
               verify_get=not args.no_verify_get)
    busy0 = busy_cores(1.0)
    host = dict(cores=os.cpu_count(), kernel=platform.release(), python=platform.python_version(),
                load_average=load_average(), busy_cores_before=busy0, top_before=top_processes(),
                cairn=args.cairn, cairn_built=built, started=datetime.datetime.now().isoformat(timespec="seconds"))
    log(f"gcbench: workloads {','.join(workloads)}; {' '.join(sys.argv[1:]) or '(defaults)'}")
    log(f"cairn: {args.cairn} (built {built}; run from a copy); host: {os.cpu_count()} cores, kernel "
        f"{host['kernel']}, load average {' '.join(host['load_average'])}; temp dir {root}")
    log(f"client: s3bench's raw HTTP/1.1 keep-alive client, SigV4 signer {crosscheck_signer()}")
    log(f"machine before start: {busy0:.2f} of {os.cpu_count()} cores busy"
        + ("  <- WARNING: not idle, figures will be disturbed" if busy0 > 0.1 * (os.cpu_count() or 1) else ""))
    if busy0 > 0.1 * (os.cpu_count() or 1):
        for l in host["top_before"]:
            log(f"    {l}")

    results = {}
    t_start = time.perf_counter()
    status = 0
    try:
        if "mark" in workloads or "scrub" in workloads:
            log("\n== mark + scrub (cairn bench-gc)")
            chunks = args.gc_chunks if "mark" in workloads else 1000
            mib = args.scrub_mib if "scrub" in workloads else 1
            try:
                wait_idle("bench-gc")
                doc = run_bench_gc(binary, root, chunks, mib)
                if "mark" in workloads:
                    results["mark"] = report_mark(doc)
                if "scrub" in workloads:
                    results["scrub"] = report_scrub(doc)
            except Exception as e:  # noqa: BLE001
                log(f"  ERROR {type(e).__name__}: {e}")
                for w in ("mark", "scrub"):
                    if w in workloads:
                        results[w] = dict(error=f"{type(e).__name__}: {e}")
                status = 1
        if "interference" in workloads:
            log("\n== interference (cairn serve, GC back to back vs idle)")
            try:
                results["interference"] = wl_interference(binary, root, cfg, signer, args.log_level)
                it = results["interference"]
                ver = it.get("verify", {})
                if ("error" in it or it.get("fsck", {}).get("report", {}).get("consistent") is not True
                        or ver.get("bad_md5") or ver.get("missing") or ver.get("deleted_still_present")):
                    status = 1
            except Exception as e:  # noqa: BLE001
                log(f"  ERROR {type(e).__name__}: {e}")
                for s in LIVE:
                    log(s.log_tail())
                results["interference"] = dict(error=f"{type(e).__name__}: {e}")
                status = 1
    finally:
        stop_all()
        if args.keep:
            log(f"\nkept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)

    host["load_average_end"] = load_average()
    host["top_end"] = top_processes()
    log(f"\n== summary ({time.perf_counter() - t_start:.0f} s; load average at the end "
        f"{' '.join(host['load_average_end'])})")
    log(table(results, cfg))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(config=cfg, host=host, argv=sys.argv[1:], waited_for_idle=WAIT_IDLE["log"], results=results),
                      f, indent=2, default=str)
        log(f"\nJSON written to {args.json}")
    return status


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""s3bench: compare Cairn against `rclone serve s3` on the same machine with the same client.

Workloads (see bench/README.md for what every number means):
  large     PUT then GET of one large object (1 GiB), single stream
  parallel  aggregate throughput of 20 parallel GETs of one 100 MiB object
  small     PUT and GET ops/s of 2,000 x 4 KiB objects with 16 concurrent clients, server CPU ms/op
  list      ListObjectsV2 pages/s over 10,000 keys, 1,000 keys per page
  rss       peak server RSS during one streaming 4 GiB PUT
  versions  bytes on disk after 5 versions of a 200 MB float32 file, each changing ~2% of it

The client is a small raw-socket HTTP/1.1 client written for this benchmark (one persistent
connection per thread, SigV4 with UNSIGNED-PAYLOAD, signer cross-checked against botocore at start).
Large bodies are sent with sendfile(2) from a page-cached temp file and received with splice(2)
into /dev/null (or recv_into a scratch buffer), so the client spends as little CPU as possible;
its own CPU time is measured and printed next to the server's for every workload.
"""

import argparse
import atexit
import ctypes
import datetime
import gc
import fcntl
import hashlib
import hmac
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30
MB = 1_000_000
REGION = "us-east-1"
BUCKET = "bench"
CLK_TCK = os.sysconf("SC_CLK_TCK")

# --------------------------------------------------------------------------------------------
# Sizes

FULL = dict(
    large_size=1 * GiB,
    par_size=100 * MiB, par_n=20,
    small_n=2000, small_size=4 * KiB, small_conc=16,
    list_keys=10_000, list_page=1000, list_min_s=5.0, list_max_passes=100,
    rss_size=4 * GiB,
    ver_elems=50_000_000, ver_n=5, ver_frac=0.02, ver_regions=4,
)
QUICK = dict(
    large_size=128 * MiB,
    par_size=16 * MiB, par_n=20,
    small_n=400, small_size=4 * KiB, small_conc=16,
    list_keys=2000, list_page=1000, list_min_s=1.0, list_max_passes=100,
    rss_size=512 * MiB,
    ver_elems=2_500_000, ver_n=5, ver_frac=0.02, ver_regions=4,
)
WORKLOADS = ["large", "parallel", "small", "list", "rss", "versions"]

# --------------------------------------------------------------------------------------------
# Output helpers


def log(msg=""):
    print(msg, flush=True)


def fmt_bytes(n):
    for unit, size in (("GiB", GiB), ("MiB", MiB), ("KiB", KiB)):
        if n >= size and n % size == 0:
            return f"{n // size} {unit}"
    if n >= MiB:
        return f"{n / MiB:.1f} MiB"
    return f"{n} B"


# --------------------------------------------------------------------------------------------
# SigV4 (header auth, UNSIGNED-PAYLOAD or a given payload hash)


def uri_encode(s, safe):
    return urllib.parse.quote(s, safe=safe)


def canonical_query(params):
    return "&".join(f"{uri_encode(k, '-_.~')}={uri_encode(v, '-_.~')}" for k, v in sorted(params))


class Signer:
    SIGNED = "host;x-amz-content-sha256;x-amz-date"

    def __init__(self, access_key, secret_key, region=REGION):
        self.ak, self.sk, self.region = access_key, secret_key, region
        self._keys = {}
        self._now = (0, "")

    def _signing_key(self, date):
        key = self._keys.get(date)
        if key is None:
            k = hmac.new(("AWS4" + self.sk).encode(), date.encode(), hashlib.sha256).digest()
            for part in (self.region, "s3", "aws4_request"):
                k = hmac.new(k, part.encode(), hashlib.sha256).digest()
            key = self._keys[date] = k
        return key

    def _amzdate(self):
        sec = int(time.time())
        cached = self._now
        if cached[0] == sec:
            return cached[1]
        s = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(sec))
        self._now = (sec, s)
        return s

    def sign(self, method, host, enc_path, query, payload_hash="UNSIGNED-PAYLOAD", amzdate=None):
        """Returns (amzdate, authorization). enc_path is already URI-encoded, query canonical."""
        amzdate = amzdate or self._amzdate()
        date = amzdate[:8]
        canon = (f"{method}\n{enc_path}\n{query}\nhost:{host}\nx-amz-content-sha256:{payload_hash}\n"
                 f"x-amz-date:{amzdate}\n\n{self.SIGNED}\n{payload_hash}")
        scope = f"{date}/{self.region}/s3/aws4_request"
        sts = f"AWS4-HMAC-SHA256\n{amzdate}\n{scope}\n{hashlib.sha256(canon.encode()).hexdigest()}"
        sig = hmac.new(self._signing_key(date), sts.encode(), hashlib.sha256).hexdigest()
        return amzdate, (f"AWS4-HMAC-SHA256 Credential={self.ak}/{scope}, "
                         f"SignedHeaders={self.SIGNED}, Signature={sig}")


def crosscheck_signer():
    """Sign two requests with botocore's S3SigV4Auth and with Signer; they must agree."""
    try:
        from botocore.auth import S3SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
    except ImportError:
        return "skipped (botocore not installed)"
    signer = Signer("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    host = "127.0.0.1:9000"
    cases = [("PUT", "/bench/some key/ü.bin", [], b"hello"),
             ("GET", "/bench", [("list-type", "2"), ("max-keys", "1000"), ("continuation-token", "a+b/c=")], b"")]
    for method, path, params, body in cases:
        enc_path, query = uri_encode(path, "/-_.~"), canonical_query(params)
        url = f"http://{host}{enc_path}" + (f"?{query}" if query else "")
        req = AWSRequest(method=method, url=url, data=body)
        S3SigV4Auth(Credentials(signer.ak, signer.sk), "s3", REGION).add_auth(req)
        amzdate = req.headers["X-Amz-Date"]
        _, mine = signer.sign(method, host, enc_path, query, hashlib.sha256(body).hexdigest(), amzdate)
        if req.headers["Authorization"] != mine:
            raise SystemExit(f"SigV4 cross-check failed:\n botocore {req.headers['Authorization']}\n mine     {mine}")
    return "ok (matches botocore S3SigV4Auth)"


# --------------------------------------------------------------------------------------------
# Minimal HTTP/1.1 client: persistent connection, Content-Length / chunked bodies.


class HTTPStatusError(Exception):
    def __init__(self, method, path, status, body):
        super().__init__(f"{method} {path} -> HTTP {status}: {body[:500]!r}")
        self.status = status


_SPLICE = hasattr(os, "splice")


class Sink:
    """Discards bytes from a socket: splice(2) into /dev/null, or recv_into a scratch buffer."""

    def __init__(self, mode):
        self.mode = mode if (mode != "splice" or _SPLICE) else "recv"
        if self.mode == "splice":
            self.r, self.w = os.pipe()
            try:
                fcntl.fcntl(self.w, 1031, 1 * MiB)  # F_SETPIPE_SZ
            except OSError:
                pass
            self.pipe_size = fcntl.fcntl(self.w, 1032)  # F_GETPIPE_SZ
            self.null = os.open("/dev/null", os.O_WRONLY)
        else:
            self.scratch = bytearray(1 * MiB)
            self.view = memoryview(self.scratch)

    def drain(self, sock, n):
        """Reads exactly n bytes from sock and discards them."""
        fd = sock.fileno()
        while n > 0:
            if self.mode == "splice":
                got = os.splice(fd, self.w, min(n, self.pipe_size))
                if got == 0:
                    raise ConnectionError("connection closed mid-body")
                left = got
                while left:
                    left -= os.splice(self.r, self.null, left)
            else:
                got = sock.recv_into(self.view, min(n, len(self.scratch)))
                if got == 0:
                    raise ConnectionError("connection closed mid-body")
            n -= got

    def close(self):
        if self.mode == "splice":
            for fd in (self.r, self.w, self.null):
                os.close(fd)


class Conn:
    def __init__(self, port, signer, host="127.0.0.1", timeout=600, sink_mode="splice"):
        self.addr = (host, port)
        self.hosthdr = f"{host}:{port}"
        self.signer = signer
        self.timeout = timeout
        self.sink_mode = sink_mode
        self.sock = None
        self.buf = bytearray()
        self._sink = None

    def connect(self):
        s = socket.create_connection(self.addr, timeout=10)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # Blocking fd (splice needs it) with kernel-side timeouts instead of Python's.
        s.settimeout(None)
        tv = struct.pack("ll", self.timeout, 0)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, tv)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, tv)
        self.sock, self.buf = s, bytearray()

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        if self._sink is not None:
            self._sink.close()
            self._sink = None

    def sink(self):
        if self._sink is None:
            self._sink = Sink(self.sink_mode)
        return self._sink

    # -- request ------------------------------------------------------------------------------
    def request(self, method, path, params=(), body=None, length=None, sendfile=None, chunks=None,
                sink=False, ok=(200,), headers=None):
        """body: bytes-like; sendfile: (fileobj, offset, count); chunks: iterable of bytes-like
        (length must be given). sink=True discards the response body and returns its length.
        Returns (status, headers, body_or_length)."""
        if self.sock is None:
            self.connect()
        enc_path, query = uri_encode(path, "/-_.~"), canonical_query(params)
        amzdate, auth = self.signer.sign(method, self.hosthdr, enc_path, query)
        if body is not None:
            length = len(body)
        elif sendfile is not None:
            length = sendfile[2]
        target = enc_path + (f"?{query}" if query else "")
        head = [f"{method} {target} HTTP/1.1", f"Host: {self.hosthdr}", f"X-Amz-Date: {amzdate}",
                "X-Amz-Content-SHA256: UNSIGNED-PAYLOAD", f"Authorization: {auth}"]
        if length is not None or method in ("PUT", "POST"):
            head.append(f"Content-Length: {length or 0}")
        for k, v in (headers or {}).items():
            head.append(f"{k}: {v}")
        head = ("\r\n".join(head) + "\r\n\r\n").encode()
        try:
            if body is not None and len(body) <= 64 * KiB:
                self.sock.sendall(head + bytes(body))
            else:
                self.sock.sendall(head)
                if body is not None:
                    self.sock.sendall(body)
                elif sendfile is not None:
                    f, off, count = sendfile
                    sent = self.sock.sendfile(f, off, count)
                    if sent != count:
                        raise ConnectionError(f"sendfile sent {sent} of {count}")
                elif chunks is not None:
                    for c in chunks:
                        self.sock.sendall(c)
        except (BrokenPipeError, ConnectionResetError):
            # The server may have answered early (e.g. an error); try to read that answer.
            pass
        status, hdrs = self._read_head()
        if method == "HEAD" or status in (204, 304) or status < 200:
            payload = 0 if sink else b""
        else:
            payload = self._read_body(hdrs, sink and status in ok)
        if hdrs.get("connection", "").lower() == "close":
            self.close()
        if status not in ok:
            raise HTTPStatusError(method, path, status, payload if isinstance(payload, bytes) else b"")
        return status, hdrs, payload

    # -- response -----------------------------------------------------------------------------
    def _fill(self):
        chunk = self.sock.recv(256 * KiB)
        if not chunk:
            raise ConnectionError("connection closed by server")
        self.buf += chunk

    def _read_head(self):
        while True:
            i = self.buf.find(b"\r\n\r\n")
            if i >= 0:
                break
            self._fill()
        head = bytes(self.buf[:i])
        del self.buf[:i + 4]
        lines = head.split(b"\r\n")
        status = int(lines[0].split(None, 2)[1])
        hdrs = {}
        for line in lines[1:]:
            k, _, v = line.partition(b":")
            hdrs[k.strip().lower().decode("latin-1")] = v.strip().decode("latin-1")
        if 100 <= status < 200:
            return self._read_head()
        return status, hdrs

    def _read_exact(self, n, sink):
        if sink:
            take = min(n, len(self.buf))
            del self.buf[:take]
            if n > take:
                self.sink().drain(self.sock, n - take)
            return n
        while len(self.buf) < n:
            self._fill()
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def _read_line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line = bytes(self.buf[:i])
                del self.buf[:i + 2]
                return line
            self._fill()

    def _read_body(self, hdrs, sink):
        if "chunked" in hdrs.get("transfer-encoding", "").lower():
            parts, total = [], 0
            while True:
                size = int(self._read_line().split(b";")[0], 16)
                if size == 0:
                    while self._read_line():  # trailers
                        pass
                    break
                got = self._read_exact(size, sink)
                if sink:
                    total += got
                else:
                    parts.append(got)
                self._read_line()
            return total if sink else b"".join(parts)
        if "content-length" in hdrs:
            return self._read_exact(int(hdrs["content-length"]), sink)
        # Body delimited by connection close.
        while True:
            try:
                self._fill()
            except ConnectionError:
                break
        out = bytes(self.buf)
        self.close()
        return len(out) if sink else out


# --------------------------------------------------------------------------------------------
# Servers


_libc = ctypes.CDLL(None, use_errno=True)


def _die_with_parent():
    _libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG: never outlive the benchmark


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


LIVE_SERVERS = set()


def stop_all_servers():
    for srv in list(LIVE_SERVERS):
        srv.stop()


class Server:
    def __init__(self, kind, binary, workdir, signer, sink_mode):
        self.kind, self.binary, self.signer, self.sink_mode = kind, binary, signer, sink_mode
        self.data = os.path.join(workdir, f"{kind}-data")
        self.logpath = os.path.join(workdir, f"{kind}.log")
        self.aux = os.path.join(workdir, f"{kind}-aux")
        os.makedirs(self.data)
        os.makedirs(self.aux)
        self.port = free_port()
        self.proc = None

    def command(self):
        addr = f"127.0.0.1:{self.port}"
        if self.kind == "cairn":
            env = dict(os.environ, CAIRN_ACCESS_KEY_ID=self.signer.ak, CAIRN_SECRET_ACCESS_KEY=self.signer.sk)
            return [self.binary, "serve", "--data", self.data, "--address", addr, "--region", REGION], env
        conf = os.path.join(self.aux, "rclone.conf")
        open(conf, "w").close()
        env = dict(os.environ, RCLONE_CONFIG=conf)
        return [self.binary, "serve", "s3", "--auth-key", f"{self.signer.ak},{self.signer.sk}",
                "--addr", addr, "--vfs-cache-mode", "off", "--cache-dir", os.path.join(self.aux, "cache"),
                "--log-level", "NOTICE", self.data], env

    def start(self):
        cmd, env = self.command()
        self.logf = open(self.logpath, "wb")
        self.proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=self.logf,
                                     stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        LIVE_SERVERS.add(self)
        deadline = time.monotonic() + 60
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.kind} exited with {self.proc.returncode} during startup\n{self.log_tail()}")
            try:
                c = Conn(self.port, self.signer)
                if self.kind == "cairn":
                    c.connect()
                    c.sock.sendall(f"GET /healthz HTTP/1.1\r\nHost: {c.hosthdr}\r\n\r\n".encode())
                    status, hdrs = c._read_head()
                    if status != 200:
                        raise RuntimeError(f"healthz {status}")
                else:
                    c.request("GET", "/")  # ListBuckets, signed
                c.close()
                return
            except (OSError, RuntimeError, HTTPStatusError) as e:
                last = e
                time.sleep(0.05)
        raise RuntimeError(f"{self.kind} not ready after 60 s ({last})\n{self.log_tail()}")

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(15)
        self.logf.close()
        LIVE_SERVERS.discard(self)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def cpu_seconds(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def status_kb(self, key):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
        return 0

    def log_tail(self, n=30):
        try:
            with open(self.logpath, "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
            return "\n".join(f"    | {l}" for l in lines[-n:])
        except OSError:
            return "    | (no log)"

    def conn(self):
        return Conn(self.port, self.signer, sink_mode=self.sink_mode)


class RSSSampler:
    """Samples the server's VmRSS every 50 ms in a thread."""

    def __init__(self, server, interval=0.05):
        self.server, self.interval = server, interval
        self.peak_kb = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            try:
                self.peak_kb = max(self.peak_kb, self.server.status_kb("VmRSS"))
            except (OSError, ValueError):
                return
            self._stop.wait(self.interval)

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()
        try:
            self.peak_kb = max(self.peak_kb, self.server.status_kb("VmRSS"))
        except OSError:
            pass


class Meter:
    """Wall time, server CPU, client CPU (whole benchmark process) and sampled server peak RSS."""

    def __init__(self, server, settle=0.25):
        self.server, self.settle = server, settle

    def __enter__(self):
        gc.disable()  # no cyclic-GC pauses in the client during a timed window
        self.rss = RSSSampler(self.server).__enter__()
        self.s0, self.c0 = self.server.cpu_seconds(), time.process_time()
        self.m0 = machine_busy_seconds()
        self.t0 = time.perf_counter()
        return self

    def stop_clock(self):
        """Call when the last response has arrived (before __exit__ when there is cleanup)."""
        if not hasattr(self, "wall"):
            self.wall = time.perf_counter() - self.t0
            self.client_cpu = time.process_time() - self.c0
            self.server_cpu_at_clock = self.server.cpu_seconds() - self.s0
            # CPU used by neither this server nor the benchmark process: other load on the machine.
            self.other_cpu = max(0.0, machine_busy_seconds() - self.m0 - self.client_cpu - self.server_cpu_at_clock)
            if self.other_cpu > 0.1 * self.wall + 0.05:
                OTHER_LOAD.append((f"{self.server.kind}", self.wall, self.other_cpu))

    def __exit__(self, *exc):
        self.stop_clock()
        if exc[0] is None and self.settle:
            time.sleep(self.settle)  # let work the server does after answering show up in its CPU time
        self.server_cpu = self.server.cpu_seconds() - self.s0
        self.rss.__exit__(*exc)
        self.peak_rss = self.rss.peak_kb * KiB
        gc.enable()
        return False

    def summary(self):
        return dict(wall_s=self.wall, server_cpu_s=self.server_cpu, client_cpu_s=self.client_cpu,
                    other_cpu_s=self.other_cpu, peak_rss_bytes=self.peak_rss)


def machine_busy_seconds():
    """CPU time spent by the whole machine (all cores, all processes), from /proc/stat."""
    with open("/proc/stat") as f:
        fields = f.readline().split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / CLK_TCK


OTHER_LOAD = []  # (label, wall_s, other_cpu_s) for windows where other processes used the CPU


def du_bytes(path):
    apparent = int(subprocess.run(["du", "-sb", path], check=True, capture_output=True, text=True).stdout.split()[0])
    allocated = int(subprocess.run(["du", "-s", "-B1", path], check=True, capture_output=True, text=True).stdout.split()[0])
    return apparent, allocated


# --------------------------------------------------------------------------------------------
# Data generation


def random_file(workdir, size, seed):
    """A file of `size` pseudo-random bytes (PCG64), written in 8 MiB pieces; returns (path, md5)."""
    import numpy as np
    path = os.path.join(workdir, f"random-{size}-{seed}.bin")
    rng = np.random.default_rng(seed)
    md5 = hashlib.md5()
    with open(path, "wb") as f:
        left = size
        while left:
            piece = rng.bytes(min(left, 8 * MiB))
            md5.update(piece)
            f.write(piece)
            left -= len(piece)
    # Make sure the file is in the page cache (it was just written) and on disk, so writeback of
    # the source file does not interfere with the measurement.
    os.sync()
    return path, md5.hexdigest()


def stream_pieces(size, seed, piece=8 * MiB, base_size=64 * MiB):
    """Yields `size` bytes without holding them: a 64 MiB random buffer, each 8 MiB window XORed
    with a distinct 64-bit counter-derived word, so no two pieces are equal (no dedup)."""
    import numpy as np
    rng = np.random.default_rng(seed)
    base = np.frombuffer(rng.bytes(base_size), dtype=np.uint64)
    words = piece // 8
    out = np.empty(words, dtype=np.uint64)
    left, i = size, 0
    while left:
        off = (i * words) % base.size
        np.bitwise_xor(base[off:off + words], np.uint64(((i + 1) * 0x9E3779B97F4A7C15) & (2 ** 64 - 1)), out=out)
        n = min(left, piece)
        yield out.view(np.uint8)[:n]
        left -= n
        i += 1


# --------------------------------------------------------------------------------------------
# Workloads: each takes (server, cfg, ctx) and returns a dict of figures for that server.


def create_bucket(server):
    c = server.conn()
    c.request("PUT", f"/{BUCKET}")
    c.close()


def wl_large(server, cfg, ctx):
    size = cfg["large_size"]
    path, md5 = ctx.random_file(size, seed=1)
    create_bucket(server)
    c = server.conn()
    key = f"/{BUCKET}/large.bin"
    with open(path, "rb") as f, Meter(server) as mput:
        _, hdrs, _ = c.request("PUT", key, sendfile=(f, 0, size))
    etag = hdrs.get("etag", "").strip('"')
    if etag != md5:
        raise RuntimeError(f"PUT ETag {etag!r} != md5 {md5}")
    c.close()
    c = server.conn()
    with Meter(server) as mget:
        _, _, got = c.request("GET", key, sink=True)
    c.close()
    if got != size:
        raise RuntimeError(f"GET returned {got} bytes, expected {size}")
    return dict(put_MiBps=size / MiB / mput.wall, get_MiBps=size / MiB / mget.wall,
                put=mput.summary(), get=mget.summary(), size=size)


def run_threads(n, target):
    """Runs target(i, barrier) in n threads; the caller's Meter starts when all are ready."""
    errors = []
    barrier = threading.Barrier(n + 1)

    def wrap(i):
        try:
            target(i, barrier)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)
            barrier.abort()

    threads = [threading.Thread(target=wrap, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    return threads, barrier, errors


def join_threads(threads, errors):
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def wl_parallel(server, cfg, ctx):
    size, n = cfg["par_size"], cfg["par_n"]
    path, md5 = ctx.random_file(size, seed=2)
    create_bucket(server)
    key = f"/{BUCKET}/shared.bin"
    c = server.conn()
    with open(path, "rb") as f:
        _, hdrs, _ = c.request("PUT", key, sendfile=(f, 0, size))
    c.close()
    if hdrs.get("etag", "").strip('"') != md5:
        raise RuntimeError("PUT ETag mismatch")
    counts = [0] * n
    done_at = [0.0] * n

    def worker(i, barrier):
        conn = server.conn()
        conn.connect()
        barrier.wait()
        _, _, counts[i] = conn.request("GET", key, sink=True)
        done_at[i] = time.perf_counter()
        conn.close()

    threads, barrier, errors = run_threads(n, worker)
    try:
        barrier.wait()
    except threading.BrokenBarrierError:
        pass
    with Meter(server) as m:
        for t in threads:
            t.join()
        m.stop_clock()
    join_threads(threads, errors)
    if any(cnt != size for cnt in counts):
        raise RuntimeError(f"parallel GET lengths {counts}, expected {size}")
    slowest = max(done_at) - m.t0
    fastest = min(done_at) - m.t0
    return dict(agg_MiBps=n * size / MiB / m.wall, n=n, size=size, first_done_s=fastest, last_done_s=slowest,
                get=m.summary())


def small_objects(n, size, seed):
    rng = __import__("random").Random(seed)
    return [rng.randbytes(size) for _ in range(n)]


def put_many(server, keys, bodies, conc):
    """PUTs keys[i] = bodies[i] with conc threads; returns (Meter, latencies)."""
    lat = [[] for _ in range(conc)]

    def worker(t, barrier):
        conn = server.conn()
        conn.connect()
        barrier.wait()
        out = lat[t]
        for i in range(t, len(keys), conc):
            t0 = time.perf_counter()
            conn.request("PUT", keys[i], body=bodies[i])
            out.append(time.perf_counter() - t0)
        conn.close()

    threads, barrier, errors = run_threads(conc, worker)
    try:
        barrier.wait()
    except threading.BrokenBarrierError:
        pass
    with Meter(server) as m:
        for t in threads:
            t.join()
        m.stop_clock()
    join_threads(threads, errors)
    return m, sorted(x for l in lat for x in l)


def get_many(server, keys, bodies, conc):
    lat = [[] for _ in range(conc)]

    def worker(t, barrier):
        conn = server.conn()
        conn.connect()
        barrier.wait()
        out = lat[t]
        for i in range(t, len(keys), conc):
            t0 = time.perf_counter()
            _, _, body = conn.request("GET", keys[i])
            out.append(time.perf_counter() - t0)
            if body != bodies[i]:
                raise RuntimeError(f"GET {keys[i]}: body differs ({len(body)} bytes)")
        conn.close()

    threads, barrier, errors = run_threads(conc, worker)
    try:
        barrier.wait()
    except threading.BrokenBarrierError:
        pass
    with Meter(server) as m:
        for t in threads:
            t.join()
        m.stop_clock()
    join_threads(threads, errors)
    return m, sorted(x for l in lat for x in l)


def pct(sorted_vals, p):
    if not sorted_vals:
        return 0.0
    return sorted_vals[min(len(sorted_vals) - 1, int(p / 100 * len(sorted_vals)))]


def ops_figures(m, lat, n):
    return dict(ops_per_s=n / m.wall, server_cpu_ms_per_op=m.server_cpu * 1000 / n,
                client_cpu_ms_per_op=m.client_cpu * 1000 / n,
                p50_ms=pct(lat, 50) * 1000, p99_ms=pct(lat, 99) * 1000, **m.summary())


def wl_small(server, cfg, ctx):
    n, size, conc = cfg["small_n"], cfg["small_size"], cfg["small_conc"]
    bodies = ctx.cached(("small", n, size), lambda: small_objects(n, size, 3))
    keys = [f"/{BUCKET}/obj-{i:05d}" for i in range(n)]
    create_bucket(server)
    mput, lput = put_many(server, keys, bodies, conc)
    mget, lget = get_many(server, keys, bodies, conc)
    return dict(n=n, size=size, conc=conc, put=ops_figures(mput, lput, n), get=ops_figures(mget, lget, n))


KEY_RE = re.compile(rb"<Key>")
TOKEN_RE = re.compile(rb"<NextContinuationToken>([^<]*)</NextContinuationToken>")
TRUNC_RE = re.compile(rb"<IsTruncated>(true|false)</IsTruncated>")


def xml_unescape(b):
    s = b.decode()
    for ent, ch in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'"), ("&#34;", '"'),
                    ("&#39;", "'"), ("&#xA;", "\n"), ("&#xD;", "\r"), ("&amp;", "&")):
        s = s.replace(ent, ch)
    return s


def list_pass(conn, page):
    """One full ListObjectsV2 walk; returns (pages, keys)."""
    token, pages, keys = None, 0, 0
    while True:
        params = [("list-type", "2"), ("max-keys", str(page))]
        if token is not None:
            params.append(("continuation-token", token))
        _, _, body = conn.request("GET", f"/{BUCKET}", params=params)
        pages += 1
        keys += len(KEY_RE.findall(body))
        trunc = TRUNC_RE.search(body)
        if not trunc or trunc.group(1) == b"false":
            return pages, keys
        tok = TOKEN_RE.search(body)
        if not tok:
            raise RuntimeError("truncated listing without NextContinuationToken")
        token = xml_unescape(tok.group(1))
        if pages > 10_000:
            raise RuntimeError("listing does not end")


def wl_list(server, cfg, ctx):
    n, page = cfg["list_keys"], cfg["list_page"]
    create_bucket(server)
    bodies = ctx.cached(("list", n), lambda: small_objects(n, 4 * KiB, 4))
    keys = [f"/{BUCKET}/obj-{i:05d}" for i in range(n)]
    mput, _ = put_many(server, keys, bodies, cfg["small_conc"])
    conn = server.conn()
    pages_per_pass, got = list_pass(conn, page)  # warm-up pass, also checks the count
    if got != n:
        raise RuntimeError(f"listing returned {got} keys, expected {n}")
    total_pages, passes = 0, 0
    with Meter(server) as m:
        while passes < cfg["list_max_passes"]:
            p, k = list_pass(conn, page)
            if k != n:
                raise RuntimeError(f"listing returned {k} keys, expected {n}")
            total_pages += p
            passes += 1
            if time.perf_counter() - m.t0 >= cfg["list_min_s"]:
                break
        m.stop_clock()
    conn.close()
    return dict(keys=n, page=page, passes=passes, pages=total_pages, pages_per_s=total_pages / m.wall,
                server_cpu_ms_per_page=m.server_cpu * 1000 / total_pages, setup_put_ops_per_s=n / mput.wall,
                list=m.summary())


def wl_rss(server, cfg, ctx):
    size = cfg["rss_size"]
    create_bucket(server)
    idle_rss = server.status_kb("VmRSS") * KiB
    c = server.conn()
    key = f"/{BUCKET}/huge.bin"
    with Meter(server) as m:
        c.request("PUT", key, length=size, chunks=stream_pieces(size, seed=5))
        m.stop_clock()
    _, hdrs, _ = c.request("HEAD", key)
    c.close()
    if int(hdrs.get("content-length", -1)) != size:
        raise RuntimeError(f"HEAD says {hdrs.get('content-length')} bytes, expected {size}")
    return dict(size=size, idle_rss_bytes=idle_rss, peak_rss_bytes=m.peak_rss,
                vmhwm_bytes=server.status_kb("VmHWM") * KiB, put_MiBps=size / MiB / m.wall, put=m.summary())


def make_versions(cfg):
    """Yields (version, float32 array): v1 ~ N(0,1) from seed 1; every next version replaces
    `ver_regions` random contiguous regions totalling ver_frac of the elements with new values."""
    import numpy as np
    n = cfg["ver_elems"]
    arr = np.random.default_rng(1).standard_normal(n, dtype=np.float32)
    yield 1, arr
    region = int(n * cfg["ver_frac"] / cfg["ver_regions"])
    for v in range(2, cfg["ver_n"] + 1):
        rng = np.random.default_rng(100 + v)
        arr = arr.copy()
        starts = np.sort(rng.choice(n // region, size=cfg["ver_regions"], replace=False)) * region
        for s in starts:
            arr[s:s + region] = rng.standard_normal(region, dtype=np.float32)
        yield v, arr


def wl_versions(server, cfg, ctx):
    import numpy as np
    create_bucket(server)
    c = server.conn()
    logical, last, last_md5 = 0, None, None
    changed = []
    prev = None
    mets = []
    for v, arr in ctx.cached(("versions",), lambda: list(make_versions(cfg))):
        data = memoryview(arr.view(np.uint8))
        with Meter(server, settle=0) as m:
            c.request("PUT", f"/{BUCKET}/weights-v{v}.f32", body=data)
        mets.append(m)
        logical += len(data)
        if prev is not None:
            changed.append(float(np.count_nonzero(prev != arr)) / arr.size)
        prev, last = arr, (v, data)
    # Read the last version back and compare, so dedup cannot "win" by losing data.
    v, data = last
    _, _, body = c.request("GET", f"/{BUCKET}/weights-v{v}.f32")
    if hashlib.md5(body).digest() != hashlib.md5(data).digest():
        raise RuntimeError("GET of the last version differs from what was PUT")
    c.close()
    time.sleep(0.5)
    server.stop()  # graceful: whatever the server flushes at exit is counted
    apparent, allocated = du_bytes(server.data)
    wall = sum(m.wall for m in mets)
    return dict(versions=len(mets), logical_bytes=logical, disk_bytes=apparent, disk_alloc_bytes=allocated,
                pct_of_logical=100.0 * apparent / logical, changed_frac_per_version=changed,
                put_MiBps=logical / MiB / wall, server_cpu_s=sum(m.server_cpu for m in mets),
                peak_rss_bytes=max(m.peak_rss for m in mets))


WL_FUNCS = dict(large=wl_large, parallel=wl_parallel, small=wl_small, list=wl_list, rss=wl_rss,
                versions=wl_versions)


# --------------------------------------------------------------------------------------------
# Per-workload reporting


def line_large(r):
    p, g = r["put"], r["get"]
    return (f"PUT {r['put_MiBps']:8.1f} MiB/s ({p['wall_s']:.2f} s, server CPU {p['server_cpu_s']:.2f} s, "
            f"client CPU {p['client_cpu_s']:.2f} s)   GET {r['get_MiBps']:8.1f} MiB/s ({g['wall_s']:.2f} s, "
            f"server CPU {g['server_cpu_s']:.2f} s, client CPU {g['client_cpu_s']:.2f} s)   peak RSS "
            f"{max(p['peak_rss_bytes'], g['peak_rss_bytes']) / MB:.0f} MB")


def line_parallel(r):
    g = r["get"]
    return (f"{r['n']} x GET {fmt_bytes(r['size'])}: {r['agg_MiBps']:8.1f} MiB/s aggregate ({g['wall_s']:.2f} s, "
            f"first done {r['first_done_s']:.2f} s; server CPU {g['server_cpu_s']:.2f} s, client CPU "
            f"{g['client_cpu_s']:.2f} s; peak RSS {g['peak_rss_bytes'] / MB:.0f} MB)")


def line_small(r):
    out = []
    for op in ("put", "get"):
        f = r[op]
        out.append(f"{op.upper()} {f['ops_per_s']:7.0f} ops/s  server CPU {f['server_cpu_ms_per_op']:.3f} ms/op, "
                   f"client CPU {f['client_cpu_ms_per_op']:.3f} ms/op, p50 {f['p50_ms']:.2f} ms, "
                   f"p99 {f['p99_ms']:.2f} ms")
    return "\n        ".join(out)


def line_list(r):
    return (f"{r['pages_per_s']:7.1f} pages/s ({r['pages']} pages of {r['page']} in {r['list']['wall_s']:.2f} s; "
            f"server CPU {r['server_cpu_ms_per_page']:.2f} ms/page, client CPU "
            f"{r['list']['client_cpu_s'] * 1000 / r['pages']:.2f} ms/page)")


def line_rss(r):
    return (f"peak RSS {r['peak_rss_bytes'] / MB:7.1f} MB (idle {r['idle_rss_bytes'] / MB:.1f} MB, VmHWM "
            f"{r['vmhwm_bytes'] / MB:.1f} MB) during PUT of {fmt_bytes(r['size'])} at {r['put_MiBps']:.0f} MiB/s "
            f"(server CPU {r['put']['server_cpu_s']:.1f} s, client CPU {r['put']['client_cpu_s']:.1f} s)")


def line_versions(r):
    return (f"logical {r['logical_bytes'] / MB:8.1f} MB, on disk {r['disk_bytes'] / MB:8.1f} MB "
            f"({r['pct_of_logical']:.1f}% of logical; allocated {r['disk_alloc_bytes'] / MB:.1f} MB); "
            f"PUT {r['put_MiBps']:.0f} MiB/s, server CPU {r['server_cpu_s']:.1f} s, peak RSS "
            f"{r['peak_rss_bytes'] / MB:.0f} MB")


LINES = dict(large=line_large, parallel=line_parallel, small=line_small, list=line_list, rss=line_rss,
             versions=line_versions)

# (label, workload, path, unit, higher_is_better, target)
#   target: ("ratio>=", x) | ("ratio<=", x) | ("cairn<", x, scale) | None
TABLE = [
    ("large PUT {large}", "large", ("put_MiBps",), "MiB/s", True, ("ratio>=", 1.3)),
    ("large GET {large}", "large", ("get_MiBps",), "MiB/s", True, ("ratio>=", 1.0)),
    ("{par_n} parallel GETs of {par}", "parallel", ("agg_MiBps",), "MiB/s", True, ("ratio>=", 2.0)),
    ("small PUT {small_n} x 4 KiB, {conc} clients", "small", ("put", "ops_per_s"), "ops/s", True, ("ratio>=", 1.0)),
    ("small GET {small_n} x 4 KiB, {conc} clients", "small", ("get", "ops_per_s"), "ops/s", True, ("ratio>=", 1.0)),
    ("small PUT server CPU", "small", ("put", "server_cpu_ms_per_op"), "ms/op", False, ("ratio<=", 0.5)),
    ("small GET server CPU", "small", ("get", "server_cpu_ms_per_op"), "ms/op", False, ("ratio<=", 0.5)),
    ("ListObjectsV2 over {list_keys} keys", "list", ("pages_per_s",), "pages/s", True, None),
    ("ListObjectsV2 server CPU", "list", ("server_cpu_ms_per_page",), "ms/page", False, None),
    ("peak RSS during {rss} PUT", "rss", ("peak_rss_bytes",), "MB", False, ("cairn<", 150 * MB, MB)),
    ("{ver_n} versions: disk/logical", "versions", ("pct_of_logical",), "%", False, ("cairn<", 25.0, 1)),
]


def dig(d, path):
    for p in path:
        d = d[p]
    return d


def print_table(results, cfg, servers):
    names = dict(large=fmt_bytes(cfg["large_size"]), par=fmt_bytes(cfg["par_size"]), par_n=cfg["par_n"],
                 small_n=cfg["small_n"], conc=cfg["small_conc"], list_keys=cfg["list_keys"],
                 rss=fmt_bytes(cfg["rss_size"]), ver_n=cfg["ver_n"])
    rows = []
    for label, wl, path, unit, higher, target in TABLE:
        if wl not in results:
            continue
        vals = {}
        for s in servers:
            r = results[wl].get(s)
            if isinstance(r, dict) and "error" not in r:
                v = dig(r, path)
                vals[s] = v / MB if unit == "MB" else v
        ratio = vals["cairn"] / vals["rclone"] if len(vals) == 2 and vals["rclone"] else None
        verdict, tdesc = "", ""
        if target:
            kind = target[0]
            if kind == "ratio>=":
                tdesc = f"ratio >= {target[1]}"
                if ratio is not None:
                    verdict = "PASS" if ratio >= target[1] else "FAIL"
            elif kind == "ratio<=":
                tdesc = f"ratio <= {target[1]}"
                if ratio is not None:
                    verdict = "PASS" if ratio <= target[1] else "FAIL"
            elif kind == "cairn<":
                tdesc = f"cairn < {target[1] / target[2]:g} {unit}"
                if "cairn" in vals:
                    verdict = "PASS" if vals["cairn"] < target[1] / target[2] else "FAIL"
        better = "higher" if higher else "lower"

        def fmt(v):
            if v is None:
                return "-"
            return f"{v:,.3f}" if abs(v) < 10 else f"{v:,.1f}"
        rows.append((label.format(**names), unit, better, fmt(vals.get("cairn")), fmt(vals.get("rclone")),
                     f"{ratio:.2f}x" if ratio is not None else "-", tdesc, verdict))
    head = ("metric", "unit", "better", "cairn", "rclone", "cairn/rclone", "target", "")
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    sep = "  "
    log(sep.join(h.ljust(w) for h, w in zip(head, widths)))
    log(sep.join("-" * w for w in widths))
    for r in rows:
        log(sep.join((c.ljust(w) if i in (0, 1, 2, 6, 7) else c.rjust(w)) for i, (c, w) in enumerate(zip(r, widths))))
    failed = [wl for wl in results for s in servers if isinstance(results[wl].get(s), dict) and "error" in results[wl][s]]
    if failed:
        log(f"\nworkloads with errors: {sorted(set(failed))}")


# --------------------------------------------------------------------------------------------
# Driver


class Context:
    def __init__(self, root):
        self.root = root
        self._files = {}
        self._cache = {}

    def random_file(self, size, seed):
        k = (size, seed)
        if k not in self._files:
            t0 = time.perf_counter()
            self._files[k] = random_file(self.root, size, seed)
            log(f"      (generated {fmt_bytes(size)} of random bytes in {time.perf_counter() - t0:.1f} s)")
        return self._files[k]

    def cached(self, key, make):
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def drop(self):
        for path, _ in self._files.values():
            os.unlink(path)
        self._files.clear()
        self._cache.clear()


def host_info(args):
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    rclone_v = subprocess.run([args.rclone, "version"], capture_output=True, text=True).stdout.splitlines()[:1]
    try:
        built = datetime.datetime.fromtimestamp(os.stat(args.cairn).st_mtime).isoformat(timespec="seconds")
    except OSError:
        built = "missing"
    return dict(cpu=cpu, cores=os.cpu_count(), kernel=platform.release(), python=platform.python_version(),
                rclone=rclone_v[0] if rclone_v else "?", cairn=args.cairn,
                cairn_mtime=built)


def default_rclone():
    venv = os.path.join(HERE, ".venv", "bin", "rclone")
    if os.path.exists(venv):
        return venv
    return shutil.which("rclone") or venv


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="scaled-down sizes (smoke run, about a minute)")
    ap.add_argument("--only", action="append", default=[], metavar="NAME",
                    help=f"run only these workloads (repeatable or comma-separated): {', '.join(WORKLOADS)}")
    ap.add_argument("--json", metavar="PATH", help="also write a JSON summary to PATH")
    ap.add_argument("--cairn", default=os.path.join(REPO, ".build", "release", "cairn"), help="cairn binary")
    ap.add_argument("--rclone", default=default_rclone(), help="rclone binary (default: bench/.venv/bin/rclone)")
    ap.add_argument("--servers", default="cairn,rclone", help="which servers to run (default: cairn,rclone)")
    ap.add_argument("--sink", choices=["splice", "recv"], default="splice",
                    help="how the client discards large GET bodies (default: splice into /dev/null)")
    ap.add_argument("--tmpdir", default=None, help="where temp data dirs and files go (default: $TMPDIR or /tmp)")
    ap.add_argument("--keep", action="store_true", help="keep the temp directory (data dirs, server logs)")
    args = ap.parse_args()

    cfg = dict(QUICK if args.quick else FULL)
    only = [w for item in args.only for w in item.split(",") if w]
    for w in only:
        if w not in WORKLOADS:
            ap.error(f"unknown workload {w!r}; choose from {', '.join(WORKLOADS)}")
    workloads = [w for w in WORKLOADS if not only or w in only]
    servers = [s for s in args.servers.split(",") if s]
    for s in servers:
        if s not in ("cairn", "rclone"):
            ap.error(f"unknown server {s!r}")
        binary = args.cairn if s == "cairn" else args.rclone
        if not os.access(binary, os.X_OK):
            ap.error(f"{s} binary not found or not executable: {binary}")
    try:
        import numpy  # noqa: F401
    except ImportError:
        ap.error("numpy is required (pip install -r bench/requirements.txt)")

    # Stop the servers whatever happens: finally below, atexit, SIGTERM/SIGHUP turned into exit,
    # and PR_SET_PDEATHSIG in the children in case this process is killed outright.
    atexit.register(stop_all_servers)

    def on_signal(signum, _frame):
        raise SystemExit(128 + signum)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)

    root = tempfile.mkdtemp(prefix="s3bench-", dir=args.tmpdir)
    ctx = Context(root)
    signer = Signer("bench" + secrets.token_hex(6), secrets.token_urlsafe(30))
    info = host_info(args)
    log(f"s3bench: {'quick' if args.quick else 'full'} run, workloads {','.join(workloads)}, servers {','.join(servers)}")
    log(f"host: {info['cpu']}, {info['cores']} cores, kernel {info['kernel']}, python {info['python']}")
    log(f"cairn: {info['cairn']} (built {info['cairn_mtime']});  rclone: {info['rclone']} "
        f"(serve s3, local dir backend, --vfs-cache-mode off)")
    log(f"client: raw HTTP/1.1 sockets, SigV4 UNSIGNED-PAYLOAD, sendfile PUTs, {args.sink} GET sink; "
        f"signer {crosscheck_signer()}")
    log(f"temp dir: {root}")
    m0, t0 = machine_busy_seconds(), time.perf_counter()
    time.sleep(1.0)
    busy = (machine_busy_seconds() - m0) / (time.perf_counter() - t0)
    log(f"machine load before start: {100 * busy / (os.cpu_count() or 1):.0f}% of {os.cpu_count()} cores busy"
        + ("  <- WARNING: not idle, figures will be disturbed" if busy > 0.1 * (os.cpu_count() or 1) else ""))
    results = {}
    t_start = time.perf_counter()
    try:
        for wl in workloads:
            log(f"\n== {wl}")
            results[wl] = {}
            for s in servers:
                wdir = os.path.join(root, f"{wl}-{s}")
                os.makedirs(wdir)
                srv = Server(s, args.cairn if s == "cairn" else args.rclone, wdir, signer, args.sink)
                try:
                    srv.start()
                    r = WL_FUNCS[wl](srv, cfg, ctx)
                    results[wl][s] = r
                    log(f"  {s:6s} {LINES[wl](r)}")
                    if OTHER_LOAD:
                        other, wall = sum(o for _, _, o in OTHER_LOAD), sum(w for _, w, _ in OTHER_LOAD)
                        log(f"         note: {other:.2f} s of CPU went to other processes or kernel threads "
                            f"(e.g. writeback) during {wall:.2f} s of timed windows")
                    OTHER_LOAD.clear()
                except (Exception, KeyboardInterrupt) as e:
                    crashed = srv.proc is not None and srv.proc.poll() is not None and srv.proc.returncode != 0
                    results[wl][s] = dict(error=f"{type(e).__name__}: {e}")
                    log(f"  {s:6s} ERROR {type(e).__name__}: {e}")
                    if crashed:
                        log(f"         server exited with status {srv.proc.returncode}")
                    log(f"         server log tail ({srv.logpath}):\n{srv.log_tail()}")
                    if isinstance(e, KeyboardInterrupt):
                        raise
                finally:
                    OTHER_LOAD.clear()
                    srv.stop()
                    if not args.keep:
                        shutil.rmtree(wdir, ignore_errors=True)
            ctx.drop()  # temp source files are per workload
    finally:
        stop_all_servers()
        if not args.keep:
            ctx.drop()
            shutil.rmtree(root, ignore_errors=True)
        else:
            log(f"\nkept {root}")

    log(f"\n== summary ({'quick' if args.quick else 'full'} run, {time.perf_counter() - t_start:.0f} s)")
    print_table(results, cfg, servers)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(mode="quick" if args.quick else "full", config=cfg, host=info, results=results), f,
                      indent=2, default=str)
        log(f"\nJSON summary written to {args.json}")
    errors = any("error" in r for w in results.values() for r in w.values())
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

"""Crash safety: kill -9 the server in the middle of concurrent writes,
restart it on the same data directory, and check that

  * every acknowledged object is intact (content hash, size, ETag);
  * nothing partial is visible: every listed key holds exactly the full
    content of one version that a client sent for it (the last acknowledged
    one, or the one in flight at the moment of the kill);
  * the server keeps working afterwards.

Also: SIGTERM stops the server cleanly (exit status 0) without losing data.
"""

from __future__ import annotations

import hashlib
import os
import random
import threading
import time
from dataclasses import dataclass, field

import pytest
from botocore.exceptions import BotoCoreError, ClientError

from harness import MiB, list_all_keys, make_client, multipart_etag, sha256_hex

BUCKET = "crash-bucket"
PUT_THREADS = 6
MPU_THREADS = 2
OVERWRITE_KEYS_PER_THREAD = 3


@dataclass
class Ledger:
    """What the clients sent and what the server acknowledged."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    # key -> list of (sha256, size, etag) of every version sent, in order
    sent: dict[str, list[tuple[str, int, str]]] = field(default_factory=dict)
    # key -> index into sent[key] of the last acknowledged version
    acked: dict[str, int] = field(default_factory=dict)
    ack_count: int = 0
    errors: list[str] = field(default_factory=list)

    def will_send(self, key: str, digest: str, size: int, etag: str) -> int:
        with self.lock:
            versions = self.sent.setdefault(key, [])
            versions.append((digest, size, etag))
            return len(versions) - 1

    def ack(self, key: str, index: int) -> None:
        with self.lock:
            self.acked[key] = index
            self.ack_count += 1

    def allowed_versions(self, key: str) -> list[tuple[str, int, str]]:
        """Versions that may legitimately be visible after a crash.  Every key
        is written by one thread at a time, so at most one version after the
        last acknowledged one can have been in flight."""
        versions = self.sent.get(key, [])
        last = self.acked.get(key, -1)
        return versions[max(last, 0) :] if last >= 0 else versions


def _put_worker(client, ledger: Ledger, stop: threading.Event, prefix: str, tid: int, seed: int):
    rng = random.Random(seed)
    overwrite_keys = [f"{prefix}/ow/t{tid}/k{j}" for j in range(OVERWRITE_KEYS_PER_THREAD)]
    i = 0
    while not stop.is_set() and i < 200:
        if i % 3 == 2:
            key = rng.choice(overwrite_keys)
        else:
            key = f"{prefix}/put/t{tid}/o{i:04d}"
        data = os.urandom(rng.randint(1 * MiB, 4 * MiB))
        idx = ledger.will_send(key, sha256_hex(data), len(data), f'"{hashlib.md5(data).hexdigest()}"')
        try:
            client.put_object(Bucket=BUCKET, Key=key, Body=data)
        except (ClientError, BotoCoreError, OSError) as e:
            if not stop.is_set():
                ledger.errors.append(f"{key}: {e!r}")
            return
        ledger.ack(key, idx)
        i += 1


def _mpu_worker(client, ledger: Ledger, stop: threading.Event, prefix: str, tid: int, seed: int):
    rng = random.Random(seed)
    i = 0
    while not stop.is_set() and i < 20:
        key = f"{prefix}/mpu/t{tid}/m{i:03d}"
        parts = [os.urandom(5 * MiB), os.urandom(5 * MiB), os.urandom(rng.randint(1, 2 * MiB))]
        whole = b"".join(parts)
        idx = ledger.will_send(key, sha256_hex(whole), len(whole), multipart_etag(parts))
        try:
            up = client.create_multipart_upload(Bucket=BUCKET, Key=key)["UploadId"]
            etags = []
            for n, p in enumerate(parts, start=1):
                etags.append(
                    client.upload_part(Bucket=BUCKET, Key=key, UploadId=up, PartNumber=n, Body=p)["ETag"]
                )
            client.complete_multipart_upload(
                Bucket=BUCKET,
                Key=key,
                UploadId=up,
                MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, 1)]},
            )
        except (ClientError, BotoCoreError, OSError) as e:
            if not stop.is_set():
                ledger.errors.append(f"{key}: {e!r}")
            return
        ledger.ack(key, idx)
        i += 1


def _run_and_kill(srv, ledger: Ledger, prefix: str, min_acks: int, seed: int) -> None:
    client = make_client(srv.endpoint(), retries=1, max_pool_connections=PUT_THREADS + MPU_THREADS + 2)
    stop = threading.Event()
    threads = [
        threading.Thread(target=_put_worker, args=(client, ledger, stop, prefix, t, seed + t), daemon=True)
        for t in range(PUT_THREADS)
    ] + [
        threading.Thread(target=_mpu_worker, args=(client, ledger, stop, prefix, t, seed + 100 + t), daemon=True)
        for t in range(MPU_THREADS)
    ]
    start_acks = ledger.ack_count
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    while ledger.ack_count - start_acks < min_acks and time.monotonic() < deadline:
        assert not ledger.errors, f"errors before the kill: {ledger.errors[:5]}"
        assert srv.alive(), f"server died on its own\n{srv.log_tail()}"
        time.sleep(0.05)
    assert ledger.ack_count - start_acks >= min_acks, "server too slow: not enough writes acknowledged in 60 s"
    time.sleep(random.Random(seed).uniform(0.05, 0.4))  # land in the middle of requests
    assert srv.alive(), f"server died on its own\n{srv.log_tail()}"
    assert not ledger.errors, f"errors before the kill: {ledger.errors[:5]}"
    stop.set()
    srv.kill9()
    for t in threads:
        t.join(timeout=60)
        assert not t.is_alive(), "a client thread hung after the server was killed"


def _verify(srv, ledger: Ledger) -> dict:
    client = make_client(srv.endpoint(), retries=3)
    listed = set(list_all_keys(client, BUCKET))
    problems = []
    for key, idx in sorted(ledger.acked.items()):
        digest, size, etag = ledger.sent[key][idx]
        if key not in listed:
            problems.append(f"acknowledged {key} is not listed")
    for key in sorted(listed):
        if key not in ledger.sent:
            problems.append(f"unexpected key {key} is listed")
            continue
        try:
            obj = client.get_object(Bucket=BUCKET, Key=key)
            body = obj["Body"].read()
        except ClientError as e:
            problems.append(f"listed {key} cannot be read: {e}")
            continue
        got = (sha256_hex(body), len(body))
        allowed = ledger.allowed_versions(key)
        match = [v for v in allowed if (v[0], v[1]) == got]
        if not match:
            what = "acknowledged" if key in ledger.acked else "unacknowledged"
            problems.append(
                f"{what} {key}: content (len {len(body)}) is none of the {len(allowed)} allowed versions"
            )
        elif obj["ETag"] != match[0][2] or obj["ContentLength"] != len(body):
            problems.append(f"{key}: ETag/length {obj['ETag']}/{obj['ContentLength']} != {match[0][2]}/{len(body)}")
    assert not problems, "\n".join(problems[:30]) + f"\n({len(problems)} problems)"
    in_flight = sum(1 for k, v in ledger.sent.items() if ledger.acked.get(k, -1) < len(v) - 1)
    # Leftover uploads may be listed; they must be abortable.
    for up in client.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []):
        client.abort_multipart_upload(Bucket=BUCKET, Key=up["Key"], UploadId=up["UploadId"])
    # The server still takes writes.
    probe = os.urandom(12345)
    client.put_object(Bucket=BUCKET, Key="after-restart/probe", Body=probe)
    assert client.get_object(Bucket=BUCKET, Key="after-restart/probe")["Body"].read() == probe
    client.delete_object(Bucket=BUCKET, Key="after-restart/probe")
    return {"listed": len(listed), "acked": len(ledger.acked), "in_flight": in_flight}


@pytest.mark.needs_process
@pytest.mark.slow
@pytest.mark.timeout(900)
def test_kill9_during_concurrent_writes(server_factory):
    srv = server_factory.start("crash")
    make_client(srv.endpoint()).create_bucket(Bucket=BUCKET)
    ledger = Ledger()

    stats = []
    for round_no in range(2):
        _run_and_kill(srv, ledger, f"r{round_no}", min_acks=25, seed=1000 * (round_no + 1))
        srv.start()
        stats.append(_verify(srv, ledger))
        print(f"round {round_no}: {stats[-1]}")
    assert sum(s["in_flight"] for s in stats) > 0, "no request was in flight at either kill"

    # A clean stop after the crashes keeps everything, too.
    assert srv.stop() == 0, f"exit status after SIGTERM\n{srv.log_tail()}"
    srv.start()
    _verify(srv, ledger)


@pytest.mark.needs_process
def test_sigterm_is_clean_and_durable(server_factory):
    srv = server_factory.start("sigterm")
    client = make_client(srv.endpoint())
    client.create_bucket(Bucket="term")
    objs = {f"k{i}": os.urandom(random.randint(0, 300_000)) for i in range(20)}
    for k, v in objs.items():
        client.put_object(Bucket="term", Key=k, Body=v)
    up = client.create_multipart_upload(Bucket="term", Key="pending")["UploadId"]
    part = os.urandom(5 * MiB)
    etag = client.upload_part(Bucket="term", Key="pending", UploadId=up, PartNumber=1, Body=part)["ETag"]

    t0 = time.monotonic()
    code = srv.stop(timeout=15)
    assert code == 0, f"exit status {code} after SIGTERM\n{srv.log_tail()}"
    assert time.monotonic() - t0 < 15

    srv.start()
    client = make_client(srv.endpoint())
    assert sorted(list_all_keys(client, "term")) == sorted(objs)
    for k, v in objs.items():
        assert client.get_object(Bucket="term", Key=k)["Body"].read() == v
    # An upload in progress survives a restart and can be completed.
    parts = client.list_parts(Bucket="term", Key="pending", UploadId=up)["Parts"]
    assert [(p["PartNumber"], p["ETag"]) for p in parts] == [(1, etag)]
    client.complete_multipart_upload(
        Bucket="term", Key="pending", UploadId=up, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]}
    )
    assert client.get_object(Bucket="term", Key="pending")["Body"].read() == part

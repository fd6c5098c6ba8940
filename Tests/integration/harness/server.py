"""``cairn serve`` processes and the endpoints tests talk to."""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from .constants import ACCESS_KEY, REGION, REPO_ROOT, SECRET_KEY


def cairn_binary() -> Path:
    override = os.environ.get("CAIRN_BIN")
    if override:
        return Path(override).resolve()
    return REPO_ROOT / ".build" / "release" / "cairn"


@dataclass
class Endpoint:
    """Where a test talks to: URL, TLS trust and credentials."""

    url: str
    verify: str | bool | None = None  # CA file for https, None for http
    access_key: str = ACCESS_KEY
    secret_key: str = SECRET_KEY
    server: "CairnServer | None" = None

    @property
    def is_tls(self) -> bool:
        return self.url.startswith("https://")

    @property
    def host(self) -> str:
        return urllib.parse.urlsplit(self.url).hostname or "127.0.0.1"

    @property
    def port(self) -> int:
        parts = urllib.parse.urlsplit(self.url)
        return parts.port or (443 if parts.scheme == "https" else 80)

    @property
    def netloc(self) -> str:
        return urllib.parse.urlsplit(self.url).netloc

    def ssl_context(self) -> ssl.SSLContext | None:
        if not self.is_tls:
            return None
        ctx = ssl.create_default_context()
        if isinstance(self.verify, str):
            ctx.load_verify_locations(cafile=self.verify)
        elif self.verify is False:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        return ctx

    def with_keys(self, access_key: str, secret_key: str) -> "Endpoint":
        return Endpoint(self.url, self.verify, access_key, secret_key, self.server)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Every server process started in this pytest session, so that the failure
# hook in conftest.py can attach their logs to a failing test's report.
LIVE_SERVERS: list["CairnServer"] = []


class ServerError(RuntimeError):
    pass


@dataclass
class CairnServer:
    """One ``cairn serve`` process on a data directory.

    ``start()`` may be called again after ``stop()`` / ``kill9()``: it
    restarts on the same data directory and, by default, the same port.
    """

    data_dir: Path
    log_path: Path
    binary: Path = field(default_factory=cairn_binary)
    access_key: str = ACCESS_KEY
    secret_key: str = SECRET_KEY
    tls_cert: Path | None = None
    tls_key: Path | None = None
    tls_ca: Path | None = None
    keys_file: Path | None = None
    extra_args: list[str] = field(default_factory=list)
    extra_env: dict[str, str] = field(default_factory=dict)
    port: int | None = None
    name: str = "cairn"
    proc: subprocess.Popen | None = None
    starts: int = 0

    @property
    def scheme(self) -> str:
        return "https" if self.tls_cert else "http"

    @property
    def url(self) -> str:
        assert self.port is not None
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def endpoint(self) -> Endpoint:
        return Endpoint(
            self.url,
            str(self.tls_ca) if self.tls_ca else None,
            self.access_key,
            self.secret_key,
            self,
        )

    def command(self) -> list[str]:
        cmd = [
            str(self.binary),
            "serve",
            "--data",
            str(self.data_dir),
            "--address",
            f"127.0.0.1:{self.port}",
            "--region",
            REGION,
        ]
        if self.keys_file:
            cmd += ["--keys-file", str(self.keys_file)]
        if self.tls_cert:
            cmd += ["--tls-cert", str(self.tls_cert), "--tls-key", str(self.tls_key)]
        return cmd + list(self.extra_args)

    def start(self, timeout: float = 60.0) -> Endpoint:
        if not self.binary.exists():
            raise ServerError(
                f"cairn binary not found at {self.binary}; build it with "
                "`swift build -c release --product cairn`, set CAIRN_BIN, or point "
                "CAIRN_TEST_ENDPOINT at a running server"
            )
        if self.proc is not None and self.proc.poll() is None:
            raise ServerError(f"{self.name} is already running")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        attempts = 3 if self.port is None else 1
        last_error: Exception | None = None
        for _ in range(attempts):
            if self.port is None or attempts > 1:
                self.port = free_port()
            env = dict(os.environ)
            env.update(
                CAIRN_ACCESS_KEY_ID=self.access_key,
                CAIRN_SECRET_ACCESS_KEY=self.secret_key,
            )
            env.update(self.extra_env)
            with open(self.log_path, "ab") as log:
                log.write(
                    f"\n===== start #{self.starts + 1}: {' '.join(self.command())}\n".encode()
                )
                log.flush()
                self.proc = subprocess.Popen(
                    self.command(),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=env,
                    cwd=str(self.data_dir.parent),
                    start_new_session=True,
                )
            self.starts += 1
            if self not in LIVE_SERVERS:
                LIVE_SERVERS.append(self)
            try:
                self.wait_ready(timeout)
                return self.endpoint()
            except ServerError as e:
                last_error = e
                if self.proc.poll() is None:
                    self.kill9()
                if attempts == 1:
                    break
        raise ServerError(f"{self.name} did not become ready: {last_error}\n{self.log_tail()}")

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        ctx = self.endpoint().ssl_context()
        last = "no attempt"
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                code = None if self.proc is None else self.proc.returncode
                raise ServerError(f"{self.name} exited with status {code} before /healthz answered")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2, context=ctx) as r:
                    if r.status == 200:
                        return
                    last = f"status {r.status}"
            except Exception as e:  # connection refused while starting up
                last = repr(e)
            time.sleep(0.1)
        raise ServerError(f"/healthz not 200 within {timeout}s (last: {last})")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM and wait; returns the exit status. SIGKILL + error on timeout."""
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise ServerError(
                    f"{self.name} did not exit within {timeout}s of SIGTERM\n{self.log_tail()}"
                )
        return self.proc.returncode

    def kill9(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def log_size(self) -> int:
        try:
            return self.log_path.stat().st_size
        except FileNotFoundError:
            return 0

    def log_text(self, offset: int = 0, max_lines: int = 120) -> str:
        try:
            with open(self.log_path, "rb") as f:
                f.seek(offset)
                data = f.read()
        except FileNotFoundError:
            return "(no log)"
        lines = data.decode("utf-8", "replace").splitlines()
        if len(lines) > max_lines:
            lines = [f"... ({len(lines) - max_lines} earlier lines cut)"] + lines[-max_lines:]
        return "\n".join(lines)

    def log_tail(self, max_lines: int = 60) -> str:
        return f"--- {self.name} log ({self.log_path}) ---\n" + self.log_text(0, max_lines)

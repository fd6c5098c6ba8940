"""Fixtures for the Cairn real-client integration suite.

By default the suite starts the release binary (``.build/release/cairn``, or
``CAIRN_BIN``) on temporary data directories and random loopback ports.

Development override: ``CAIRN_TEST_ENDPOINT=http://127.0.0.1:PORT`` makes the
suite use an already running S3 endpoint instead (e.g. ``moto_server``);
``CAIRN_TEST_TLS_ENDPOINT=https://127.0.0.1:PORT`` plus
``CAIRN_TEST_TLS_CA=ca.pem`` does the same for https (without them the https
variants are skipped).  Tests marked ``needs_process`` (they start, stop or
kill servers themselves) are skipped in that mode.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
from certs import TLSFiles, make_tls_files  # noqa: E402
from harness import (  # noqa: E402
    ACCESS_KEY,
    EXTERNAL_ENDPOINT,
    EXTERNAL_TLS_CA,
    EXTERNAL_TLS_ENDPOINT,
    SECRET_KEY,
    CairnServer,
    Endpoint,
    RawS3,
    empty_and_delete_bucket,
    make_cli_env,
    make_client,
    temp_bucket,
    unique_bucket_name,
)


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "needs_process: starts/stops/kills cairn processes itself; skipped when "
        "CAIRN_TEST_ENDPOINT points at an external server",
    )
    config.addinivalue_line("markers", "slow: moves 100+ MiB or takes more than a minute")


def pytest_report_header(config):
    if EXTERNAL_ENDPOINT:
        lines = [f"cairn: external endpoint {EXTERNAL_ENDPOINT} (needs_process tests skipped)"]
        lines.append(
            f"cairn: external TLS endpoint {EXTERNAL_TLS_ENDPOINT} (CA {EXTERNAL_TLS_CA})"
            if EXTERNAL_TLS_ENDPOINT
            else "cairn: no CAIRN_TEST_TLS_ENDPOINT: https variants skipped"
        )
        return lines
    return [f"cairn: binary {harness.cairn_binary()}"]


def pytest_collection_modifyitems(config, items):
    if not EXTERNAL_ENDPOINT:
        return
    skip = pytest.mark.skip(reason="needs_process: CAIRN_TEST_ENDPOINT is set (external server)")
    for item in items:
        if "needs_process" in item.keywords:
            item.add_marker(skip)


# ---------------------------------------------------------------- server logs


_LOG_OFFSETS = pytest.StashKey[dict]()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    item.stash[_LOG_OFFSETS] = {id(s): s.log_size() for s in harness.LIVE_SERVERS}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed and harness.LIVE_SERVERS:
        offsets = item.stash.get(_LOG_OFFSETS, {})
        for server in harness.LIVE_SERVERS:
            start = offsets.get(id(server), 0)
            if server.log_size() <= start and server.alive():
                continue
            state = "running" if server.alive() else f"exited ({server.proc.returncode})"
            report.sections.append(
                (
                    f"{server.name} log during this test [{state}] {server.log_path}",
                    server.log_text(start),
                )
            )


# ---------------------------------------------------------------- servers


def _start_session_server(tmp_path_factory, name: str, tls: TLSFiles | None) -> CairnServer:
    base = tmp_path_factory.mktemp(name)
    server = CairnServer(
        data_dir=base / "data",
        log_path=base / "server.log",
        tls_cert=tls.cert if tls else None,
        tls_key=tls.key if tls else None,
        tls_ca=tls.ca_cert if tls else None,
        name=name,
    )
    server.start()
    return server


def _stop_session_server(server: CairnServer) -> None:
    if not server.alive():
        code = server.proc.returncode if server.proc else None
        pytest.fail(f"{server.name} died during the session (status {code})\n{server.log_tail()}")
    server.stop()


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Endpoint:
    """The shared plain-http server (session-scoped)."""
    if EXTERNAL_ENDPOINT:
        yield Endpoint(EXTERNAL_ENDPOINT.rstrip("/"))
        return
    srv = _start_session_server(tmp_path_factory, "cairn-http", None)
    yield srv.endpoint()
    _stop_session_server(srv)


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory) -> TLSFiles:
    return make_tls_files(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def tls_server(tmp_path_factory, tls_files) -> Endpoint:
    """The shared https server (session-scoped), trusted via tls_files.ca_cert."""
    if EXTERNAL_ENDPOINT:
        if not EXTERNAL_TLS_ENDPOINT:
            pytest.skip("external endpoint mode without CAIRN_TEST_TLS_ENDPOINT")
        yield Endpoint(EXTERNAL_TLS_ENDPOINT.rstrip("/"), EXTERNAL_TLS_CA or True)
        return
    srv = _start_session_server(tmp_path_factory, "cairn-https", tls_files)
    yield srv.endpoint()
    _stop_session_server(srv)


class ServerFactory:
    """Starts extra servers with their own data dirs (crash/restart tests)."""

    def __init__(self, base: Path, tls: TLSFiles | None = None):
        self.base = base
        self.tls = tls
        self.servers: list[CairnServer] = []

    def create(
        self,
        name: str = "extra",
        *,
        data_dir: Path | None = None,
        tls: bool = False,
        keys_file: Path | None = None,
        access_key: str = ACCESS_KEY,
        secret_key: str = SECRET_KEY,
        extra_args: list[str] | None = None,
    ) -> CairnServer:
        """A server object, not started yet (call .start())."""
        idx = len(self.servers)
        root = self.base / f"{name}-{idx}"
        root.mkdir(parents=True, exist_ok=True)
        tls_files = self.tls if tls else None
        srv = CairnServer(
            data_dir=data_dir or root / "data",
            log_path=root / "server.log",
            tls_cert=tls_files.cert if tls_files else None,
            tls_key=tls_files.key if tls_files else None,
            tls_ca=tls_files.ca_cert if tls_files else None,
            keys_file=keys_file,
            access_key=access_key,
            secret_key=secret_key,
            extra_args=list(extra_args or []),
            name=f"{name}-{idx}",
        )
        self.servers.append(srv)
        return srv

    def start(self, name: str = "extra", **kwargs) -> CairnServer:
        srv = self.create(name, **kwargs)
        srv.start()
        return srv

    def cleanup(self) -> None:
        for srv in self.servers:
            try:
                if srv.alive():
                    srv.stop(timeout=20)
            except Exception:
                srv.kill9()
            if srv in harness.LIVE_SERVERS:
                harness.LIVE_SERVERS.remove(srv)


@pytest.fixture
def server_factory(tmp_path, tls_files):
    if EXTERNAL_ENDPOINT:
        pytest.skip("needs_process: CAIRN_TEST_ENDPOINT is set (external server)")
    factory = ServerFactory(tmp_path / "servers", tls_files)
    yield factory
    factory.cleanup()


# ---------------------------------------------------------------- clients


@pytest.fixture(scope="session")
def s3(server):
    """boto3 client, plain http, botocore's default checksum behaviour."""
    return make_client(server)


@pytest.fixture(scope="session")
def s3_when_required(server):
    return make_client(server, "when_required")


@pytest.fixture(scope="session")
def s3_tls(tls_server):
    return make_client(tls_server)


@pytest.fixture(scope="session")
def s3_tls_when_required(tls_server):
    return make_client(tls_server, "when_required")


@pytest.fixture(scope="session")
def raw(server) -> RawS3:
    """Hand-signed requests against the http server."""
    return RawS3(server)


@pytest.fixture
def bucket(s3):
    """A fresh, empty bucket on the http server; emptied and deleted after."""
    with temp_bucket(s3) as name:
        yield name


@pytest.fixture
def bucket_factory(s3):
    made: list[tuple[object, str]] = []

    def make(client=None, prefix: str = "cairn-test") -> str:
        client = client or s3
        name = unique_bucket_name(prefix)
        client.create_bucket(Bucket=name)
        made.append((client, name))
        return name

    yield make
    for client, name in made:
        empty_and_delete_bucket(client, name)


# ---------------------------------------------------------------- subprocess tools


@pytest.fixture
def cli_env(tmp_path, server) -> dict[str, str]:
    return make_cli_env(tmp_path / "home", server)

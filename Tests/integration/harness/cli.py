"""The ``cairn`` companion CLI (the same binary as the server): its environment,
running it, its ``--json`` answers and its documented failures."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from .constants import EXTERNAL_ENDPOINT
from .server import Endpoint, cairn_binary
from .tools import make_cli_env, run

# For modules that run the CLI: skipped when an external endpoint is tested
# and no binary was built.
needs_cli = pytest.mark.skipif(
    bool(EXTERNAL_ENDPOINT) and not cairn_binary().exists(),
    reason="the cairn binary (the CLI) is not built",
)


def cairn_env(home: Path, endpoint: Endpoint, *, set_endpoint: bool = True) -> dict[str, str]:
    """make_cli_env's private HOME and AWS_* credentials, without any CAIRN_*
    variable of the caller's (CAIRN_TEST_* and CAIRN_BIN kept), CAIRN_CACHE_DIR
    set to HOME/default-cairn-cache and, unless set_endpoint=False,
    CAIRN_ENDPOINT set to the endpoint's URL."""
    env = make_cli_env(home, endpoint)
    for k in [k for k in env if k.startswith("CAIRN_") and not k.startswith("CAIRN_TEST_") and k != "CAIRN_BIN"]:
        del env[k]
    env["CAIRN_CACHE_DIR"] = str(home / "default-cairn-cache")
    if set_endpoint:
        env["CAIRN_ENDPOINT"] = endpoint.url
    return env


def cairn(env, *args, cwd=None, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess:
    """Runs `cairn ARGS…` (see tools.run: with `check`, a non-zero exit fails)."""
    return run([cairn_binary(), *args], cwd, env, check=check, timeout=timeout)


def cairn_json(env, *args, status: int = 0, **kwargs):
    """Runs `cairn ARGS… --json`: the exit status must be `status`; returns the
    parsed stdout."""
    proc = cairn(env, *args, "--json", check=False, **kwargs)
    assert proc.returncode == status, (
        f"cairn {' '.join(map(str, args))}: exit {proc.returncode}, want {status}\n"
        f"stdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}"
    )
    try:
        return json.loads(proc.stdout)
    except ValueError as e:
        raise AssertionError(f"--json stdout is not JSON ({e}): {proc.stdout[-2000:]!r}")


def error_lines(stderr: str) -> list[str]:
    """The `error: …` lines of a CLI's stderr."""
    return [line for line in stderr.splitlines() if line.startswith("error: ")]


def error_line(proc: subprocess.CompletedProcess) -> str:
    """A failed run (any non-zero status) with at least one `error: …` line on
    stderr; returns the last."""
    assert proc.returncode != 0, f"expected failure, got 0\nstdout:{proc.stdout}\nstderr:{proc.stderr}"
    lines = error_lines(proc.stderr)
    assert lines, f"no 'error: …' line on stderr:\n{proc.stderr[-2000:]}"
    return lines[-1]


def cairn_fails(env, *args, code: str | None = None, one_error_line: bool = True, **kwargs) -> str:
    """The command fails the documented way: exit status 1 and exactly one
    `error: …` line on stderr, naming `code` when given; returns that line.

    With one_error_line=False only the exit status is checked, `code` is looked
    for anywhere on stderr, and all of stderr is returned."""
    proc = cairn(env, *args, check=False, **kwargs)
    assert proc.returncode == 1, (
        f"cairn {' '.join(map(str, args))}: exit {proc.returncode}, want 1\n"
        f"stdout:{proc.stdout[-2000:]}\nstderr:{proc.stderr[-2000:]}"
    )
    if not one_error_line:
        if code is not None:
            assert code in proc.stderr, f"{code} not in stderr: {proc.stderr[-2000:]}"
        return proc.stderr
    lines = error_lines(proc.stderr)
    assert len(lines) == 1, f"want one 'error: …' line on stderr, got:\n{proc.stderr[-2000:]}"
    if code is not None:
        assert code in lines[0], f"{code} not in {lines[0]!r}"
    return lines[0]


def partial_files(root: Path) -> list[str]:
    """Every `*.cairn-partial` file a pull left under `root` (none when `root`
    does not exist)."""
    return sorted(str(p) for p in root.rglob("*") if ".cairn-partial" in p.name) if root.exists() else []

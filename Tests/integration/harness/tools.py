"""External command-line tools (aws, dvc, rclone, git): where they are and how
they run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from .constants import REGION
from .server import Endpoint


def venv_bin_dir() -> Path:
    """Directory holding the console scripts of the running interpreter."""
    return Path(sys.executable).parent


def find_tool(name: str) -> str:
    """Locate aws / dvc / rclone: next to our python first, then PATH."""
    candidate = venv_bin_dir() / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if not found:
        raise FileNotFoundError(
            f"{name!r} not found next to {sys.executable} nor on PATH; "
            "install Tests/integration/requirements.txt into this interpreter"
        )
    return found


def run(
    cmd, cwd=None, env=None, *, check: bool = True, timeout: float = 600
) -> subprocess.CompletedProcess:
    """Runs a command (arguments made strings, stdin closed, text output
    captured). With `check`, a non-zero exit status is an AssertionError that
    shows the command and the ends of its stdout and stderr."""
    cmd = [str(c) for c in cmd]
    proc = subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"{' '.join(cmd)} exited {proc.returncode}\nstdout:\n{proc.stdout[-4000:]}\n"
            f"stderr:\n{proc.stderr[-4000:]}"
        )
    return proc


def write_aws_config(path: Path, ca_bundle: str | None = None) -> None:
    lines = [
        "[default]",
        f"region = {REGION}",
        "output = json",
        "s3 =",
        "    addressing_style = path",
        "    signature_version = s3v4",
    ]
    if ca_bundle:
        lines.append(f"ca_bundle = {ca_bundle}")
    path.write_text("\n".join(lines) + "\n")


def make_cli_env(home: Path, endpoint: Endpoint) -> dict[str, str]:
    """Environment for awscli / dvc / rclone subprocesses: our credentials,
    region, path-style addressing, and a private HOME so nothing is read from
    or written to the real user's configuration."""
    home.mkdir(parents=True, exist_ok=True)
    (home / ".aws").mkdir(exist_ok=True)
    config = home / ".aws" / "config"
    ca = endpoint.verify if isinstance(endpoint.verify, str) else None
    write_aws_config(config, ca)
    creds = home / ".aws" / "credentials"
    creds.write_text(
        f"[default]\naws_access_key_id = {endpoint.access_key}\n"
        f"aws_secret_access_key = {endpoint.secret_key}\n"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if not (k.startswith("AWS_") or k.startswith("RCLONE_") or k.startswith("DVC_"))
    }
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        AWS_ACCESS_KEY_ID=endpoint.access_key,
        AWS_SECRET_ACCESS_KEY=endpoint.secret_key,
        AWS_DEFAULT_REGION=REGION,
        AWS_REGION=REGION,
        AWS_CONFIG_FILE=str(config),
        AWS_SHARED_CREDENTIALS_FILE=str(creds),
        AWS_EC2_METADATA_DISABLED="true",
        AWS_PAGER="",
        DVC_NO_ANALYTICS="1",
        DVC_SITE_CACHE_DIR=str(home / "dvc-site-cache"),
        DVC_GLOBAL_CONFIG_DIR=str(home / "dvc-global-config"),
        DVC_SYSTEM_CONFIG_DIR=str(home / "dvc-system-config"),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_TERMINAL_PROMPT="0",
        PYTHONWARNINGS="ignore",
        PATH=str(venv_bin_dir()) + os.pathsep + os.environ.get("PATH", ""),
    )
    if ca:
        env["AWS_CA_BUNDLE"] = ca
    return env

"""git + DVC projects with an S3 remote on a test server."""

from __future__ import annotations

from pathlib import Path

from .files import tree_hashes
from .server import Endpoint
from .tools import run


def dvc_init(
    root: Path, env, dvc: str, endpoint: Endpoint, remote_url: str, site_cache: Path, *, timeout: float = 600
) -> None:
    """A new git + DVC project in `root` (created): a committer identity, no
    analytics, autostage or update checks, `site_cache` as DVC's site cache, and
    the default remote `store` at `remote_url` on `endpoint` with its keys."""
    root.mkdir(parents=True)
    for cmd in (
        ["git", "init", "-q"],
        ["git", "config", "user.email", "test@example.invalid"],
        ["git", "config", "user.name", "Cairn Test"],
        [dvc, "init", "-q"],
        [dvc, "config", "core.analytics", "false"],
        [dvc, "config", "core.autostage", "false"],
        [dvc, "config", "core.check_update", "false"],
        [dvc, "config", "core.site_cache_dir", str(site_cache)],
        [dvc, "remote", "add", "-d", "store", remote_url],
        [dvc, "remote", "modify", "store", "endpointurl", endpoint.url],
    ):
        run(cmd, root, env, timeout=timeout)
    dvc_credentials(root, env, dvc, endpoint, timeout=timeout)


def dvc_credentials(root: Path, env, dvc: str, endpoint: Endpoint, *, timeout: float = 600) -> None:
    """The endpoint's keys for the remote `store`, in the project's config.local."""
    run([dvc, "remote", "modify", "--local", "store", "access_key_id", endpoint.access_key], root, env, timeout=timeout)
    run([dvc, "remote", "modify", "--local", "store", "secret_access_key", endpoint.secret_key], root, env, timeout=timeout)


def dvc_remote_key(prefix: str, md5: str) -> str:
    """Where DVC 3 stores an object in a remote at `prefix` (files/md5/xx/rest;
    a directory listing's md5 ends with `.dir`)."""
    return f"{prefix}/files/md5/{md5[:2]}/{md5[2:]}"


def dvc_data_hashes(data_dir: Path) -> dict[str, str]:
    """Hashes of the tracked data only (not the .dvc / .gitignore files beside it)."""
    return {k: v for k, v in tree_hashes(data_dir).items() if not k.endswith((".dvc", ".gitignore"))}

"""Random files and directory trees on disk."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path
from typing import Mapping

from .constants import MiB
from .hashes import sha256_file


def write_random_file(path: Path | str, size: int) -> str:
    """Write `size` random bytes; returns their sha256."""
    h = hashlib.sha256()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        left = size
        while left:
            chunk = os.urandom(min(left, 4 * MiB))
            f.write(chunk)
            h.update(chunk)
            left -= len(chunk)
    return h.hexdigest()


def tree_hashes(root: Path | str) -> dict[str, str]:
    """relative posix path -> sha256, for every regular file under root."""
    root = Path(root)
    return {
        p.relative_to(root).as_posix(): sha256_file(p)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def make_tree(root: Path, layout: Mapping[str, int], *, backdate: float | None = None) -> dict[str, int]:
    """Random files under `root` as `layout` says (relative path -> size);
    returns a copy of the layout. With `backdate`, every path under `root` is
    dated that many seconds back."""
    for rel, size in layout.items():
        write_random_file(root / rel, size)
    if backdate is not None:
        past = time.time() - backdate
        for p in root.rglob("*"):
            os.utime(p, (past, past))
    return dict(layout)

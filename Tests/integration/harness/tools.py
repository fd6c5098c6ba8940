"""External command-line tools (aws, dvc, rclone, git): where they are and how
they run."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path


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

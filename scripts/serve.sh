#!/usr/bin/env bash
# Installs what is missing, builds Cairn (release) and starts the server on 127.0.0.1:9000 with ./data.
# Extra arguments go to `cairn serve` (e.g. --address 127.0.0.1:9100).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
echo "==> building (release)"
swift build -c release --product cairn
exec .build/release/cairn serve --data ./data --address 127.0.0.1:9000 "$@"

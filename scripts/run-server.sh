#!/usr/bin/env bash
# Starts Stowage on the embedded default: SQLite under ./stowage-data, listening on 127.0.0.1:8080.
# Extra arguments (--urls, --data-dir, --postgres) are passed through.
set -euo pipefail
cd "$(dirname "$0")/.."
# `dotnet run` starts the server in the project directory; keep the default data directory at the
# repository root, where the README says it is.
if [ -z "${STOWAGE_DATA_DIR:-}" ] && [[ " $* " != *" --data-dir "* ]]; then
  export STOWAGE_DATA_DIR="$PWD/stowage-data"
fi
exec dotnet run --project src/Stowage.Server -c Release -- "$@"

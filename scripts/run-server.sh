#!/usr/bin/env bash
# Starts Stowage on the embedded default: SQLite under ./stowage-data, listening on 127.0.0.1:8080.
# Extra arguments (--urls, --data-dir, --postgres) are passed through.
set -euo pipefail
cd "$(dirname "$0")/.."
exec dotnet run --project src/Stowage.Server -c Release -- "$@"

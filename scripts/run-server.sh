#!/usr/bin/env bash
# Starts Stowage on the embedded default: SQLite under ./stowage-data, listening on 127.0.0.1:8080.
# Extra arguments (--urls, --data-dir, --postgres, --export-transport) are passed through.
set -euo pipefail
cd "$(dirname "$0")/.."
# Export downloads read through the local OpenSSH client when it is there (SFTP otherwise, slower):
# install it when missing and we may.
if ! { command -v ssh && command -v ssh-agent; } >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  if [ -z "$SUDO" ] || command -v sudo >/dev/null 2>&1; then
    echo "installing openssh-client (export downloads use ssh)"
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends openssh-client >/dev/null \
      || echo "could not install openssh-client: export downloads will read over SFTP" >&2
  fi
fi
# `dotnet run` starts the server in the project directory; keep the default data directory at the
# repository root, where the README says it is.
if [ -z "${STOWAGE_DATA_DIR:-}" ] && [[ " $* " != *" --data-dir "* ]]; then
  export STOWAGE_DATA_DIR="$PWD/stowage-data"
fi
exec dotnet run --project src/Stowage.Server -c Release -- "$@"

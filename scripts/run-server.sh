#!/usr/bin/env bash
# Starts Stowage on the embedded default: SQLite under ./stowage-data, listening on 127.0.0.1:8080, with a
# FileSystem backup storage "default" in <data dir>/images so an image can be stored at once.
# Extra arguments (--urls, --data-dir, --postgres, --export-transport, --write-transport, --default-backup-storage) are passed through.
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
# NfsBackupStorage speaks NFSv3 itself through libnfs (no kernel mount): install libnfs13 when missing.
if ! ls /usr/lib/*/libnfs.so.13 /lib/*/libnfs.so.13 2>/dev/null | grep -q . && command -v apt-get >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  if [ -z "$SUDO" ] || command -v sudo >/dev/null 2>&1; then
    echo "installing libnfs13 (NFS backup storage)"
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends libnfs13 >/dev/null \
      || echo "could not install libnfs13: NFS backup storage will be unavailable" >&2
  fi
fi
# `dotnet run` starts the server in the project directory; keep the default data directory at the
# repository root, where the README says it is.
if [ -z "${STOWAGE_DATA_DIR:-}" ] && [[ " $* " != *" --data-dir "* ]]; then
  export STOWAGE_DATA_DIR="$PWD/stowage-data"
fi
# The newcomer's backup storage: given first, so a --default-backup-storage among the arguments wins;
# STOWAGE_DEFAULT_BACKUP_STORAGE (e.g. off) is respected as it is.
default_bs=()
if [ -z "${STOWAGE_DEFAULT_BACKUP_STORAGE:-}" ]; then
  default_bs=(--default-backup-storage images)
fi
exec dotnet run --project src/Stowage.Server -c Release -- "${default_bs[@]}" "$@"

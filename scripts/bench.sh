#!/usr/bin/env bash
# Builds Stowage.Server and the benchmark in Release, then runs the benchmark. The benchmark starts the
# server as its own process on a free 127.0.0.1 port with a fresh SQLite data directory, seeds it
# through the API and measures query and async-job throughput (see bench/README.md).
# Extra arguments go to the benchmark: --zones N --seconds S --clients C --job-clients J --seed-clients K
#
# `scripts/bench.sh scale [...]` runs the scale benchmark instead (root only): private sshd instances on
# loopback, 1,000 SFTP backup storages, ping rounds, RSS and detection time (see bench/README.md).
# Extra arguments: --sshd N --storages N --add-clients C --parallelism P --rounds R
#                  --detect-interval S --detect-timeout S
#
# `scripts/bench.sh image [...]` registers one large image (2 GiB) from a loopback HTTP server into an SFTP
# backup storage through the host-pull and the streamed data paths, next to curl -o and scp (root only).
# Extra arguments: --size-mib N --repeat N
#
# `scripts/bench.sh upload [...]` uploads 1 GiB and 4 GiB files through the resumable upload URL (curl -T, timed until
# the image is Ready) into an SFTP backup storage, next to scp -c aes128-gcm@openssh.com of the same file to the same
# sshd and scp followed by md5sum on the host; CPU per GiB of server, children and sshd, peak RSS (root only).
# Extra arguments: --sizes-mib 1024,4096 --repeat 3 --dir D (where the sources and the storage go)
#
# `scripts/bench.sh verify [...]` registers one large image (2 GiB) into an SFTP backup storage and verifies it
# (VerifyImage), next to sha256sum then md5sum of the same file on the host, with the bytes Stowage moved (root only).
# Extra arguments: --size-mib N --repeat N
#
# `scripts/bench.sh export [...]` adds one large image (host pull), exports it and downloads it with curl
# through the export URL, next to OpenSSH sftp -R 64 get and scp of the same file (root only).
# Extra arguments: --size-mib N --repeat N
#
# `scripts/bench.sh nfs [...]` starts an NFS-Ganesha on loopback (as the tests do), adds one large image into an
# NFS backup storage and downloads its export, next to nfs-cp to and from the same export (root only).
# Extra arguments: --size-mib N --repeat N
#
# `scripts/bench.sh fs [...]` adds one large image from a loopback HTTP server into a FileSystem backup storage,
# next to curl -o + md5sum + qemu-img info into the same directory (ZStack's agent's way).
# Extra arguments: --size-mib N --repeat N --dir D (where the directory goes; default the temp directory)
#
# `scripts/bench.sh swift [...]` starts a throw-away Swift on loopback (as the tests do), adds one large image into a
# SwiftBackupStorage next to curl -T into the same container, and downloads its export (302 to a TempURL) next
# to curl of the object from the store. Extra arguments: --size-mib N --repeat N --dir D
set -euo pipefail
cd "$(dirname "$0")/.."
mode=()
if [ "${1:-}" = "nfs" ] || [ "${1:-}" = "fs" ] || [ "${1:-}" = "swift" ]; then
  [ "$1" = swift ] && bash scripts/lib/swift-saio.sh install
  mode=("$1")
  shift
elif [ "${1:-}" = "scale" ] || [ "${1:-}" = "image" ] || [ "${1:-}" = "export" ] || [ "${1:-}" = "upload" ] || [ "${1:-}" = "verify" ]; then
  kind="$1"; shift
  # The same local account as the SFTP tests; the benchmark logs in with its own key through its own
  # sshd config and leaves the account's password and authorized_keys alone.
  . scripts/lib/sftp-test-user.sh
  sftp_test_user_ensure
  mode=("$kind" --ssh-user "$SFTP_TEST_USER")
fi
build() { local out; out="$(dotnet build "$1" -c Release -v q -nologo 2>&1)" || { printf '%s\n' "$out" >&2; exit 1; }; }
build src/Stowage.Server
build bench/Stowage.Bench
# The benchmark runs in a session and process group of its own (setsid; its pid is the group id), with the
# server, sshd, HTTP sources and reference tools it starts. On SIGINT/SIGTERM/SIGHUP (Ctrl-C, `timeout`, a closed terminal) it is asked to
# stop first (it cancels and cleans up: server, sshd, temp directories); whatever of its group is still
# alive 20 s later is killed, so an interrupted benchmark never leaves a server or sshd running.
setsid dotnet bench/Stowage.Bench/bin/Release/net10.0/Stowage.Bench.dll "${mode[@]}" \
  --server src/Stowage.Server/bin/Release/net10.0/Stowage.Server.dll "$@" &
bench=$!
# A process that ended stays a zombie until waited for, and kill -0 still finds it: read its state instead.
alive() { local st; st="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1; st="${st##*) }"; [ "${st%% *}" != Z ]; }
stop() {
  trap '' INT TERM HUP
  kill -TERM "$bench" 2>/dev/null || true
  for _ in $(seq 200); do alive "$bench" || break; sleep 0.1; done
  kill -TERM -- "-$bench" 2>/dev/null || true
  sleep 1
  kill -KILL -- "-$bench" 2>/dev/null || true
  exit "$1"
}
trap 'stop 130' INT
trap 'stop 143' TERM
trap 'stop 129' HUP
rc=0
wait "$bench" || rc=$?
# Anything the benchmark left in its group (it should leave nothing) goes with it.
kill -KILL -- "-$bench" 2>/dev/null || true
exit "$rc"

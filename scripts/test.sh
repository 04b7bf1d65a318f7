#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: installs the system packages the tests need when
# they are missing, starts a private PostgreSQL cluster on a free loopback port, runs `dotnet test`,
# and stops the cluster again.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
pg_bin=""
for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && pg_bin="$d"; done
[ -n "$pg_bin" ] || need_pkgs+=(postgresql)
command -v sshd >/dev/null 2>&1 || [ -x /usr/sbin/sshd ] || need_pkgs+=(openssh-server)
# ssh and ssh-agent: export downloads read through a local OpenSSH client.
{ command -v ssh && command -v ssh-agent; } >/dev/null 2>&1 || need_pkgs+=(openssh-client)
command -v qemu-img >/dev/null 2>&1 || need_pkgs+=(qemu-utils)
# The web console's end-to-end tests drive Debian's Chromium headless through its chromedriver.
[ -x /usr/bin/chromium ] || need_pkgs+=(chromium)
[ -x /usr/bin/chromedriver ] || need_pkgs+=(chromium-driver)
# pv: verification on an SFTP host holds its read-rate limit with pv -L (the throttle test needs it).
command -v pv >/dev/null 2>&1 || need_pkgs+=(pv)
# NFS: the tests start a real NFS-Ganesha (VFS FSAL, with rpcbind in a private namespace); the server speaks
# NFSv3 through libnfs.so.13; the NFS benchmarks compare with nfs-cp (libnfs-utils).
nfs_pkgs=()
[ -x /usr/bin/ganesha.nfsd ] || nfs_pkgs+=(nfs-ganesha)
ls /usr/lib/*/ganesha/libfsalvfs.so >/dev/null 2>&1 || nfs_pkgs+=(nfs-ganesha-vfs)
ls /usr/lib/*/libnfs.so.13 /lib/*/libnfs.so.13 2>/dev/null | grep -q . || nfs_pkgs+=(libnfs13)
command -v nfs-cp >/dev/null 2>&1 || nfs_pkgs+=(libnfs-utils)
need_pkgs+=("${nfs_pkgs[@]}")
# The monitoring tests start a real Prometheus on loopback that scrapes a test server, and lint /metrics with promtool.
prom_pkgs=()
{ command -v prometheus && command -v promtool; } >/dev/null 2>&1 || prom_pkgs+=(prometheus)
need_pkgs+=("${prom_pkgs[@]}")
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "installing: ${need_pkgs[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && pg_bin="$d"; done
  # On a systemd machine the NFS packages enable a Ganesha with the default config (*:2049) and start
  # rpcbind on 0.0.0.0:111: the tests start their own on loopback, so switch those off.
  if [ ${#nfs_pkgs[@]} -gt 0 ] && [ -d /run/systemd/system ]; then
    $SUDO systemctl disable --now nfs-ganesha.service rpcbind.socket rpcbind.service >/dev/null 2>&1 || true
  fi
  # Debian's package enables a Prometheus on *:9090; the tests start their own on loopback.
  if [ ${#prom_pkgs[@]} -gt 0 ] && [ -d /run/systemd/system ]; then
    $SUDO systemctl disable --now prometheus.service >/dev/null 2>&1 || true
  fi
fi

# The object-store tests start a throw-away Swift (with S3) from Debian's packages: install them when missing.
scripts/lib/swift-saio.sh install

# A private PostgreSQL cluster in a temporary directory, owned by an unprivileged user when we are root.
pg_dir="$(mktemp -d /tmp/stowage-pg.XXXXXX)"
pg_port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
run_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --home "$pg_dir" postgres
  chown postgres "$pg_dir"
fi
cleanup() {
  run_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$pg_dir"
}
trap cleanup EXIT
run_pg "$pg_bin/initdb" -D "$pg_dir/data" -U stowage --auth=trust -E UTF8 >/dev/null
run_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w -o "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off -c synchronous_commit=off" start >/dev/null
export STOWAGE_TEST_POSTGRES="Host=127.0.0.1;Port=$pg_port;Username=stowage;Database=postgres;Pooling=true"
export STOWAGE_REQUIRE_POSTGRES=1
echo "PostgreSQL for tests on 127.0.0.1:$pg_port"

# A dedicated local account for the SFTP tests, which start their own sshd on a loopback port (never
# the system one). Its random password and ed25519 client key live in a root-only state directory and
# are made once, so test runs that overlap (several checkouts on one machine) share them instead of
# changing the password under each other's feet.
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
ssh_user="stowage-sftp-test"
state_dir="/var/lib/stowage-tests"
if ! id "$ssh_user" >/dev/null 2>&1; then
  $SUDO useradd --create-home --shell /bin/bash "$ssh_user"
fi
ssh_home="$(getent passwd "$ssh_user" | cut -d: -f6)"
$SUDO install -d -m 700 "$state_dir"
if ! $SUDO test -s "$state_dir/password" || ! $SUDO test -s "$state_dir/id_ed25519"; then
  python3 -c 'import secrets; print(secrets.token_urlsafe(18))' | $SUDO tee "$state_dir/password" >/dev/null
  $SUDO rm -f "$state_dir/id_ed25519" "$state_dir/id_ed25519.pub"
  $SUDO ssh-keygen -q -t ed25519 -N '' -C "$ssh_user@stowage-tests" -f "$state_dir/id_ed25519"
  $SUDO chmod 600 "$state_dir/password" "$state_dir/id_ed25519"
fi
ssh_password="$($SUDO cat "$state_dir/password")"
echo "$ssh_user:$ssh_password" | $SUDO chpasswd
$SUDO install -d -m 700 -o "$ssh_user" -g "$ssh_user" "$ssh_home/.ssh"
$SUDO install -m 600 -o "$ssh_user" -g "$ssh_user" "$state_dir/id_ed25519.pub" "$ssh_home/.ssh/authorized_keys"
export STOWAGE_TEST_SSH_USER="$ssh_user"
export STOWAGE_TEST_SSH_PASSWORD="$ssh_password"
export STOWAGE_TEST_SSH_KEY="$state_dir/id_ed25519"
echo "SFTP test user: $ssh_user (key $STOWAGE_TEST_SSH_KEY)"

# A project (or directory) as the first argument tests only it: scripts/test.sh tests/Stowage.Server.Tests --filter …
target="Stowage.sln"
if [ $# -gt 0 ] && { [ -d "$1" ] || [[ "$1" == *.csproj ]]; }; then target="$1"; shift; fi
# Each test's duration goes to .trx files; the slowest tests and classes are printed after the run (pass or fail),
# so the suite's time budget (20 minutes in CI) can be watched as suites grow.
results="$(mktemp -d -t stowage-test-results-XXXXXX)"
rc=0
dotnet test "$target" --logger trx --results-directory "$results" "$@" || rc=$?
python3 "$(dirname "$0")/lib/slowest-tests.py" "$results" 15 || true
rm -rf "$results"
exit $rc

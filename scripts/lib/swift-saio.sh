#!/usr/bin/env bash
# A throw-away single-node OpenStack Swift ("SAIO") on 127.0.0.1 for the object-store tests, from
# Debian's packages: account, container and object servers, a proxy with tempauth, tempurl, SLO,
# account quotas and s3api, memcached (tempauth keeps its tokens there) and an in-process container
# updater (account usage and quotas depend on it; the stock updater forks every sweep and burns a core).
#
#   swift-saio.sh install          installs the packages when missing (apt-get)
#   swift-saio.sh start DIR        builds rings and configs in DIR (empty or missing), starts everything,
#                                  waits until auth and a container PUT work, prints PROXY_PORT=<port>
#   swift-saio.sh stop DIR         stops everything started in DIR and deletes DIR
#   swift-saio.sh kill-proxy DIR   SIGKILLs the proxy (fault tests)
#   swift-saio.sh start-proxy DIR  starts the proxy again on its port and waits until it answers
#
# Accounts (tempauth): admin:admin / admin (reseller admin: sets quotas), test:tester / testing,
# quota:user / quota (a plain admin of its own account, for quota tests; reseller admins bypass quotas).
set -euo pipefail

PY=/usr/bin/python3   # the system Python has the swift module; a pyenv python3 on PATH may not

install_packages() {
  if command -v swift-proxy-server >/dev/null 2>&1 && command -v swift-object-server >/dev/null 2>&1 \
     && command -v swift-account-server >/dev/null 2>&1 && command -v swift-container-server >/dev/null 2>&1 \
     && command -v memcached >/dev/null 2>&1 && [ -f /etc/swift/swift.conf ]; then
    return 0
  fi
  echo "installing: swift swift-proxy swift-account swift-container swift-object memcached" >&2
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  # Another apt run on the machine holds the lock for a while: wait for it rather than fail.
  $sudo apt-get -o DPkg::Lock::Timeout=300 update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=300 install -y -qq \
    swift swift-proxy swift-account swift-container swift-object memcached >/dev/null
}

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Waits (bounded) until tempauth hands out a token and a container PUT succeeds through the proxy.
wait_ready() {
  local dir="$1" pp="$2" deadline=$((SECONDS + 120)) headers token url
  while [ $SECONDS -lt $deadline ]; do
    headers="$(curl -s -m 5 -D - -o /dev/null -H 'X-Auth-User: test:tester' -H 'X-Auth-Key: testing' "http://127.0.0.1:$pp/auth/v1.0" || true)"
    token="$(printf '%s' "$headers" | tr -d '\r' | sed -n 's/^[Xx]-[Aa]uth-[Tt]oken: //p')"
    url="$(printf '%s' "$headers" | tr -d '\r' | sed -n 's/^[Xx]-[Ss]torage-[Uu]rl: //p')"
    if [ -n "$token" ] && [ -n "$url" ] \
       && [[ "$(curl -s -m 5 -o /dev/null -w '%{http_code}' -X PUT -H "X-Auth-Token: $token" "$url/ready-check")" =~ ^20[12]$ ]]; then
      return 0
    fi
    sleep 0.2
  done
  echo "swift did not become ready; logs in $dir/log" >&2
  tail -n 20 "$dir"/log/*.log >&2 || true
  return 1
}

start_proxy() {
  local dir="$1" pp
  pp="$(cat "$dir/run/proxy.port")"
  # Idempotent: a proxy that is still running (nobody killed it) is only waited for.
  if [ -f "$dir/run/proxy.pid" ] && kill -0 "$(cat "$dir/run/proxy.pid")" 2>/dev/null \
     && [ "$(awk '{print $3}' "/proc/$(cat "$dir/run/proxy.pid")/stat" 2>/dev/null)" != Z ]; then
    wait_ready "$dir" "$pp"
    return
  fi
  swift-proxy-server "$dir/etc/proxy-server.conf" -v >>"$dir/log/proxy.log" 2>&1 &
  echo $! >"$dir/run/proxy.pid"
  local deadline=$((SECONDS + 30))
  until port_open "$pp"; do
    [ $SECONDS -lt $deadline ] || { echo "the proxy did not listen on $pp" >&2; return 1; }
    sleep 0.1
  done
  wait_ready "$dir" "$pp"
}

write_server_conf() {
  local dir="$1" kind="$2" port="$3"
  cat >"$dir/etc/$kind-server.conf" <<EOF
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = $port
workers = 0
user = $(id -un)
swift_dir = $dir/etc
devices = $dir/srv/node
mount_check = false
recon_cache_path = $dir/cache
log_level = WARNING

[pipeline:main]
pipeline = $kind-server

[app:$kind-server]
use = egg:swift#$kind
EOF
  if [ "$kind" = container ]; then
    printf '\n[container-updater]\nlog_level = WARNING\n' >>"$dir/etc/container-server.conf"
  fi
}

write_proxy_conf() {
  local dir="$1" pp="$2" mp="$3"
  cat >"$dir/etc/proxy-server.conf" <<EOF
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = $pp
workers = 0
user = $(id -un)
swift_dir = $dir/etc
log_level = WARNING

[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats tempurl s3api tempauth copy account-quotas slo dlo proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
# account bytes and quota are cached this many seconds (default 60): tests read usage soon after writes
recheck_account_existence = 1

[filter:tempauth]
use = egg:swift#tempauth
user_admin_admin = admin .admin .reseller_admin
user_test_tester = testing .admin
user_quota_user = quota .admin

[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:$mp

[filter:s3api]
use = egg:swift#s3api
location = us-east-1

[filter:account-quotas]
use = egg:swift#account_quotas

[filter:proxy-logging]
use = egg:swift#proxy_logging
EOF
  local f
  for f in catch_errors gatekeeper healthcheck listing_formats tempurl copy slo dlo; do
    printf '\n[filter:%s]\nuse = egg:swift#%s\n' "$f" "$f" >>"$dir/etc/proxy-server.conf"
  done
}

start_all() {
  local dir="$1"
  install_packages
  mkdir -p "$dir"/{etc,srv/node/d1,run,log,cache}
  local ap cp op pp mp
  ap="$(free_port)"; cp="$(free_port)"; op="$(free_port)"; pp="$(free_port)"; mp="$(free_port)"
  echo "$pp" >"$dir/run/proxy.port"
  echo "$mp" >"$dir/run/memcached.port"

  # Rings: one device, one replica, part power 0, built in one Python process (the CLI costs ~2 s a ring).
  "$PY" - "$dir/etc" "$ap" "$cp" "$op" <<'EOF'
import sys
from swift.common.ring import RingBuilder
etc = sys.argv[1]
for name, port in (("account", int(sys.argv[2])), ("container", int(sys.argv[3])), ("object", int(sys.argv[4]))):
    b = RingBuilder(0, 1, 1)
    b.add_dev({'id': 0, 'region': 1, 'zone': 1, 'ip': '127.0.0.1', 'port': port, 'device': 'd1', 'weight': 100, 'meta': ''})
    b.rebalance()
    b.save(f"{etc}/{name}.builder")
    b.get_ring().save(f"{etc}/{name}.ring.gz")
EOF
  write_server_conf "$dir" account "$ap"
  write_server_conf "$dir" container "$cp"
  write_server_conf "$dir" object "$op"
  write_proxy_conf "$dir" "$pp" "$mp"
  cat >"$dir/etc/updater.py" <<'EOF'
# The container updater's sweep in one long-lived process, every INTERVAL seconds.
import sys, time
from swift.common.utils import eventlet_monkey_patch, readconf
eventlet_monkey_patch()
from swift.container.updater import ContainerUpdater
u = ContainerUpdater(readconf(sys.argv[1], 'container-updater'))
while True:
    for p in u.get_paths():
        u.container_sweep(p)
    time.sleep(float(sys.argv[2]))
EOF

  memcached -l 127.0.0.1 -p "$mp" -U 0 -m 64 -u "$(id -un)" >"$dir/log/memcached.log" 2>&1 &
  echo $! >"$dir/run/memcached.pid"
  local s
  for s in account container object; do
    "swift-$s-server" "$dir/etc/$s-server.conf" -v >"$dir/log/$s.log" 2>&1 &
    echo $! >"$dir/run/$s.pid"
  done
  "$PY" "$dir/etc/updater.py" "$dir/etc/container-server.conf" 0.5 >"$dir/log/updater.log" 2>&1 &
  echo $! >"$dir/run/updater.pid"

  # The proxy error-limits a backend that refused it for 60 s: start it only once every backend listens.
  local p deadline=$((SECONDS + 120))
  for p in "$mp" "$ap" "$cp" "$op"; do
    until port_open "$p"; do
      [ $SECONDS -lt $deadline ] || { echo "port $p did not open; logs in $dir/log" >&2; tail -n 20 "$dir"/log/*.log >&2; return 1; }
      sleep 0.1
    done
  done
  start_proxy "$dir"
  echo "PROXY_PORT=$pp"
}

stop_pid() {
  local pid="$1" i
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 1 50); do
    # A zombie counts as dead: the init process may reap orphans only every few seconds.
    if ! kill -0 "$pid" 2>/dev/null || [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" = Z ]; then return 0; fi
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

stop_all() {
  local dir="$1" f
  [ -d "$dir/run" ] || { rm -rf "$dir"; return 0; }
  for f in "$dir"/run/*.pid; do
    [ -f "$f" ] && stop_pid "$(cat "$f")"
  done
  rm -rf "$dir"
}

case "${1:-}" in
  install) install_packages ;;
  start)
    [ -n "${2:-}" ] || { echo "usage: $0 start DIR" >&2; exit 2; }
    # A start that fails half-way stops what it started and deletes DIR: nothing is left running.
    trap 'rc=$?; [ $rc -eq 0 ] || stop_all "$2"; exit $rc' EXIT
    start_all "$2" ;;
  stop) [ -n "${2:-}" ] || { echo "usage: $0 stop DIR" >&2; exit 2; }; stop_all "$2" ;;
  kill-proxy) kill -KILL "$(cat "$2/run/proxy.pid")" 2>/dev/null || true ;;
  start-proxy) start_proxy "$2" ;;
  *) echo "usage: $0 install | start DIR | stop DIR | kill-proxy DIR | start-proxy DIR" >&2; exit 2 ;;
esac

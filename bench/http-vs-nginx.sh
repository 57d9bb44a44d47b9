#!/usr/bin/env bash
# Compares MiniCache with nginx serving the same files, in one run, on this
# machine. Topology, inside a namespace created here and deleted at the end:
# a bridge virbr0 (192.168.122.1, the client side), the appliance on a TAP
# at 192.168.122.2, and nginx in a second namespace behind a veth on the
# same bridge at 192.168.122.3 (the kernel's stack). Both serve a 200 MB
# file and the demo site's index.html from the page cache / chunk cache.
# Prints MB/s for one large download (best of 5 curl runs) and requests/s
# for small objects (wrk, 4 connections and 64 connections, 5 s each).
# Needs root, nginx and wrk. Usage: bench/http-vs-nginx.sh [--no-offload]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
extra_args=("$@")

for tool in nginx wrk curl ip; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (apt-get install nginx-light wrk curl iproute2)"; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "bench: run as root (it creates network namespaces)"; exit 1; }

ns=mc-bench-$$
origin=mc-bench-nginx-$$
work=$(mktemp -d /var/tmp/minicache-bench.XXXXXX)
cleanup() {
  ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
  ip netns pids "$origin" 2>/dev/null | xargs -r kill 2>/dev/null || true
  sleep 0.5
  ip netns del "$ns" 2>/dev/null || true
  ip netns del "$origin" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Content: 200 MB of random bytes and the demo page.
mkdir -p "$work/site"
head -c 200000000 /dev/urandom > "$work/site/big.bin"
cp demo/site/index.html "$work/site/index.html"
node bin/mkwebfs -n Bench "$work/site" "$work/site.img" >/dev/null

ip netns add "$ns"
ip netns add "$origin"
ip -n "$ns" link set lo up
ip -n "$origin" link set lo up
ip -n "$ns" link add virbr0 type bridge
ip -n "$ns" addr add 192.168.122.1/24 dev virbr0
ip -n "$ns" link set virbr0 up
ip -n "$ns" link add veth-nginx type veth peer name eth0 netns "$origin"
ip -n "$ns" link set veth-nginx master virbr0 up
ip -n "$origin" addr add 192.168.122.3/24 dev eth0
ip -n "$origin" link set eth0 up

cat > "$work/nginx.conf" <<CONF
user root;
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  types { text/html html; application/octet-stream bin; }
  server { listen 192.168.122.3:80; root $work/site; }
}
CONF
ip netns exec "$origin" nginx -c "$work/nginx.conf"

ip netns exec "$ns" node bin/minicache -i 192.168.122.2/24 -b "$work/site.img" --cache-size 512M -h "${extra_args[@]}" \
  > "$work/minicache.log" 2>&1 &
for _ in $(seq 1 100); do grep -q "ready:" "$work/minicache.log" && break; sleep 0.1; done
grep -q "ready:" "$work/minicache.log" || { cat "$work/minicache.log"; exit 1; }

best_download() {
  local url=$1 best=0 speed
  for _ in 1 2 3 4 5; do
    speed=$(ip netns exec "$ns" curl -sS -o /dev/null -w '%{speed_download}' "$url")
    best=$(awk -v a="$best" -v b="$speed" 'BEGIN { print (b > a) ? b : a }')
  done
  awk -v b="$best" 'BEGIN { printf "%.0f", b / 1e6 }'
}

requests_per_second() {
  local url=$1 connections=$2
  ip netns exec "$ns" wrk -t2 -c"$connections" -d5s "$url" | awk '/Requests\/sec/ { printf "%.0f", $2 }'
}

mc_big=$(best_download http://192.168.122.2/big.bin)
nginx_big=$(best_download http://192.168.122.3/big.bin)
mc_small4=$(requests_per_second http://192.168.122.2/index.html 4)
nginx_small4=$(requests_per_second http://192.168.122.3/index.html 4)
mc_small64=$(requests_per_second http://192.168.122.2/index.html 64)
nginx_small64=$(requests_per_second http://192.168.122.3/index.html 64)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
echo "machine: $(nproc) cores, $(uname -r); minicache options: ${extra_args[*]:-(default)}"
printf '%-34s %12s %12s %8s\n' "" "minicache" "nginx" "ratio"
printf '%-34s %12s %12s %8s\n' "200 MB download, MB/s (best of 5)" "$mc_big" "$nginx_big" "$(ratio "$mc_big" "$nginx_big")"
printf '%-34s %12s %12s %8s\n' "index.html, requests/s, 4 conns" "$mc_small4" "$nginx_small4" "$(ratio "$mc_small4" "$nginx_small4")"
printf '%-34s %12s %12s %8s\n' "index.html, requests/s, 64 conns" "$mc_small64" "$nginx_small64" "$(ratio "$mc_small64" "$nginx_small64")"

#!/usr/bin/env bash
# Throughput of `shfs_admin -a` (SHA-256 digest, copy, fsync) against `dd`
# copying the same file to the same disk with conv=fsync, as a ratio.
#
#   bench/shfs-add-object.sh [SIZE_MIB]     (default 1024)
#
# BENCH_DIR selects the folder (default: a new folder under /var/tmp); both
# copies land there, so both write to the same disk. The source file is
# read from the page cache in both runs. Prints figures only.
set -euo pipefail

size_mib=${1:-1024}
root=$(cd "$(dirname "$0")/.." && pwd)
work=${BENCH_DIR:-$(mktemp -d /var/tmp/minicache-bench.XXXXXX)}
mkdir -p "$work"
trap 'rm -f "$work/source.bin" "$work/volume.img" "$work/copy.bin"; [ -z "${BENCH_DIR:-}" ] && rmdir "$work"' EXIT

now() { date +%s.%N; }
rate() { awk -v mib="$size_mib" -v s="$1" 'BEGIN { printf "%.1f", mib / s }'; }

echo "bench: shfs_admin -a versus dd, ${size_mib} MiB, in $work"
head -c "$((size_mib * 1024 * 1024))" /dev/urandom >"$work/source.bin"

# Room for the object, the 4 MiB table and the label chunks.
truncate -s "$(((size_mib + 16) * 1024 * 1024))" "$work/volume.img"
"$root/bin/shfs_mkfs" -f "$work/volume.img" >/dev/null
sync

start=$(now)
"$root/bin/shfs_admin" -a "$work/source.bin" "$work/volume.img"
end=$(now)
shfs_seconds=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')

start=$(now)
dd if="$work/source.bin" of="$work/copy.bin" bs=1M conv=fsync status=none
end=$(now)
dd_seconds=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')

echo "shfs_admin -a: ${shfs_seconds} s, $(rate "$shfs_seconds") MiB/s (SHA-256 digest, copy, fsync)"
echo "dd conv=fsync: ${dd_seconds} s, $(rate "$dd_seconds") MiB/s"
awk -v s="$shfs_seconds" -v d="$dd_seconds" 'BEGIN { printf "ratio shfs_admin/dd: %.2f (goal: at least 0.5)\n", d / s }'

#!/usr/bin/env bash
# Simulator memory per mapped 4 KiB page (issue 15; docs/performance.md,
# "Issue 15: memory per mapped page").
#
#   scripts/mem_per_page.sh [PAGES...]     (default: 262144 1000000 1048576)
#
# For each PAGES, runs one configuration that maps PAGES 4 KiB pages through
# the host driver model (an unmanaged domain's fixed map at bring-up,
# superpages off, as configs/experiments/reach-on-4k.yaml maps its window)
# and does one DMA, and the same with one page; peak RSS from
# /usr/bin/time -f %M. Prints the peak RSS and
#   (RSS(PAGES) - RSS(1 page) - table pages * 4096) / PAGES
# the resident bytes per mapped page beyond the page tables themselves
# (table pages = the pointer stores: system.host.driver.pte_writes - PAGES,
# plus the top-level table). IOMMUSIM (default build/apps/iommusim) names the binary.
set -euo pipefail
bin=${IOMMUSIM:-build/apps/iommusim}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

config() {  # PAGES FILE
  cat > "$2" <<YAML
simulation: { seed: 1 }
platform:
  endpoints: [{ name: nic0, bdf: '00:03.0' }]
host:
  driver:
    superpages: false
    devices:
    - { device: nic0, domain: unmanaged,
        maps: [{ iova: 0x100000000, pa: 0x100000000, size: $(($1 * 4096)), perm: r }] }
workloads:
- { device: nic0, pattern: random, op: read, size: 64, base: 0x100000000, window: $(($1 * 4096)), count: 1 }
YAML
}

rss_kb() {  # PAGES -> peak RSS in KiB; leaves the stats in $tmp/out$1
  config "$1" "$tmp/map$1.yaml"
  /usr/bin/time -f %M -o "$tmp/rss$1" "$bin" run "$tmp/map$1.yaml" --out "$tmp/out$1" > /dev/null
  cat "$tmp/rss$1"
}

base=$(rss_kb 1)
printf '%10s %12s %12s %16s\n' pages "peak RSS KB" "table pages" "bytes/page beyond"
for n in "${@:-262144 1000000 1048576}"; do
  for p in $n; do
    rss=$(rss_kb "$p")
    writes=$(awk '$1 == "system.host.driver.pte_writes" { print $2 }' "$tmp/out$p/stats.txt")
    tables=$((writes - p + 1))
    awk -v p="$p" -v rss="$rss" -v base="$base" -v t="$tables" \
      'BEGIN { printf "%10d %12d %12d %16.1f\n", p, rss, t, ((rss - base) * 1024 - t * 4096) / p }'
  done
done

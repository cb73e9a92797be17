#!/usr/bin/env bash
# Interleaved A/B benchmark of a package between two revisions, for a shared or noisy machine:
# builds each revision's test binary once, then alternates them ROUNDS times and prints, per
# benchmark, the median of the ratio of its csp sub-benchmark to its baseline (native Go channels,
# raw TCP: whichever other sub-benchmark it has) within each run (the ratio, not a lone time, is
# what to quote). Usage: scripts/bench-ab.sh [OLD [NEW [ROUNDS [BENCH [PKG [BENCHTIME]]]]]]
# (defaults: HEAD~1, the working tree, 8, 'CommsTime|ReadWrite|Select$|StressedAlt', ./csp, 300ms).
# For the remote channels: scripts/bench-ab.sh OLD NEW 4 RemotePingPong ./net 20000x
set -euo pipefail
old=${1:-HEAD~1} new=${2:-} rounds=${3:-8} bench=${4:-'CommsTime|ReadWrite|Select$|StressedAlt'}
pkg=${5:-./csp} benchtime=${6:-300ms}
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'git worktree remove --force "$tmp/old" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
git worktree add -q "$tmp/old" "$old"
(cd "$tmp/old" && go test -c -o "$tmp/old.test" "$pkg")
if [ -n "$new" ]; then
	git worktree add -q "$tmp/new" "$new"
	(cd "$tmp/new" && go test -c -o "$tmp/new.test" "$pkg")
	git worktree remove --force "$tmp/new"
else
	go test -c -o "$tmp/new.test" "$pkg"
fi
for _ in $(seq "$rounds"); do
	for b in old new; do
		"$tmp/$b.test" -test.run '^$' -test.bench "$bench" -test.benchtime "$benchtime" | awk -v b="$b" '/^Benchmark/ { print b, $1, $3 }'
	done
done | awk '
	{ split($2, p, "/"); key = $1 " " p[1]; side = (p[2] ~ /^csp/) ? "csp" : "native"; v[key, side] = $3
	  if ((key, "csp") in v && (key, "native") in v) { print key, v[key, "csp"] / v[key, "native"]; delete v[key, "csp"]; delete v[key, "native"] } }' |
	sort -k1,2 -k3,3n | awk '
	{ k = $1 " " $2; if (k != cur) { flush(); cur = k; n = 0 } x[++n] = $3 }
	function flush() { if (n) printf "%-40s median ratio %.2f over %d runs\n", cur, (n % 2) ? x[(n + 1) / 2] : (x[n / 2] + x[n / 2 + 1]) / 2, n }
	END { flush() }'

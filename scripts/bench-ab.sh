#!/usr/bin/env bash
# Interleaved A/B benchmark of a package between two revisions, for a shared or noisy machine:
# builds each revision's test binary once, then alternates them ROUNDS times and prints, per
# benchmark, the median of the ratio of its csp sub-benchmark to its baseline (native Go channels,
# raw TCP: whichever other sub-benchmark it has) within each run (the ratio, not a lone time, is
# what to quote). Usage: scripts/bench-ab.sh [OLD [NEW [ROUNDS [BENCH [PKG [BENCHTIME [CPUS]]]]]]]
# (defaults: HEAD~1, the working tree, 8, 'CommsTime|ReadWrite|Select$|StressedAlt', ./csp, 300ms,
# GOMAXPROCS as it is; CPUS is a list for -test.cpu, e.g. 1,2). Every csp sub-benchmark is
# compared with the other sub-benchmark of its function.
# For the remote channels: scripts/bench-ab.sh OLD NEW 6 'RemotePingPong|RemoteStream' ./net 20000x 1,2
set -euo pipefail
old=${1:-HEAD~1} new=${2:-} rounds=${3:-8} bench=${4:-'CommsTime|ReadWrite|Select$|StressedAlt'}
pkg=${5:-./csp} benchtime=${6:-300ms} cpu=${7:-}
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
cpuflag=()
[ -n "$cpu" ] && cpuflag=(-test.cpu "$cpu")
for r in $(seq "$rounds"); do
	for b in old new; do
		"$tmp/$b.test" -test.run '^$' -test.bench "$bench" -test.benchtime "$benchtime" "${cpuflag[@]}" |
			awk -v b="$b" -v r="$r" '/^Benchmark/ { print b, r, $1, $3 }'
	done
done | awk '
	# $1 build, $2 round, $3 name (Benchmark/sub-P, no -P for one CPU), $4 ns/op. Every csp*
	# sub-benchmark is divided by the baseline of the same function, run and GOMAXPROCS.
	{ name = $3; procs = 1; if (match(name, /-[0-9]+$/)) { procs = substr(name, RSTART + 1); name = substr(name, 1, RSTART - 1) }
	  split(name, p, "/"); run = $1 SUBSEP $2 SUBSEP p[1] SUBSEP procs
	  if (p[2] ~ /^csp/) { csp[run, p[2]] = $4; subs[run] = subs[run] " " p[2] } else native[run] = $4 }
	END { for (run in subs) { if (!(run in native)) continue; split(run, k, SUBSEP); n = split(subs[run], ss, " ")
		for (i = 1; i <= n; i++) { label = k[3] "/" ss[i]; if (k[4] != 1) label = label "-" k[4]; print k[1], label, csp[run, ss[i]] / native[run] } } }' |
	sort -k1,2 -k3,3n | awk '
	{ k = $1 " " $2; if (k != cur) { flush(); cur = k; n = 0 } x[++n] = $3 }
	function flush() { if (n) printf "%-50s median ratio %.3f over %d runs\n", cur, (n % 2) ? x[(n + 1) / 2] : (x[n / 2] + x[n / 2 + 1]) / 2, n }
	END { flush() }'

#!/usr/bin/env bash
# Runs the benchmarks ROUNDS times, each run interleaving GoCSP and every peer (sub-benchmarks of
# one function), and prints a Markdown table: per benchmark and peer, the median times and the
# median of the in-run ratios GoCSP time / peer time (below 1: GoCSP is faster). On a shared or
# noisy machine quote the ratio, not a lone time.
# Usage: bench/run.sh [ROUNDS [BENCHTIME [BENCH [CPU]]]] (defaults: 5, 200ms, '.', the machine's).
set -euo pipefail
rounds=${1:-5} benchtime=${2:-200ms} bench=${3:-.} cpu=${4:-}
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
GOWORK=off go test -c -o "$tmp/bench.test" .
args=(-test.run '^$' -test.bench "$bench" -test.benchtime "$benchtime")
[ -n "$cpu" ] && args+=(-test.cpu "$cpu")
for r in $(seq "$rounds"); do
	"$tmp/bench.test" "${args[@]}" | awk -v r="$r" '/^Benchmark.*ns\/op/ { print r, $1, $3 }'
done >"$tmp/raw"
awk '
	{ n = split($2, p, "/"); bench = p[1]; sub(/^Benchmark/, "", bench); peer = p[2]; sub(/-[0-9]+$/, "", peer)
	  t[$1, bench, peer] = $3
	  if (!(bench in seen)) { seen[bench] = 1; order[++nb] = bench }
	  if (!((bench, peer) in seenp)) { seenp[bench, peer] = 1; peers[bench] = peers[bench] " " peer }
	  if ($1 > rounds) rounds = $1 }
	function median(a, n,   i, j, x) {
		for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
		return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
	function human(ns) { return ns >= 1e6 ? sprintf("%.1f ms", ns / 1e6) : ns >= 1e3 ? sprintf("%.1f µs", ns / 1e3) : sprintf("%.0f ns", ns) }
	END {
		print "| benchmark | peer | GoCSP | peer | GoCSP time ÷ peer time |"
		print "| --- | --- | --- | --- | --- |"
		for (b = 1; b <= nb; b++) {
			bench = order[b]; np = split(peers[bench], ps, " ")
			for (i = 1; i <= np; i++) {
				peer = ps[i]; if (peer == "gocsp") continue
				k = 0; delete ra; delete ga; delete pa
				for (r = 1; r <= rounds; r++)
					if (((r, bench, "gocsp") in t) && ((r, bench, peer) in t)) {
						k++; ga[k] = t[r, bench, "gocsp"]; pa[k] = t[r, bench, peer]; ra[k] = ga[k] / pa[k] }
				if (k == 0) continue
				printf "| %s | %s | %s | %s | **%.2f** |\n", bench, peer, human(median(ga, k)), human(median(pa, k)), median(ra, k)
			}
		}
		printf "\n(medians over %d interleaved runs)\n", rounds
	}' "$tmp/raw"

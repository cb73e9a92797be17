#!/usr/bin/env bash
# CPU time per op of a benchmark and its baseline, for a machine too loaded for wall-clock figures:
# runs each at GOMAXPROCS=1 with two fixed iteration counts N1 < N2 and divides the difference of
# the process's CPU time (user + system, GNU time) by N2 - N1, so set-up (starting a ring, say)
# cancels out and time spent waiting for a core does not count. Alternates the two benchmarks
# ROUNDS times and prints the median of each and of the per-round ratio. Linux, GNU time.
# Usage: scripts/bench-cpu.sh PKG ROUNDS N1 N2 BENCH BASELINE, e.g.
#   scripts/bench-cpu.sh ./csp 5 1000000 4000000 'Ring/csp/256$' 'Ring/native/256$'
set -euo pipefail
pkg=$1 rounds=$2 n1=$3 n2=$4 bench=$5 base=$6
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/b.test" "$pkg"
cpu() { # bench n: CPU seconds of one run
	/usr/bin/time -f '%U %S' -o "$tmp/t" "$tmp/b.test" -test.run '^$' -test.bench "$1" \
		-test.benchtime "${2}x" -test.cpu 1 >/dev/null
	awk '{ print $1 + $2 }' "$tmp/t"
}
perop() { # bench: CPU ns per op
	local a b
	a=$(cpu "$1" "$n1") b=$(cpu "$1" "$n2")
	awk -v a="$a" -v b="$b" -v n1="$n1" -v n2="$n2" 'BEGIN { printf "%.1f\n", (b - a) * 1e9 / (n2 - n1) }'
}
for r in $(seq "$rounds"); do
	echo "$(perop "$bench") $(perop "$base")"
done | awk -v bench="$bench" -v base="$base" '
	{ x[NR] = $1; y[NR] = $2; q[NR] = $1 / $2 }
	function med(v, n,   i, j, t) { for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j-1] > v[j]; j--) { t = v[j]; v[j] = v[j-1]; v[j-1] = t }
		return (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2 }
	END { printf "%s: %.0f CPU ns/op, %s: %.0f CPU ns/op, median ratio %.2f over %d rounds\n",
		bench, med(x, NR), base, med(y, NR), med(q, NR), NR }'

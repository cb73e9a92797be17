#!/usr/bin/env bash
# Verifies the CUDA backend in one short run on a machine with an NVIDIA GPU and its driver,
# from a test binary built elsewhere (no Go or CUDA toolkit needed where it runs):
#
#   # where the repository is (the CUDA headers and stub libcuda.so come from .ci/cuda-fetch):
#   cuda=$(.ci/cuda-fetch)
#   CGO_ENABLED=1 CGO_CFLAGS="-I$cuda/include" CGO_LDFLAGS="-L$cuda/lib" \
#       go test -c -tags cuda -o gpu.test ./gpu
#   # on the GPU machine, with this script and gpu.test copied over:
#   bash verify.sh ./gpu.test
#
# It runs the package's whole test suite with the GPU (the tagged tests compare CUDA with the CPU
# backend on every kernel at edge sizes and through Proc and Pipeline; a skipped CUDA test means
# no GPU answered and fails the run), then the benchmarks: BenchmarkPipelineCUDA (the csp Pipeline
# with overlap on and off against a hand-written loop of the same copies and launches) and the CPU
# backend against gonum. It prints one table and exits non-zero if any test failed or skipped.
# GOCSP_VERIFY_BENCHTIME sets -test.benchtime (default 1s); GOCSP_VERIFY_COUNT -test.count (1).
set -euo pipefail

bin=${1:?usage: verify.sh path/to/gpu.test (built with go test -c -tags cuda ./gpu)}
[ -x "$bin" ] || { echo "verify: $bin is not an executable test binary" >&2; exit 2; }
benchtime=${GOCSP_VERIFY_BENCHTIME:-1s}
count=${GOCSP_VERIFY_COUNT:-1}
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

if command -v nvidia-smi >/dev/null; then
	nvidia-smi -L | sed 's/^/device: /'
fi

set +e
"$bin" -test.run . -test.v -test.count=1 >"$log/tests" 2>&1
testrc=$?
"$bin" -test.run '^$' -test.bench 'PipelineCUDA|Gonum|CPUKernels' -test.benchmem \
	-test.benchtime "$benchtime" -test.count "$count" >"$log/bench" 2>&1
benchrc=$?
set -e

# One table: each top-level test's verdict (the CUDA ones by name, the rest counted), then each
# benchmark's time per op, throughput and ratio to its group's baseline (direct for the pipeline,
# gonum or loop for the CPU kernels).
awk -v testrc="$testrc" -v benchrc="$benchrc" '
FNR == 1 { file++ }
file == 1 && /^--- (PASS|FAIL|SKIP): Test/ {
	v = $2; sub(":", "", v); name = $3
	if (name ~ /CUDA/) { cuda[++nc] = name; verdict[name] = v }
	else { other[v]++ }
	if (v != "PASS" && name ~ /CUDA/) bad = 1
	if (v == "FAIL") bad = 1
}
file == 2 && /^Benchmark/ {
	name = $1; sub(/-[0-9]+$/, "", name); sub(/^Benchmark/, "", name)
	ns = ""; mbs = ""
	for (i = 2; i <= NF; i++) {
		if ($(i) == "ns/op") ns = $(i - 1)
		if ($(i) == "MB/s") mbs = $(i - 1)
	}
	if (!(name in sum)) order[++nb] = name
	sum[name] += ns; runs[name]++
	if (mbs != "") mb[name] = mbs
}
END {
	printf "| %-44s | %-8s | %14s | %12s | %-16s |\n", "check", "result", "time/op", "MB/s", "time vs baseline"
	printf "| %-44s | %-8s | %14s | %12s | %-16s |\n", "---", "---", "---:", "---:", "---"
	if (nc == 0) { printf "| %-44s | %-8s | %14s | %12s | %-16s |\n", "CUDA tests", "NONE RAN", "", "", ""; bad = 1 }
	for (i = 1; i <= nc; i++) printf "| %-44s | %-8s | %14s | %12s | %-16s |\n", cuda[i], verdict[cuda[i]], "", "", ""
	printf "| %-44s | %-8s | %14s | %12s | %-16s |\n", "other tests (CPU, interpreter, doubles)", other["PASS"]+0 " pass", "", "", (other["FAIL"]+0) " fail, " (other["SKIP"]+0) " skip"
	if (testrc != 0) bad = 1
	for (i = 1; i <= nb; i++) {
		n = order[i]; t = sum[n] / runs[n]
		grp = n; sub(/\/[^\/]*$/, "", grp)
		base = ""
		if ((grp "/direct") in sum) base = grp "/direct"
		else if ((grp "/gonum") in sum) base = grp "/gonum"
		else if ((grp "/loop") in sum) base = grp "/loop"
		r = ""
		if (base != "" && base != n) r = sprintf("%.2fx %s", t / (sum[base] / runs[base]), substr(base, length(grp) + 2))
		if (t >= 1e6) ts = sprintf("%.2f ms", t / 1e6); else if (t >= 1e3) ts = sprintf("%.1f us", t / 1e3); else ts = sprintf("%.0f ns", t)
		printf "| %-44s | %-8s | %14s | %12s | %-16s |\n", n, "bench", ts, mb[n], r
	}
	if (nb == 0 || benchrc != 0) { printf "| %-44s | %-8s | %14s | %12s | %-16s |\n", "benchmarks", "FAILED", "", "", ""; bad = 1 }
	exit bad
}' "$log/tests" "$log/bench" && rc=0 || rc=$?
if [ "$rc" -ne 0 ]; then
	echo
	echo "verify: failed; the failing tests' output:"
	grep -E -B2 -A20 -- '^(--- FAIL|--- SKIP: TestCUDA|FAIL|panic)' "$log/tests" | head -n 200 || true
	grep -E -A20 -- '^(--- FAIL|FAIL|panic)' "$log/bench" | head -n 100 || true
	exit 1
fi
echo
echo "verify: all CUDA checks passed"

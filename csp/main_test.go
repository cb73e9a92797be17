package csp

import (
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestMain checks, after every test of the package has run, that no goroutine was left behind: a
// process, a parked selection or a timer goroutine that outlives its network is a bug.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// stress is the factor GOCSP_STRESS sets (default 1): scenario and stress counts are multiplied by
// it, so GOCSP_STRESS=20 runs the alting stress tests for millions of operations.
var stress = func() int {
	if n, err := strconv.Atoi(os.Getenv("GOCSP_STRESS")); err == nil && n > 0 {
		return n
	}
	return 1
}()

// scaled returns n scaled by GOCSP_STRESS, and reduced in -short mode.
func scaled(n int) int {
	if testing.Short() {
		n /= 4
	}
	return max(1, n*stress)
}

// delay is how a process of a scenario paces its operations, to shake out different interleavings.
type delay int

const (
	noDelay     delay = iota // back to back
	fixedDelay               // a short sleep before each operation
	randomDelay              // a random mix of nothing, a yield and a short sleep
)

func (d delay) String() string { return [...]string{"none", "fixed", "random"}[d] }

// pause is called by a process before each operation.
func (d delay) pause(rng *rand.Rand) {
	switch d {
	case fixedDelay:
		time.Sleep(20 * time.Microsecond)
	case randomDelay:
		switch k := rng.IntN(8); {
		case k < 4:
		case k < 6:
			runtime.Gosched()
		default:
			time.Sleep(time.Duration(rng.IntN(50)) * time.Microsecond)
		}
	}
}

// delayModes are the (writer side, reader side) pacings each scenario runs under.
var delayModes = []struct{ w, r delay }{
	{noDelay, noDelay},
	{fixedDelay, noDelay},
	{noDelay, fixedDelay},
	{fixedDelay, fixedDelay},
	{randomDelay, noDelay},
	{noDelay, randomDelay},
	{randomDelay, randomDelay},
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)) }

// val encodes writer w's seq-th value, so that a reader knows where each value came from.
func val(w, seq int) int { return w<<32 | seq }

func unval(v int) (w, seq int) { return v >> 32, v & (1<<32 - 1) }

// checkDelivery checks that the readers received, between them, exactly the values
// val(w, 0..perWriter-1) for each of the writers, each exactly once. With ordered it also checks
// that every reader saw each writer's values in the order they were written.
func checkDelivery(t *testing.T, writers, perWriter int, got [][]int, ordered bool) {
	t.Helper()
	seen := make([][]int, writers)
	for i := range seen {
		seen[i] = make([]int, perWriter)
	}
	total := 0
	for r, vs := range got {
		last := make([]int, writers)
		for i := range last {
			last[i] = -1
		}
		for _, v := range vs {
			w, seq := unval(v)
			if w < 0 || w >= writers || seq >= perWriter {
				t.Fatalf("reader %d received %d (writer %d, seq %d), which nobody wrote", r, v, w, seq)
			}
			seen[w][seq]++
			if ordered && seq <= last[w] {
				t.Fatalf("reader %d received writer %d's value %d after %d", r, w, seq, last[w])
			}
			last[w] = seq
			total++
		}
	}
	for w := range seen {
		for seq, n := range seen[w] {
			if n != 1 {
				t.Fatalf("writer %d's value %d was delivered %d times (total %d of %d)", w, seq, n, total, writers*perWriter)
			}
		}
	}
}

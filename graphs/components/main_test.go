package components

import (
	"os"
	"strconv"
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that no test leaves a goroutine behind: a component that outlives its network
// (a Farm's inner process, a parked selection) is a bug.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// scaled returns n multiplied by the factor GOCSP_STRESS sets (default 1), and reduced in -short
// mode: GOCSP_STRESS=20 runs the stress tests twenty times as long.
func scaled(n int) int {
	if k, err := strconv.Atoi(os.Getenv("GOCSP_STRESS")); err == nil && k > 0 {
		n *= k
	}
	if testing.Short() {
		n /= 4
	}
	return max(1, n)
}

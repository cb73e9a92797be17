package gpu

import (
	"os"
	"strconv"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// scaled returns n times GOCSP_STRESS (default 1), reduced in -short mode.
func scaled(n int) int {
	f := 1
	if v, err := strconv.Atoi(os.Getenv("GOCSP_STRESS")); err == nil && v > 0 {
		f = v
	}
	if testing.Short() {
		n /= 4
	}
	return max(1, n*f)
}

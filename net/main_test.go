package net

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(runChild())
	}
	goleak.VerifyTestMain(m)
}

// stress is the factor GOCSP_STRESS sets (default 1).
func stress() int {
	if n, err := strconv.Atoi(os.Getenv("GOCSP_STRESS")); err == nil && n > 0 {
		return n
	}
	return 1
}

// nodes starts k loopback nodes, closed when the test ends.
func nodes(t testing.TB, k int, opts ...Option) []*Node {
	t.Helper()
	ns := make([]*Node, k)
	for i := range ns {
		n, err := Listen("", opts...)
		require.NoError(t, err)
		ns[i] = n
		t.Cleanup(func() { n.Close() })
	}
	return ns
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

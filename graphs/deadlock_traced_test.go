package graphs

import (
	"context"
	"errors"
	"io"
	"os"
	"strconv"
	"testing"

	"github.com/gocsp/gocsp/csp"
)

// A network that never deadlocks, traced (the tracer slows the monitor's bookkeeping and so widens
// every window in it): a writer blocked in WriteContext under a cancel-only context is cancelled
// from outside, then writes to a reader that starts reading only after the cancel. It used to be
// reported deadlocked a few times in 20,000 runs, hundreds under -race; it must never be.
func TestNoFalseDeadlockInTracedNetworks(t *testing.T) {
	runs := 4000
	if k, err := strconv.Atoi(os.Getenv("GOCSP_STRESS")); err == nil && k > 0 {
		runs *= k
	}
	if testing.Short() {
		runs /= 4
	}
	for i := range runs {
		a, b := csp.NewChan[int](csp.Named("a")), csp.NewChan[int](csp.Named("b"))
		aw, ar := a.Writer(), a.Reader()
		bw, br := b.Writer(), b.Reader()
		wctx, cancel := context.WithCancel(context.Background())
		blocked, gate := make(chan struct{}), make(chan struct{})
		n := New("cancelled-writer", WithTrace(io.Discard)).Add(
			csp.Proc("writer", func(context.Context) error {
				close(blocked) // about to block: the canceller races it, which is the point
				if err := aw.WriteContext(wctx, 1); !errors.Is(err, context.Canceled) {
					return err
				}
				return bw.Write(2)
			}, aw, bw),
			csp.Proc("reader", func(context.Context) error {
				<-gate
				_, err := br.Read()
				return err
			}, br, ar),
			csp.Proc("canceller", func(context.Context) error {
				<-blocked
				cancel()
				close(gate)
				return nil
			}),
		)
		err := n.Run(context.Background())
		cancel()
		var dl *DeadlockError
		if errors.As(err, &dl) {
			t.Fatalf("run %d: false deadlock: %v", i, err)
		}
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
	}
}

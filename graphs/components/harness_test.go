package components

import (
	"context"
	"fmt"
	"testing"

	"github.com/gocsp/gocsp/csp"
	"github.com/stretchr/testify/require"
)

// run runs procs in parallel under a csp.Monitor, so that a component that deadlocks its network
// fails the test with the monitor's report instead of hanging it.
func run(procs ...*csp.Process) error {
	m := csp.NewMonitor()
	err := csp.ParallelContext(m.Context(context.Background()), procs...)
	m.Wait()
	if d := m.Deadlock(); d != nil {
		return fmt.Errorf("network deadlocked: %v (processes returned %v)", d, err)
	}
	return err
}

// stage builds a component between an input and an output channel of int.
type stage func(in *csp.Reader[int], out *csp.Writer[int]) *csp.Process

// runStage feeds vs through the component and returns what came out, the run's error and the two
// channels (to check how they ended).
func runStage(t *testing.T, mk stage, vs []int) (got []int, err error, in, out *csp.Chan[int]) {
	t.Helper()
	in, out = csp.NewChan[int](csp.Named("in")), csp.NewChan[int](csp.Named("out"))
	err = run(
		Generator("gen", vs, in.Writer()),
		mk(in.Reader(), out.Writer()),
		Collector("col", out.Reader(), &got),
	)
	return got, err, in, out
}

// poisonUpstream: the source writes vs then poisons; the poison must reach the consumer.
func poisonUpstream(t *testing.T, mk stage, vs []int) (consumerErr error, out *csp.Chan[int]) {
	t.Helper()
	in, out := csp.NewChan[int](csp.Named("in")), csp.NewChan[int](csp.Named("out"))
	w, r := in.Writer(), out.Reader()
	require.NoError(t, run(
		csp.Proc("src", func(ctx context.Context) error {
			for _, v := range vs {
				if err := w.Write(v); err != nil {
					return err
				}
			}
			return csp.ErrPoisoned
		}, w),
		mk(in.Reader(), out.Writer()),
		csp.Proc("sink", func(ctx context.Context) error {
			for {
				if _, err := r.Read(); err != nil {
					consumerErr = err
					return err
				}
			}
		}, r),
	))
	return consumerErr, out
}

// poisonDownstream: the sink takes one value and poisons; an endless source must end by poison.
func poisonDownstream(t *testing.T, mk stage) (sourceErr error, in *csp.Chan[int]) {
	t.Helper()
	in, out := csp.NewChan[int](csp.Named("in")), csp.NewChan[int](csp.Named("out"))
	w, r := in.Writer(), out.Reader()
	require.NoError(t, run(
		endless("src", w, &sourceErr),
		mk(in.Reader(), out.Writer()),
		csp.Proc("sink", func(ctx context.Context) error {
			if _, err := r.Read(); err != nil {
				return err
			}
			return csp.ErrPoisoned
		}, r),
	))
	return sourceErr, in
}

// retireDownstream: the sink takes k values and returns nil, which retires its end; an endless
// source must see ErrRetired (not poison) and nothing may be poisoned.
func retireDownstream(t *testing.T, mk stage, k int) (sourceErr error, in, out *csp.Chan[int]) {
	t.Helper()
	in, out = csp.NewChan[int](csp.Named("in")), csp.NewChan[int](csp.Named("out"))
	w, r := in.Writer(), out.Reader()
	require.NoError(t, run(
		endless("src", w, &sourceErr),
		mk(in.Reader(), out.Writer()),
		csp.Proc("sink", func(ctx context.Context) error {
			for range k {
				if _, err := r.Read(); err != nil {
					return err
				}
			}
			return nil
		}, r),
	))
	return sourceErr, in, out
}

// endless writes 0, 1, 2, … to w until a write fails, and records that failure in *failed. It
// returns nil on ErrRetired, so that only a poison is passed on.
func endless(name string, w *csp.Writer[int], failed *error) *csp.Process {
	return csp.Proc(name, func(ctx context.Context) error {
		for i := 0; ; i++ {
			if err := w.Write(i); err != nil {
				*failed = err
				return ended(err)
			}
		}
	}, w)
}

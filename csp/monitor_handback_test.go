package csp

import (
	"context"
	"testing"
)

// A process that runs a Parallel is not live while it waits, but it is again as soon as its
// children have ended: the monitor must never see the moment between the last child's end and
// the parent's resumption as every live process blocked.
func TestNoDeadlockWhenNestedParallelEnds(t *testing.T) {
	noDeadlockOnHandBack(t, func(ctx context.Context, release <-chan struct{}) error {
		child := func(name string) *Process {
			return Proc(name, func(context.Context) error { <-release; return nil })
		}
		return ParallelContext(ctx, child("a"), child("b"), child("c"))
	})
}

// The same between the processes of a Sequence run by a monitored process.
func TestNoDeadlockBetweenSequenceSteps(t *testing.T) {
	noDeadlockOnHandBack(t, func(ctx context.Context, release <-chan struct{}) error {
		<-release
		return SequenceContext(ctx,
			Proc("a", func(context.Context) error { return nil }),
			Proc("b", func(context.Context) error { return nil }))
	})
}

// noDeadlockOnHandBack runs, many times, a monitored parent that runs nested (a composition that
// waits for release) and then writes to a reader already blocked on it; once the reader is blocked,
// a starter releases the nested processes. The monitor must never report a deadlock.
func noDeadlockOnHandBack(t *testing.T, nested func(ctx context.Context, release <-chan struct{}) error) {
	t.Helper()
	for i := range scaled(300) {
		m := NewMonitor()
		c := NewChan[int](Named("c"))
		w, r := c.Writer(), c.Reader()
		release := make(chan struct{})
		err := ParallelContext(m.Context(context.Background()),
			Proc("parent", func(ctx context.Context) error {
				if err := nested(ctx, release); err != nil {
					return err
				}
				return w.Write(1)
			}, w),
			Proc("reader", func(ctx context.Context) error { _, err := r.Read(); return err }, r),
			Proc("starter", func(ctx context.Context) error {
				waitState(t, m, "reader", StateBlockedRead)
				close(release)
				return nil
			}),
		)
		if err != nil || m.Deadlock() != nil {
			t.Fatalf("iteration %d: false deadlock: %v; %v", i, err, m.Deadlock())
		}
	}
}

package net

import (
	"context"
	"testing"
	"time"

	"github.com/gocsp/gocsp/csp"
	"github.com/stretchr/testify/require"
)

// TestPoisonWakesRemoteRead: a Read blocked on a remote reader end is woken with ErrPoisoned when
// that same end is poisoned (from another goroutine), as a local one is. The home serves the
// poison at once, not behind the Read it should end.
func TestPoisonWakesRemoteRead(t *testing.T) {
	for _, dir := range []string{"reader", "writer"} {
		t.Run(dir, func(t *testing.T) {
			ctx := ctxT(t)
			ns := nodes(t, 2)
			ch := csp.NewChan[int](csp.Named("c"))
			require.NoError(t, Export(ns[0], "c", ch))
			done := make(chan error, 1)
			var end csp.End
			if dir == "reader" {
				r, err := OpenReader[int](ctx, ns[1], ns[0].Addr()+"/c")
				require.NoError(t, err)
				end = r
				go func() { _, err := r.Read(); done <- err }()
			} else {
				w, err := OpenWriter[int](ctx, ns[1], ns[0].Addr()+"/c")
				require.NoError(t, err)
				end = w
				go func() { done <- w.Write(1) }()
			}
			waitBlocked(t, ch, dir)
			end.Poison()
			select {
			case err := <-done:
				require.ErrorIs(t, err, csp.ErrPoisoned)
			case <-ctx.Done():
				t.Fatal("the operation blocked on the poisoned end was not woken")
			}
		})
	}
}

// TestRetireWakesRemoteRead: retiring a remote end from another goroutine ends the Read blocked on
// it with ErrRetired, as for a local end.
func TestRetireWakesRemoteRead(t *testing.T) {
	ctx := ctxT(t)
	ns := nodes(t, 2)
	ch := csp.NewChan[int](csp.Named("c"))
	require.NoError(t, Export(ns[0], "c", ch))
	r, err := OpenReader[int](ctx, ns[1], ns[0].Addr()+"/c")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { _, err := r.Read(); done <- err }()
	waitBlocked(t, ch, "reader")
	r.Retire()
	select {
	case err := <-done:
		require.ErrorIs(t, err, csp.ErrRetired)
	case <-ctx.Done():
		t.Fatal("the Read blocked on the retired end was not woken")
	}
}

// TestCancelEndsRemoteWaits: cancelling a ParallelContext whose processes wait on remote ends
// ends them (cancellation poisons their ends, and the poison reaches the home at once).
func TestCancelEndsRemoteWaits(t *testing.T) {
	ctx := ctxT(t)
	ns := nodes(t, 3)
	a, b := csp.NewChan[int](csp.Named("a")), csp.NewChan[int](csp.Named("b"), csp.Buffered(1))
	require.NoError(t, Export(ns[0], "a", a))
	require.NoError(t, Export(ns[0], "b", b))
	ra, err := OpenReader[int](ctx, ns[1], ns[0].Addr()+"/a")
	require.NoError(t, err)
	wb, err := OpenWriter[int](ctx, ns[2], ns[0].Addr()+"/b")
	require.NoError(t, err)
	require.NoError(t, wb.Write(0)) // fills b's buffer: the next write waits
	pctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- csp.ParallelContext(pctx,
			csp.Proc("reader", func(context.Context) error { _, err := ra.Read(); return err }, ra),
			csp.Proc("writer", func(context.Context) error { return wb.Write(1) }, wb))
	}()
	waitBlocked(t, a, "reader")
	waitBlocked(t, b, "writer")
	cancel()
	select {
	case err := <-done:
		require.ErrorIs(t, err, context.Canceled)
	case <-ctx.Done():
		t.Fatal("cancelling the composition did not end the processes waiting on remote ends")
	}
}

// waitBlocked waits until the home of ch has a remote operation of the given side waiting on it
// (its real end joined, and the operation under way there).
func waitBlocked(t *testing.T, ch csp.Channel, dir string) {
	t.Helper()
	require.Eventually(t, func() bool {
		st := ch.Stats()
		if dir == "reader" {
			return st.Readers > 0
		}
		return st.Writers > 0
	}, 10*time.Second, time.Millisecond)
	time.Sleep(20 * time.Millisecond) // the operation's frame reaches the home's end
}

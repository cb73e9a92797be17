package net

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gocsp/gocsp/csp"
	"github.com/stretchr/testify/require"

	"github.com/gocsp/gocsp/internal/transport"
)

// A buffered value stays in its buffer, in its place, while a remote selection considers it: FIFO
// per writer holds, the buffer never holds more than its size, a refused offer changes nothing.

// alwaysReady returns a reader end of a channel that always has a value to read (a local writer
// keeps its buffer full until stop is called).
func alwaysReady(t *testing.T) (r *csp.Reader[int], stop func()) {
	ch := csp.NewChan[int](csp.Named("ready"), csp.Buffered(4))
	w := ch.Writer()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for w.Write(-1) == nil {
		}
	}()
	return ch.Reader(), func() { ch.Poison(); <-done }
}

// TestAltingRemoteReadersKeepFIFO: two alting remote readers of one writer's values (buffer 5, a
// second always-ready channel in each selection) each receive the writer's values in order.
func TestAltingRemoteReadersKeepFIFO(t *testing.T) {
	k := 400 * stress()
	ctx := ctxT(t)
	ns := nodes(t, 3)
	ch := csp.NewChan[int](csp.Named("c"), csp.Buffered(5))
	require.NoError(t, Export(ns[0], "c", ch))
	w := ch.Writer()
	procs := []*csp.Process{csp.Proc("writer", func(context.Context) error {
		for i := range k {
			if err := w.Write(i); err != nil {
				return err
			}
		}
		return nil
	}, w)}
	var total atomic.Int64
	for i := range 2 {
		r, err := OpenReader[int](ctx, ns[1+i], ns[0].Addr()+"/c")
		require.NoError(t, err)
		side, stop := alwaysReady(t)
		defer stop()
		procs = append(procs, csp.Proc(fmt.Sprint("reader-", i), func(context.Context) error {
			in := csp.Recv(r)
			alt := csp.NewAlt(in, csp.Recv(side))
			last := -1
			for {
				g, err := alt.FairSelectContext(ctx)
				if g == 0 && errors.Is(err, csp.ErrRetired) {
					return nil
				}
				if err != nil {
					return err
				}
				if g == 0 {
					if v := in.Value(); v <= last {
						return fmt.Errorf("reader %d received %d after %d", i, v, last)
					} else {
						last = v
					}
					total.Add(1)
				}
			}
		}, r))
	}
	require.NoError(t, csp.Parallel(procs...))
	require.Equal(t, int64(k), total.Load())
}

// TestRemoteSelectionKeepsBufferBound: a Buffered(1) channel read by one remote selection over it
// and an always-ready channel never holds more than one value.
func TestRemoteSelectionKeepsBufferBound(t *testing.T) {
	k := 400 * stress()
	ctx := ctxT(t)
	ns := nodes(t, 2)
	ch := csp.NewChan[int](csp.Named("c"), csp.Buffered(1))
	r := remoteReader(t, ns, "c", ch)
	side, stop := alwaysReady(t)
	defer stop()
	w := ch.Writer()
	var most atomic.Int64
	watch := func() {
		if n := int64(ch.Stats().Len); n > most.Load() {
			most.Store(n)
		}
	}
	got := 0
	require.NoError(t, csp.Parallel(
		csp.Proc("writer", func(context.Context) error {
			for i := range k {
				if err := w.Write(i); err != nil {
					return err
				}
				watch()
			}
			return nil
		}, w),
		csp.Proc("reader", func(context.Context) error {
			in := csp.Recv(r)
			alt := csp.NewAlt(in, csp.Recv(side))
			for {
				g, err := alt.FairSelectContext(ctx)
				watch()
				if g == 0 && errors.Is(err, csp.ErrRetired) {
					return nil
				}
				if err != nil {
					return err
				}
				if g == 0 {
					if in.Value() != got {
						return fmt.Errorf("received %d, want %d", in.Value(), got)
					}
					got++
				}
			}
		}, r)))
	require.Equal(t, k, got)
	require.LessOrEqual(t, most.Load(), int64(1), "a Buffered(1) channel held %d values", most.Load())
}

// TestRemoteRingDeliversEveryWrite: a ring of three Buffered(1) channels, homed on three nodes,
// each process (on the next node) selecting between sending its own values on and receiving its
// predecessor's: every output guard that fired had its value received, exactly once.
func TestRemoteRingDeliversEveryWrite(t *testing.T) {
	k := 200 * stress()
	ctx := ctxT(t)
	const n = 3
	ns := nodes(t, n)
	for i := range n {
		require.NoError(t, Export(ns[i], fmt.Sprint("ring", i), csp.NewChan[int](csp.Named(fmt.Sprint("ring", i)), csp.Buffered(1))))
	}
	var mu sync.Mutex
	sent, recv := map[int]int{}, map[int]int{}
	var procs []*csp.Process
	for i := range n {
		at := ns[(i+1)%n]
		in, err := OpenReader[int](ctx, at, ns[i].Addr()+fmt.Sprint("/ring", i))
		require.NoError(t, err)
		out, err := OpenWriter[int](ctx, at, ns[(i+1)%n].Addr()+fmt.Sprint("/ring", (i+1)%n))
		require.NoError(t, err)
		procs = append(procs, csp.Proc(fmt.Sprint("node-", i), func(context.Context) error {
			g0, g1 := csp.Send(out, 0), csp.Recv(in)
			alt := csp.NewAlt(g0, g1)
			s, r := 0, 0
			for s < k || r < k {
				g0.When(s < k).Set(i*k + s)
				g1.When(r < k)
				g, err := alt.FairSelectContext(ctx)
				if err != nil {
					return fmt.Errorf("after %d sent, %d received: %w", s, r, err)
				}
				mu.Lock()
				if g == 0 {
					sent[i*k+s]++
					s++
				} else {
					recv[g1.Value()]++
					r++
				}
				mu.Unlock()
			}
			return nil
		}, csp.KeepOpen(in), csp.KeepOpen(out)))
	}
	require.NoError(t, csp.ParallelContext(ctx, procs...))
	require.Len(t, sent, n*k)
	require.Equal(t, sent, recv, "every value whose output guard fired is received exactly once")
}

// TestParkedRemoteReaderOfTooLargeValue: a parked remote selection is held for a value that its
// home then cannot send (its encoding exceeds the maximum frame). The selection must not stay held
// (not even its Timeout could end it then): it fails with the reason, as a plain read does, and
// the value's writer is not told that it was delivered: it stays blocked until a reader here
// takes it.
func TestParkedRemoteReaderOfTooLargeValue(t *testing.T) {
	ns := nodes(t, 2, WithMaxFrame(64<<10))
	ch := csp.NewChan[[]byte](csp.Named("big"))
	r := remoteReader(t, ns, "big", ch)
	w := ch.Writer()
	type result struct {
		i   int
		err error
	}
	res := make(chan result, 1)
	go func() {
		i, err := csp.NewAlt(csp.Recv(r), csp.Timeout(time.Hour)).PriSelect()
		res <- result{i, err}
	}()
	// The selection is parked once its home waits in line for a value (a reader waits here).
	for {
		ready, watch := w.Transport(transport.Door()).WriteReady()
		if ready {
			break
		}
		<-watch
	}
	wrote := make(chan error, 1)
	go func() { wrote <- w.Write(make([]byte, 100<<10)) }()
	select {
	case got := <-res:
		require.Error(t, got.err, "guard %d fired", got.i)
		require.ErrorContains(t, got.err, "maximum frame")
	case err := <-wrote:
		t.Fatalf("the write returned %v before the selection ended, and nobody has its value", err)
	case <-time.After(20 * time.Second):
		t.Fatal("the remote selection is still held by a home that could not send it the value")
	}
	v, err := ch.Reader().Read()
	require.NoError(t, err)
	require.Len(t, v, 100<<10)
	require.NoError(t, <-wrote)
}

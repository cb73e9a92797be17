package csp

import (
	"context"
	"errors"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"
)

// cancelledWriterNetwork runs a network that never deadlocks: a writer blocks in WriteContext on a
// channel nobody reads from, is cancelled from outside, and then writes to a reader
// that only starts to read once the cancel has happened. At no moment is every live process
// blocked, so any deadlock report is false. tracer, if not nil, observes the monitor; pace is
// called by the canceller before it cancels.
func cancelledWriterNetwork(t *testing.T, tracer Tracer, pace func()) *Deadlock {
	t.Helper()
	var opts []MonitorOption
	if tracer != nil {
		opts = append(opts, WithTracer(tracer))
	}
	m := NewMonitor(opts...)
	a, b := NewChan[int](Named("a")), NewChan[int](Named("b"))
	aw, ar := a.Writer(), a.Reader()
	bw, br := b.Writer(), b.Reader()
	wctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	gate := make(chan struct{})
	err := ParallelContext(m.Context(context.Background()),
		Proc("writer", func(context.Context) error {
			if err := aw.WriteContext(wctx, 1); !errors.Is(err, context.Canceled) {
				return err
			}
			return bw.Write(2)
		}, aw, bw),
		Proc("reader", func(context.Context) error {
			<-gate // blocked outside the framework: live
			_, err := br.Read()
			return err
		}, br, ar),
		Proc("canceller", func(context.Context) error {
			waitState(t, m, "writer", StateBlockedWrite)
			pace()
			cancel()
			close(gate)
			return nil
		}),
	)
	m.Wait()
	if err != nil && m.Deadlock() == nil {
		t.Fatalf("network failed: %v", err)
	}
	return m.Deadlock()
}

// A process whose wait was cancelled is running, even before its bookkeeping catches up: a slow
// tracer called while the writer is marked running, but still counted blocked, must not let the
// monitor take the reader's block for the last one of a deadlock.
func TestNoFalseDeadlockWhileCancelledWaitUnwinds(t *testing.T) {
	slowUnblock := TracerFunc(func(e Event) {
		if e.Kind == EventUnblock && e.Process.Name == "writer" {
			time.Sleep(2 * time.Millisecond)
		}
	})
	for i := range scaled(20) {
		if d := cancelledWriterNetwork(t, slowUnblock, func() {}); d != nil {
			t.Fatalf("run %d: false deadlock: %v", i, d)
		}
	}
}

// The same network, many times, with a tracer that yields on every event and random pacing of the
// cancel: zero reports.
func TestStressNoFalseDeadlock(t *testing.T) {
	yielding := TracerFunc(func(Event) { runtime.Gosched() })
	rng := rand.New(rand.NewPCG(1, 2))
	n := scaled(20000)
	if raceEnabled {
		n = scaled(2000)
	}
	for i := range n {
		k := rng.IntN(4)
		if d := cancelledWriterNetwork(t, yielding, func() {
			for range k {
				runtime.Gosched()
			}
		}); d != nil {
			t.Fatalf("run %d: false deadlock: %v", i, d)
		}
	}
}

// An end held outside the monitor keeps a stuck network from being called deadlocked, since it
// might act; once it retires, nothing else can, and the monitor must notice although no process
// of its own moved.
func TestDeadlockFoundWhenOutsideEndRetires(t *testing.T) {
	m := NewMonitor()
	x, y := NewChan[int](Named("x")), NewChan[int](Named("y"))
	xr, xw, yr, yw := x.Reader(), x.Writer(), y.Reader(), y.Writer()
	outside := x.Writer()
	done := goDone(func() {
		_ = ParallelContext(m.Context(context.Background()),
			Proc("p1", func(context.Context) error { _, err := xr.Read(); return err }, xr, yw),
			Proc("p2", func(context.Context) error { _, err := yr.Read(); return err }, yr, xw),
		)
	})
	waitState(t, m, "p1", StateBlockedRead)
	waitState(t, m, "p2", StateBlockedRead)
	outside.Retire()
	finishes(t, done, "the network after its last outside end retired")
	m.Wait()
	if m.Deadlock() == nil {
		t.Fatal("no deadlock reported")
	}
}

// The analysis reads the live count apart from the check that started it; by then every process
// may have ended. Nothing live and nothing blocked is no deadlock: CI's race run once reported an
// empty one in TestStressNoFalseDeadlock, when a network ended as its last analysis began.
func TestNoDeadlockWhenNothingIsLive(t *testing.T) {
	m := NewMonitor()
	_ = ParallelContext(m.Context(context.Background()), Proc("p", func(context.Context) error { return nil }))
	m.Wait()
	if d := m.stuck(0); d != nil {
		t.Fatalf("an ended network was found deadlocked: %+v", d)
	}
}

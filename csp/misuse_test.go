package csp

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
)

// panics runs f and returns what it panicked with, or fails the test if it returned or hung.
func panics(t *testing.T, what string, f func()) string {
	t.Helper()
	var got any
	var returned bool
	done := goDone(func() {
		defer func() { got = recover() }()
		f()
		returned = true
	})
	finishes(t, done, what)
	if returned {
		t.Fatalf("%s: no panic", what)
	}
	return fmt.Sprint(got)
}

// blockedIn starts f, which blocks on c (a read or write), and returns once it is queued there and
// a function that poisons c and waits for f to end.
func blockedIn[T any](t *testing.T, c *Chan[T], op string, f func()) (release func()) {
	t.Helper()
	done := goDone(f)
	waitQueued(t, c, op)
	return func() {
		c.Poison()
		finishes(t, done, "the first user after the misuse")
	}
}

// Each misuse panics at the call with a message that says what was misused, and leaves the
// channels involved usable (their locks free): nothing hangs, nothing is corrupted.
func TestMisusePanicsAtTheCall(t *testing.T) {
	type tp = *Reader[int]
	cases := []struct {
		name string
		want string
		f    func(t *testing.T)
	}{
		{"same guard twice in one Alt", "same guard", func(t *testing.T) {
			g := Recv(NewChan[int]().Reader())
			NewAlt(g, Skip(), g)
		}},
		{"nil guard", "guard 1 is nil", func(t *testing.T) { NewAlt(Skip(), (*RecvGuard[int])(nil)) }},
		{"one guard in two Alts at once", "another selection", func(t *testing.T) {
			c := NewChan[int](Named("shared"))
			g := Recv(c.Reader())
			defer blockedIn(t, c, "read", func() { _, _ = NewAlt(g).Select() })()
			_, _ = NewAlt(g, Recv(NewChan[int]().Reader())).Select()
		}},
		{"one Alt used by two goroutines at once", "two goroutines", func(t *testing.T) {
			c := NewChan[int]()
			alt := NewAlt(Recv(c.Reader()))
			defer blockedIn(t, c, "read", func() { _, _ = alt.Select() })()
			_, _ = alt.Select()
		}},
		{"one end read from two goroutines at once", "another goroutine", func(t *testing.T) {
			c := NewChan[int](Named("busy"))
			r := c.Reader()
			defer blockedIn(t, c, "read", func() { _, _ = r.Read() })()
			_, _ = r.Read()
		}},
		{"one end written from two goroutines at once", "another goroutine", func(t *testing.T) {
			c := NewChan[int](Named("busy"))
			w := c.Writer()
			c.Reader()
			defer blockedIn(t, c, "write", func() { _ = w.Write(1) })()
			_ = w.Write(2)
		}},
		{"one guard in two selections that both complete at once", "two selections at once", func(t *testing.T) {
			// Both selections complete in their first pass, where nothing is queued, so neither
			// blocks the other: the guard's Value would be shared, so the one that finds the guard
			// in the other's selection must be refused at the call. The two loops run until they
			// overlap once (on a loaded machine that may take many rounds; it always comes).
			c := NewChan[int](Named("ready"))
			g := Recv(c.Reader())
			var stop atomic.Bool
			done := make(chan any, 2)
			for range 2 {
				go func() {
					defer func() { done <- recover() }()
					for !stop.Load() {
						_, _ = PriSelect(g, Skip())
					}
				}()
			}
			p := <-done
			stop.Store(true)
			<-done
			if p != nil {
				panic(p)
			}
		}},
		{"Reader of a zero Chan", "NewChan", func(t *testing.T) { var c Chan[int]; c.Reader() }},
		{"Writer of a zero Chan", "NewChan", func(t *testing.T) { var c Chan[int]; c.Writer() }},
		{"Poison of a zero Chan", "NewChan", func(t *testing.T) { var c Chan[int]; c.Poison() }},
		{"Stats of a zero Chan", "NewChan", func(t *testing.T) { var c Chan[int]; c.Stats() }},
		{"ElemType of a zero Chan", "NewChan", func(t *testing.T) { var c Chan[int]; c.ElemType() }},
		{"zero Chan under a monitor", "NewChan", func(t *testing.T) {
			var c Chan[int]
			ctx := NewMonitor().Context(context.Background())
			_ = ParallelContext(ctx, Proc("p", func(context.Context) error { return nil }, c.Reader()))
		}},
		{"Spawn(nil)", "Spawn: process 0 is nil", func(t *testing.T) { Spawn(nil) }},
		{"Parallel with a nil process", "Parallel: process 1 is nil", func(t *testing.T) {
			_ = Parallel(Proc("p", func(context.Context) error { return nil }), nil)
		}},
		{"Sequence with a nil process", "Sequence: process 0 is nil", func(t *testing.T) { _ = Sequence(nil) }},
		{"nil end in Proc", `Proc("p"): end 1 is nil`, func(t *testing.T) {
			Proc("p", func(context.Context) error { return nil }, NewChan[int]().Reader(), nil)
		}},
		{"typed nil end in Proc", `Proc("p"): end 0 is nil`, func(t *testing.T) {
			Proc("p", func(context.Context) error { return nil }, tp(nil))
		}},
		{"nil body", `Proc("p"): nil body`, func(t *testing.T) { Proc("p", nil) }},
		{"KeepOpen(nil)", "KeepOpen(nil)", func(t *testing.T) { KeepOpen(nil) }},
		{"typed nil KeepOpen", "KeepOpen(nil)", func(t *testing.T) { KeepOpen(tp(nil)) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := panics(t, tc.name, func() { tc.f(t) }); !strings.Contains(got, tc.want) || !strings.HasPrefix(got, "csp: ") {
				t.Fatalf("panicked with %q, want it to say %q", got, tc.want)
			}
		})
	}
}

// A process that misuses an end panics; the framework recovers it and poisons the process's ends,
// which needs the channel's lock: the misuse must not have kept it.
func TestMisuseInAProcessShutsTheNetworkDown(t *testing.T) {
	c := NewChan[int](Named("shared"))
	r := c.Reader()
	c.Writer()
	var first error
	err := Parallel(
		Proc("first", func(context.Context) error { _, first = r.Read(); return first }),
		Proc("second", func(context.Context) error {
			waitQueued(t, c, "read")
			_, err := r.Read()
			return err
		}, r),
	)
	var pe *PanicError
	if !errors.As(err, &pe) || !strings.Contains(fmt.Sprint(pe.Value), "another goroutine") {
		t.Fatalf("Parallel gave %v", err)
	}
	wantErr(t, first, ErrPoisoned, "the first reader, after the second's misuse")
}

// Own refuses, with ErrNotProcess, once the process whose context it is given has ended; the end is
// then not adopted (nobody would settle it).
func TestOwnAfterProcessEnded(t *testing.T) {
	for _, observed := range []bool{false, true} {
		var saved context.Context
		ctx := context.Background()
		if observed {
			ctx = NewMonitor().Context(ctx)
		}
		if err := ParallelContext(ctx, Proc("p", func(ctx context.Context) error { saved = ctx; return nil })); err != nil {
			t.Fatal(err)
		}
		c := NewChan[int]()
		if err := Own(saved, c.Reader()); !errors.Is(err, ErrNotProcess) {
			t.Fatalf("observed=%v: Own after the end gave %v, want ErrNotProcess", observed, err)
		}
	}
}

// A tracer or an OnDeadlock callback that panics is recovered and reported by Monitor.Err; the
// network still shuts down (the tracer panics with a channel lock held, on the hot path).
func TestPanickingMonitorHooks(t *testing.T) {
	var calls atomic.Int32
	m := NewMonitor(
		WithTracer(TracerFunc(func(e Event) {
			calls.Add(1)
			if e.Kind == EventBlock {
				panic("tracer bug")
			}
		})),
		OnDeadlock(func(*Deadlock) { panic("callback bug") }),
	)
	x, y := NewChan[int](Named("x")), NewChan[int](Named("y"))
	xr, xw, yr, yw := x.Reader(), x.Writer(), y.Reader(), y.Writer()
	var err error
	done := goDone(func() {
		err = ParallelContext(m.Context(context.Background()),
			Proc("p1", func(context.Context) error { _, err := xr.Read(); return err }, xr, yw),
			Proc("p2", func(context.Context) error { _, err := yr.Read(); return err }, yr, xw),
		)
	})
	finishes(t, done, "a network whose monitor hooks panic")
	m.Wait()
	if err != nil {
		t.Fatalf("Parallel: %v", err)
	}
	if m.Deadlock() == nil {
		t.Fatal("the deadlock was not reported")
	}
	herr := m.Err()
	var he *HookError
	if !errors.As(herr, &he) || !strings.Contains(herr.Error(), "tracer bug") || !strings.Contains(herr.Error(), "callback bug") {
		t.Fatalf("Monitor.Err() = %v", herr)
	}
	if x.Stats().Poisoned == false || y.Stats().Poisoned == false {
		t.Fatal("the deadlock's channels were not poisoned after OnDeadlock panicked")
	}
	n := calls.Load()
	_ = Parallel(Proc("after", func(ctx context.Context) error { return nil }))
	if calls.Load() != n {
		t.Fatal("a tracer that panicked was called again")
	}
}

// A huge buffer bound allocates only what is used, and the ring keeps FIFO order as it grows
// across its wrap point.
func TestHugeBufferGrowsAsItFills(t *testing.T) {
	c := NewChan[int](Buffered(1 << 40))
	r, w := c.Reader(), c.Writer()
	next, want := 0, 0
	for round := range 6 {
		for range 100 * (round + 1) {
			if err := w.Write(next); err != nil {
				t.Fatal(err)
			}
			next++
		}
		for range 70 * (round + 1) {
			v, err := r.Read()
			if err != nil || v != want {
				t.Fatalf("read %d, %v; want %d", v, err, want)
			}
			want++
		}
	}
	if s := c.Stats(); s.Len != next-want || s.Buffer != 1<<40 {
		t.Fatalf("stats %+v", s)
	}
	if got := cap(c.buf); got > 4*(next-want) {
		t.Fatalf("the ring holds %d values for %d buffered", got, next-want)
	}
}

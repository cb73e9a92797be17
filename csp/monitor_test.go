package csp

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// runMonitored runs procs under a fresh monitor and returns Parallel's error and the deadlock found.
func runMonitored(t *testing.T, procs ...*Process) (error, *Deadlock) {
	t.Helper()
	var calls int
	var mu sync.Mutex
	m := NewMonitor(OnDeadlock(func(*Deadlock) { mu.Lock(); calls++; mu.Unlock() }))
	var err error
	done := goDone(func() { err = ParallelContext(m.Context(context.Background()), procs...) })
	finishes(t, done, "monitored network")
	m.Wait()
	if d := m.Deadlock(); (d != nil) != (calls == 1) || calls > 1 {
		t.Fatalf("OnDeadlock called %d times, Deadlock() = %v", calls, d)
	}
	return err, m.Deadlock()
}

func TestDeadlockCrossWait(t *testing.T) {
	x, y := NewChan[int](Named("x")), NewChan[int](Named("y"))
	xr, xw, yr, yw := x.Reader(), x.Writer(), y.Reader(), y.Writer()
	var e1, e2 error
	err, d := runMonitored(t,
		Proc("p1", func(context.Context) error { _, e1 = xr.Read(); return e1 }, xr, yw),
		Proc("p2", func(context.Context) error { _, e2 = yr.Read(); return e2 }, yr, xw),
	)
	if d == nil {
		t.Fatal("no deadlock reported")
	}
	// The deadlock poisons the channels involved, so the network ends (by poison: no failure).
	wantErr(t, e1, ErrPoisoned, "p1")
	wantErr(t, e2, ErrPoisoned, "p2")
	if err != nil {
		t.Fatalf("Parallel: %v", err)
	}
	s := d.String()
	for _, want := range []string{"p1 reads x", "p2 reads y"} {
		if !strings.Contains(s, want) {
			t.Fatalf("deadlock %q does not say %q", s, want)
		}
	}
	if len(d.Blocked) != 2 {
		t.Fatalf("blocked: %+v", d.Blocked)
	}
	for _, p := range d.Blocked {
		if len(p.Waits) != 1 || len(p.Waits[0].Peers) != 1 || p.Waits[0].Peers[0].Name == p.Name {
			t.Fatalf("%s waits %+v", p.Name, p.Waits)
		}
	}
}

// A deadlock through alternation: both processes alt over inputs that only the other could feed.
func TestDeadlockAlting(t *testing.T) {
	x, y := NewChan[int](Named("x")), NewChan[int](Named("y"))
	xr, xw, yr, yw := x.Reader(), x.Writer(), y.Reader(), y.Writer()
	_, d := runMonitored(t,
		Proc("a", func(ctx context.Context) error { _, err := Select(Recv(xr)); return err }, xr, yw),
		Proc("b", func(ctx context.Context) error { _, err := NewAlt(Recv(yr)).FairSelectContext(ctx); return err }, yr, xw),
	)
	if d == nil || !strings.Contains(d.String(), "a reads x") || !strings.Contains(d.String(), "b reads y") {
		t.Fatalf("deadlock %v", d)
	}
}

// No false positives: one process waits on another that is live but outside the framework for a
// while (sleeping, in a selection with a Timeout, blocked on a pipe) or on an end that no monitored
// process owns. The network must end normally.
func TestNoFalseDeadlock(t *testing.T) {
	const pause = 60 * time.Millisecond
	cases := map[string]func(x *Chan[int]) (helper *Process, outside func()){
		"sleep": func(x *Chan[int]) (*Process, func()) {
			w := x.Writer()
			return Proc("helper", func(context.Context) error { time.Sleep(pause); return w.Write(1) }, w), nil
		},
		"timeout-guard": func(x *Chan[int]) (*Process, func()) {
			w := x.Writer()
			never := NewChan[int]()
			nr := never.Reader()
			never.Writer() // held by nobody: the only way out is the timeout
			return Proc("helper", func(ctx context.Context) error {
				if i, err := Select(Recv(nr), Timeout(pause)); i != 1 || err != nil {
					return errors.New("the timeout did not fire")
				}
				return w.Write(1)
			}, w, nr), nil
		},
		"pipe": func(x *Chan[int]) (*Process, func()) {
			w := x.Writer()
			pr, pw, err := os.Pipe()
			if err != nil {
				panic(err)
			}
			return Proc("helper", func(context.Context) error {
					defer pr.Close()
					var b [1]byte
					if _, err := pr.Read(b[:]); err != nil {
						return err
					}
					return w.Write(1)
				}, w), func() {
					time.Sleep(pause)
					pw.Write([]byte{1})
					pw.Close()
				}
		},
		"outside-end": func(x *Chan[int]) (*Process, func()) {
			w := x.Writer() // owned by no process
			return nil, func() { time.Sleep(pause); w.Write(1) }
		},
	}
	for name, mk := range cases {
		t.Run(name, func(t *testing.T) {
			x := NewChan[int](Named("x"))
			xr := x.Reader()
			var got int
			procs := []*Process{Proc("waiter", func(context.Context) error {
				var err error
				got, err = xr.Read()
				return err
			}, xr)}
			helper, outside := mk(x)
			if helper != nil {
				procs = append(procs, helper)
			}
			var od <-chan struct{}
			if outside != nil {
				od = goDone(outside)
			}
			err, d := runMonitored(t, procs...)
			if od != nil {
				<-od
			}
			if d != nil || err != nil || got != 1 {
				t.Fatalf("deadlock %v, err %v, got %d", d, err, got)
			}
		})
	}
}

// waitState polls m until the named process is in state st, and returns its info.
func waitState(t *testing.T, m *Monitor, name string, st State) ProcessInfo {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		for _, p := range m.Processes() {
			if p.Name == name && p.State == st {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never reached %v: %+v", name, st, m.Processes())
		}
		time.Sleep(time.Millisecond)
	}
}

func TestMonitorStates(t *testing.T) {
	m := NewMonitor()
	ctx := m.Context(context.Background())
	in, out, alt := NewChan[int](Named("in")), NewChan[int](Named("out")), NewChan[int](Named("alt"))
	inr, outw, altr := in.Reader(), out.Writer(), alt.Reader()
	inw, outr, altw := in.Writer(), out.Reader(), alt.Writer() // held by the test, outside the monitor
	boom := errors.New("boom")
	done := goDone(func() {
		err := ParallelContext(ctx,
			Proc("reader", func(context.Context) error { _, err := inr.Read(); return err }, inr),
			Proc("writer", func(context.Context) error { return outw.Write(1) }, outw),
			Proc("alter", func(context.Context) error {
				if _, err := Select(Recv(altr), Recv(NewChan[int](Named("dead")).Reader()).When(false)); err != nil {
					return err
				}
				return boom
			}, altr),
			Proc("sleeper", func(context.Context) error {
				_, err := Select(Timeout(30 * time.Millisecond))
				return err
			}),
		)
		if !errors.Is(err, boom) {
			t.Errorf("Parallel: %v", err)
		}
	})
	check := func(name string, st State, ch string, op Dir) {
		t.Helper()
		p := waitState(t, m, name, st)
		if len(p.Waits) != 1 || p.Waits[0].Channel.Name() != ch || p.Waits[0].Op != op {
			t.Fatalf("%s in %v waits on %+v, want %s %v", name, st, p.Waits, ch, op)
		}
	}
	check("reader", StateBlockedRead, "in", DirRead)
	check("writer", StateBlockedWrite, "out", DirWrite)
	check("alter", StateAlting, "alt", DirRead) // the disabled guard is not waited on
	waitState(t, m, "sleeper", StateDone)
	if m.Deadlock() != nil {
		t.Fatal("deadlock reported while the test holds the other ends")
	}
	inw.Poison()
	if _, err := outr.Read(); err != nil {
		t.Fatal(err)
	}
	altw.Write(1)
	finishes(t, done, "network")
	m.Wait()
	want := map[string]State{"reader": StatePoisoned, "writer": StateDone, "alter": StateFailed, "sleeper": StateDone}
	for _, p := range m.Processes() {
		if p.State != want[p.Name] {
			t.Errorf("%s ended %v, want %v", p.Name, p.State, want[p.Name])
		}
		if p.Name == "alter" && !errors.Is(p.Err, boom) {
			t.Errorf("alter's Err = %v", p.Err)
		}
	}
}

func TestTracerEvents(t *testing.T) {
	var mu sync.Mutex
	seen := map[EventKind]map[string]bool{}
	tr := TracerFunc(func(e Event) {
		mu.Lock()
		defer mu.Unlock()
		if seen[e.Kind] == nil {
			seen[e.Kind] = map[string]bool{}
		}
		key := e.Process.Name
		if e.Channel != nil {
			key += "@" + e.Channel.Name()
		}
		seen[e.Kind][key] = true
	})
	m := NewMonitor(WithTracer(tr))
	c := NewChan[int](Named("c"))
	r, w := c.Reader(), c.Writer()
	err := ParallelContext(m.Context(context.Background()),
		Proc("prod", func(context.Context) error {
			time.Sleep(10 * time.Millisecond) // let the consumer block first
			return w.Write(1)
		}, w),
		Proc("cons", func(context.Context) error { _, err := r.Read(); return err }, r),
	)
	m.Wait()
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	for kind, key := range map[EventKind]string{
		EventStart: "prod", EventEnd: "cons", EventBlock: "cons", EventUnblock: "cons",
		EventRead: "cons@c", EventWrite: "prod@c", EventRetire: "prod@c",
	} {
		if !seen[kind][key] {
			t.Errorf("no %v event for %s; saw %v", kind, key, seen[kind])
		}
	}
}

// A ReadContext, WriteContext or selection under a context with a deadline is waiting for a time,
// as a selection with a Timeout guard is: it will go on by itself, so it is not deadlocked, even
// when the only process that could complete it waits on it.
func TestNoFalseDeadlockDeadline(t *testing.T) {
	for _, how := range []string{"ReadContext", "WriteContext", "Select"} {
		t.Run(how, func(t *testing.T) {
			x, y, z := NewChan[int](Named("x")), NewChan[int](Named("y")), NewChan[int](Named("z"))
			xr, xw, yr, yw, zr, zw := x.Reader(), x.Writer(), y.Reader(), y.Writer(), z.Reader(), z.Writer()
			var gave error
			err, d := runMonitored(t,
				Proc("impatient", func(ctx context.Context) error {
					ctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
					defer cancel()
					switch how {
					case "ReadContext":
						_, gave = xr.ReadContext(ctx)
					case "WriteContext":
						gave = zw.WriteContext(ctx, 0)
					default:
						_, gave = NewAlt(Recv(xr)).SelectContext(ctx)
					}
					if !errors.Is(gave, context.DeadlineExceeded) {
						return errors.New("did not time out")
					}
					// Having given up, it goes on: it tells the other process, which then ends.
					return yw.Write(1)
				}, xr, yw, zw),
				Proc("patient", func(context.Context) error {
					_, err := yr.Read()
					return err
				}, yr, xw, zr),
			)
			if d != nil || err != nil {
				t.Fatalf("deadlock %v, err %v (impatient gave %v)", d, err, gave)
			}
		})
	}
}

// A timed wait says what it is: a selection with a Timeout (or under a deadline) shows as alting on
// its channels with its deadline, an operation under a deadline as blocked on its channel with the
// deadline, and Sleep as sleeping; all of them count as live, so nothing here is a deadlock.
func TestTimedWaitsShowWhatTheyWaitOn(t *testing.T) {
	m := NewMonitor()
	ctx, cancel := context.WithCancel(m.Context(context.Background()))
	defer cancel()
	a, b := NewChan[int](Named("a")), NewChan[int](Named("b"))
	ar, br := a.Reader(), b.Reader()
	aw, bw := a.Writer(), b.Writer()
	start := time.Now()
	var sleepErr error
	done := goDone(func() {
		_ = ParallelContext(ctx,
			Proc("alter", func(ctx context.Context) error {
				_, err := NewAlt(Recv(ar), Timeout(time.Hour)).SelectContext(ctx)
				return err
			}, ar, aw),
			Proc("reader", func(ctx context.Context) error {
				dctx, cancel := context.WithTimeout(ctx, time.Hour)
				defer cancel()
				_, err := br.ReadContext(dctx)
				return err
			}, br, bw),
			Proc("sleeper", func(ctx context.Context) error {
				sleepErr = Sleep(ctx, time.Hour)
				return sleepErr
			}),
		)
	})
	for _, want := range []struct {
		name string
		st   State
		ch   string
	}{{"alter", StateAlting, "a"}, {"reader", StateBlockedRead, "b"}, {"sleeper", StateSleeping, ""}} {
		p := waitState(t, m, want.name, want.st)
		if p.Deadline.Before(start.Add(59*time.Minute)) || p.Deadline.After(time.Now().Add(time.Hour)) {
			t.Fatalf("%s: deadline %v, want about an hour from %v", want.name, p.Deadline, start)
		}
		if want.ch != "" && (len(p.Waits) != 1 || p.Waits[0].Channel.Name() != want.ch) {
			t.Fatalf("%s waits on %+v, want %s", want.name, p.Waits, want.ch)
		}
	}
	if m.Deadlock() != nil {
		t.Fatalf("timed waits reported as a deadlock: %v", m.Deadlock())
	}
	cancel()
	finishes(t, done, "the timed waits, cancelled")
	m.Wait()
	wantErr(t, sleepErr, context.Canceled, "Sleep when its context ended")
}

// How a process ended decides the state a monitor shows: a retirement is a graceful end (done),
// like nil; poison shows as poisoned; anything else, a panic with a poison value included, failed.
func TestEndStateFollowsTheRetireRule(t *testing.T) {
	boom := errors.New("boom")
	for _, tc := range []struct {
		ret  error
		want State
	}{
		{nil, StateDone},
		{&OpError{Op: "read", Chan: "in", Err: ErrRetired}, StateDone},
		{&OpError{Op: "read", Chan: "in", Err: ErrPoisoned}, StatePoisoned},
		{boom, StateFailed},
		{&PanicError{Value: ErrPoisoned}, StateFailed},
	} {
		m := NewMonitor()
		_ = ParallelContext(m.Context(context.Background()), Proc("p", func(context.Context) error { return tc.ret }))
		m.Wait()
		if got := m.Processes()[0].State; got != tc.want {
			t.Errorf("returning %v: state %v, want %v", tc.ret, got, tc.want)
		}
	}
}

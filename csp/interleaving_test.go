package csp

// Adversarial tests of parking, misuse detection, retirement, deadlock analysis and process
// ownership: every parking mode against every other, many waiters woken at once, legal programs
// that must never trip misuse detection, and the ownership edge cases a review found (each of
// those failed before its fix).

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"testing"
	"time"
)

// scaledUnderRace scales a stress loop, smaller under -race.
func scaledUnderRace(n int) int {
	if raceEnabled {
		n /= 8
	}
	return scaled(max(n, 1))
}

// ---------------------------------------------------------------------------------------------
// 1. Parking: one end switches between parking modes (parker vs wake channel) on every operation,
// with cancellations, deadlines and Timeout guards racing the peer's wake. A lost wake hangs, a
// double or misdirected wake hangs or corrupts a later operation, a stale woken mark makes a later
// Read return without a value: each shows as a hang, a wrong value or a conservation failure.

type opKind int

const (
	opPlain       opKind = iota // Read / Write: parks on the parker
	opCancelLater               // ctx cancelled at a random moment: selects on the wake channel
	opCancelled                 // ctx already cancelled
	opDeadline                  // ctx with a short deadline
	opAltPlain                  // reused Alt, no ctx: parker
	opAltTimeout                // reused Alt with a Timeout guard: wake channel
	opOneShotCtx                // one-shot SelectContext under a cancel-later ctx
	opKinds
)

func modeCtx(k opKind, rngv uint64) (context.Context, context.CancelFunc) {
	switch k {
	case opCancelLater, opOneShotCtx:
		ctx, cancel := context.WithCancel(context.Background())
		d := time.Duration(rngv%50) * time.Microsecond
		t := time.AfterFunc(d, cancel)
		return ctx, func() { t.Stop(); cancel() }
	case opCancelled:
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		return ctx, cancel
	case opDeadline:
		return context.WithTimeout(context.Background(), time.Duration(rngv%40)*time.Microsecond)
	}
	return nil, func() {}
}

func TestParkModeSwitchingConservesValues(t *testing.T) {
	for _, buffer := range []int{0, 1} {
		t.Run(fmt.Sprintf("buf%d", buffer), func(t *testing.T) {
			n := scaledUnderRace(20000)
			c := NewChan[int](Buffered(buffer))
			r, w := c.Reader(), c.Writer()
			rg := Recv(r)
			rto := Timeout(20 * time.Microsecond)
			ralt := NewAlt(rg)
			raltT := NewAlt(rg, rto)
			var got []int
			var readErr error
			rdone := goDone(func() {
				rng := newRand(1)
				for {
					k := opKind(rng.IntN(int(opKinds)))
					ctx, cancel := modeCtx(k, rng.Uint64())
					var v int
					var err error
					switch k {
					case opPlain:
						v, err = r.Read()
					case opCancelLater, opCancelled, opDeadline:
						v, err = r.ReadContext(ctx)
					case opAltPlain:
						_, err = ralt.Select()
						v = rg.Value()
					case opAltTimeout:
						var i int
						i, err = raltT.PriSelect()
						if err == nil && i == 1 {
							err = context.DeadlineExceeded
						}
						v = rg.Value()
					case opOneShotCtx:
						g := Recv(r)
						_, err = SelectContext(ctx, g)
						v = g.Value()
					}
					cancel()
					switch {
					case err == nil:
						got = append(got, v)
					case errors.Is(err, ErrRetired):
						return
					case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
					default:
						readErr = err
						return
					}
				}
			})
			var sent []int
			var writeErr error
			wdone := goDone(func() {
				rng := newRand(2)
				wv := 0
				sg := Send(w, 0)
				walt := NewAlt(sg)
				waltT := NewAlt(sg, Timeout(20*time.Microsecond))
				for len(sent) < n {
					k := opKind(rng.IntN(int(opKinds)))
					ctx, cancel := modeCtx(k, rng.Uint64())
					wv++
					var err error
					switch k {
					case opPlain:
						err = w.Write(wv)
					case opCancelLater, opCancelled, opDeadline, opOneShotCtx:
						err = w.WriteContext(ctx, wv)
					case opAltPlain:
						sg.Set(wv)
						_, err = walt.Select()
					case opAltTimeout:
						sg.Set(wv)
						var i int
						i, err = waltT.Select()
						if err == nil && i == 1 {
							err = context.DeadlineExceeded
						}
					}
					cancel()
					switch {
					case err == nil:
						sent = append(sent, wv)
					case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
					default:
						writeErr = err
						return
					}
				}
				w.Retire()
			})
			finishes(t, wdone, "the writer")
			finishes(t, rdone, "the reader")
			if writeErr != nil || readErr != nil {
				t.Fatalf("writer: %v, reader: %v", writeErr, readErr)
			}
			if len(got) != len(sent) {
				t.Fatalf("sent %d values, received %d", len(sent), len(got))
			}
			for i := range got {
				if got[i] != sent[i] {
					t.Fatalf("value %d: sent %d, received %d", i, sent[i], got[i])
				}
			}
		})
	}
}

// ---------------------------------------------------------------------------------------------
// 3. Retirement from another goroutine while the end's owner is parked, in every mode, racing a
// writer: every value whose Write returned nil was received; the owner gets ErrRetired; nothing
// hangs; a later operation on the end refuses at once.

func TestRetireUnderParkedOwner(t *testing.T) {
	n := scaledUnderRace(3000)
	for i := range n {
		c := NewChan[int](Named("c"))
		r, w := c.Reader(), c.Writer()
		k := opKind(i % int(opKinds))
		var got []int
		var rerr error
		rdone := goDone(func() {
			g := Recv(r)
			alt := NewAlt(g, Timeout(time.Millisecond))
			for {
				ctx, cancel := modeCtx(k, uint64(i))
				var v int
				var err error
				switch k {
				case opPlain:
					v, err = r.Read()
				case opCancelLater, opCancelled, opDeadline:
					v, err = r.ReadContext(ctx)
				case opAltPlain:
					_, err = Select(g)
					v = g.Value()
				case opAltTimeout:
					var j int
					j, err = alt.Select()
					if err == nil && j == 1 {
						err = context.DeadlineExceeded
					}
					v = g.Value()
				case opOneShotCtx:
					_, err = SelectContext(ctx, g)
					v = g.Value()
				}
				cancel()
				switch {
				case err == nil:
					got = append(got, v)
				case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
				default:
					rerr = err
					return
				}
			}
		})
		var sent []int
		var werr error
		wdone := goDone(func() {
			for v := 1; ; v++ {
				if werr = w.Write(v); werr != nil {
					return
				}
				sent = append(sent, v)
			}
		})
		// retire at a random point, from a third goroutine
		for range i % 7 {
			time.Sleep(time.Duration(i%13) * time.Microsecond)
		}
		r.Retire()
		finishes(t, rdone, "the reader whose end retired")
		finishes(t, wdone, "the writer")
		if !errors.Is(rerr, ErrRetired) || !errors.Is(werr, ErrRetired) {
			t.Fatalf("run %d (%d): reader %v, writer %v", i, k, rerr, werr)
		}
		if fmt.Sprint(got) != fmt.Sprint(sent) {
			t.Fatalf("run %d (%d): sent %v, received %v", i, k, sent, got)
		}
		if _, err := r.Read(); !errors.Is(err, ErrRetired) {
			t.Fatalf("a Read after the retirement gave %v", err)
		}
	}
}

// ---------------------------------------------------------------------------------------------
// 2. Misuse detection must never fire on a legal program: one goroutine per end, the same guard
// reused in one-shot selections and a reused Alt, interleaved with plain and context operations
// on the same end, after the guard fired, was cancelled, timed out or was poisoned.

func TestNoMisuseFalsePositive(t *testing.T) {
	n := scaledUnderRace(4000)
	for round := range 3 {
		c := NewChan[int](Named("c"))
		d := NewChan[int](Named("d"))
		r, w := c.Reader(), c.Writer()
		dr, dw := d.Reader(), d.Writer()
		var perr any
		rdone := goDone(func() {
			defer func() { perr = recover() }()
			rng := newRand(uint64(round))
			g := Recv(r)
			gd := Recv(dr)
			alt := NewAlt(g, gd, Timeout(10*time.Microsecond))
			for i := 0; ; i++ {
				var err error
				switch rng.IntN(8) {
				case 0:
					_, err = r.Read()
				case 1:
					ctx, cancel := modeCtx(opCancelLater, rng.Uint64())
					_, err = r.ReadContext(ctx)
					cancel()
				case 2:
					ctx, cancel := modeCtx(opCancelled, 0)
					_, err = SelectContext(ctx, g, gd)
					cancel()
				case 3:
					_, err = Select(g, Timeout(time.Duration(rng.IntN(20))*time.Microsecond))
				case 4:
					_, err = alt.FairSelect()
				case 5:
					_, err = PriSelect(gd, g, Skip())
				case 6:
					ctx, cancel := modeCtx(opDeadline, rng.Uint64())
					_, err = alt.SelectContext(ctx)
					cancel()
				case 7:
					ctx, cancel := modeCtx(opCancelLater, rng.Uint64())
					_, err = dr.ReadContext(ctx)
					cancel()
				}
				if errors.Is(err, ErrPoisoned) && i > n {
					return
				}
			}
		})
		wdone := goDone(func() {
			rng := newRand(uint64(round) + 100)
			for i := 0; i < n; i++ {
				switch rng.IntN(4) {
				case 0:
					_ = w.Write(i)
				case 1:
					_, _ = Select(Send(w, i), Send(dw, i))
				case 2:
					_, _ = Select(Send(w, i), Send(dw, i), Timeout(5*time.Microsecond))
				case 3:
					ctx, cancel := modeCtx(opCancelLater, rng.Uint64())
					_ = w.WriteContext(ctx, i)
					cancel()
				}
			}
			// poison while the reader is (probably) parked: its next operations must still not
			// take the poison-woken state for a second user.
			w.Poison()
			dw.Poison()
		})
		select {
		case <-rdone:
			if perr != nil {
				// the writer is stuck now: free it
				w.Poison()
				dw.Poison()
				<-wdone
			}
		case <-wdone:
		case <-time.After(20 * time.Second):
		}
		finishes(t, wdone, "the writer")
		finishes(t, rdone, "the reader")
		if perr != nil {
			t.Fatalf("a legal program panicked: %v", perr)
		}
	}
}

// An action run by a fired guard may select again on the same Alt (one goroutine, nested): this is
// not two goroutines using it.
func TestAltReentryFromActionIsNotMisuse(t *testing.T) {
	c := NewChan[int](Buffered(2))
	w := c.Writer()
	r := c.Reader()
	_ = w.Write(1)
	_ = w.Write(2)
	var alt *Alt
	var inner any
	depth := 0
	g := Recv(r)
	g.Do(func(int) {
		depth++
		if depth == 1 {
			func() {
				defer func() { inner = recover() }()
				_, _ = alt.PriSelect()
			}()
		}
	})
	alt = NewAlt(g, Skip())
	if _, err := alt.PriSelect(); err != nil {
		t.Fatal(err)
	}
	if inner != nil {
		t.Fatalf("a nested selection from the guard's own action, in one goroutine, panicked: %v", inner)
	}
}

// ---------------------------------------------------------------------------------------------
// 5. Process ownership.

// Under CancelOnFailure, a process that ends by poison has not failed (the doc: "when one of its
// processes fails (returns an error other than poison or retirement, or panics)"), so its siblings'
// context must not be cancelled.
func TestCancelOnFailureIgnoresPoison(t *testing.T) {
	c := NewChan[int](Named("c"))
	r := c.Reader()
	c.Poison()
	var sibling context.Context
	err := ParallelContext(CancelOnFailure(context.Background()),
		Proc("poisoned", func(context.Context) error { _, err := r.Read(); return err }, r),
		Proc("sibling", func(ctx context.Context) error { sibling = ctx; return nil }),
	)
	if err != nil {
		t.Fatalf("Parallel gave %v", err)
	}
	// After Parallel the run context is cancelled either way (deferred stop(nil), cause Canceled);
	// a cause that is a *ProcessError says a poisoned process was taken for a failure.
	var pe *ProcessError
	if errors.As(context.Cause(sibling), &pe) {
		t.Fatalf("a process that ended by poison cancelled its siblings, cause %v", context.Cause(sibling))
	}
	// The same for retirement (here it holds): ErrRetired is not a failure.
	c2 := NewChan[int]()
	r2 := c2.Reader()
	c2.Writer().Retire()
	_ = ParallelContext(CancelOnFailure(context.Background()),
		Proc("retired", func(context.Context) error { _, err := r2.Read(); return err }, r2),
		Proc("sibling", func(ctx context.Context) error { sibling = ctx; return nil }),
	)
	if errors.As(context.Cause(sibling), &pe) {
		t.Fatalf("a process that ended by retirement cancelled its siblings, cause %v", context.Cause(sibling))
	}
}

// Own with the context of an earlier run of the same Process (it ended) must refuse with
// ErrNotProcess, also while the Process runs again.
func TestOwnRefusesContextOfEarlierRun(t *testing.T) {
	for _, observed := range []bool{false, true} {
		var first context.Context
		runs := 0
		gate, inSecond := make(chan struct{}), make(chan struct{})
		p := Proc("p", func(ctx context.Context) error {
			runs++
			if runs == 1 {
				first = ctx
				return nil
			}
			close(inSecond)
			<-gate
			return nil
		})
		ctx := context.Background()
		if observed {
			ctx = NewMonitor().Context(ctx)
		}
		if err := ParallelContext(ctx, p); err != nil {
			t.Fatal(err)
		}
		done := goDone(func() { _ = ParallelContext(ctx, p) })
		<-inSecond
		c := NewChan[int](Named("stray"))
		err := Own(first, c.Reader())
		close(gate)
		finishes(t, done, "the second run")
		if !errors.Is(err, ErrNotProcess) {
			t.Errorf("observed=%v: Own with the ended first run's context gave %v, want ErrNotProcess (the end was adopted by the second run: retired %d)",
				observed, err, c.Stats().ReadersRetired)
		}
	}
}

// Under CancelOnFailure a nested composition whose context was cancelled by a sibling's failure
// reports that cancellation, not a failure of its own: "Their context errors are then not reported
// as failures of their own ... Nested compositions under the context behave the same."
func TestCancelOnFailureReportsTheFailureOnce(t *testing.T) {
	boom := errors.New("boom")
	done := make(chan struct{})
	var err error
	go func() {
		defer close(done)
		err = ParallelContext(CancelOnFailure(context.Background()),
			Proc("failing", func(context.Context) error { return boom }),
			Proc("nest", func(ctx context.Context) error {
				return ParallelContext(ctx, Proc("inner", func(ctx context.Context) error {
					<-ctx.Done()
					return ctx.Err()
				}))
			}),
		)
	}()
	finishes(t, done, "the outer Parallel")
	pes := processErrors(t, err)
	if len(pes) != 1 || pes["failing"] == nil {
		t.Errorf("nested: Parallel gave %v, want only the failing process", err)
	}
	// The same echo from a sibling that returns context.Cause(ctx), as idiomatic code does.
	err = ParallelContext(CancelOnFailure(context.Background()),
		Proc("failing", func(context.Context) error { return boom }),
		Proc("sibling", func(ctx context.Context) error { <-ctx.Done(); return context.Cause(ctx) }),
	)
	if pes := processErrors(t, err); len(pes) != 1 || pes["failing"] == nil {
		t.Errorf("cause: Parallel gave %v, want only the failing process", err)
	}
}

// A process that ends by runtime.Goexit (t.FailNow in a process body, say) did not end normally:
// its ends must be poisoned, not retired as for a nil return.
func TestGoexitInABodyPoisons(t *testing.T) {
	c := NewChan[int](Named("c"))
	r, w := c.Reader(), c.Writer()
	var readErr error
	_ = Parallel(
		Proc("reader", func(context.Context) error { _, readErr = r.Read(); return nil }, r),
		Proc("exits", func(context.Context) error {
			func() { // in its own goroutine under Parallel (not process 0)
				runtime.Goexit()
			}()
			return nil
		}, w),
	)
	if !errors.Is(readErr, ErrPoisoned) {
		t.Fatalf("a process that called runtime.Goexit left its reader with %v, want ErrPoisoned", readErr)
	}
}

// Under CancelOnFailure a sibling's failure cancels the run context but does not poison this
// process's listed ends; Own then must not poison an end it adopts (it says "a cancellation that
// came before poisoned the process's ends": here none did).
func TestOwnAfterCancelOnFailureDoesNotPoison(t *testing.T) {
	boom := errors.New("boom")
	listed, adopted := NewChan[int](Named("listed")), NewChan[int](Named("adopted"))
	lw := listed.Writer()
	var ownErr error
	_ = ParallelContext(CancelOnFailure(context.Background()),
		Proc("failing", func(context.Context) error { return boom }),
		Proc("p", func(ctx context.Context) error {
			<-ctx.Done()
			ownErr = Own(ctx, KeepOpen(adopted.Writer()))
			return nil
		}, KeepOpen(lw)),
	)
	if ownErr != nil {
		t.Fatal(ownErr)
	}
	if listed.Stats().Poisoned {
		t.Fatal("the listed end was poisoned (test premise)")
	}
	if adopted.Stats().Poisoned {
		t.Fatal("Own poisoned an adopted end after a CancelOnFailure cancellation that poisoned none of the process's other ends")
	}
}

// ---------------------------------------------------------------------------------------------
// 1b. Poison and retirement wake many waiters at once, each parked in a different mode (parker,
// wake channel with a cancel-only context, with a deadline, reused Alt, Alt with a Timeout): every
// one of them wakes once, with the right error, and can use its end again at once.

func TestPoisonAndRetireWakeManyModes(t *testing.T) {
	for round := range scaledUnderRace(300) {
		for _, how := range []string{"poison", "retire-writers", "retire-readers"} {
			c := NewChan[int](Named("many"))
			const k = 2 * int(opKinds)
			readSide := how != "retire-readers"
			var ws []*Writer[int]
			var rs []*Reader[int]
			for range k {
				ws = append(ws, c.Writer())
				rs = append(rs, c.Reader())
			}
			errs := make([]error, k)
			dones := make([]<-chan struct{}, k)
			for i := range k {
				kind := opKind(i % int(opKinds))
				dones[i] = goDone(func() {
					ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
					if kind == opCancelLater || kind == opOneShotCtx {
						ctx, cancel = context.WithCancel(context.Background())
					}
					defer cancel()
					if kind == opPlain || kind == opAltPlain {
						ctx = nil
					}
					if readSide {
						r := rs[i]
						switch kind {
						case opAltPlain, opAltTimeout, opOneShotCtx:
							g := []Guard{Recv(r)}
							if kind == opAltTimeout {
								g = append(g, Timeout(time.Hour))
							}
							if ctx != nil {
								_, errs[i] = NewAlt(g...).SelectContext(ctx)
							} else {
								_, errs[i] = NewAlt(g...).Select()
							}
						default:
							if ctx != nil {
								_, errs[i] = r.ReadContext(ctx)
							} else {
								_, errs[i] = r.Read()
							}
						}
						// the end is idle again: a second operation must not panic as misuse
						_, _ = r.ReadContext(cancelledCtx)
					} else {
						w := ws[i]
						switch kind {
						case opAltPlain, opAltTimeout, opOneShotCtx:
							g := []Guard{Send(w, i)}
							if kind == opAltTimeout {
								g = append(g, Timeout(time.Hour))
							}
							if ctx != nil {
								_, errs[i] = NewAlt(g...).SelectContext(ctx)
							} else {
								_, errs[i] = NewAlt(g...).Select()
							}
						default:
							if ctx != nil {
								errs[i] = w.WriteContext(ctx, i)
							} else {
								errs[i] = w.Write(i)
							}
						}
						_ = w.WriteContext(cancelledCtx, 0)
					}
				})
			}
			// wait until all k are queued
			deadline := time.Now().Add(10 * time.Second)
			for {
				c.mu.Lock()
				q := 0
				wq := &c.recvq
				if !readSide {
					wq = &c.sendq
				}
				for w := wq.head; w != nil; w = w.next {
					q++
				}
				c.mu.Unlock()
				if q == k {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("only %d of %d queued", q, k)
				}
				time.Sleep(50 * time.Microsecond)
			}
			want := ErrPoisoned
			switch how {
			case "poison":
				c.Poison()
			case "retire-writers":
				want = ErrRetired
				for j, w := range ws {
					if round%2 == 0 || j%2 == 0 {
						w.Retire()
					}
				}
				for _, w := range ws {
					w.Retire()
				}
			case "retire-readers":
				want = ErrRetired
				for _, r := range rs {
					r.Retire()
				}
			}
			for i, d := range dones {
				finishes(t, d, fmt.Sprintf("%s: waiter %d (%d)", how, i, opKind(i%int(opKinds))))
				if !errors.Is(errs[i], want) {
					t.Fatalf("%s: waiter %d (%d) got %v", how, i, opKind(i%int(opKinds)), errs[i])
				}
			}
		}
	}
}

var cancelledCtx = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

// ---------------------------------------------------------------------------------------------
// 4. Deadlock analysis.

// A farm that ends by retirement, its workers mixing plain, context, deadline and alting waits and
// sleeping now and then, under a tracer that yields on every event: it never deadlocks, so any
// report is false; and every value arrives.
func TestNoFalseDeadlockRetiringFarm(t *testing.T) {
	yielding := TracerFunc(func(Event) { runtime.Gosched() })
	for run := range scaledUnderRace(200) {
		m := NewMonitor(WithTracer(yielding))
		in, out := NewChan[int](Named("in")), NewChan[int](Named("out"))
		const workers, n = 3, 50
		iw := in.Writer()
		procs := []*Process{Proc("producer", func(ctx context.Context) error {
			for i := range n {
				if err := iw.Write(i); err != nil {
					return err
				}
			}
			return nil
		}, iw)}
		for k := range workers {
			r, w := in.Reader(), out.Writer()
			procs = append(procs, Proc(fmt.Sprintf("worker-%d", k), func(ctx context.Context) error {
				g := Recv(r)
				alt := NewAlt(g, Timeout(time.Millisecond))
				for i := 0; ; i++ {
					var v int
					var err error
					switch (i + k + run) % 5 {
					case 0:
						v, err = r.Read()
					case 1:
						c, cancel := context.WithTimeout(ctx, time.Millisecond)
						v, err = r.ReadContext(c)
						cancel()
					case 2:
						var j int
						if j, err = alt.Select(); err == nil && j == 1 {
							continue
						}
						v = g.Value()
					case 3:
						_, err = Select(g)
						v = g.Value()
					case 4:
						if err := Sleep(ctx, 10*time.Microsecond); err != nil {
							return err
						}
						v, err = r.Read()
					}
					if errors.Is(err, context.DeadlineExceeded) {
						continue
					}
					if err != nil {
						return err // ErrRetired: retire out, don't poison
					}
					if err := w.Write(v); err != nil {
						return err
					}
				}
			}, r, w))
		}
		or := out.Reader()
		var got []int
		procs = append(procs, Proc("consumer", func(context.Context) error {
			for {
				v, err := or.Read()
				if err != nil {
					return err
				}
				got = append(got, v)
			}
		}, or))
		if err := ParallelContext(m.Context(context.Background()), procs...); err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		m.Wait()
		if d := m.Deadlock(); d != nil {
			t.Fatalf("run %d: false deadlock: %v", run, d)
		}
		if len(got) != n {
			t.Fatalf("run %d: got %d values", run, len(got))
		}
	}
}

// A real deadlock whose other side is an end owned by a process of a second monitor: when that
// process ends (retiring the end) nothing can complete the first network's waits any more.
func TestDeadlockFoundWhenOtherMonitorsEndRetires(t *testing.T) {
	m, m2 := NewMonitor(), NewMonitor()
	x, y := NewChan[int](Named("x")), NewChan[int](Named("y"))
	xr, xw, yr, yw := x.Reader(), x.Writer(), y.Reader(), y.Writer()
	other := x.Writer()
	gate := make(chan struct{})
	done := goDone(func() {
		_ = ParallelContext(m.Context(context.Background()),
			Proc("p1", func(context.Context) error { _, err := xr.Read(); return err }, xr, yw),
			Proc("p2", func(context.Context) error { _, err := yr.Read(); return err }, yr, xw),
		)
	})
	done2 := goDone(func() {
		_ = ParallelContext(m2.Context(context.Background()),
			Proc("elsewhere", func(context.Context) error { <-gate; return nil }, other))
	})
	waitState(t, m, "p1", StateBlockedRead)
	waitState(t, m, "p2", StateBlockedRead)
	close(gate)
	finishes(t, done2, "the other monitor's network")
	finishes(t, done, "the network after its last outside end retired")
	m.Wait()
	m2.Wait()
	if m.Deadlock() == nil {
		t.Fatal("no deadlock reported")
	}
}

// A deadlock in which one party is a parent waiting for its children (in Parallel) and holds the
// end its child waits on: nothing can move, and the monitor must say so.
func TestDeadlockThroughWaitingParent(t *testing.T) {
	m := NewMonitor()
	c := NewChan[int](Named("c"))
	cr, cw := c.Reader(), c.Writer()
	done := goDone(func() {
		_ = ParallelContext(m.Context(context.Background()),
			Proc("parent", func(ctx context.Context) error {
				err := ParallelContext(ctx, Proc("child", func(context.Context) error {
					_, err := cr.Read()
					return err
				}, cr))
				if err != nil {
					return err
				}
				return cw.Write(1)
			}, cw),
		)
	})
	finishes(t, done, "the deadlocked network")
	m.Wait()
	if m.Deadlock() == nil {
		t.Fatal("no deadlock reported")
	}
}

// The same shape without the deadlock: the parent's end is written by a sibling of the parent, so
// the child's Read completes. No report, in many runs.
func TestNoFalseDeadlockWaitingParent(t *testing.T) {
	for run := range scaledUnderRace(500) {
		m := NewMonitor(WithTracer(TracerFunc(func(Event) { runtime.Gosched() })))
		c, d := NewChan[int](Named("c")), NewChan[int](Named("d"))
		cr, cw, dr, dw := c.Reader(), c.Writer(), d.Reader(), d.Writer()
		err := ParallelContext(m.Context(context.Background()),
			Proc("parent", func(ctx context.Context) error {
				return ParallelContext(ctx,
					Proc("child", func(context.Context) error { _, err := cr.Read(); return err }, cr),
					Proc("child2", func(context.Context) error { return dw.Write(1) }, dw))
			}),
			Proc("sibling", func(ctx context.Context) error {
				if _, err := dr.Read(); err != nil {
					return err
				}
				if run%2 == 0 {
					_ = Sleep(ctx, time.Microsecond)
				}
				return cw.Write(2)
			}, cw, dr),
		)
		m.Wait()
		if d := m.Deadlock(); d != nil || err != nil {
			t.Fatalf("run %d: %v, deadlock %v", run, err, d)
		}
	}
}

// A channel whose ends come and go (a reader end joined per request, say) keeps every end it ever
// had in c.ends, and each retirement now scans them all under the channel's lock (recheck): memory
// grows without bound and n join-retire cycles cost O(n²) (10k cycles 50ms, 40k cycles 1s on the
// review machine). Retired ends take no part in peers or recheck, so they need not be kept.
func TestRetiredEndsAreDropped(t *testing.T) {
	c := NewChan[int](Named("churn"))
	c.Writer()
	for range 10000 {
		c.Reader().Retire()
	}
	c.mu.Lock()
	n := len(c.ends)
	c.mu.Unlock()
	if n > 100 {
		t.Fatalf("after 10000 readers joined and retired the channel keeps %d ends", n)
	}
}

package csp

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// processErrors returns the *ProcessErrors that Parallel joined into err, by process name.
func processErrors(t *testing.T, err error) map[string]*ProcessError {
	t.Helper()
	out := map[string]*ProcessError{}
	if err == nil {
		return out
	}
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	for _, e := range errs {
		var pe *ProcessError
		if !errors.As(e, &pe) {
			continue
		}
		if _, dup := out[pe.Process]; dup {
			t.Fatalf("process %q reported twice", pe.Process)
		}
		out[pe.Process] = pe
	}
	return out
}

func TestOwnershipNilRetires(t *testing.T) {
	a, b := NewChan[int](), NewChan[int]()
	ar, bw := a.Reader(), b.Writer()
	a.Writer() // another end on each side keeps the channels open
	b.Reader()
	if err := Parallel(Proc("p", func(context.Context) error { return nil }, ar, bw)); err != nil {
		t.Fatal(err)
	}
	if sa, sb := a.Stats(), b.Stats(); sa.ReadersRetired != 1 || sb.WritersRetired != 1 || sa.Poisoned || sb.Poisoned {
		t.Fatalf("after a nil return: %+v %+v", sa, sb)
	}
	_, err := ar.Read()
	wantErr(t, err, ErrRetired, "read on the retired end")
}

func TestOwnershipErrorPoisons(t *testing.T) {
	boom := errors.New("boom")
	for _, ret := range []error{boom, ErrPoisoned, errors.Join(ErrRetired, ErrPoisoned)} {
		a, b := NewChan[int](), NewChan[int]()
		ar, bw := a.Reader(), b.Writer()
		err := Parallel(Proc("p", func(context.Context) error { return ret }, ar, bw))
		if !a.Stats().Poisoned || !b.Stats().Poisoned {
			t.Fatalf("returning %v did not poison the owned ends", ret)
		}
		pes := processErrors(t, err)
		if ret == boom {
			if pes["p"] == nil || !errors.Is(err, boom) || !strings.Contains(err.Error(), `"p"`) {
				t.Fatalf("returning boom: Parallel gave %v", err)
			}
		} else if err != nil {
			t.Fatalf("returning %v (a poison/retire ending): Parallel gave %v", ret, err)
		}
	}
}

// A body that ends because a channel it used retired, and says so by returning the error it got,
// ended gracefully: its ends retire as after a nil return, so a retire cascades down a pipeline
// instead of turning into poison that loses what siblings are still writing.
func TestOwnershipRetiredErrorRetires(t *testing.T) {
	for _, ret := range []error{ErrRetired, fmt.Errorf("wrapped: %w", ErrRetired),
		&OpError{Op: "read", Chan: "in", Err: ErrRetired}} {
		a, b := NewChan[int](), NewChan[int]()
		ar, bw := a.Reader(), b.Writer()
		a.Writer() // another end on each side keeps the channels open
		b.Reader()
		err := Parallel(Proc("p", func(context.Context) error { return ret }, ar, bw))
		if err != nil {
			t.Fatalf("returning %v: Parallel gave %v", ret, err)
		}
		if sa, sb := a.Stats(), b.Stats(); sa.Poisoned || sb.Poisoned || sa.ReadersRetired != 1 || sb.WritersRetired != 1 {
			t.Fatalf("returning %v: %+v %+v, want both ends retired and nothing poisoned", ret, sa, sb)
		}
	}
}

// The README's idiom: workers return the error their Read gave. When the jobs run out, each worker
// sees ErrRetired and returns it; that must retire its writer of the shared results channel, not
// poison it while the other workers still write, so every result arrives.
func TestFarmOfWorkersReturningReadErrorLosesNothing(t *testing.T) {
	const jobs, workers = 50, 3
	for run := range scaled(2000) {
		in, out := NewChan[int](Named("jobs")), NewChan[int](Named("results"))
		jw := in.Writer()
		procs := []*Process{Proc("producer", func(context.Context) error {
			for i := range jobs {
				if err := jw.Write(i); err != nil {
					return err
				}
			}
			return nil
		}, jw)}
		for k := range workers {
			r, w := in.Reader(), out.Writer()
			procs = append(procs, Proc(fmt.Sprintf("worker-%d", k), func(context.Context) error {
				for {
					v, err := r.Read()
					if err != nil {
						return err
					}
					if k == run%workers {
						runtime.Gosched() // let one worker lag, so the others finish first
					}
					if err := w.Write(v * v); err != nil {
						return err
					}
				}
			}, r, w))
		}
		got := 0
		rr := out.Reader()
		var last error
		procs = append(procs, Proc("collector", func(context.Context) error {
			for {
				if _, last = rr.Read(); last != nil {
					return last
				}
				got++
			}
		}, rr))
		if err := Parallel(procs...); err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		if got != jobs || !errors.Is(last, ErrRetired) {
			t.Fatalf("run %d: %d of %d results arrived, the collector ended with %v", run, got, jobs, last)
		}
	}
}

func panicky(sentinel any) func(context.Context) error {
	return func(context.Context) error { panic(sentinel) }
}

func TestOwnershipPanic(t *testing.T) {
	c := NewChan[int](Named("p-out"))
	w := c.Writer()
	r := c.Reader()
	var rerr error
	err := Parallel(
		Proc("panicker", panicky("kaboom"), w),
		Proc("victim", func(context.Context) error { _, rerr = r.Read(); return rerr }, r),
	)
	wantErr(t, rerr, ErrPoisoned, "the panicker's reader")
	pes := processErrors(t, err)
	if len(pes) != 1 || pes["panicker"] == nil {
		t.Fatalf("Parallel gave %v", err)
	}
	var pe *PanicError
	if !errors.As(err, &pe) || pe.Value != "kaboom" {
		t.Fatalf("no *PanicError with the value: %#v", err)
	}
	if !strings.Contains(string(pe.Stack), "panicky") {
		t.Fatalf("the stack does not show where it panicked:\n%s", pe.Stack)
	}
	// The error's text is one short line naming the process and the value; the stack is only
	// in pe.Stack, so that fmt.Println(err) of a failed network does not print a goroutine dump.
	if got, want := err.Error(), `csp: process "panicker": panic: kaboom`; got != want {
		t.Fatalf("the panic's error reads %q, want %q", got, want)
	}
	// A panic with an error value, even a sentinel, is a failure that errors.Is sees through.
	err = Parallel(Proc("p2", panicky(ErrPoisoned)))
	if pes := processErrors(t, err); pes["p2"] == nil || !errors.Is(err, ErrPoisoned) {
		t.Fatalf("panic(ErrPoisoned): %v", err)
	}
}

// Parallel waits for every process and reports each failure once, naming its process, and nothing
// for those that ended by poison or retirement.
func TestParallelJoinsFailures(t *testing.T) {
	e1, e2 := errors.New("first"), errors.New("second")
	c := NewChan[int]()
	r1, r2, w := c.Reader(), c.Reader(), c.Writer()
	d := NewChan[int]()
	dr, dw := d.Reader(), d.Writer()
	var ended sync.Map
	mark := func(name string, f func(context.Context) error) *Process {
		return Proc(name, func(ctx context.Context) error { defer ended.Store(name, true); return f(ctx) })
	}
	procs := []*Process{
		mark("fails-1", func(context.Context) error { time.Sleep(5 * time.Millisecond); return e1 }),
		mark("fails-2", func(context.Context) error { return fmt.Errorf("context: %w", e2) }),
		Proc("panics", panicky(fmt.Sprint("bad"))),
		Proc("poisoned", func(context.Context) error { _, err := r1.Read(); return err }, r1),
		Proc("retired", func(context.Context) error { _, err := dr.Read(); return err }, dr),
		Proc("ok", func(context.Context) error { c.Poison(); dw.Retire(); return nil }, w, r2),
	}
	err := Parallel(procs...)
	pes := processErrors(t, err)
	names := make([]string, 0, len(pes))
	for n := range pes {
		names = append(names, n)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"fails-1", "fails-2", "panics"}) {
		t.Fatalf("failures reported for %v: %v", names, err)
	}
	if !errors.Is(err, e1) || !errors.Is(err, e2) {
		t.Fatalf("causes lost: %v", err)
	}
	if _, ok := ended.Load("fails-1"); !ok {
		t.Fatal("Parallel returned before every process ended")
	}
	if err := Parallel(); err != nil {
		t.Fatal(err)
	}
}

// KeepOpen hands an end on to a later process: a nil return leaves it open, a failure still
// poisons it.
func TestKeepOpen(t *testing.T) {
	c := NewChan[int](Buffered(4))
	w, r := c.Writer(), c.Reader()
	var midway ChanStats
	err := Sequence(
		Proc("first", func(context.Context) error { return w.Write(1) }, KeepOpen(w)),
		Proc("second", func(context.Context) error { midway = c.Stats(); return w.Write(2) }, w),
	)
	if err != nil || midway.WritersRetired != 0 || c.Stats().WritersRetired != 1 {
		t.Fatalf("err %v, midway %+v, after %+v", err, midway, c.Stats())
	}
	for _, want := range []int{1, 2} {
		if v, err := r.Read(); v != want || err != nil {
			t.Fatalf("read %d, %v", v, err)
		}
	}
	d := NewChan[int]()
	dw := d.Writer()
	if err := Parallel(Proc("fails", func(context.Context) error { return errors.New("x") }, KeepOpen(dw))); err == nil {
		t.Fatal("no failure")
	}
	if !d.Stats().Poisoned {
		t.Fatal("a KeepOpen end was not poisoned when its process failed")
	}
}

// Cancelling ParallelContext poisons every owned end, so processes blocked in plain Read and Write
// end, and the context's error is reported (once, not as a process failure).
func TestParallelContextCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	a, b, c := NewChan[int](), NewChan[int](), NewChan[int]()
	ar, bw, cr := a.Reader(), b.Writer(), c.Reader()
	var errs [3]error
	done := goDone(func() {
		err := ParallelContext(ctx,
			Proc("reader", func(context.Context) error { _, errs[0] = ar.Read(); return errs[0] }, ar),
			Proc("writer", func(context.Context) error { errs[1] = bw.Write(1); return errs[1] }, bw),
			Proc("ctx-reader", func(ctx context.Context) error { _, errs[2] = cr.ReadContext(ctx); return errs[2] }, cr),
		)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("ParallelContext gave %v, want context.Canceled", err)
		}
		if pes := processErrors(t, err); len(pes) != 0 {
			t.Errorf("cancellation reported as process failures: %v", err)
		}
	})
	stillBlocked(t, done, "ParallelContext")
	cancel()
	finishes(t, done, "ParallelContext")
	wantErr(t, errs[0], ErrPoisoned, "blocked read")
	wantErr(t, errs[1], ErrPoisoned, "blocked write")
	if errs[2] == nil {
		t.Fatal("ReadContext returned nil")
	}
	for _, ch := range []Channel{a, b, c} {
		if !ch.Stats().Poisoned {
			t.Fatalf("%s not poisoned", ch.Name())
		}
	}
}

// ReadContext that gives up never loses a value: a reader that keeps timing out, against a writer
// that keeps writing, still receives every value, in order.
func TestReadContextLosesNothing(t *testing.T) {
	n := scaled(2000)
	c := NewChan[int]()
	r, w := c.Reader(), c.Writer()
	go func() {
		for i := range n {
			if err := w.Write(i); err != nil {
				panic(err)
			}
		}
		w.Retire()
	}()
	var got []int
	timeouts := 0
	rng := newRand(1)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(rng.IntN(30))*time.Microsecond)
		v, err := r.ReadContext(ctx)
		cancel()
		if errors.Is(err, ErrRetired) {
			break
		}
		if err != nil {
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatal(err)
			}
			timeouts++
			continue
		}
		got = append(got, v)
	}
	if len(got) != n || !slices.IsSorted(got) || got[0] != 0 || got[n-1] != n-1 {
		t.Fatalf("received %d of %d values (first %v…)", len(got), n, got[:min(5, len(got))])
	}
	t.Logf("%d reads timed out", timeouts)
}

// WriteContext that gives up did not deliver: a writer that retries each value until WriteContext
// returns nil delivers each exactly once.
func TestWriteContextLosesNothing(t *testing.T) {
	n := scaled(2000)
	for _, size := range []int{0, 2} {
		c := NewChan[int](Buffered(size))
		r, w := c.Reader(), c.Writer()
		timeouts := 0
		done := goDone(func() {
			rng := newRand(2)
			for i := range n {
				for {
					ctx, cancel := context.WithTimeout(context.Background(), time.Duration(rng.IntN(30))*time.Microsecond)
					err := w.WriteContext(ctx, i)
					cancel()
					if err == nil {
						break
					}
					if !errors.Is(err, context.DeadlineExceeded) {
						panic(err)
					}
					timeouts++
				}
			}
			w.Retire()
		})
		var got []int
		rng := newRand(3)
		for {
			if rng.IntN(4) == 0 {
				time.Sleep(time.Duration(rng.IntN(40)) * time.Microsecond)
			}
			v, err := r.Read()
			if err != nil {
				wantErr(t, err, ErrRetired, "read")
				break
			}
			got = append(got, v)
		}
		finishes(t, done, "writer")
		for i, v := range got {
			if v != i {
				t.Fatalf("buffer %d: value %d at position %d (%d received of %d)", size, v, i, len(got), n)
			}
		}
		if len(got) != n {
			t.Fatalf("buffer %d: received %d of %d", size, len(got), n)
		}
		t.Logf("buffer %d: %d writes timed out", size, timeouts)
	}
}

func TestSequence(t *testing.T) {
	var order []string
	step := func(name string, ret error) *Process {
		return Proc(name, func(context.Context) error { order = append(order, name); return ret })
	}
	if err := Sequence(step("a", nil), step("b", nil), step("c", nil)); err != nil || !slices.Equal(order, []string{"a", "b", "c"}) {
		t.Fatalf("%v %v", err, order)
	}
	order = nil
	boom := errors.New("boom")
	err := Sequence(step("a", nil), step("b", boom), step("c", nil))
	if pes := processErrors(t, err); pes["b"] == nil || !errors.Is(err, boom) || !slices.Equal(order, []string{"a", "b"}) {
		t.Fatalf("%v %v", err, order)
	}
	order = nil
	err = Sequence(step("a", ErrPoisoned), step("b", nil))
	if err != nil || !slices.Equal(order, []string{"a"}) {
		t.Fatalf("a poisoned process should stop the sequence quietly: %v %v", err, order)
	}
}

func TestSpawn(t *testing.T) {
	c := NewChan[int]()
	r, w := c.Reader(), c.Writer()
	h := Spawn(Proc("consumer", func(context.Context) error {
		for {
			if _, err := r.Read(); err != nil {
				return err
			}
		}
	}, r))
	select {
	case <-h.Done():
		t.Fatal("done before its producer ended")
	default:
	}
	for i := range 10 {
		w.Write(i)
	}
	w.Retire()
	if err := h.Wait(); err != nil {
		t.Fatal(err)
	}
	<-h.Done()
	boom := errors.New("boom")
	h = Spawn(Proc("fails", func(context.Context) error { return boom }))
	if err := h.Wait(); !errors.Is(err, boom) || processErrors(t, err)["fails"] == nil {
		t.Fatalf("Wait gave %v", err)
	}
	h = Spawn(Proc("panics", panicky(1)))
	var pe *PanicError
	if err := h.Wait(); !errors.As(err, &pe) || pe.Value != 1 {
		t.Fatalf("Wait gave %v", err)
	}
}

func TestReplicate(t *testing.T) {
	const n = 50
	c := NewChan[int]()
	r := c.Reader()
	ps := Replicate(n, func(i int) *Process {
		w := c.Writer()
		return Proc(fmt.Sprintf("w%d", i), func(context.Context) error { return w.Write(i) }, w)
	})
	if len(ps) != n || ps[7].Name() != "w7" {
		t.Fatalf("%d processes, #7 named %q", len(ps), ps[7].Name())
	}
	var got []int
	ps = append(ps, Proc("sink", func(context.Context) error {
		for {
			v, err := r.Read()
			if err != nil {
				return err
			}
			got = append(got, v)
		}
	}, r))
	if err := Parallel(ps...); err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	for i, v := range got {
		if v != i {
			t.Fatalf("got %v", got)
		}
	}
	if len(got) != n {
		t.Fatalf("got %d values", len(got))
	}
}

// Under CancelOnFailure a failing process cancels its siblings' context with the failure as the
// cause; a sibling waiting on its context stops, and its context error is not counted a failure.
func TestCancelOnFailureStopsSiblings(t *testing.T) {
	boom := errors.New("boom")
	var cause error
	var err error
	done := goDone(func() {
		err = ParallelContext(CancelOnFailure(context.Background()),
			Proc("failing", func(context.Context) error { return boom }),
			Proc("waiting", func(ctx context.Context) error {
				<-ctx.Done()
				cause = context.Cause(ctx)
				return ctx.Err()
			}),
			Proc("fine", func(context.Context) error { return nil }),
		)
	})
	finishes(t, done, "Parallel under CancelOnFailure after a failure")
	pes := processErrors(t, err)
	if len(pes) != 1 || pes["failing"] == nil || !errors.Is(err, boom) {
		t.Fatalf("Parallel gave %v, want only the failing process", err)
	}
	var pe *ProcessError
	if !errors.As(cause, &pe) || pe.Process != "failing" {
		t.Fatalf("the sibling's context cause is %v", cause)
	}
	// Without a failure nothing is cancelled, and without CancelOnFailure a failure cancels nothing.
	var ctxErr error
	if err := ParallelContext(CancelOnFailure(context.Background()),
		Proc("a", func(ctx context.Context) error { ctxErr = ctx.Err(); return nil })); err != nil || ctxErr != nil {
		t.Fatalf("no failure: %v, ctx %v", err, ctxErr)
	}
	if err := Parallel(
		Proc("failing", func(context.Context) error { return boom }),
		Proc("b", func(ctx context.Context) error { time.Sleep(10 * time.Millisecond); ctxErr = ctx.Err(); return nil }),
	); !errors.Is(err, boom) || ctxErr != nil {
		t.Fatalf("plain Parallel: %v, ctx %v", err, ctxErr)
	}
}

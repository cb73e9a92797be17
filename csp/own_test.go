package csp

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

func TestOwnRetiresAdoptedEndsOnNil(t *testing.T) {
	c := NewChan[int](Named("made-at-run-time"))
	r := c.Reader()
	err := Parallel(
		Proc("maker", func(ctx context.Context) error {
			w := c.Writer()
			if err := Own(ctx, w); err != nil {
				return err
			}
			return w.Write(1)
		}),
		Proc("reader", func(ctx context.Context) error {
			if v, err := r.Read(); err != nil || v != 1 {
				return errors.Join(err, errors.New("want 1"))
			}
			// The maker returned nil: its adopted writer is retired, so this read ends.
			if _, err := r.Read(); !errors.Is(err, ErrRetired) {
				return errors.Join(err, errors.New("want ErrRetired"))
			}
			return nil
		}, r),
	)
	if err != nil {
		t.Fatal(err)
	}
}

func TestOwnPoisonsAdoptedEndsOnFailure(t *testing.T) {
	c := NewChan[int](Buffered(1))
	boom := errors.New("boom")
	err := Parallel(Proc("maker", func(ctx context.Context) error {
		if err := Own(ctx, c.Reader(), KeepOpen(c.Writer())); err != nil {
			return err
		}
		return boom
	}))
	if !errors.Is(err, boom) {
		t.Fatalf("want boom, got %v", err)
	}
	if !c.Stats().Poisoned {
		t.Fatal("adopted ends were not poisoned when the process failed")
	}
}

func TestOwnKeepOpenOnNil(t *testing.T) {
	c := NewChan[int]()
	if err := Parallel(Proc("maker", func(ctx context.Context) error {
		return Own(ctx, KeepOpen(c.Writer()))
	})); err != nil {
		t.Fatal(err)
	}
	if st := c.Stats(); st.WritersRetired != 0 || st.Poisoned {
		t.Fatalf("a KeepOpen adopted end was settled: %+v", st)
	}
}

func TestOwnOutsideAProcess(t *testing.T) {
	c := NewChan[int]()
	if err := Own(context.Background(), c.Reader()); !errors.Is(err, ErrNotProcess) {
		t.Fatalf("want ErrNotProcess, got %v", err)
	}
	m := NewMonitor()
	if err := Own(m.Context(context.Background()), c.Reader()); !errors.Is(err, ErrNotProcess) {
		t.Fatalf("a monitor's root context is no process: want ErrNotProcess, got %v", err)
	}
}

// An end nobody owns might be used by anyone, so it vetoes a deadlock report; once the blocked
// process adopts it, the monitor knows nobody else can complete the wait, and reports the deadlock.
func TestOwnLetsTheMonitorSeeADeadlock(t *testing.T) {
	for _, own := range []bool{false, true} {
		c := NewChan[int](Named("loop"))
		m := NewMonitor()
		ctx, cancel := context.WithCancel(m.Context(context.Background()))
		var ends []End
		err := ParallelContext(ctx, Proc("self", func(ctx context.Context) error {
			r, w := c.Reader(), c.Writer()
			if own {
				if err := Own(ctx, r, w); err != nil {
					return err
				}
			} else {
				// Not owned: only a cancellation can end this wait.
				time.AfterFunc(50*time.Millisecond, cancel)
			}
			for _, p := range m.Processes() {
				if p.Name == "self" {
					ends = p.Ends
				}
			}
			_, err := r.ReadContext(ctx)
			return err
		}))
		cancel()
		m.Wait()
		if got := m.Deadlock() != nil; got != own {
			t.Fatalf("own=%v: deadlock reported=%v (err %v)", own, got, err)
		}
		if own && len(ends) != 2 {
			t.Fatalf("the monitor lists %d ends for the process, want its 2 adopted ones", len(ends))
		}
		if own && !slices.ContainsFunc(ends, func(e End) bool { return e.Dir() == DirRead }) {
			t.Fatal("the adopted reader is not listed")
		}
	}
}

// Cancelling a Parallel poisons every end its processes own, the adopted ones included.
func TestCancelPoisonsAdoptedEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	adopted := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- ParallelContext(ctx, Proc("p", func(ctx context.Context) error {
			c := NewChan[int]()
			r := c.Reader()
			c.Writer()
			if err := Own(ctx, r); err != nil {
				return err
			}
			close(adopted)
			_, err := r.Read()
			return err
		}))
	}()
	<-adopted
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("want context.Canceled, got %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("cancelled Parallel hangs: the process's adopted end was not poisoned")
	}
}

// An end adopted after the cancellation poisoned the others is poisoned too.
func TestOwnAfterCancelPoisons(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	done := make(chan error, 1)
	go func() {
		d := NewChan[int]()
		done <- ParallelContext(ctx, Proc("p", func(ctx context.Context) error {
			for !d.Stats().Poisoned { // the cancellation has come and is poisoning the ends
				time.Sleep(time.Millisecond)
			}
			time.Sleep(10 * time.Millisecond) // and is over
			c := NewChan[int]()
			r := c.Reader()
			c.Writer()
			if err := Own(ctx, r); err != nil {
				return err
			}
			_, err := r.Read()
			return err
		}, d.Writer()))
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("want context.Canceled, got %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("an end adopted after cancellation was not poisoned: the process hangs")
	}
}

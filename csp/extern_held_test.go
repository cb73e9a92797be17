package csp

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gocsp/gocsp/internal/transport"
)

// heldSelection starts a selection at a channel's home (a send guard of 7 on c, a receive guard on
// d), holds it through ReadHeld on c as a transport does for a remote reader, and returns the hold
// and the selection's outcome. The selection runs under ctx.
type selOutcome struct {
	idx int
	v   int
	err error
}

func heldSelection(t *testing.T, ctx context.Context, c, d *Chan[int]) (transport.Held[int], chan selOutcome) {
	t.Helper()
	recv := Recv(d.Reader())
	alt := NewAlt(Send(c.Writer(), 7), recv)
	out := make(chan selOutcome, 1)
	go func() {
		i, err := alt.SelectContext(ctx)
		out <- selOutcome{i, recv.Value(), err}
	}()
	v, h, err := c.Reader().Transport(transport.Door()).ReadHeld(context.Background())
	if err != nil || v != 7 {
		t.Fatalf("ReadHeld: %v, %v", v, err)
	}
	return h, out
}

// queuedWriter waits (boundedly, so that a regression fails instead of hanging) until a writer
// waits in d's queue. Before the pass-by rule, a writer meeting a held selection spun holding d's
// lock until the transport decided, and never got here while the hold lasted.
func queuedWriter(t *testing.T, d *Chan[int]) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(time.Millisecond) {
		if !d.mu.TryLock() {
			continue
		}
		q := d.sendq.head != nil
		d.mu.Unlock()
		if q {
			return
		}
	}
	t.Fatal("a writer meeting a held selection did not queue on its channel while the hold lasted")
}

// A peer that meets a selection a transport holds passes it by instead of waiting under its
// channel's lock; what happens next depends on the transport's decision, and nothing is lost.
func TestHeldSelectionPassedBy(t *testing.T) {
	t.Run("release: the selection looks again and takes the peer's value", func(t *testing.T) {
		c, d := NewChan[int](Named("c")), NewChan[int](Named("d"))
		h, out := heldSelection(t, context.Background(), c, d)
		wrote := make(chan error, 1)
		go func() { wrote <- d.Writer().Write(5) }()
		queuedWriter(t, d)
		h.Release()
		o := <-out
		if o.err != nil || o.idx != 1 || o.v != 5 {
			t.Fatalf("selection after release: guard %d, value %d, %v; want guard 1, value 5", o.idx, o.v, o.err)
		}
		if err := <-wrote; err != nil {
			t.Fatal(err)
		}
		c.mu.Lock()
		left := c.sendq.head
		c.mu.Unlock()
		if left != nil {
			t.Fatal("the selection's send guard is still queued on c after it fired on d")
		}
	})
	t.Run("commit: the selection fired on the held guard, the peer waits for another", func(t *testing.T) {
		c, d := NewChan[int](Named("c")), NewChan[int](Named("d"))
		h, out := heldSelection(t, context.Background(), c, d)
		wrote := make(chan error, 1)
		go func() { wrote <- d.Writer().Write(5) }()
		queuedWriter(t, d)
		h.Commit()
		if o := <-out; o.err != nil || o.idx != 0 {
			t.Fatalf("selection after commit: guard %d, %v; want guard 0", o.idx, o.err)
		}
		if v, err := d.Reader().Read(); err != nil || v != 5 {
			t.Fatalf("the passed-by writer's value: %v, %v", v, err)
		}
		if err := <-wrote; err != nil {
			t.Fatal(err)
		}
	})
	t.Run("poison while held reaches the selection on release", func(t *testing.T) {
		c, d := NewChan[int](Named("c")), NewChan[int](Named("d"))
		h, out := heldSelection(t, context.Background(), c, d)
		d.Poison()
		h.Release()
		if o := <-out; !errors.Is(o.err, ErrPoisoned) || o.idx != 1 {
			t.Fatalf("selection after release on a poisoned channel: guard %d, %v; want guard 1 poisoned", o.idx, o.err)
		}
	})
	for _, decision := range []string{"release", "commit"} {
		t.Run("own cancel while held waits for the "+decision, func(t *testing.T) {
			c, d := NewChan[int](Named("c")), NewChan[int](Named("d"))
			ctx, cancel := context.WithCancel(context.Background())
			h, out := heldSelection(t, ctx, c, d)
			cancel()
			// The selection cannot know yet whether its value went: it must wait for the decision.
			// (An early answer would be caught here most of the time, never falsely.)
			time.Sleep(time.Millisecond)
			select {
			case o := <-out:
				t.Fatalf("the selection returned (%d, %v) while a transport held it", o.idx, o.err)
			default:
			}
			if decision == "commit" {
				h.Commit()
				if o := <-out; o.err != nil || o.idx != 0 {
					t.Fatalf("a committed selection must report its guard although ctx ended: %d, %v", o.idx, o.err)
				}
				return
			}
			h.Release()
			if o := <-out; !errors.Is(o.err, context.Canceled) {
				t.Fatalf("a released selection whose ctx ended: %d, %v; want context.Canceled", o.idx, o.err)
			}
		})
	}
	t.Run("a timeout during the hold fires on release", func(t *testing.T) {
		// The timer must fire while the selection is held, so it is short; on a loaded machine it
		// can fire before the transport holds the selection at all. Then the round proves nothing
		// and is run again with a longer timer, instead of waiting for a hold that never comes.
		for d := time.Millisecond; ; d *= 2 {
			if d > 10*time.Second {
				t.Fatal("the timeout fired before the hold in every round")
			}
			c, dc := NewChan[int](Named("c")), NewChan[int](Named("d"))
			alt := NewAlt(Send(c.Writer(), 7), Recv(dc.Reader()), Timeout(d))
			out := make(chan selOutcome, 1)
			ctx, over := context.WithCancel(context.Background())
			go func() {
				i, err := alt.Select()
				out <- selOutcome{i, 0, err}
				over()
			}()
			_, h, err := c.Reader().Transport(transport.Door()).ReadHeld(ctx)
			if err != nil {
				if o := <-out; o.err != nil || o.idx != 2 {
					t.Fatalf("unheld selection: guard %d, %v; want the timeout (2)", o.idx, o.err)
				}
				over()
				continue
			}
			time.Sleep(5 * d) // the timer fires while held
			h.Release()
			o := <-out
			over()
			if o.err != nil || o.idx != 2 {
				t.Fatalf("selection: guard %d, %v; want the timeout (2)", o.idx, o.err)
			}
			return
		}
	})
}

// Many selections held and released or committed while local writers race them: every value is
// delivered exactly once, and each selection fires exactly one guard.
func TestHeldSelectionStress(t *testing.T) {
	rounds := scaled(2000)
	for n := 0; n < rounds; n++ {
		c, d := NewChan[int](Named("c")), NewChan[int](Named("d"))
		recv := Recv(d.Reader())
		alt := NewAlt(Send(c.Writer(), -1), recv)
		out := make(chan selOutcome, 1)
		ctx, over := context.WithCancel(context.Background())
		go func() {
			i, err := alt.Select()
			out <- selOutcome{i, recv.Value(), err}
			over() // a selection that fired on d leaves nothing on c to hold
		}()
		wrote := make(chan error, 1)
		go func() { wrote <- d.Writer().Write(n) }()
		_, h, err := c.Reader().Transport(transport.Door()).ReadHeld(ctx)
		commit := n%2 == 0
		switch {
		case err != nil:
			// The selection fired on d before the transport could hold it.
		case commit:
			h.Commit()
		default:
			h.Release()
		}
		o := <-out
		over()
		if o.err != nil {
			t.Fatal(o.err)
		}
		switch {
		case o.idx == 0 && (err != nil || !commit):
			t.Fatalf("round %d: the send guard fired although no hold was committed", n)
		case o.idx == 0:
			// c's value went to the transport; d's writer still waits for a reader.
			if v, err := d.Reader().Read(); err != nil || v != n {
				t.Fatalf("round %d: d's value %v, %v", n, v, err)
			}
		case err == nil && commit:
			t.Fatalf("round %d: the selection fired on d although its hold on c was committed", n)
		case o.v != n:
			t.Fatalf("round %d: the selection got %d from d", n, o.v)
		}
		if err := <-wrote; err != nil {
			t.Fatal(err)
		}
	}
}

// TestReadHeldThroughTheDoor: a transport reaches ReadHeld through the reader's Transport door,
// takes the value but holds its writer until it knows the remote reader has it.
func TestReadHeldThroughTheDoor(t *testing.T) {
	c := NewChan[string](Named("jobs"))
	wrote := make(chan error, 1)
	go func() { wrote <- c.Writer().Write("job 1") }()
	v, h, err := c.Reader().Transport(transport.Door()).ReadHeld(context.Background())
	if err != nil || v != "job 1" || h.Value() != "job 1" {
		t.Fatalf("ReadHeld = %q, %v (held %q); want job 1", v, err, h.Value())
	}
	h.Commit() // the writer's Write returns nil now
	if err := <-wrote; err != nil {
		t.Fatal(err)
	}
}

// Exactly one of Commit, Release and Fail ends a hold: a second would count the value twice, or
// put a delivered value back in the buffer for a reader to take again. It panics, naming the
// channel and both calls, and leaves the channel as the first left it.
func TestHeldEndedTwicePanics(t *testing.T) {
	ends := map[string]func(transport.Held[int]){
		"Commit":  func(h transport.Held[int]) { h.Commit() },
		"Release": func(h transport.Held[int]) { h.Release() },
		"Fail":    func(h transport.Held[int]) { h.Fail(errors.New("lost")) },
	}
	for first, f1 := range ends {
		for second, f2 := range ends {
			c := NewChan[int](Named("held"), Buffered(2))
			if err := c.Writer().Write(7); err != nil {
				t.Fatal(err)
			}
			_, h, err := c.Reader().Transport(transport.Door()).ReadHeld(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			f1(h)
			before := c.Stats()
			got := panics(t, first+" then "+second, func() { f2(h) })
			want := `csp: Held.` + second + ` on channel "held" after its ` + first
			if !strings.Contains(got, want) {
				t.Errorf("%s then %s: panic %q; want it to say %q", first, second, got, want)
			}
			if after := c.Stats(); after != before {
				t.Errorf("%s then %s: the channel changed: %+v, was %+v", first, second, after, before)
			}
		}
	}
}

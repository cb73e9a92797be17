package csp

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gocsp/gocsp/internal/transport"
)

// TestReadHeld covers the home's side of a remote read: a held writer completes only on Commit,
// goes back to the front of the queue on Release, and fails as the others did if the channel was
// poisoned while it was held; a buffered value released goes back to the front of the buffer.
func TestReadHeld(t *testing.T) {
	ctx := context.Background()
	t.Run("commit", func(t *testing.T) {
		c := NewChan[int]()
		r, w := c.Reader(), c.Writer()
		done := make(chan error, 1)
		go func() { done <- w.Write(1) }()
		v, h, err := r.Transport(transport.Door()).ReadHeld(ctx)
		if err != nil || v != 1 {
			t.Fatalf("ReadHeld: %v, %v", v, err)
		}
		select {
		case err := <-done:
			t.Fatalf("the write completed (%v) before the commit", err)
		default:
		}
		h.Commit()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
	t.Run("release then read", func(t *testing.T) {
		c := NewChan[int]()
		r, w := c.Reader(), c.Writer()
		done := make(chan error, 1)
		go func() { done <- w.Write(2) }()
		_, h, _ := r.Transport(transport.Door()).ReadHeld(ctx)
		h.Release()
		if v, err := r.Read(); err != nil || v != 2 {
			t.Fatalf("Read after Release: %v, %v", v, err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
	t.Run("poisoned while held", func(t *testing.T) {
		c := NewChan[int]()
		r, w := c.Reader(), c.Writer()
		done := make(chan error, 1)
		go func() { done <- w.Write(3) }()
		_, h, _ := r.Transport(transport.Door()).ReadHeld(ctx)
		c.Poison()
		h.Release()
		if err := <-done; err == nil {
			t.Fatal("the released write succeeded on a poisoned channel")
		}
	})
	t.Run("buffered release keeps order", func(t *testing.T) {
		c := NewChan[int](Buffered(2))
		r, w := c.Reader(), c.Writer()
		w.Write(1)
		w.Write(2)
		_, h, _ := r.Transport(transport.Door()).ReadHeld(ctx)
		w.Write(3) // takes the freed slot: the release must grow the ring
		h.Release()
		for want := 1; want <= 3; want++ {
			if v, err := r.Read(); err != nil || v != want {
				t.Fatalf("read %v, %v; want %d", v, err, want)
			}
		}
	})
}

// Transports waiting in ReadHeld on an empty channel wait: they do not wake each other. (Each used
// to announce itself to WriteReady by waking every watcher, the others included, which announced
// themselves again: two remote readers of an idle channel kept a core busy.)
func TestReadHeldWaitersRest(t *testing.T) {
	c := NewChan[int](Named("idle"))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 2)
	for range 2 {
		go func() {
			_, _, err := c.Reader().Transport(transport.Door()).ReadHeld(ctx)
			done <- err
		}()
	}
	watch := func() (chan struct{}, int) {
		c.mu.Lock()
		defer c.mu.Unlock()
		n := 0
		for w := c.recvq.head; w != nil; w = w.next {
			n++
		}
		return c.xwatch, n
	}
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		if _, n := watch(); n == 2 {
			break
		}
		if time.Now().After(end) {
			t.Fatal("the two ReadHelds never both waited")
		}
	}
	before, _ := watch()
	for range 100 {
		runtime.Gosched()
	}
	time.Sleep(time.Millisecond)
	if after, n := watch(); after != before || n != 2 {
		t.Fatalf("waiting ReadHelds woke each other (watch changed: %v, waiting: %d)", after != before, n)
	}
	cancel()
	for range 2 {
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("ReadHeld: %v, want context.Canceled", err)
		}
	}
}

// A reader that arrives while a transport holds the only value waits for it; when the transport
// releases the value (its remote reader did not take it), the waiting reader gets it. The release
// used to put the value back where it came from, leaving the reader and the value (a queued writer,
// or the buffer) waiting for each other for ever.
func TestReleasedValueGoesToWaitingReader(t *testing.T) {
	for _, buf := range []int{0, 1} {
		t.Run(fmt.Sprintf("buffer %d", buf), func(t *testing.T) {
			c := NewChan[int](Named("c"), Buffered(buf))
			wrote := make(chan error, 1)
			go func() { wrote <- c.Writer().Write(9) }()
			_, h, err := c.Reader().Transport(transport.Door()).ReadHeld(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			got := make(chan int, 1)
			r := c.Reader()
			go func() {
				v, _ := r.Read()
				got <- v
			}()
			readerQueued(t, c, nil)
			h.Release()
			select {
			case v := <-got:
				if v != 9 {
					t.Fatalf("read %d, want 9", v)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the reader and the released value wait for each other")
			}
			if err := <-wrote; err != nil {
				t.Fatal(err)
			}
		})
	}
}

// The last writer's retirement reaches readers only once no value is left: a value a transport
// holds may come back. A reader waits for the transport's decision: on Release it gets the value,
// on Commit (or Fail) it hears of the retirement.
func TestRetirementWaitsForHeldValue(t *testing.T) {
	for _, decision := range []string{"release", "commit", "fail"} {
		t.Run(decision, func(t *testing.T) {
			c := NewChan[int](Named("c"), Buffered(1))
			w := c.Writer()
			if err := w.Write(5); err != nil {
				t.Fatal(err)
			}
			_, h, err := c.Reader().Transport(transport.Door()).ReadHeld(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			w.Retire()
			type result struct {
				v   int
				err error
			}
			got := make(chan result, 1)
			r := c.Reader()
			go func() {
				v, err := r.Read()
				got <- result{v, err}
			}()
			readerQueued(t, c, func() {
				select {
				case res := <-got:
					t.Fatalf("the reader did not wait for the held value: %v, %v", res.v, res.err)
				default:
				}
			})
			switch decision {
			case "release":
				h.Release()
				if res := <-got; res.err != nil || res.v != 5 {
					t.Fatalf("after release: %v, %v; want 5", res.v, res.err)
				}
			case "commit":
				h.Commit()
				if res := <-got; !errors.Is(res.err, ErrRetired) {
					t.Fatalf("after commit: %v, %v; want ErrRetired", res.v, res.err)
				}
			case "fail":
				h.Fail(errors.New("link lost"))
				if res := <-got; !errors.Is(res.err, ErrRetired) {
					t.Fatalf("after fail: %v, %v; want ErrRetired", res.v, res.err)
				}
			}
		})
	}
}

// readerQueued waits (boundedly, so that a regression fails instead of hanging) until a reader
// waits in c's queue, calling check, if not nil, on each look.
func readerQueued[T any](t *testing.T, c *Chan[T], check func()) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		c.mu.Lock()
		queued := c.recvq.head != nil
		c.mu.Unlock()
		if queued {
			return
		}
		if check != nil {
			check()
		}
		if time.Now().After(end) {
			t.Fatal("the reader never queued")
		}
	}
}

// SetExtern is for a channel just made: on one whose ends already joined (their operations would
// have gone to the local channel), one poisoned (the home would never hear of it) or one already
// remote it panics, as it does with a nil Extern.
func TestSetExternMisusePanics(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		f          func()
	}{
		{"nil Extern", `SetExtern("a") with a nil Extern`, func() {
			NewChan[int](Named("a")).Transport(transport.Door()).SetExtern(nil)
		}},
		{"after an end joined", `SetExtern("b") on a channel already remote or used`, func() {
			c := NewChan[int](Named("b"))
			c.Reader()
			c.Transport(transport.Door()).SetExtern(&lockingExtern{})
		}},
		{"after a poison", `SetExtern("d") on a channel already remote or used`, func() {
			c := NewChan[int](Named("d"))
			c.Poison() // never told to the home: the remote channel would be poisoned here only
			c.Transport(transport.Door()).SetExtern(&lockingExtern{})
		}},
		{"twice", `SetExtern("c") on a channel already remote`, func() {
			c := NewChan[int](Named("c"))
			c.Transport(transport.Door()).SetExtern(&lockingExtern{})
			c.Transport(transport.Door()).SetExtern(&lockingExtern{})
		}},
	} {
		if got := panics(t, tc.name, tc.f); !strings.Contains(got, tc.want) {
			t.Errorf("%s: panic %q; want it to say %q", tc.name, got, tc.want)
		}
	}
}

// The home's transport calls on an end of a remote channel panic, naming the call and the channel.
func TestHomeCallsOnRemoteEndPanic(t *testing.T) {
	remote := func(name string) *Chan[int] {
		c := NewChan[int](Named(name))
		c.Transport(transport.Door()).SetExtern(&lockingExtern{})
		return c
	}
	ctx := context.Background()
	for _, tc := range []struct {
		call string
		f    func(c *Chan[int])
	}{
		{"ReadHeld", func(c *Chan[int]) { c.Reader().Transport(transport.Door()).ReadHeld(ctx) }},
		{"ReadReady", func(c *Chan[int]) { c.Reader().Transport(transport.Door()).ReadReady(ctx) }},
		{"ReadableNow", func(c *Chan[int]) { c.Reader().Transport(transport.Door()).ReadableNow() }},
		{"WriteReady", func(c *Chan[int]) { c.Writer().Transport(transport.Door()).WriteReady() }},
		{"WriteNow", func(c *Chan[int]) { c.Writer().Transport(transport.Door()).WriteNow(1) }},
		{"Reserve", func(c *Chan[int]) { c.Writer().Transport(transport.Door()).Reserve(1) }},
	} {
		c := remote("r-" + tc.call)
		want := fmt.Sprintf("csp: %s on an end of remote channel %q", tc.call, c.Name())
		if got := panics(t, tc.call, func() { tc.f(c) }); !strings.Contains(got, want) {
			t.Errorf("%s: panic %q; want it to say %q", tc.call, got, want)
		}
	}
}

// ReportLinkLost is for a remote channel: on a local one, which has no link, it panics naming the
// channel instead of writing a link loss into its owners' traces.
func TestReportLinkLostOnLocalChannelPanics(t *testing.T) {
	c := NewChan[int](Named("local"))
	got := panics(t, "ReportLinkLost", func() { c.Transport(transport.Door()).ReportLinkLost() })
	if want := `csp: ReportLinkLost on channel "local", which is not remote`; !strings.Contains(got, want) {
		t.Errorf("panic %q; want it to say %q", got, want)
	}
}

// zeroKey calls a door the only way a program outside the module can: with the zero value of a key
// type it cannot name, which the compiler infers.
func zeroKey[K, R any](door func(K) R) R {
	var k K
	return door(k)
}

// The doors open only to transport.Door's key: the zero Key, all an outside program can pass, panics
// naming the channel, so nothing outside the module can hold a writer or reserve buffer slots.
func TestTransportDoorsRefuseZeroKey(t *testing.T) {
	c := NewChan[int](Named("guarded"), Buffered(2))
	for call, f := range map[string]func(){
		"Chan":   func() { zeroKey(c.Transport) },
		"Reader": func() { zeroKey(c.Reader().Transport) },
		"Writer": func() { zeroKey(c.Writer().Transport).Reserve(1) },
	} {
		want := `csp: Transport on channel "guarded": for this module's transport (package net) only`
		if got := panics(t, call, f); !strings.Contains(got, want) {
			t.Errorf("%s: panic %q; want it to say %q", call, got, want)
		}
	}
	if got := c.Stats(); got.Len != 0 {
		t.Fatalf("a refused door changed the channel: %+v", got)
	}
}

package csp

import (
	"context"
	"testing"
	"time"

	"github.com/gocsp/gocsp/internal/transport"
)

// A transport waiting in ReadHeld has its place in line with the channel's local readers, and a
// writer serves whoever is first: a local reader that is always back in time does not take every
// value. (Before, a writer completed with any local reader that waited, and a transport got only
// values no local reader was there for: remote readers of a channel with a quick local reader at
// its home starved.)
func TestReadHeldTakesItsTurn(t *testing.T) {
	const n = 200
	c := NewChan[int](Named("shared"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	local, remote := make(chan int), make(chan int)
	go func() {
		r := c.Reader()
		for {
			v, err := r.Read()
			if err != nil {
				return
			}
			local <- v
		}
	}()
	go func() {
		r := c.Reader()
		for {
			v, h, err := r.Transport(transport.Door()).ReadHeld(ctx)
			if err != nil {
				return
			}
			h.Commit()
			remote <- v
		}
	}()
	// line waits until both readers are in line and reports whether the transport is first.
	line := func() bool {
		for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Microsecond) {
			c.mu.Lock()
			h := c.recvq.head
			both := h != nil && h.next != nil
			first := both && h.xport
			c.mu.Unlock()
			if both {
				return first
			}
		}
		t.Fatal("the two readers never both waited")
		return false
	}
	w := c.Writer()
	turns := 0
	for i := range n {
		transportFirst := line()
		done := make(chan error, 1)
		go func() { done <- w.Write(i) }()
		select {
		case <-local:
			if transportFirst {
				t.Fatalf("value %d went to the local reader, though the transport was first in line", i)
			}
		case <-remote:
			if !transportFirst {
				t.Fatalf("value %d went to the transport, though the local reader was first in line", i)
			}
			turns++
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if turns < n/4 {
		t.Fatalf("the transport was first in line %d times of %d", turns, n)
	}
	w.Retire()
}

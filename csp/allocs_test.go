package csp

import (
	"context"
	"testing"
	"time"

	"github.com/gocsp/gocsp/internal/transport"
)

// Read, Write and a reused Alt allocate nothing in the steady state, neither when the peer is ready
// (the fast path) nor when the operation has to park until a peer arrives.
func TestZeroAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts")
	}
	check := func(name string, f func()) {
		t.Helper()
		f() // warm up: first-use allocations (a selection's random source, a timer) do not count
		if n := testing.AllocsPerRun(2000, f); n != 0 {
			t.Errorf("%s: %v allocations per op, want 0", name, n)
		}
	}
	ctx := context.Background()

	// Parked: a peer goroutine on the other side, itself allocation-free.
	c := NewChan[int]()
	r, w := c.Reader(), c.Writer()
	done := goDone(func() {
		for {
			if _, err := r.Read(); err != nil {
				return
			}
		}
	})
	check("Write", func() { w.Write(1) })
	sendAlt := NewAlt(Send(w, 1))
	check("reused Alt, Send guard", func() { sendAlt.SelectContext(ctx) })
	w.Poison()
	<-done

	c = NewChan[int]()
	r, w = c.Reader(), c.Writer()
	done = goDone(func() {
		for i := 0; ; i++ {
			if err := w.Write(i); err != nil {
				return
			}
		}
	})
	check("Read", func() { r.Read() })
	check("ReadContext", func() { r.ReadContext(ctx) })
	recvAlt := NewAlt(Recv(r), Recv(NewChan[int]().Reader()))
	for _, m := range selectModes {
		check("reused Alt "+m.name, func() { m.sel(recvAlt, ctx) })
	}
	timeoutAlt := NewAlt(Recv(r), Timeout(time.Hour))
	check("reused Alt with a Timeout", func() { timeoutAlt.SelectContext(ctx) })
	r.Poison()
	<-done

	// Ready: buffered channels, refilled between selections, so nothing parks.
	ws, gs := fullChans(t, 3)
	alt := NewAlt(append(gs, Skip())...)
	for _, m := range selectModes {
		check("ready Alt "+m.name, func() {
			i, _ := m.sel(alt, ctx)
			if i < len(ws) {
				ws[i].Write(i)
			}
		})
	}
}

// The transport's doors (the Transport methods) are conversions, not wrappers: going through them
// costs a transport's home no allocation per operation. (WriteReady is left out: once a transport
// watches a channel, each change makes a new watch channel, whichever way it is reached.)
func TestTransportDoorsAllocateNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts")
	}
	c := NewChan[int](Buffered(1))
	r, w := c.Reader(), c.Writer()
	n := testing.AllocsPerRun(2000, func() {
		if done, err := w.Transport(transport.Door()).WriteNow(1); !done || err != nil {
			t.Fatalf("WriteNow = %v, %v", done, err)
		}
		if !r.Transport(transport.Door()).ReadableNow() {
			t.Fatal("not readable after WriteNow")
		}
		if _, err := r.Read(); err != nil {
			t.Fatal(err)
		}
	})
	if n != 0 {
		t.Errorf("%v allocations per round through the doors, want 0", n)
	}
}

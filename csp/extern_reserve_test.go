package csp

import (
	"errors"
	"runtime"
	"sync"
	"testing"

	"github.com/gocsp/gocsp/internal/transport"
)

// Reserved slots count as taken: local writers see the buffer full while a transport holds them,
// values plus reservations never exceed it, and a reservation filled or given back (its end
// retires) lets a waiting writer in.
func TestReserveCountsAsTaken(t *testing.T) {
	c := NewChan[int](Buffered(4))
	x := c.Writer()
	if got, err := x.Transport(transport.Door()).Reserve(3); got != 3 || err != nil {
		t.Fatalf("Reserve(3) on an empty buffer of 4 = %d, %v", got, err)
	}
	w := c.Writer()
	if err := w.Write(1); err != nil {
		t.Fatal(err)
	}
	if done, _ := w.Transport(transport.Door()).WriteNow(2); done {
		t.Fatal("a write went into a buffer of 4 holding 1 value and 3 reserved slots")
	}
	if got, _ := x.Transport(transport.Door()).Reserve(5); got != 0 {
		t.Fatalf("Reserve on a full buffer reserved %d", got)
	}
	wrote := make(chan error, 1)
	go func() { wrote <- w.Write(2) }()
	if err := x.Transport(transport.Door()).WriteReserved(10); err != nil { // fills a slot: still full
		t.Fatal(err)
	}
	r := c.Reader()
	for _, want := range []int{1, 10} {
		if v, err := r.Read(); err != nil || v != want {
			t.Fatalf("read %d, %v; want %d (FIFO)", v, err, want)
		}
	}
	if err := <-wrote; err != nil { // a read freed a slot: the waiting writer took it
		t.Fatal(err)
	}
	blocked := make(chan error, 2)
	for i := range 2 {
		go func() { blocked <- c.Writer().Write(20 + i) }()
	}
	// Two reserved slots left, one value buffered, one slot free: one writer gets in. Giving the
	// reservations back (the end retires) lets the other in.
	if err := <-blocked; err != nil {
		t.Fatal(err)
	}
	x.Retire()
	if err := <-blocked; err != nil {
		t.Fatal(err)
	}
	if s := c.Stats(); s.Len != 3 {
		t.Fatalf("Len %d, want 3", s.Len)
	}
}

// Many local writers and a transport filling reservations at once never put more than the buffer
// in it, and every value arrives once.
func TestReserveMixedWritersBounded(t *testing.T) {
	const size, each = 3, 2000
	c := NewChan[int](Buffered(size))
	x := c.Writer()
	var wg sync.WaitGroup
	for k := range 2 {
		w := c.Writer()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if err := w.Write(k*each + i); err != nil {
					t.Error(err)
					return
				}
			}
			w.Retire()
		}()
	}
	wg.Add(1)
	go func() { // the transport: reserves what it can, fills it
		defer wg.Done()
		for i := 0; i < each; {
			got, err := x.Transport(transport.Door()).Reserve(min(size, each-i))
			if err != nil {
				t.Error(err)
				return
			}
			for range got {
				if err := x.Transport(transport.Door()).WriteReserved(2*each + i); err != nil {
					t.Error(err)
					return
				}
				i++
			}
			if got == 0 {
				runtime.Gosched()
			}
		}
		x.Retire()
	}()
	r := c.Reader()
	seen := map[int]bool{}
	for {
		c.mu.Lock()
		over := c.n+c.reserved > c.size
		c.mu.Unlock()
		if over {
			t.Fatal("values buffered plus slots reserved exceed the buffer")
		}
		v, err := r.Read()
		if errors.Is(err, ErrRetired) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if seen[v] {
			t.Fatalf("value %d twice", v)
		}
		seen[v] = true
	}
	wg.Wait()
	if len(seen) != 3*each {
		t.Fatalf("%d values, want %d", len(seen), 3*each)
	}
}

// A reader's poison discards a value that fills a reservation afterwards, as it discarded the
// buffer; a writer's poison leaves it for readers to drain. Reserve then refuses, saying why.
func TestReserveAfterPoison(t *testing.T) {
	for _, byReader := range []bool{true, false} {
		c := NewChan[int](Buffered(2))
		x := c.Writer()
		if got, _ := x.Transport(transport.Door()).Reserve(2); got != 2 {
			t.Fatal("no reservation")
		}
		r := c.Reader()
		if byReader {
			r.Poison()
		} else {
			c.Writer().Poison()
		}
		err := x.Transport(transport.Door()).WriteReserved(7)
		if _, rerr := x.Transport(transport.Door()).Reserve(1); !errors.Is(rerr, ErrPoisoned) {
			t.Fatalf("Reserve after poison: %v", rerr)
		}
		v, rerr := r.Read()
		if byReader {
			if !errors.Is(err, ErrPoisoned) || !errors.Is(rerr, ErrPoisoned) {
				t.Fatalf("after a reader's poison: WriteReserved %v, Read %v, %v", err, v, rerr)
			}
		} else if err != nil || rerr != nil || v != 7 {
			t.Fatalf("after a writer's poison: WriteReserved %v, Read %v, %v; want the value drained", err, v, rerr)
		}
	}
}
